"""Review: the current asset, its annotations, selection, filters and navigation.

The actions themselves (accept, delete, relabel, submit, edits ...) are in review_commands.py,
a mixin of this class. The controller holds the current asset and its annotations as last
read from the store. Every action is a core command pushed on the shared
``ReviewUndoStack``, which writes to the store at once; the controller then re-reads the
asset's annotations and hands them to the canvas and the table (``refresh``). Changes made
elsewhere (an auto-label run on a worker thread) arrive through the store bridge as
``on_store_changed``.

Selection lives in the canvas for images and in the table for point clouds, whose 3D page
has a selection of its own; each side follows the other without echoing.

A submitted asset is read-only: the canvas is locked with the reason, which comes back as a
banner message when someone tries to change a shape anyway (the 3D page locks itself).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any

from PySide6.QtCore import QMetaObject, QObject, Signal
from PySide6.QtWidgets import QWidget

from avala_desktop.core.review import read_only_message
from avala_desktop.core.store import (
    ANNOTATIONS,
    ASSETS,
    LABELS,
    AnnotationRecord,
    Asset,
    AssetStatus,
    Label,
    ProjectStore,
    ReviewState,
)
from avala_desktop.views.canvas_items import ItemCache
from avala_desktop.views.label_picker import LabelPicker
from avala_desktop.views.labels_panel import LabelsPanel
from avala_desktop.views.review_area import ReviewArea
from avala_desktop.views.review_commands import ReviewCommands, plural
from avala_desktop.views.suggestions_panel import SuggestionsPanel
from avala_desktop.views.undo import ReviewUndoStack


def _order_key(asset: Asset) -> tuple[str, int, str]:
    """The store's asset order (path, frame, id; a file's NULL frame first)."""
    return (asset.path, -1 if asset.frame_index is None else asset.frame_index, asset.id)


# Up to this many changed annotations are re-read one by one; more, and the asset is re-read.
PATCH_LIMIT = 200


class ReviewController(ReviewCommands, QObject):
    """``assetChanged(Asset | None)`` after switching asset; ``message(text, level)`` for the
    banner (level: info, warning, error)."""

    assetChanged = Signal(object)
    annotationsChanged = Signal()
    message = Signal(str, str)

    def __init__(self, store: ProjectStore, undo_stack: ReviewUndoStack, area: ReviewArea,
                 panel: SuggestionsPanel, labels_panel: LabelsPanel,
                 parent: QWidget | None = None, *,
                 flush: Callable[[], None] | None = None) -> None:
        super().__init__(parent)
        self._flush = flush
        self.store = store
        self.undo_stack = undo_stack
        self.area = area
        self.canvas = area.canvas
        self.panel = panel
        self.model = panel.model
        self.labels_panel = labels_panel
        self.asset: Asset | None = None
        self.records: list[AnnotationRecord] = []  # the asset's, rejected ones included
        self.labels: list[Label] = []
        self.threshold = 0.0
        self.hidden_labels: frozenset[str] = frozenset()
        self._items = ItemCache()
        self._picker: LabelPicker | None = None
        self._window = parent
        # The panels and the canvas outlive a project; detach() cuts exactly these links.
        self._links: list[QMetaObject.Connection] = [
            self.canvas.selectionChanged.connect(self._canvas_selected),
            self.canvas.geometryEdited.connect(self._geometry_edited),
            self.canvas.shapeCreated.connect(self._shape_created),
            self.canvas.editRefused.connect(lambda text: self.message.emit(text, "warning")),
            area.cloudSelectionChanged.connect(self._cloud_selected),
            panel.selectionChangedByUser.connect(self._table_selected),
            panel.thresholdChanged.connect(self.set_threshold),
            panel.acceptAllRequested.connect(self.accept_all_shown),
            panel.table.doubleClicked.connect(self._table_double_clicked),
            self.model.relabelRequested.connect(self._relabel_one),
            labels_panel.hiddenLabelsChanged.connect(self.set_hidden_labels),
            labels_panel.currentLabelChanged.connect(self._current_label_changed),
            labels_panel.addLabelRequested.connect(self.add_label),
            labels_panel.classifyRequested.connect(self.add_classification),
            undo_stack.failed.connect(self._command_failed),
        ]
        self.threshold = panel.threshold()
        self.hidden_labels = frozenset(labels_panel.hidden_labels())
        self.reload_labels()

    def detach(self) -> None:
        """Disconnects from the canvas and the panels (the project is closing)."""
        for link in self._links:
            QObject.disconnect(link)
        self._links.clear()
        self.canvas.set_read_only(None)
        if self._picker is not None:
            self._picker.close()
            self._picker.deleteLater()
            self._picker = None

    # --- reading -----------------------------------------------------------------------------

    @property
    def colors(self) -> dict[str, str]:
        return {label.name: label.color for label in self.labels}

    def live_records(self) -> list[AnnotationRecord]:
        return [r for r in self.records if r.state is not ReviewState.REJECTED]

    def is_shown(self, record: AnnotationRecord) -> bool:
        """Same rule as the canvas: hidden labels and pending suggestions under the slider's
        value are not shown (display only)."""
        if record.state is ReviewState.REJECTED or record.label in self.hidden_labels:
            return False
        return not (record.state is ReviewState.PENDING and record.confidence is not None
                    and record.confidence < self.threshold)

    def shown_records(self) -> list[AnnotationRecord]:
        return [r for r in self.records if self.is_shown(r)]

    def counts(self) -> dict[str, int]:
        counts = {s.value: 0 for s in ReviewState}
        for record in self.records:
            counts[record.state.value] += 1
        return counts

    def reload_labels(self) -> None:
        self.labels = self.store.labels()
        self.labels_panel.set_labels(self.labels)
        self.panel.set_labels([label.name for label in self.labels])
        self.model.set_label_colors(self.colors)
        current = self.labels_panel.current_label()
        if current is not None:
            self._current_label_changed(current)

    def refresh(self, changed: Collection[str] | None = None) -> None:
        """Re-reads the current asset's annotations and shows them. With ``changed`` (ids of
        annotations that were written) only those are re-read, when they are few: accepting
        one suggestion among thousands then costs one row, not the whole asset."""
        if self.asset is None:
            self.records = []
            self.model.set_records([])
            self.canvas.set_items([])
            self.annotationsChanged.emit()
            return
        if changed is not None and len(changed) <= PATCH_LIMIT:
            self.records = self._patched(changed)
        else:
            self.records = self.store.annotations(self.asset.id, include_rejected=True)
        shown = self.shown_records()
        self.model.set_records(shown)
        if self.asset.type == "point_cloud":
            self.canvas.set_items([])
        else:
            items, problems = self._items.build(self.live_records(), self.colors)
            current = self.canvas.items()
            if [i.id for i in items] == [i.id for i in current]:
                for new, old in zip(items, current, strict=True):
                    if new is not old:
                        self.canvas.update_item(new)
            else:
                self.canvas.set_items(items)
            if problems:
                self.message.emit(f"{plural(len(problems), 'annotation')} cannot be drawn: "
                                  f"{problems[0]}", "warning")
        shown_ids = {r.id for r in shown}
        selected = [i for i in self.selected_ids() if i in shown_ids]
        self._select(selected, center=False)
        self.annotationsChanged.emit()

    def _patched(self, changed: Collection[str]) -> list[AnnotationRecord]:
        assert self.asset is not None
        by_id = {r.id: r for r in self.records}
        for annotation_id in changed:
            record = self.store.get_annotation(annotation_id)
            if record is None or record.asset_id != self.asset.id:
                by_id.pop(annotation_id, None)
            else:
                by_id[annotation_id] = record
        # The store's own order (annotations() sorts by creation time, then id).
        return sorted(by_id.values(), key=lambda r: (r.created_at, r.id))

    def sync(self) -> None:
        """Applies the store's pending change notifications now (after this controller wrote):
        the views then show the write before the next key is handled."""
        if self._flush is not None:
            self._flush()
        else:
            self.refresh()

    # --- assets ------------------------------------------------------------------------------

    def show_asset(self, asset_id: str | None) -> bool:
        asset = None if asset_id is None else self.store.asset(asset_id)
        if asset_id is not None and asset is None:
            self.message.emit(f"Asset {asset_id} is no longer in the project.", "error")
            return False
        changed = asset is None or self.asset is None or asset.id != self.asset.id
        self.asset = asset
        self._lock_if_submitted()
        if changed:
            self.canvas.set_selection([])
            self._items.clear()
            self.canvas.set_items([])
        if asset is not None:
            self.area.show_asset(asset, self.store, self.undo_stack)
        else:
            self.area.show_welcome()
        self.refresh()
        self.assetChanged.emit(asset)
        return True

    def next_asset_needing_review(self) -> bool:
        """Goes to the next asset (in path order, wrapping) with pending suggestions."""
        pending = self.store.assets(statuses=[AssetStatus.PENDING_REVIEW])
        others = [a for a in pending if self.asset is None or a.id != self.asset.id]
        if not others:
            here = " except this one" if pending else ""
            self.message.emit(f"No asset{here} needs review: every suggestion in the project "
                              f"has been accepted, corrected or deleted.", "info")
            return False
        current = self.asset
        later = [a for a in others
                 if current is None or _order_key(a) > _order_key(current)]
        target = (later or others)[0]
        return self.show_asset(target.id)

    def step_asset(self, step: int) -> bool:
        """Previous (-1) or next (+1) asset in path order."""
        order = [a.id for a in self.store.assets()]
        if not order:
            return False
        here = order.index(self.asset.id) if self.asset is not None and \
            self.asset.id in order else -1
        return self.show_asset(order[(here + step) % len(order)])

    # --- selection ---------------------------------------------------------------------------

    def selected_ids(self) -> list[str]:
        if self.asset is not None and self.asset.type != "point_cloud":
            return self.canvas.selection()
        # The 3D page's boxes and the table's rows, which also hold what the page does not
        # draw (classifications); a box drawn a moment ago is on the page before the table.
        return list(dict.fromkeys([*self.panel.selected_ids(), *self.area.cloud_selection()]))

    def _is_cloud(self) -> bool:
        return self.asset is not None and self.asset.type == "point_cloud"

    def select(self, ids: Sequence[str]) -> None:
        self._select(ids, center=True)

    def _select(self, ids: Sequence[str], *, center: bool) -> None:
        self.canvas.set_selection(ids)
        self.panel.set_selection(ids)
        if self._is_cloud():
            self.area.set_cloud_selection(ids)
        if center and len(ids) == 1:
            self._ensure_visible(ids[0])

    def _ensure_visible(self, item_id: str) -> None:
        item = self.canvas.item(item_id)
        if item is None or item.bbox is None:
            return
        x0, y0, x1, y1 = item.bbox
        vx0, vy0, vx1, vy1 = self.canvas.view.visible_rect(self.canvas.width(),
                                                           self.canvas.height())
        if x0 < vx0 or y0 < vy0 or x1 > vx1 or y1 > vy1:
            self.canvas.center_on(item_id)

    def _canvas_selected(self, ids: list[str]) -> None:
        self.panel.set_selection(ids)

    def _table_selected(self, ids: list[str]) -> None:
        if self._is_cloud():
            self.area.set_cloud_selection(ids)
            return
        self.canvas.set_selection(ids)
        if len(ids) == 1:
            self._ensure_visible(ids[0])

    def _cloud_selected(self, ids: list[str]) -> None:
        """The 3D page's selection, changed there by the user: the table follows."""
        if self._is_cloud():
            self.panel.set_selection(ids)

    def _table_double_clicked(self, index: Any) -> None:
        record = self.model.record_at(index.row())
        if record is not None:
            self.canvas.center_on(record.id)

    def step_suggestion(self, step: int) -> None:
        """Tab / Shift+Tab: the next or previous row of the table, wrapping."""
        rows = [r.id for r in self.model.records()]
        if not rows:
            self.message.emit("This asset has no annotations to step through.", "info")
            return
        selected = [i for i in self.selected_ids() if i in rows]
        if not selected:
            target = rows[0] if step > 0 else rows[-1]
        else:
            anchor = rows.index(selected[-1] if step > 0 else selected[0])
            target = rows[(anchor + step) % len(rows)]
        self.select([target])

    def _advance_from(self, ids: Sequence[str]) -> None:
        """After accept/delete: select the next pending suggestion shown, in table order."""
        order = [r.id for r in self.model.records()]
        pending = {r.id for r in self.model.records() if r.state is ReviewState.PENDING}
        if not pending:
            self._select([], center=False)
            remaining = sum(r.state is ReviewState.PENDING for r in self.records)
            if remaining:
                self.message.emit(f"{plural(remaining, 'pending suggestion')} on this asset "
                                  f"are hidden by the confidence slider or the label filter.",
                                  "info")
            else:
                self.message.emit("Every suggestion on this asset is reviewed: Ctrl+Enter "
                                  "submits it, N goes to the next asset needing review.", "info")
            return
        positions = [self._last_position(i) for i in ids]
        start = max((p for p in positions if p is not None), default=-1)
        for k in range(1, len(order) + 1):
            candidate = order[(start + k) % len(order)]
            if candidate in pending:
                self.select([candidate])
                return

    def _last_position(self, annotation_id: str) -> int | None:
        """Where the annotation is (or was, if it just left the table) among all records."""
        ids = [r.id for r in self.records]
        if annotation_id not in ids:
            return None
        table = [r.id for r in self.model.records()]
        before = ids[: ids.index(annotation_id) + 1]
        return max((table.index(i) for i in before if i in table), default=-1)

    # --- filters -----------------------------------------------------------------------------

    def set_threshold(self, value: float) -> None:
        self.threshold = float(value)
        self.canvas.set_confidence_threshold(self.threshold)
        self.refresh()

    def set_hidden_labels(self, names: Iterable[str]) -> None:
        self.hidden_labels = frozenset(names)
        self.canvas.set_hidden_labels(self.hidden_labels)
        self.refresh()

    def _relabel_one(self, annotation_id: str, label: str) -> None:
        self.relabel([annotation_id], label)

    def _current_label_changed(self, name: str) -> None:
        color = self.colors.get(name)
        if color:
            self.canvas.set_new_shape_color(color)

    # --- store changes -----------------------------------------------------------------------

    def on_store_changed(self, changes: dict[str, set[str]]) -> None:
        if LABELS in changes:
            self.reload_labels()
            self._items.clear()
        if self.asset is None:
            return
        annotations = changes.get(ANNOTATIONS, set())
        mine = {r.id for r in self.records}
        asset_touched = self.asset.id in changes.get(ASSETS, set())
        if not (asset_touched or mine & annotations or LABELS in changes):
            return
        fresh = self.store.asset(self.asset.id)
        if fresh is None:
            self.message.emit(f"{self.asset.display_name} was removed from the project.",
                              "warning")
            self.show_asset(None)
            return
        # An annotation change always names its asset too; one without any (a submit) needs
        # no annotation read at all.
        self.refresh(None if LABELS in changes else annotations)
        if fresh != self.asset:
            self.asset = fresh
            self._lock_if_submitted()
            self.assetChanged.emit(fresh)

    def _lock_if_submitted(self) -> None:
        asset = self.asset
        locked = asset is not None and asset.submitted_at is not None
        self.canvas.set_read_only(read_only_message(asset.display_name) if locked and asset
                                  else None)
