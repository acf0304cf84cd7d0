"""Cuboid geometry for 3D review (Qt-free): corners, wireframes, point membership, fitting.

Conventions (PRODUCT.md §3): the cloud's sensor frame, metres, Z up; length runs along the
heading (the box's local +x, world +X at yaw 0), width along local y, height along local z;
rotation is a unit quaternion (w, x, y, z).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from avala_desktop.core.camera3d import Camera, OrbitCamera, affine_rows, to_camera_space
from avala_desktop.core.wire.rotation import quaternion_from_yaw_pitch_roll


def quat_to_matrix(quat: np.ndarray | tuple[float, float, float, float]) -> np.ndarray:
    """3x3 rotation matrix of a (w, x, y, z) quaternion (normalised first)."""
    q = np.asarray(quat, dtype=np.float64).reshape(4)
    norm = float(np.linalg.norm(q))
    if not math.isfinite(norm) or norm < 1e-12:
        raise ValueError(f"quaternion {q.tolist()} has no direction")
    w, x, y, z = q / norm
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
            [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
            [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
        ]
    )


def yaw_quat(yaw: float) -> np.ndarray:
    """(w, x, y, z) of a rotation by ``yaw`` radians about +Z."""
    return np.array(quaternion_from_yaw_pitch_roll(yaw, 0.0, 0.0))


@dataclass(frozen=True, eq=False)
class Cuboid:
    center: np.ndarray  # (3,) x, y, z
    dims: np.ndarray  # (3,) l, w, h
    quat: np.ndarray = field(default_factory=lambda: np.array([1.0, 0.0, 0.0, 0.0]))  # w, x, y, z

    def __post_init__(self) -> None:
        object.__setattr__(self, "center", np.asarray(self.center, dtype=np.float64).reshape(3))
        object.__setattr__(self, "dims", np.asarray(self.dims, dtype=np.float64).reshape(3))
        q = np.asarray(self.quat, dtype=np.float64).reshape(4)
        norm = float(np.linalg.norm(q))
        if not math.isfinite(norm) or norm < 1e-12:
            raise ValueError(f"quaternion {q.tolist()} has no direction")
        # A stored unit quaternion stays bit-identical (dividing by ~1.0 may change last bits).
        object.__setattr__(self, "quat", q if abs(norm - 1.0) <= 1e-12 else q / norm)

    @property
    def rotation(self) -> np.ndarray:
        """Columns: the box's length, width and height axes in world coordinates."""
        return quat_to_matrix(self.quat)

    @property
    def yaw(self) -> float:
        """Heading of the length axis in the XY plane, radians."""
        heading = self.rotation[:, 0]
        return math.atan2(heading[1], heading[0])

    @classmethod
    def from_geometry(cls, geometry: Mapping[str, Any]) -> Cuboid:
        """From the canonical ``bounding_box_3d`` geometry dict (CONTRACTS.md)."""
        c, d, r = geometry["center"], geometry["dimensions"], geometry["rotation"]
        return cls(
            np.array([c["x"], c["y"], c["z"]], dtype=np.float64),
            np.array([d["l"], d["w"], d["h"]], dtype=np.float64),
            np.array([r["w"], r["x"], r["y"], r["z"]], dtype=np.float64),
        )

    def to_geometry(self) -> dict[str, dict[str, float]]:
        c, d, q = self.center, self.dims, self.quat
        return {
            "center": {"x": float(c[0]), "y": float(c[1]), "z": float(c[2])},
            "dimensions": {"l": float(d[0]), "w": float(d[1]), "h": float(d[2])},
            "rotation": {"w": float(q[0]), "x": float(q[1]), "y": float(q[2]), "z": float(q[3])},
        }


# Corner signs in the box frame: 0-3 the front face (+x, the heading side), 4-7 the back.
_CORNER_SIGNS = np.array(
    [
        [1, 1, 1], [1, -1, 1], [1, -1, -1], [1, 1, -1],
        [-1, 1, 1], [-1, -1, 1], [-1, -1, -1], [-1, 1, -1],
    ],
    dtype=np.float64,
)  # fmt: skip
CUBOID_EDGES = np.array(
    [[0, 1], [1, 2], [2, 3], [3, 0], [4, 5], [5, 6], [6, 7], [7, 4], [0, 4], [1, 5], [2, 6], [3, 7]]
)
FRONT_FACE = (0, 1, 2, 3)


def cuboid_corners(
    center: np.ndarray | Cuboid, dims: np.ndarray | None = None, quat: np.ndarray | None = None
) -> np.ndarray:
    """(8, 3) world corners; 0-3 are the front (heading) face. Pass a Cuboid or its parts."""
    box = center if isinstance(center, Cuboid) else Cuboid(center, dims, quat)  # type: ignore[arg-type]
    local = _CORNER_SIGNS * (box.dims / 2.0)
    return local @ box.rotation.T + box.center


