"""Cameras for the point cloud views (Qt-free): a perspective orbit camera and orthographic
top/side/front views, optionally turned into a cuboid's frame.

Camera space: x to the right of the image, y up the image, z forward (away from the viewer).
Image space: u to the right, v down, pixel (0, 0) at the top-left; the image centre is
(width / 2, height / 2). World: the sensor frame, metres, Z up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

OrthoView = Literal["top", "side", "front"]
_WORLD_UP = np.array([0.0, 0.0, 1.0])
# Keeps the orbit camera off the poles, where "right" = forward x up is undefined.
_MAX_ELEVATION = math.radians(89.0)


def _vec3(value: object) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64).reshape(3)
    return arr


@dataclass(frozen=True, eq=False)
class OrbitCamera:
    """Perspective camera orbiting ``target`` at ``distance``.

    ``azimuth`` (radians) is the direction from the target to the eye around Z, measured from
    +X; ``elevation`` (radians) lifts the eye above the XY plane; ``fov_y`` is in degrees.
    """

    target: np.ndarray = field(default_factory=lambda: np.zeros(3))
    distance: float = 30.0
    azimuth: float = math.radians(-135.0)
    elevation: float = math.radians(35.0)
    fov_y: float = 60.0
    near: float = 0.05

    def __post_init__(self) -> None:
        object.__setattr__(self, "target", _vec3(self.target))
        object.__setattr__(
            self, "elevation", max(-_MAX_ELEVATION, min(_MAX_ELEVATION, self.elevation))
        )
        object.__setattr__(self, "distance", max(self.distance, 1e-3))

    @property
    def eye(self) -> np.ndarray:
        ce = math.cos(self.elevation)
        offset = np.array(
            [ce * math.cos(self.azimuth), ce * math.sin(self.azimuth), math.sin(self.elevation)]
        )
        return self.target + self.distance * offset

    def basis(self) -> np.ndarray:
        """Rows: camera right, up and forward in world coordinates."""
        forward = self.target - self.eye
        forward /= np.linalg.norm(forward)
        right = np.cross(forward, _WORLD_UP)
        right /= np.linalg.norm(right)
        up = np.cross(right, forward)
        return np.stack([right, up, forward])

    def origin(self) -> np.ndarray:
        return self.eye

    def focal_px(self, height: int) -> float:
        return (height / 2.0) / math.tan(math.radians(self.fov_y) / 2.0)

    def orbited(self, d_azimuth: float, d_elevation: float) -> OrbitCamera:
        return replace(
            self, azimuth=self.azimuth + d_azimuth, elevation=self.elevation + d_elevation
        )

    def zoomed(self, factor: float) -> OrbitCamera:
        """``factor`` > 1 moves closer."""
        return replace(self, distance=self.distance / factor)

    def panned(self, dx_px: float, dy_px: float, height: int) -> OrbitCamera:
        """Move the target so the scene follows a drag of (dx, dy) pixels at the target's depth."""
        metres_per_px = self.distance / self.focal_px(height)
        right, up, _ = self.basis()
        return replace(self, target=self.target + (-dx_px * right + dy_px * up) * metres_per_px)

    @classmethod
    def framing(cls, points: np.ndarray, *, fov_y: float = 60.0) -> OrbitCamera:
        """A view of the whole cloud (its finite points) from the default direction."""
        # A strided sample bounds a big cloud well enough to frame it, ~20x cheaper.
        sample = np.asarray(points)[:: max(1, len(points) // 200_000)]
        sample = sample[np.isfinite(sample).all(axis=1)]
        if len(sample) == 0:
            return cls(fov_y=fov_y)
        lo = np.array([sample[:, i].min() for i in range(3)], dtype=np.float64)
        hi = np.array([sample[:, i].max() for i in range(3)], dtype=np.float64)
        radius = max(float(np.linalg.norm(hi - lo)) / 2.0, 1.0)
        distance = radius / math.sin(math.radians(fov_y) / 2.0)
        return cls(target=(lo + hi) / 2.0, distance=distance, fov_y=fov_y)


# Camera basis rows (right, up, forward) of each orthographic view in the frame it looks at:
# top looks down -Z with the heading (+X) pointing up the image; side looks along +Y with the
# heading to the right; front looks back along -X at the front face.
_ORTHO_BASES: dict[str, np.ndarray] = {
    "top": np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, -1.0]]),
    "side": np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]),
    "front": np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [-1.0, 0.0, 0.0]]),
}


