"""Hit testing on vertex arrays (Qt-free numpy): inside, near an edge, near a vertex or handle."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

Points = npt.NDArray[np.float64]

# Box handles, clockwise from the top-left corner; the index is what a resize drag carries.
HANDLE_NAMES = ("top-left", "top", "top-right", "right", "bottom-right", "bottom", "bottom-left",
                "left")  # fmt: skip


class EdgeHit(NamedTuple):
    start: int  # the edge runs from vertex start to vertex start + 1 (wrapping for polygons)
    distance: float
    x: float  # closest point on that edge
    y: float


def point_in_polygon(points: Points, x: float, y: float) -> bool:
    """Even-odd rule, the same rule QPainter fills with."""
    xs, ys = points[:, 0], points[:, 1]
    xj, yj = np.roll(xs, 1), np.roll(ys, 1)
    crosses = (ys > y) != (yj > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        x_at = (xj - xs) * (y - ys) / (yj - ys) + xs
    return bool(np.count_nonzero(crosses & (x < x_at)) % 2)


def nearest_edge(points: Points, x: float, y: float, *, closed: bool) -> EdgeHit:
    """The edge closest to (x, y) and the closest point on it."""
    a = points if closed else points[:-1]
    b = np.roll(points, -1, axis=0) if closed else points[1:]
    d = b - a
    length2 = np.einsum("ij,ij->i", d, d)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = ((x - a[:, 0]) * d[:, 0] + (y - a[:, 1]) * d[:, 1]) / length2
    t = np.clip(np.nan_to_num(t, nan=0.0), 0.0, 1.0)
    px, py = a[:, 0] + t * d[:, 0], a[:, 1] + t * d[:, 1]
    dist = np.hypot(px - x, py - y)
    i = int(np.argmin(dist))
    return EdgeHit(i, float(dist[i]), float(px[i]), float(py[i]))


def nearest_vertex(points: Points, x: float, y: float) -> tuple[int, float]:
    """(index, distance) of the vertex closest to (x, y)."""
    dist = np.hypot(points[:, 0] - x, points[:, 1] - y)
    i = int(np.argmin(dist))
    return i, float(dist[i])


def box_handles(x0: float, y0: float, x1: float, y1: float) -> Points:
    """The eight resize handles (corners and edge midpoints) in HANDLE_NAMES order."""
    xm, ym = (x0 + x1) / 2.0, (y0 + y1) / 2.0
    return np.array(
        [[x0, y0], [xm, y0], [x1, y0], [x1, ym], [x1, y1], [xm, y1], [x0, y1], [x0, ym]],
        dtype=np.float64,
    )
