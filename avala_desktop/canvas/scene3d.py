"""What the 3D view knows about its cuboids: immutable items, the selection, a live preview.

Like the 2D canvas, the view never owns annotations: the review widget hands it
``CuboidItem`` values built from store records and answers edits with new ones. While a drag
runs, the box being dragged is a *preview* that every viewport draws in place of the item.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from avala_desktop.canvas.shapes2d import label_color
from avala_desktop.core.geometry3d import Cuboid

PENDING = "pending"
EDITED = "edited"


@dataclass(frozen=True, eq=False)
class CuboidItem:
    """One ``bounding_box_3d`` annotation as drawn. ``confidence`` is None for boxes a person
    drew; ``state`` is a review state (pending, accepted, edited)."""

    id: str
    label: str
    box: Cuboid
    color: str = "#3cb44b"
    confidence: float | None = None
    state: str = PENDING

    @classmethod
    def of(cls, item_id: str, label: str, geometry: Mapping[str, Any], *,
           color: str | None = None, confidence: float | None = None,
           state: str = PENDING) -> CuboidItem:
        """From the canonical geometry dict; raises ValueError when it is not a 3D box."""
        try:
            box = Cuboid.from_geometry(geometry)
        except (KeyError, TypeError) as exc:
            raise ValueError(
                f"annotation {item_id}: a 3D box needs center {{x, y, z}}, dimensions "
                f"{{l, w, h}} and rotation {{w, x, y, z}} ({exc})"
            ) from None
        return cls(item_id, label, box, color or label_color(label), confidence, state)

    @property
    def geometry(self) -> dict[str, Any]:
        return self.box.to_geometry()

    @property
    def is_pending(self) -> bool:
        return self.state == PENDING

    @property
    def caption(self) -> str:
        if self.confidence is None:
            return self.label
        return f"{self.label} {self.confidence:.2f}"

    def with_box(self, box: Cuboid) -> CuboidItem:
        """The same annotation with a new box; a corrected suggestion becomes ``edited``."""
        return replace(self, box=box, state=EDITED if self.is_pending else self.state)


class Scene3D:
    """Items in drawing order, the selection (ids, first = the one the ortho views show) and
    the preview of a box being dragged. ``version`` grows on every change."""

    def __init__(self) -> None:
        self._items: dict[str, CuboidItem] = {}
        self._selection: list[str] = []
        self._preview: tuple[str, Cuboid] | None = None
        self.version = 0

    @property
    def items(self) -> list[CuboidItem]:
        return list(self._items.values())

    def get(self, item_id: str) -> CuboidItem | None:
        return self._items.get(item_id)

    def set_items(self, items: Iterable[CuboidItem]) -> None:
        self._items = {item.id: item for item in items}
        self._selection = [i for i in self._selection if i in self._items]
        self.version += 1

    def put(self, item: CuboidItem) -> None:
        self._items[item.id] = item
        self.version += 1

    def remove(self, item_id: str) -> None:
        if self._items.pop(item_id, None) is not None:
            self._selection = [i for i in self._selection if i != item_id]
            self.version += 1

    @property
    def selection(self) -> list[str]:
        return list(self._selection)

    @property
    def primary(self) -> CuboidItem | None:
        """The selected item the orthographic views are about."""
        return self._items.get(self._selection[0]) if self._selection else None

    def set_selection(self, ids: Iterable[str]) -> bool:
        chosen = [i for i in dict.fromkeys(ids) if i in self._items]
        if chosen == self._selection:
            return False
        self._selection = chosen
        self.version += 1
        return True

    # --- preview of a drag ------------------------------------------------------------------

    def set_preview(self, item_id: str, box: Cuboid) -> None:
        self._preview = (item_id, box)
        self.version += 1

    def clear_preview(self) -> None:
        if self._preview is not None:
            self._preview = None
            self.version += 1

    def box_of(self, item_id: str) -> Cuboid | None:
        """The box as drawn: the preview while one is dragged, else the item's."""
        if self._preview is not None and self._preview[0] == item_id:
            return self._preview[1]
        item = self._items.get(item_id)
        return None if item is None else item.box

    def drawn(self) -> list[tuple[CuboidItem, Cuboid]]:
        """Every item with the box to draw for it."""
        out = []
        for item in self._items.values():
            box = self.box_of(item.id)
            assert box is not None
            out.append((item, box))
        return out