def cuboid_segments(box: Cuboid) -> tuple[np.ndarray, np.ndarray]:
    """World segments to draw: the 12 edges (12, 2, 3) and the heading mark (3, 2, 3).

    The heading mark is a line from the centre to the middle of the front face plus that
    face's two diagonals, so the direction reads in every view.
    """
    corners = cuboid_corners(box)
    edges = corners[CUBOID_EDGES]
    front_mid = corners[list(FRONT_FACE)].mean(axis=0)
    heading = np.stack(
        [
            [box.center, front_mid],
            [corners[0], corners[2]],
            [corners[1], corners[3]],
        ]
    )
    return edges, heading


def cuboid_footprint(box: Cuboid) -> np.ndarray:
    """(4, 2) XY corners seen from above: front-left, front-right, back-right, back-left."""
    corners = cuboid_corners(box)
    return corners[[0, 1, 5, 4], :2]


def project_segments(
    segments: np.ndarray, camera: Camera, width: int, height: int
) -> tuple[np.ndarray, np.ndarray]:
    """Project (M, 2, 3) world segments to (M, 2, 2) pixel coordinates.

    Perspective segments are clipped at the near plane first (a box around the camera still
    draws its visible part); ``visible`` is False for a segment wholly behind the camera.
    """
    segs = np.asarray(segments, dtype=np.float64).reshape(-1, 2, 3)
    cam = to_camera_space(segs.reshape(-1, 3), camera).astype(np.float64).reshape(-1, 2, 3)
    visible = np.ones(len(cam), dtype=bool)
    if isinstance(camera, OrbitCamera):
        near = camera.near
        z0, z1 = cam[:, 0, 2], cam[:, 1, 2]
        visible = (z0 > near) | (z1 > near)
        for end, other in ((0, 1), (1, 0)):
            behind = visible & (cam[:, end, 2] <= near)
            if behind.any():
                a, b = cam[behind, end], cam[behind, other]
                t = ((near - a[:, 2]) / (b[:, 2] - a[:, 2]))[:, None]
                cam[behind, end] = a + t * (b - a)
        cam[~visible, :, 2] = 1.0  # any positive depth; these are masked out
        f = camera.focal_px(height)
        uv = cam[..., :2] * (f / cam[..., 2:3])
    else:
        uv = cam[..., :2] * camera.scale
    out = np.empty(uv.shape, dtype=np.float64)
    out[..., 0] = width / 2.0 + uv[..., 0]
    out[..., 1] = height / 2.0 - uv[..., 1]
    return out, visible


def points_in_cuboid(points: np.ndarray, box: Cuboid, margin: float = 0.0) -> np.ndarray:
    """Boolean mask of the points inside the box (grown by ``margin`` metres on every side)."""
    pts = np.asarray(points, dtype=np.float32).reshape(-1, 3)
    rot_t = box.rotation.T
    local = affine_rows(pts[:, 0], pts[:, 1], pts[:, 2], rot_t, rot_t @ box.center)
    half = (box.dims / 2.0 + margin).astype(np.float32)
    with np.errstate(invalid="ignore"):
        inside = np.abs(local[0]) <= half[0]
        inside &= np.abs(local[1]) <= half[1]
        inside &= np.abs(local[2]) <= half[2]
    return inside


def fit_cuboid_to_points(
    points: np.ndarray,
    box: Cuboid,
    *,
    min_size: float = 0.05,
    ground_clearance: float | None = None,
) -> Cuboid | None:
    """Shrink ``box`` to the tightest box around the points inside it, keeping its rotation.

    Returns None when no point is inside. Each dimension is at least ``min_size`` metres, so a
    box fitted to a single point or a flat patch stays editable. With ``ground_clearance``
    (metres), the lowest points (the ground an object stands on) only set the bottom: length
    and width fit the points higher than that above the lowest one, so a box drawn with some
    ground around its object shrinks to the object and still stands on the ground.
    """
    inside = np.asarray(points)[points_in_cuboid(points, box)]
    if len(inside) == 0:
        return None
    rot = box.rotation
    local = (inside.astype(np.float64) - box.center) @ rot
    lo, hi = local.min(axis=0), local.max(axis=0)
    if ground_clearance is not None:
        raised = local[local[:, 2] > lo[2] + ground_clearance]
        if len(raised):
            lo[:2], hi[:2] = raised[:, :2].min(axis=0), raised[:, :2].max(axis=0)
    dims = np.maximum(hi - lo, min_size)
    center = box.center + rot @ ((lo + hi) / 2.0)
    return Cuboid(center, dims, box.quat)
