"""Decoded segmentation masks for drawing, hit testing and brush edits (Qt-free numpy).

A mask is kept cropped to its pixels: a 4K mask of a small object costs kilobytes, not 8 MB.
Pixel (row i, column j) covers [j, j+1) x [i, i+1) in image coordinates, so its centre is
(j + 0.5, i + 0.5); the brush paints every pixel whose centre lies within the radius of the
stroke, which makes the area a brush dab adds exactly predictable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from avala_desktop.core.masks import rle

BoolMask = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class MaskRaster:
    """The pixels of one mask: ``crop`` is the part of the (height, width) mask from column x0,
    row y0 that holds every inside pixel (empty when the mask is empty)."""

    height: int
    width: int
    x0: int
    y0: int
    crop: BoolMask

    @classmethod
    def from_rle(cls, encoded: Mapping[str, Any]) -> MaskRaster:
        return cls.from_full(rle.decode(encoded))

    @classmethod
    def from_full(cls, full: npt.NDArray[Any]) -> MaskRaster:
        height, width = (int(n) for n in full.shape)
        inside = full.astype(bool, copy=False)
        rows = np.flatnonzero(inside.any(axis=1))
        if rows.size == 0:
            return cls(height, width, 0, 0, np.zeros((0, 0), dtype=bool))
        cols = np.flatnonzero(inside.any(axis=0))
        r0, r1, c0, c1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
        return cls(height, width, c0, r0, inside[r0:r1, c0:c1].copy())

    @property
    def bounds(self) -> tuple[int, int, int, int]:
        """(x0, y0, x1, y1) pixel edges of the crop."""
        h, w = self.crop.shape
        return (self.x0, self.y0, self.x0 + w, self.y0 + h)

    @property
    def area(self) -> int:
        return int(np.count_nonzero(self.crop))

    def contains(self, x: float, y: float) -> bool:
        col, row = int(np.floor(x)) - self.x0, int(np.floor(y)) - self.y0
        h, w = self.crop.shape
        return 0 <= row < h and 0 <= col < w and bool(self.crop[row, col])

    def to_full(self) -> BoolMask:
        full = np.zeros((self.height, self.width), dtype=bool)
        h, w = self.crop.shape
        full[self.y0 : self.y0 + h, self.x0 : self.x0 + w] = self.crop
        return full

    def to_rle(self) -> dict[str, Any]:
        return rle.encode(self.to_full())

    def shifted(self, dx: int, dy: int) -> MaskRaster:
        """The mask moved by whole pixels; what leaves the image is cut off."""
        h, w = self.crop.shape
        x0, y0 = self.x0 + dx, self.y0 + dy
        c0, r0 = max(0, -x0), max(0, -y0)
        c1, r1 = min(w, self.width - x0), min(h, self.height - y0)
        if c1 <= c0 or r1 <= r0:
            return MaskRaster(self.height, self.width, 0, 0, np.zeros((0, 0), dtype=bool))
        part = self.crop[r0:r1, c0:c1]
        return MaskRaster(self.height, self.width, x0 + c0, y0 + r0, part.copy())


def paint_stroke(
    full: BoolMask,
    start: tuple[float, float],
    end: tuple[float, float],
    radius: float,
    value: bool,
) -> tuple[int, int, int, int] | None:
    """Sets every pixel whose centre is within ``radius`` of the segment start-end to ``value``
    (a dab when start == end). Returns the touched pixel rectangle (x0, y0, x1, y1), or None
    when the stroke misses the image."""
    height, width = full.shape
    (ax, ay), (bx, by) = start, end
    c0 = max(0, int(np.floor(min(ax, bx) - radius)))
    r0 = max(0, int(np.floor(min(ay, by) - radius)))
    c1 = min(width, int(np.ceil(max(ax, bx) + radius)) + 1)
    r1 = min(height, int(np.ceil(max(ay, by) + radius)) + 1)
    if c1 <= c0 or r1 <= r0:
        return None
    px = np.arange(c0, c1, dtype=np.float64)[None, :] + 0.5
    py = np.arange(r0, r1, dtype=np.float64)[:, None] + 0.5
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    if length2 > 0.0:
        t = np.clip(((px - ax) * dx + (py - ay) * dy) / length2, 0.0, 1.0)
    else:
        t = np.zeros((1, 1))
    ex, ey = px - (ax + t * dx), py - (ay + t * dy)
    inside = ex * ex + ey * ey <= radius * radius
    full[r0:r1, c0:c1][inside] = value
    return (c0, r0, c1, r1)

