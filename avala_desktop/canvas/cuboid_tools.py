"""Interaction math for editing cuboids in the orthographic views (numpy only, no Qt).

An orthographic view of the selected cuboid is turned with it (``OrthoCamera.frame`` = the
box's rotation), so two of the box's local axes lie in the screen plane:
top: length (up the screen) and width; side: length (to the right) and height; front: width
and height. A *handle* is named by the signs it has on those axes: (+1, 0, 0) is the middle
of the front edge in a top view, (+1, -1, 0) a corner, (0, 0, 0) the body. Dragging an edge
moves that face along its normal while the opposite face stays put; a corner moves two faces.

Every edit is computed from the box as it was when the gesture began plus the total pointer
movement since then (never accumulated step by step), so a drag back to the start gives the
start box exactly and rounding does not creep in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from avala_desktop.core.camera3d import Camera, OrthoCamera, OrthoView, project, unproject_ortho
from avala_desktop.core.geometry3d import (
    Cuboid,
    cuboid_corners,
    points_in_cuboid,
    quat_to_matrix,
)
from avala_desktop.core.wire.rotation import quaternion_from_yaw_pitch_roll

HandleKind = Literal["body", "edge", "corner", "rotate"]

# The box's local axes that lie in each view's screen plane.
VIEW_AXES: dict[str, tuple[int, int]] = {"top": (0, 1), "side": (0, 2), "front": (1, 2)}
MIN_SIZE_M = 0.05  # smallest dimension a drag can leave (a box stays editable)
ROTATE_HANDLE_PX = 28.0  # distance of the rotation handle beyond the front edge
DEFAULT_HEIGHT_M = 1.5  # a new box drawn over empty ground


@dataclass(frozen=True)
class Handle:
    kind: HandleKind
    signs: tuple[int, int, int] = (0, 0, 0)  # per local axis: -1, 0 or +1

    def local_point(self, box: Cuboid, scale: float) -> np.ndarray:
        """The handle's position in the box frame (metres from the centre)."""
        point = np.asarray(self.signs, dtype=np.float64) * box.dims / 2.0
        if self.kind == "rotate":
            point[0] = box.dims[0] / 2.0 + ROTATE_HANDLE_PX / scale
        return point


def view_handles(view: OrthoView) -> list[Handle]:
    """Rotation (top view only), then the 4 corners, then the 4 edge middles."""
    a, b = VIEW_AXES[view]
    handles = [Handle("rotate", (1, 0, 0))] if view == "top" else []
    for sa in (1, -1):
        for sb in (1, -1):
            signs = [0, 0, 0]
            signs[a], signs[b] = sa, sb
            handles.append(Handle("corner", (signs[0], signs[1], signs[2])))
    for axis in (a, b):
        for s in (1, -1):
            signs = [0, 0, 0]
            signs[axis] = s
            handles.append(Handle("edge", (signs[0], signs[1], signs[2])))
    return handles


def to_pixels(world: np.ndarray, camera: Camera, width: int, height: int) -> np.ndarray:
    """(N, 3) world points to (N, 2) float64 widget pixels (no validity test)."""
    u, v, _, _ = project(np.asarray(world, dtype=np.float64).reshape(-1, 3), camera, width,
                         height)
    return np.column_stack([u, v]).astype(np.float64)


def handle_pixels(box: Cuboid, handles: list[Handle], camera: OrthoCamera, width: int,
                  height: int) -> np.ndarray:
    local = np.array([h.local_point(box, camera.scale) for h in handles])
    return to_pixels(local @ box.rotation.T + box.center, camera, width, height)


def face_rect_pixels(box: Cuboid, view: OrthoView, camera: OrthoCamera, width: int,
                     height: int) -> np.ndarray:
    """(4, 2) pixels of the box's outline in the view's plane, in drawing order."""
    a, b = VIEW_AXES[view]
    local = np.zeros((4, 3))
    for i, (sa, sb) in enumerate(((1, 1), (1, -1), (-1, -1), (-1, 1))):
        local[i, a] = sa * box.dims[a] / 2.0
        local[i, b] = sb * box.dims[b] / 2.0
    return to_pixels(local @ box.rotation.T + box.center, camera, width, height)


