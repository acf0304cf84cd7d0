"""Geometry edits as pure functions from canonical geometry to canonical geometry (Qt-free).

Every function returns a new dict in the form of CONTRACTS.md, rounded to hundredths of a pixel
(finer than anyone can place a point, and it keeps stored JSON short and comparisons exact).
Coordinates are kept inside the image when its size is known.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from avala_desktop.canvas.mask_raster import MaskRaster
from avala_desktop.canvas.shapes2d import MIN_POINTS, CanvasItem, ItemType, box_bounds

Points = npt.NDArray[np.float64]
Size = tuple[int, int]  # image width, height

# A box is never resized below this many pixels per side, so it keeps a handle to grab.
MIN_BOX_SIZE = 1.0

_DIGITS = 2


def box_geometry(x0: float, y0: float, x1: float, y1: float) -> dict[str, Any]:
    """Canonical box geometry from two opposite corners in any order."""
    left, right = sorted((x0, x1))
    top, bottom = sorted((y0, y1))
    left, top = round(left, _DIGITS), round(top, _DIGITS)
    return {
        "coordinates": {
            "x": left,
            "y": top,
            "width": round(round(right, _DIGITS) - left, _DIGITS),
            "height": round(round(bottom, _DIGITS) - top, _DIGITS),
        }
    }


def points_geometry(points: Points) -> dict[str, Any]:
    return {"points": [[round(float(x), _DIGITS), round(float(y), _DIGITS)] for x, y in points]}


def clamp_point(x: float, y: float, size: Size | None) -> tuple[float, float]:
    if size is None:
        return x, y
    return min(max(x, 0.0), float(size[0])), min(max(y, 0.0), float(size[1]))


def resize_box(
    geometry: Mapping[str, Any], handle: int, x: float, y: float, size: Size | None
) -> dict[str, Any]:
    """Moves one of the eight handles (hit2d.HANDLE_NAMES order) to (x, y). Dragging past the
    opposite side flips the box rather than giving it a negative size."""
    x0, y0, x1, y1 = box_bounds(geometry)
    x, y = clamp_point(x, y, size)
    if handle in (0, 6, 7):
        x0 = _keep_min_size(x, x1, before=True)
    if handle in (2, 3, 4):
        x1 = _keep_min_size(x, x0, before=False)
    if handle in (0, 1, 2):
        y0 = _keep_min_size(y, y1, before=True)
    if handle in (4, 5, 6):
        y1 = _keep_min_size(y, y0, before=False)
    return box_geometry(x0, y0, x1, y1)


def _keep_min_size(moving: float, fixed: float, *, before: bool) -> float:
    """The moving side's coordinate, at least MIN_BOX_SIZE away from the fixed side; ``before``
    says on which side of it the handle started (used when the two coincide)."""
    if abs(moving - fixed) >= MIN_BOX_SIZE:
        return moving
    if moving < fixed or (moving == fixed and before):
        return fixed - MIN_BOX_SIZE
    return fixed + MIN_BOX_SIZE


def move_vertex(points: Points, index: int, x: float, y: float, size: Size | None) -> Points:
    moved = points.copy()
    moved[index] = clamp_point(x, y, size)
    return moved


def insert_vertex(points: Points, edge: int, x: float, y: float) -> Points:
    """Adds (x, y) between vertex ``edge`` and the next one."""
    return np.insert(points, edge + 1, [x, y], axis=0)


def delete_vertex(points: Points, index: int, item_type: ItemType) -> Points | None:
    """The points without vertex ``index``; None when that would leave too few for the type."""
    if len(points) <= MIN_POINTS[item_type]:
        return None
    return np.delete(points, index, axis=0)


def clamp_translation(
    bounds: tuple[float, float, float, float], dx: float, dy: float, size: Size | None
) -> tuple[float, float]:
    """The part of (dx, dy) that keeps a shape inside the image (a shape already sticking out
    may still move, but not further out)."""
    if size is None:
        return dx, dy
    x0, y0, x1, y1 = bounds
    width, height = size
    dx = min(dx, max(0.0, width - x1)) if dx > 0 else max(dx, min(0.0, -x0))
    dy = min(dy, max(0.0, height - y1)) if dy > 0 else max(dy, min(0.0, -y0))
    return dx, dy


def translate(item: CanvasItem, dx: float, dy: float, size: Size | None) -> dict[str, Any]:
    """The item's geometry moved by (dx, dy), kept inside the image. Masks move by whole pixels."""
    if item.bbox is not None:
        dx, dy = clamp_translation(item.bbox, dx, dy, size)
    if item.type is ItemType.BOX:
        x0, y0, x1, y1 = box_bounds(item.geometry)
        return box_geometry(x0 + dx, y0 + dy, x1 + dx, y1 + dy)
    if item.type in MIN_POINTS:
        return points_geometry(item.points + np.array([dx, dy]))
    if item.type is ItemType.MASK:
        return {"rle": shifted_mask(item.mask, dx, dy).to_rle()}
    return dict(item.geometry)


def shifted_mask(mask: MaskRaster, dx: float, dy: float) -> MaskRaster:
    return mask.shifted(round(dx), round(dy))
