"""The 3D review page the main window shows for ``point_cloud`` assets.

``make_pointcloud_review(store, undo_stack, parent)`` builds it; ``show_asset(asset)`` shows a
cloud. The cloud loads on a worker thread (progress bar, Cancel); the annotations come from
the store at once. Every change a person makes is a review command pushed onto the window's
undo stack (``QtCommand`` around the core command), so it is written to the store when it
happens and undone from the Edit menu; a drag is one undo step. The page re-reads the store
when it changes (undo, redo, an auto-label run), through a StoreBridge.

Keys while a view or the box list has the focus, the same as the 2D canvas: A accepts the
selected suggestion, D or Delete deletes it, Tab / Shift+Tab go to the next / previous
suggestion; C or B draws a new box, R resets the views, F centres on the selected box,
Escape cancels. The review keys are taken before window shortcuts with the same keys (a
ShortcutOverride), so they act on this page's selection.

The selection is public: ``selectionChanged(ids)`` when the user changes it (a click, the box
list, Tab, a box drawn or deleted), ``set_selection(ids)`` to set it without a signal, so the
main window's suggestions table and this page follow each other as the 2D canvas does.

A submitted asset is read-only here too: the views start no drag or drawing, the panel takes
no numbers, and Accept, Delete, Fit and relabelling are refused; each attempt emits
``editRefused(message)`` (the window shows it in its banner). The actions themselves are in
pointcloud_commands.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QUndoStack
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from avala_desktop.canvas.cloud3d import ColorMode, PreparedCloud
from avala_desktop.canvas.pointcloud_view import PointCloudView
from avala_desktop.canvas.scene3d import CuboidItem
from avala_desktop.canvas.viewport3d import ORTHO_KINDS, ViewKind
from avala_desktop.core.store import Asset, ProjectStore
from avala_desktop.views.pointcloud_commands import BOX_TYPE, PointCloudCommands
from avala_desktop.views.pointcloud_loader import CloudLoader
from avala_desktop.views.pointcloud_panel import CuboidPanel
from avala_desktop.views.pointcloud_suggestions import SuggestionList
from avala_desktop.views.store_bridge import StoreBridge

_NO_MODS = Qt.KeyboardModifier.NoModifier
VIEW_KINDS: tuple[ViewKind, ...] = ("perspective", *ORTHO_KINDS)


def make_pointcloud_review(store: ProjectStore, undo_stack: QUndoStack,
                           parent: QWidget | None = None) -> PointCloudReview:
    return PointCloudReview(store, undo_stack, parent)


def _button(text: str, tip: str, slot: Callable[[], None]) -> QPushButton:
    button = QPushButton(text)
    button.setToolTip(tip)
    # Buttons never take the focus: the review keys keep going to the views.
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    button.clicked.connect(slot)
    return button


class PointCloudReview(PointCloudCommands, QWidget):
    statusMessage = Signal(str)
    cloudShown = Signal()  # a cloud finished loading and is on screen
    selectionChanged = Signal(list)  # list[str]: the user changed the selection
    editRefused = Signal(str)  # a change was tried on a submitted (read-only) asset

    def __init__(self, store: ProjectStore, undo_stack: QUndoStack,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._undo = undo_stack
        self._asset: Asset | None = None
        self._colors: dict[str, str] = {}
        self._labels: list[str] = []
        self._select_after: str | None = None

        self.view = PointCloudView()
        self.panel = CuboidPanel()
        self.suggestions = SuggestionList()
        self.loader = CloudLoader(self)
        self._bridge = StoreBridge(store, self)
        self._build_layout()

        self.view.cuboidEdited.connect(self._on_cuboid_edited)
        self.view.cuboidEditCancelled.connect(self._on_edit_cancelled)
        self.view.cuboidCreated.connect(self._on_cuboid_created)
        self.view.selectionChanged.connect(self._on_view_selection)
        self.view.editRefused.connect(self._refuse)
        self.view.drawModeChanged.connect(self._draw_button.setChecked)
        self.suggestions.picked.connect(lambda item_id: self._select([item_id], focus=True))
        self.panel.geometryEdited.connect(self._on_panel_edit)
        self.panel.labelChanged.connect(self._on_panel_label)
        self.loader.progress.connect(lambda f: self._progress.setValue(round(f * 1000)))
        self.loader.busyChanged.connect(self._on_busy)
        self.loader.loaded.connect(self._on_loaded)
        self.loader.failed.connect(self._on_load_failed)
        self.loader.cancelled.connect(self._on_load_cancelled)
        self._bridge.changed.connect(self._on_store_changed)
        for kind in VIEW_KINDS:
            self.view.viewport(kind).installEventFilter(self)
        self.suggestions.installEventFilter(self)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        self._read_labels()

    def _build_layout(self) -> None:
        self._color_mode = QComboBox()
        self._color_mode.addItems(["Height", "Intensity"])
        self._color_mode.setToolTip("Colour the points by height or by intensity")
        self._color_mode.currentIndexChanged.connect(self._on_color_mode)
        self._draw_button = _button("Draw box (C)", "Drag the new box's footprint in the top "
                                    "view", self.start_draw)
        self._draw_button.setCheckable(True)
        self._new_label = QComboBox()
        self._new_label.setToolTip("Label of boxes you draw")
        self._progress = QProgressBar()
        self._progress.setRange(0, 1000)
        self._progress.setTextVisible(False)
        self._progress.setMaximumWidth(220)
        self._cancel = _button("Cancel", "Stop loading this point cloud", self.loader.cancel)
        self._status = QLabel()
        self._status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        bar = QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 2)
        bar.addWidget(QLabel("Colour"))
        bar.addWidget(self._color_mode)
        bar.addSpacing(8)
        bar.addWidget(self._draw_button)
        bar.addWidget(self._new_label)
        bar.addWidget(_button("Fit to points", "Shrink the selected box to the points inside "
                              "it", self.fit_selected))
        bar.addWidget(_button("Accept (A)", "Accept the selected suggestion as it is",
                              self.accept_selected))
        bar.addWidget(_button("Delete (D)", "Delete the selected box", self.reject_selected))
        bar.addWidget(_button("Reset view (R)", "Frame the whole cloud", self.view.reset_views))
        bar.addSpacing(8)
        bar.addWidget(self._progress)
        bar.addWidget(self._cancel)
        bar.addWidget(self._status, 1)
        self._progress.hide()
        self._cancel.hide()

        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(4, 0, 0, 0)
        side_layout.addWidget(QLabel("Boxes in this cloud"))
        side_layout.addWidget(self.suggestions, 1)
        side_layout.addWidget(self.panel)
        side.setMinimumWidth(230)
        side.setMaximumWidth(340)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.view)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 0)
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(bar)
        layout.addWidget(splitter, 1)

    # --- public API ----------------------------------------------------------------------------

    def show_asset(self, asset: Asset | None) -> None:
        """Shows a point cloud asset (None: nothing): its boxes now, its points once loaded.
        Showing the asset already on screen again keeps its cloud and camera."""
        if asset is not None and self._asset is not None and asset.id == self._asset.id \
                and asset.path == self._asset.path and self.view.cloud() is not None:
            self._asset = asset
            self._apply_lock()
            self._reload()
            return
        self.loader.clear()
        self._asset = asset
        self._apply_lock()
        self._select_after = None
        self.view.set_cloud(None)
        self.view.set_selection([])
        self._reload()
        if asset is None:
            self.view.set_message("")
            return
        if asset.type != "point_cloud":
            self.view.set_message(f"{asset.display_name} is not a point cloud.")
            return
        self.view.set_message(f"Loading {asset.display_name} ...")
        self.loader.load(self._store.asset_abspath(asset))

    def asset(self) -> Asset | None:
        return self._asset

    def selection(self) -> list[str]:
        return self.view.selection()

    def set_selection(self, ids: Sequence[str]) -> None:
        """Selects boxes (ids of other annotations are ignored); no selectionChanged."""
        self.view.set_selection(ids)
        self.suggestions.set_current(self.view.selection())
        self._sync_panel()

    def select_next(self, step: int = 1) -> None:
        """Selects the next (step 1) or previous (-1) pending suggestion; when every box has
        been reviewed, the next box."""
        items = self.view.items()
        if not items:
            return
        order = [item.id for item in items]
        pending = {item.id for item in items if item.is_pending}
        candidates = [i for i in order if i in pending] or order
        current = self.view.selection()[0] if self.view.selection() else None
        if current is None:
            chosen = candidates[0] if step > 0 else candidates[-1]
        else:
            pos = order.index(current)
            ring = order[pos + 1:] + order[:pos + 1] if step > 0 else \
                list(reversed(order[:pos])) + list(reversed(order[pos:]))
            chosen = next((i for i in ring if i in candidates and i != current), current)
        self._select([chosen], focus=True)

    def start_draw(self) -> None:
        if self._locked():
            self._draw_button.setChecked(False)
            return
        if self.view.cloud() is None:
            self._draw_button.setChecked(False)
            self._tell("Wait for the point cloud to load before drawing a box.")
            return
        self.view.start_draw()
        self.view.viewport("top").setFocus()

    def shutdown(self) -> None:
        """Stops loading and listening (the window is closing)."""
        self.loader.shutdown()
        self._bridge.close()

    # --- keys ----------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress) and \
                isinstance(event, QKeyEvent):
            action = self._review_action(event)
            if action is not None:
                if kind == QEvent.Type.KeyPress:
                    action()
                event.accept()
                return True
            if kind == QEvent.Type.ShortcutOverride and watched is not self.suggestions \
                    and self._view_key(event):
                event.accept()  # delivered to the view as a key press, not to a shortcut
                return True
        return super().eventFilter(watched, event)

    def _view_key(self, event: QKeyEvent) -> bool:
        """Keys the views act on themselves (B or C, R, F; Escape while drawing or dragging)."""
        if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            return False
        if event.key() == Qt.Key.Key_Escape:
            return self.view.editor.busy or self.view.draw_mode()
        return event.key() in (Qt.Key.Key_B, Qt.Key.Key_C, Qt.Key.Key_R, Qt.Key.Key_F)

    def _review_action(self, event: QKeyEvent) -> Callable[[], None] | None:
        key, mods = event.key(), event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if key == Qt.Key.Key_Backtab or (key == Qt.Key.Key_Tab
                                         and mods == Qt.KeyboardModifier.ShiftModifier):
            return lambda: self.select_next(-1)
        if mods != _NO_MODS:
            return None
        return {
            Qt.Key.Key_A: self.accept_selected,
            Qt.Key.Key_D: self.reject_selected,
            Qt.Key.Key_Delete: self.reject_selected,
            Qt.Key.Key_Tab: lambda: self.select_next(1),
        }.get(Qt.Key(key))

    # --- store and selection -------------------------------------------------------------------

    def _on_store_changed(self, changes: dict[str, set[str]]) -> None:
        if "labels" in changes:
            self._read_labels()
        if self._asset is not None and self._asset.id in changes.get("assets", set()):
            fresh = self._store.asset(self._asset.id)  # submitted or reopened, perhaps
            if fresh is not None:
                self._asset = fresh
                self._apply_lock()
        if changes.keys() & {"annotations", "assets", "labels"}:
            self._reload()

    def _read_labels(self) -> None:
        labels = self._store.labels()
        self._colors = {label.name: label.color for label in labels}
        self._labels = [label.name for label in labels]
        current = self._new_label.currentText()
        self._new_label.clear()
        self._new_label.addItems(self._labels)
        if current in self._labels:
            self._new_label.setCurrentText(current)

    def _reload(self) -> None:
        """Re-reads the asset's 3D boxes from the store into the views, list and panel."""
        items: list[CuboidItem] = []
        if self._asset is not None:
            for record in self._store.annotations(self._asset.id):
                if record.type != BOX_TYPE:
                    continue
                try:
                    items.append(CuboidItem.of(
                        record.id, record.label, record.geometry,
                        color=self._colors.get(record.label), confidence=record.confidence,
                        state=record.state.value))
                except ValueError as exc:
                    self._tell(str(exc))
        self.view.set_items(items)
        if self._select_after is not None and self.view.item(self._select_after) is not None:
            self.view.set_selection([self._select_after])
            self._select_after = None
            self.selectionChanged.emit(self.view.selection())
        self.suggestions.show_items(items, self.view.selection())
        self._sync_panel()

    def _select(self, ids: list[str], *, focus: bool) -> None:
        """A selection the user asked for (the list, Tab, after a delete): announced."""
        before = self.view.selection()
        self.set_selection(ids)
        if focus and ids:
            self.view.focus_on(ids[0])
        if self.view.selection() != before:
            self.selectionChanged.emit(self.view.selection())

    def _on_view_selection(self, ids: list[str]) -> None:
        self.suggestions.set_current(ids)
        self._sync_panel()
        self.selectionChanged.emit(list(ids))

    def _sync_panel(self) -> None:
        self.panel.show_item(self.view.scene.primary, self._labels)

    def _neighbour(self, ids: list[str], step: int) -> str | None:
        """The box after (or before) the given ones in list order, to select once they go."""
        order = [item.id for item in self.view.items()]
        rest = [i for i in order if i not in ids]
        if not rest:
            return None
        first = min(order.index(i) for i in ids if i in order)
        after = [i for i in order[first:] if i not in ids]
        return after[0] if after else rest[-1]

    # --- loading -------------------------------------------------------------------------------

    def _on_busy(self, busy: bool) -> None:
        self._progress.setVisible(busy)
        self._cancel.setVisible(busy)
        if busy:
            self._progress.setValue(0)

    def _on_loaded(self, cloud: PreparedCloud) -> None:
        self.view.set_message("")
        self.view.set_cloud(cloud)
        self._color_mode.model().item(1).setEnabled(cloud.has_intensity)  # type: ignore[attr-defined]
        if self._color_mode.currentIndex() == 1 and not cloud.has_intensity:
            self._color_mode.setCurrentIndex(0)
        else:
            self._on_color_mode(self._color_mode.currentIndex())
        name = self._asset.display_name if self._asset is not None else "cloud"
        self._tell(f"{name}: {len(cloud):,} points")
        self.cloudShown.emit()

    def _on_load_failed(self, message: str) -> None:
        self.view.set_message(message)
        self._tell(message)

    def _on_load_cancelled(self) -> None:
        self.view.set_message("Loading was cancelled. Pick the asset again to load it.")
        self._tell("Loading cancelled.")

    def _on_color_mode(self, index: int) -> None:
        mode: ColorMode = "intensity" if index == 1 else "height"
        if self.view.cloud() is not None and not self.view.set_color_mode(mode):
            self._tell("This point cloud has no intensity; colouring by height.")
            self._color_mode.setCurrentIndex(0)

    def _tell(self, message: str) -> None:
        self._status.setText(message)
        self.statusMessage.emit(message)