def _segment_distance(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    ab = b - a
    denom = float(ab @ ab)
    t = 0.0 if denom == 0.0 else min(1.0, max(0.0, float((p - a) @ ab) / denom))
    return float(np.linalg.norm(p - (a + t * ab)))


def point_in_polygon(point: np.ndarray, polygon: np.ndarray) -> bool:
    """Even-odd test of a 2D point against a closed polygon (N, 2)."""
    x, y = float(point[0]), float(point[1])
    inside = False
    n = len(polygon)
    for i in range(n):
        x0, y0 = polygon[i]
        x1, y1 = polygon[(i + 1) % n]
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            inside = not inside
    return inside


def hit_handle(box: Cuboid, view: OrthoView, camera: OrthoCamera, width: int, height: int,
               u: float, v: float, tolerance: float) -> Handle | None:
    """What a press at pixel (u, v) grabs: a handle, an edge line, the body, or nothing."""
    p = np.array([u, v], dtype=np.float64)
    handles = view_handles(view)
    pix = handle_pixels(box, handles, camera, width, height)
    dist = np.linalg.norm(pix - p, axis=1)
    # Rotation first: it sits outside the box, where nothing else competes for the press.
    for handle, d in zip(handles, dist, strict=True):
        if handle.kind == "rotate" and d <= tolerance * 1.5:
            return handle
    for handle, d in zip(handles, dist, strict=True):
        if handle.kind == "corner" and d <= tolerance:
            return handle
    # An edge is grabbed anywhere along its line, not only at its middle handle.
    rect = face_rect_pixels(box, view, camera, width, height)
    best: tuple[float, Handle] | None = None
    for handle in handles:
        if handle.kind != "edge":
            continue
        axis = int(np.flatnonzero(handle.signs)[0])
        ends = [i for i, c in enumerate(_rect_signs(view)) if c[axis] == handle.signs[axis]]
        d = _segment_distance(p, rect[ends[0]], rect[ends[1]])
        if d <= tolerance and (best is None or d < best[0]):
            best = (d, handle)
    if best is not None:
        return best[1]
    if point_in_polygon(p, rect):
        return Handle("body")
    return None


def _rect_signs(view: OrthoView) -> list[tuple[int, int, int]]:
    """Local signs of face_rect_pixels' four corners."""
    a, b = VIEW_AXES[view]
    out = []
    for sa, sb in ((1, 1), (1, -1), (-1, -1), (-1, 1)):
        signs = [0, 0, 0]
        signs[a], signs[b] = sa, sb
        out.append((signs[0], signs[1], signs[2]))
    return out


def drag_world_delta(camera: OrthoCamera, width: int, height: int, start: tuple[float, float],
                     end: tuple[float, float]) -> np.ndarray:
    """World displacement (metres) of a drag from pixel ``start`` to ``end`` in a view."""
    a = unproject_ortho(start[0], start[1], camera, width, height)
    b = unproject_ortho(end[0], end[1], camera, width, height)
    return np.asarray(b - a, dtype=np.float64)


def apply_handle(box: Cuboid, handle: Handle, view: OrthoView, world_delta: np.ndarray,
                 *, min_size: float = MIN_SIZE_M) -> Cuboid:
    """The box after dragging ``handle`` by ``world_delta`` (not for the rotation handle).

    Body: a top view moves the box in its own ground plane (x, y); side and front views move
    it along its height axis only, so adjusting z never shifts it sideways by accident.
    Edges and corners move the grabbed faces; the opposite faces stay where they were.
    """
    rot = box.rotation
    local = rot.T @ np.asarray(world_delta, dtype=np.float64)
    if handle.kind == "body":
        axes = (0, 1) if view == "top" else (2,)
        shift = np.zeros(3)
        for axis in axes:
            shift[axis] = local[axis]
        return Cuboid(box.center + rot @ shift, box.dims, box.quat)
    if handle.kind not in ("edge", "corner"):
        raise ValueError(f"apply_handle does not move a {handle.kind} handle")
    dims = box.dims.copy()
    shift = np.zeros(3)
    for axis, sign in enumerate(handle.signs):
        if sign == 0:
            continue
        new = max(min_size, box.dims[axis] + sign * local[axis])
        grown = new - box.dims[axis]
        dims[axis] = new
        shift[axis] = sign * grown / 2.0
    return Cuboid(box.center + rot @ shift, dims, box.quat)


def rotate_about_height(box: Cuboid, angle: float) -> Cuboid:
    """The box turned by ``angle`` radians about its own height axis (yaw for a flat box)."""
    turn = np.array([math.cos(angle / 2.0), 0.0, 0.0, math.sin(angle / 2.0)])
    return Cuboid(box.center, box.dims, quat_multiply(box.quat, turn))


def rotation_angle(box: Cuboid, start_world: np.ndarray, end_world: np.ndarray) -> float:
    """Angle (radians, counter-clockwise seen from above the box) swept around the box's centre
    by a pointer moving from ``start_world`` to ``end_world``."""
    rot_t = box.rotation.T
    a = rot_t @ (np.asarray(start_world, dtype=np.float64) - box.center)
    b = rot_t @ (np.asarray(end_world, dtype=np.float64) - box.center)
    angle = math.atan2(b[1], b[0]) - math.atan2(a[1], a[0])
    return math.remainder(angle, math.tau)


def quat_multiply(q: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Hamilton product q * r of (w, x, y, z) quaternions: rotate by r, then by q."""
    w0, x0, y0, z0 = np.asarray(q, dtype=np.float64)
    w1, x1, y1, z1 = np.asarray(r, dtype=np.float64)
    out = np.array([
        w0 * w1 - x0 * x1 - y0 * y1 - z0 * z1,
        w0 * x1 + x0 * w1 + y0 * z1 - z0 * y1,
        w0 * y1 - x0 * z1 + y0 * w1 + z0 * x1,
        w0 * z1 + x0 * y1 - y0 * x1 + z0 * w1,
    ])
    return out / np.linalg.norm(out)


def yaw_pitch_roll(quat: np.ndarray) -> tuple[float, float, float]:
    """Radians with R = Rz(yaw) @ Ry(pitch) @ Rx(roll), the wire's convention (PRODUCT.md §3)."""
    r = quat_to_matrix(quat)
    pitch = math.asin(max(-1.0, min(1.0, -r[2, 0])))
    if abs(r[2, 0]) < 1.0 - 1e-9:
        yaw = math.atan2(r[1, 0], r[0, 0])
        roll = math.atan2(r[2, 1], r[2, 2])
    else:  # gimbal lock: only yaw - roll (or yaw + roll) is defined; put it all in yaw
        yaw = math.atan2(-r[0, 1], r[1, 1])
        roll = 0.0
    return yaw, pitch, roll


def quat_from_ypr(yaw: float, pitch: float, roll: float) -> np.ndarray:
    return np.array(quaternion_from_yaw_pitch_roll(yaw, pitch, roll))


def z_extent(points: np.ndarray, footprint: Cuboid) -> tuple[float, float] | None:
    """Robust bottom and top (2nd and 98th percentile of z) of the points standing on the
    footprint (any height), or None when no point is there."""
    tall = Cuboid(footprint.center, np.array([footprint.dims[0], footprint.dims[1], 1e6]),
                  footprint.quat)
    inside = np.asarray(points)[points_in_cuboid(points, tall)]
    z = inside[:, 2][np.isfinite(inside[:, 2])]
    if len(z) == 0:
        return None
    lo, hi = np.percentile(z, [2.0, 98.0])
    return float(lo), float(hi)


def cuboid_from_footprint(camera: OrthoCamera, width: int, height: int,
                          start: tuple[float, float], end: tuple[float, float],
                          points: np.ndarray | None) -> Cuboid:
    """A new box from a rectangle dragged in a top view: its heading points up the screen
    (length = the rectangle's height on screen), its bottom and height come from the points
    standing on the footprint (DEFAULT_HEIGHT_M from the view's centre over empty ground)."""
    a = unproject_ortho(start[0], start[1], camera, width, height)
    b = unproject_ortho(end[0], end[1], camera, width, height)
    right, up, _ = camera.basis()
    diff = b - a
    length = max(MIN_SIZE_M, abs(float(diff @ up)))
    width_m = max(MIN_SIZE_M, abs(float(diff @ right)))
    # The box's axes: length along the screen's up, width to the left, height toward the viewer.
    rot = np.column_stack([up, -right, np.cross(up, -right)])
    center = (a + b) / 2.0
    quat = matrix_to_quat(rot)
    flat = Cuboid(center, np.array([length, width_m, DEFAULT_HEIGHT_M]), quat)
    extent = None if points is None or len(points) == 0 else z_extent(points, flat)
    if extent is None:
        return flat
    lo, hi = extent
    h = max(hi - lo, 0.2)
    # The bottom on the lowest points (the ground under an object), the top on the highest.
    return Cuboid(np.array([center[0], center[1], lo + h / 2.0]), np.array([length, width_m, h]),
                  quat)


def matrix_to_quat(rot: np.ndarray) -> np.ndarray:
    """(w, x, y, z) of a proper rotation matrix (Shepperd's method, stable for every angle)."""
    m = np.asarray(rot, dtype=np.float64)
    trace = m[0, 0] + m[1, 1] + m[2, 2]
    if trace > 0:
        s = math.sqrt(trace + 1.0) * 2
        q = [0.25 * s, (m[2, 1] - m[1, 2]) / s, (m[0, 2] - m[2, 0]) / s, (m[1, 0] - m[0, 1]) / s]
    elif m[0, 0] > m[1, 1] and m[0, 0] > m[2, 2]:
        s = math.sqrt(1.0 + m[0, 0] - m[1, 1] - m[2, 2]) * 2
        q = [(m[2, 1] - m[1, 2]) / s, 0.25 * s, (m[0, 1] + m[1, 0]) / s, (m[0, 2] + m[2, 0]) / s]
    elif m[1, 1] > m[2, 2]:
        s = math.sqrt(1.0 + m[1, 1] - m[0, 0] - m[2, 2]) * 2
        q = [(m[0, 2] - m[2, 0]) / s, (m[0, 1] + m[1, 0]) / s, 0.25 * s, (m[1, 2] + m[2, 1]) / s]
    else:
        s = math.sqrt(1.0 + m[2, 2] - m[0, 0] - m[1, 1]) * 2
        q = [(m[1, 0] - m[0, 1]) / s, (m[0, 2] + m[2, 0]) / s, (m[1, 2] + m[2, 1]) / s, 0.25 * s]
    out = np.array(q)
    if out[0] < 0:
        out = -out  # one sign for the same rotation keeps stored values tidy
    return out / np.linalg.norm(out)


def convex_hull(points: np.ndarray) -> np.ndarray:
    """Andrew's monotone chain: the hull of (N, 2) points, counter-clockwise."""
    pts = sorted({(float(x), float(y)) for x, y in np.asarray(points).reshape(-1, 2)})
    if len(pts) <= 2:
        return np.array(pts, dtype=np.float64).reshape(-1, 2)

    def cross(o: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[tuple[float, float]] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[tuple[float, float]] = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return np.array(lower[:-1] + upper[:-1], dtype=np.float64)


def polygon_area(polygon: np.ndarray) -> float:
    x, y = polygon[:, 0], polygon[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def screen_hull(box: Cuboid, camera: Camera, width: int, height: int) -> np.ndarray | None:
    """The box's outline on screen (convex hull of its projected corners); None when a corner
    is behind a perspective camera (the box surrounds or is behind the viewer)."""
    u, v, _, valid = project(cuboid_corners(box), camera, width, height)
    if not valid.all():
        return None
    return convex_hull(np.column_stack([u, v]))


def pick(boxes: list[tuple[str, Cuboid]], camera: Camera, width: int, height: int, u: float,
         v: float) -> str | None:
    """The id of the box under pixel (u, v): the one with the smallest outline on screen."""
    best: tuple[float, str] | None = None
    p = np.array([u, v])
    for box_id, box in boxes:
        hull = screen_hull(box, camera, width, height)
        if hull is None or len(hull) < 3 or not point_in_polygon(p, hull):
            continue
        area = polygon_area(hull)
        if best is None or area < best[0]:
            best = (area, box_id)
    return None if best is None else best[1]
