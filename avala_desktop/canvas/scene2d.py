"""The canvas's list of items with its spatial index, display filters and selection (Qt-free).

Items keep the order they were given in (later ones are on top). ``version`` counts changes to
what the cached layer of unselected shapes shows; selected items are drawn on top each frame
instead, so dragging one never invalidates that layer.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from avala_desktop.canvas.hit2d import nearest_edge, point_in_polygon
from avala_desktop.canvas.shapes2d import CanvasItem, ItemType, ReviewState
from avala_desktop.canvas.spatial import GridIndex, Slots

_NO_BOUNDS = (np.nan, np.nan, np.nan, np.nan)


class SceneModel:
    def __init__(self) -> None:
        self._items: list[CanvasItem] = []
        self._slots: dict[str, int] = {}
        self.index = GridIndex()
        self._shown = np.empty(0, dtype=bool)
        self._selected = np.empty(0, dtype=bool)
        self._selection: list[str] = []
        self._badge_slots: list[int] = []  # classifications: drawn as badges, not on the image
        self.hidden_labels: frozenset[str] = frozenset()
        self.threshold = 0.0
        self.version = 0

    # --- items --------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._items)

    @property
    def items(self) -> list[CanvasItem]:
        return list(self._items)

    def get(self, item_id: str) -> CanvasItem | None:
        slot = self._slots.get(item_id)
        return None if slot is None else self._items[slot]

    def at(self, slot: int) -> CanvasItem:
        return self._items[slot]

    def set_items(self, items: Iterable[CanvasItem]) -> None:
        new = list(items)
        slots = {item.id: i for i, item in enumerate(new)}
        if len(slots) != len(new):
            raise ValueError("two canvas items share an id; every annotation id must be unique")
        self._items, self._slots = new, slots
        self._badge_slots = [i for i, it in enumerate(new) if it.type is ItemType.CLASSIFICATION]
        bounds = np.array([item.bbox or _NO_BOUNDS for item in new], dtype=np.float64)
        alive = np.array([item.bbox is not None for item in new], dtype=bool)
        self.index.rebuild(bounds.reshape(-1, 4), alive)
        self._selection = [i for i in self._selection if i in slots]
        self._selected = np.zeros(len(new), dtype=bool)
        for item_id in self._selection:
            self._selected[slots[item_id]] = True
        self._refilter()

    def put(self, item: CanvasItem) -> None:
        """Replaces the item with the same id, or adds it on top."""
        slot = self._slots.get(item.id)
        if slot is None:
            self._items.append(item)
            slot = self._slots[item.id] = len(self._items) - 1
            if item.type is ItemType.CLASSIFICATION:
                self._badge_slots.append(slot)
            self._shown = np.append(self._shown, False)
            self._selected = np.append(self._selected, item.id in self._selection)
            self.index.append(item.bbox)
        else:
            if self._items[slot].type is not item.type:
                self._badge_slots = [i for i in self._badge_slots if i != slot]
                if item.type is ItemType.CLASSIFICATION:
                    self._badge_slots = sorted([*self._badge_slots, slot])
            self._items[slot] = item
            self.index.update(slot, item.bbox)
        was_static = bool(self._shown[slot] and not self._selected[slot])
        self._shown[slot] = self._passes(item)
        if was_static or (self._shown[slot] and not self._selected[slot]):
            self.version += 1

    def remove(self, item_id: str) -> None:
        if item_id not in self._slots:
            return
        self.set_items(item for item in self._items if item.id != item_id)

    # --- filters and selection ----------------------------------------------------------

    def set_filters(self, *, hidden_labels: Iterable[str] | None = None,
                    threshold: float | None = None) -> None:
        if hidden_labels is not None:
            self.hidden_labels = frozenset(hidden_labels)
        if threshold is not None:
            self.threshold = float(threshold)
        self._refilter()

    def is_shown(self, item_id: str) -> bool:
        slot = self._slots.get(item_id)
        return slot is not None and bool(self._shown[slot])

    @property
    def selection(self) -> list[str]:
        return list(self._selection)

    def set_selection(self, ids: Iterable[str]) -> bool:
        """Selects the given ids that exist; True when the selection changed."""
        wanted = list(dict.fromkeys(i for i in ids if i in self._slots))
        if wanted == self._selection:
            return False
        self._selection = wanted
        self._selected[:] = False
        for item_id in wanted:
            self._selected[self._slots[item_id]] = True
        self.version += 1
        return True

    # --- queries ------------------------------------------------------------------------

    def shown_slots(self, rect: tuple[float, float, float, float]) -> Slots:
        """Shown items (selected or not) whose bounds meet the image rectangle."""
        slots = self.index.query(*rect)
        return slots[self._shown[slots]]

    def static_slots(self, rect: tuple[float, float, float, float]) -> Slots:
        """Shown, unselected items meeting the rectangle: what the cached layer draws."""
        slots = self.index.query(*rect)
        return slots[self._shown[slots] & ~self._selected[slots]]

    def classifications(self) -> list[CanvasItem]:
        return [self._items[i] for i in self._badge_slots if self._shown[i]]

    def hit(self, x: float, y: float, tolerance: float) -> CanvasItem | None:
        """The shown item under image point (x, y): the smallest of those that contain it or
        pass within ``tolerance`` of their outline, the topmost among equals."""
        slots = self.shown_slots((x - tolerance, y - tolerance, x + tolerance, y + tolerance))
        best: tuple[float, int] | None = None
        for slot in slots.tolist():
            item = self._items[slot]
            if contains(item, x, y, tolerance):
                key = (item.area, -slot)
                if best is None or key < best:
                    best = key
        return None if best is None else self._items[-best[1]]

    # --- internals ----------------------------------------------------------------------

    def _passes(self, item: CanvasItem) -> bool:
        if item.state is ReviewState.REJECTED or item.label in self.hidden_labels:
            return False
        return not (item.is_pending and item.confidence is not None
                    and item.confidence < self.threshold)

    def _refilter(self) -> None:
        self._shown = np.fromiter((self._passes(it) for it in self._items), dtype=bool,
                                  count=len(self._items))
        self.version += 1


def contains(item: CanvasItem, x: float, y: float, tolerance: float) -> bool:
    """Whether image point (x, y) picks the item: inside it or near its outline."""
    if item.type is ItemType.MASK:
        return item.mask.contains(x, y)
    if item.type is ItemType.BOX:
        x0, y0, x1, y1 = item.bbox  # type: ignore[misc]
        return x0 - tolerance <= x <= x1 + tolerance and y0 - tolerance <= y <= y1 + tolerance
    if item.type is ItemType.POLYGON:
        if point_in_polygon(item.points, x, y):
            return True
        return nearest_edge(item.points, x, y, closed=True).distance <= tolerance
    if item.type is ItemType.POLYLINE:
        return nearest_edge(item.points, x, y, closed=False).distance <= tolerance
    return False
