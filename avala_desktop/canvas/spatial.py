"""A uniform-grid spatial index over item bounding boxes (Qt-free).

Zoomed in, a repaint or a mouse move asks "what is near here" of a few cells instead of every
item; zoomed out, when the query covers most of the grid, one vectorised comparison over all
boxes is faster than walking cells, so the index switches to that. Updates are per item: a
drag moves one item between cells without rebuilding anything.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

Slots = npt.NDArray[np.intp]

# An item spanning more cells than this (a huge mask, a box around the whole image) is kept in
# a short list checked on every query instead of being copied into hundreds of cells.
_MAX_CELLS_PER_ITEM = 64


class GridIndex:
    """Slots (integer item positions) bucketed by the grid cells their boxes overlap."""

    def __init__(self, cell_size: float = 256.0) -> None:
        self.cell_size = float(cell_size)
        self._bounds = np.empty((0, 4), dtype=np.float64)
        self._alive = np.empty(0, dtype=bool)
        self._cells: dict[tuple[int, int], set[int]] = {}
        self._big: set[int] = set()
        self._cells_of: dict[int, list[tuple[int, int]]] = {}

    def __len__(self) -> int:
        return int(self._alive.sum())

    @property
    def bounds(self) -> npt.NDArray[np.float64]:
        """(N, 4) x0, y0, x1, y1 per slot; read-only view for vectorised callers."""
        return self._bounds

    def rebuild(self, bounds: npt.NDArray[np.float64], alive: npt.NDArray[np.bool_]) -> None:
        """Indexes slot i with box bounds[i] when alive[i] (dead slots have no place on the
        image, such as classifications)."""
        self._bounds = np.array(bounds, dtype=np.float64).reshape(-1, 4)
        self._alive = np.array(alive, dtype=bool)
        self._cells.clear()
        self._big.clear()
        self._cells_of.clear()
        for slot in np.flatnonzero(self._alive):
            self._insert(int(slot))

    def append(self, bounds: tuple[float, float, float, float] | None) -> int:
        """Adds a slot after the last one; returns it."""
        slot = len(self._alive)
        self._bounds = np.vstack([self._bounds, [bounds or (np.nan,) * 4]])
        self._alive = np.append(self._alive, bounds is not None)
        if bounds is not None:
            self._insert(slot)
        return slot

    def update(self, slot: int, bounds: tuple[float, float, float, float] | None) -> None:
        """Moves one slot to new bounds (None takes it out of the index)."""
        self._remove(slot)
        if bounds is None:
            self._alive[slot] = False
            return
        self._bounds[slot] = bounds
        self._alive[slot] = True
        self._insert(slot)

    def query(self, x0: float, y0: float, x1: float, y1: float) -> Slots:
        """Slots whose boxes intersect the rectangle, in ascending slot order."""
        c0, r0 = self._cell(x0, y0)
        c1, r1 = self._cell(x1, y1)
        n_cells = (c1 - c0 + 1) * (r1 - r0 + 1)
        if n_cells * 4 >= len(self._cells) or n_cells > 4096:
            candidates = np.flatnonzero(self._alive)
        else:
            found: set[int] = set(self._big)
            for cy in range(r0, r1 + 1):
                for cx in range(c0, c1 + 1):
                    bucket = self._cells.get((cx, cy))
                    if bucket:
                        found |= bucket
            candidates = np.fromiter(found, dtype=np.intp, count=len(found))
            candidates.sort()
        b = self._bounds[candidates]
        hit = (b[:, 0] <= x1) & (b[:, 2] >= x0) & (b[:, 1] <= y1) & (b[:, 3] >= y0)
        return candidates[hit]

    def _cell(self, x: float, y: float) -> tuple[int, int]:
        size = self.cell_size
        # Clamp so a far-away query (or an infinite one) cannot ask for billions of cells.
        cx = math.floor(min(max(x / size, -1e6), 1e6))
        cy = math.floor(min(max(y / size, -1e6), 1e6))
        return cx, cy

    def _insert(self, slot: int) -> None:
        x0, y0, x1, y1 = self._bounds[slot]
        c0, r0 = self._cell(x0, y0)
        c1, r1 = self._cell(x1, y1)
        if (c1 - c0 + 1) * (r1 - r0 + 1) > _MAX_CELLS_PER_ITEM:
            self._big.add(slot)
            return
        keys = [(cx, cy) for cy in range(r0, r1 + 1) for cx in range(c0, c1 + 1)]
        for key in keys:
            self._cells.setdefault(key, set()).add(slot)
        self._cells_of[slot] = keys

    def _remove(self, slot: int) -> None:
        self._big.discard(slot)
        for key in self._cells_of.pop(slot, ()):
            bucket = self._cells.get(key)
            if bucket is not None:
                bucket.discard(slot)
                if not bucket:
                    del self._cells[key]