@dataclass(frozen=True, eq=False)
class OrthoCamera:
    """Orthographic view centred on ``center`` at ``scale`` pixels per metre.

    ``frame`` (3x3, columns = the frame's x, y, z axes in world coordinates, e.g. a cuboid's
    rotation matrix) turns the view with a box so its heading stays fixed on screen.
    ``depth_range`` (metres), when set, keeps only points within that distance of ``center``
    along the viewing direction, so a side view shows the box's neighbourhood, not the scene.
    """

    center: np.ndarray = field(default_factory=lambda: np.zeros(3))
    scale: float = 10.0
    view: OrthoView = "top"
    frame: np.ndarray = field(default_factory=lambda: np.eye(3))
    depth_range: float | None = None

    def __post_init__(self) -> None:
        if self.view not in _ORTHO_BASES:
            raise ValueError(f"view must be top, side or front, got {self.view!r}")
        object.__setattr__(self, "center", _vec3(self.center))
        object.__setattr__(self, "frame", np.asarray(self.frame, dtype=np.float64).reshape(3, 3))

    def basis(self) -> np.ndarray:
        return _ORTHO_BASES[self.view] @ self.frame.T

    def origin(self) -> np.ndarray:
        return self.center

    def zoomed(self, factor: float) -> OrthoCamera:
        return replace(self, scale=self.scale * factor)

    def panned(self, dx_px: float, dy_px: float) -> OrthoCamera:
        right, up, _ = self.basis()
        return replace(self, center=self.center + (-dx_px * right + dy_px * up) / self.scale)


Camera = OrbitCamera | OrthoCamera


def affine_rows(
    x: np.ndarray, y: np.ndarray, z: np.ndarray, matrix: np.ndarray, shift: np.ndarray
) -> np.ndarray:
    """``matrix @ [x; y; z] - shift[:, None]`` as a (3, N) float32 array.

    Elementwise on purpose: OpenBLAS's threaded sgemm for (N,3)x(3,3) is 1 ms when the machine
    is idle but up to 200+ ms when another process holds a core; these ops are a steady ~2 ms.
    """
    m = np.asarray(matrix, dtype=np.float32)
    t = np.asarray(shift, dtype=np.float32)
    n = len(x)
    out = np.empty((3, n), np.float32)
    tmp = np.empty(n, np.float32)
    with np.errstate(invalid="ignore", over="ignore"):  # inf coordinates: masked by callers
        for i in range(3):
            row = out[i]
            np.multiply(x, m[i, 0], out=row)
            np.multiply(y, m[i, 1], out=tmp)
            row += tmp
            np.multiply(z, m[i, 2], out=tmp)
            row += tmp
            row -= t[i]
    return out


def camera_rows(x: np.ndarray, y: np.ndarray, z: np.ndarray, camera: Camera) -> np.ndarray:
    """World coordinates (three float32 columns) to (3, N) camera coordinates."""
    basis = camera.basis()
    return affine_rows(x, y, z, basis, basis @ camera.origin())


def to_camera_space(points: np.ndarray, camera: Camera) -> np.ndarray:
    """(N, 3) world points to (N, 3) float32 camera coordinates (right, up, forward)."""
    pts = np.asarray(points, dtype=np.float32).reshape(-1, 3)
    return camera_rows(pts[:, 0], pts[:, 1], pts[:, 2], camera).T


def project(
    points: np.ndarray, camera: Camera, width: int, height: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Project (N, 3) world points to image coordinates.

    Returns float32 ``u``, ``v`` (pixels, continuous), ``depth`` (distance along the view
    direction; for orthographic views signed, relative to the centre) and ``valid``: the point
    is finite, in front of the near plane (perspective) or within ``depth_range``
    (orthographic). Whether (u, v) falls inside the image is left to the caller.
    """
    x, y, depth = to_camera_space(points, camera).T
    cx, cy = width / 2.0, height / 2.0
    u: np.ndarray
    v: np.ndarray
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if isinstance(camera, OrbitCamera):
            valid = depth > camera.near
            inv = np.float32(camera.focal_px(height)) / depth
            u = x * inv + np.float32(cx)
            v = np.float32(cy) - y * inv
        else:
            valid = np.isfinite(depth)
            if camera.depth_range is not None:
                valid &= np.abs(depth) <= camera.depth_range
            s = np.float32(camera.scale)
            u = x * s + np.float32(cx)
            v = np.float32(cy) - y * s
        valid &= np.isfinite(u) & np.isfinite(v)
    return u, v, depth, valid


def unproject_ortho(u: float, v: float, camera: OrthoCamera, width: int, height: int) -> np.ndarray:
    """The world point on the view's centre plane under pixel (u, v) (for editing in 2D views)."""
    right, up, _ = camera.basis()
    return camera.center + ((u - width / 2.0) * right - (v - height / 2.0) * up) / camera.scale
