"""Store records to canvas items: the 2D canvas's view of an asset's annotations."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from avala_desktop.canvas.shapes2d import CanvasItem, ItemType
from avala_desktop.core.store import AnnotationRecord

CANVAS_TYPES = frozenset(t.value for t in ItemType)


@dataclass
class ItemCache:
    """Canvas items by annotation id, remade only when a record's revision or colour changes,
    so the canvas's per-item caches (decoded masks, outlines) survive a refresh."""

    _items: dict[str, tuple[int, str, CanvasItem]] = field(default_factory=dict)

    def build(self, records: Iterable[AnnotationRecord], colors: Mapping[str, str]
              ) -> tuple[list[CanvasItem], list[str]]:
        """(items, problems): a record the canvas cannot draw is left out and named."""
        items: list[CanvasItem] = []
        problems: list[str] = []
        fresh: dict[str, tuple[int, str, CanvasItem]] = {}
        for record in records:
            if record.type not in CANVAS_TYPES:
                continue  # 3D boxes belong to the point-cloud view
            color = colors.get(record.label, "")
            cached = self._items.get(record.id)
            if cached is not None and cached[0] == record.revision and cached[1] == color:
                item = cached[2]
            else:
                try:
                    item = CanvasItem.of(record.id, record.type, record.label, record.geometry,
                                         color=color or None, confidence=record.confidence,
                                         state=record.state.value)
                except ValueError as exc:
                    problems.append(str(exc))
                    continue
            fresh[record.id] = (record.revision, color, item)
            items.append(item)
        self._items = fresh
        return items, problems

    def clear(self) -> None:
        self._items.clear()
