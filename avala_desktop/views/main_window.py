"""The main window: assembles the panels around the review area and runs one project at a time.

Per project the window makes a store bridge, an undo stack, the asset list model and browser
and a review controller; ``close_project`` takes exactly those down again (workers joined,
store unsubscribed and closed). Nothing needs saving: every action was written when it
happened.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QKeyEvent
from PySide6.QtWidgets import QDialog, QDockWidget, QLabel, QMainWindow, QMessageBox, QWidget

from avala_desktop.canvas.view2d import Tool
from avala_desktop.core.store import ASSETS, LABELS, RUNS, Asset, AssetStatus, ProjectStore
from avala_desktop.paths import config_dir
from avala_desktop.views import recent
from avala_desktop.views.actions import ActionSet
from avala_desktop.views.asset_browser import AssetBrowser
from avala_desktop.views.asset_model import STATUS_TEXT, AssetListModel
from avala_desktop.views.help_dialog import HelpDialog
from avala_desktop.views.labels_panel import LabelsPanel
from avala_desktop.views.menus import build_menus, build_toolbar
from avala_desktop.views.project_opener import ProjectOpener, choose_folder
from avala_desktop.views.review_area import ReviewArea
from avala_desktop.views.review_controller import ReviewController
from avala_desktop.views.status_bar import ReviewStatusBar, counts_text
from avala_desktop.views.store_bridge import StoreBridge
from avala_desktop.views.suggestions_model import SuggestionsModel
from avala_desktop.views.suggestions_panel import SuggestionsPanel
from avala_desktop.views.thumbnails import ThumbnailCache
from avala_desktop.views.undo import ReviewUndoStack

if TYPE_CHECKING:
    from avala_desktop.views.export_import_dialogs import JobOutcome

_TOOLS = {"tool_select": Tool.SELECT, "tool_box": Tool.BOX, "tool_polygon": Tool.POLYGON,
          "tool_polyline": Tool.POLYLINE, "tool_mask": Tool.MASK}
# Actions that need an open project.
_PROJECT_ACTIONS = ("close_project", "export", "import_annotations", "auto_label", "accept",
                    "delete", "next_suggestion", "prev_suggestion", "relabel", "classify",
                    "accept_all", "next_asset", "prev_asset", "submit", "reopen")
_INFO_TIMEOUT_MS = 6000
SUMMARY_DELAY_MS = 300


class MainWindow(QMainWindow):
    projectOpened = Signal(object)  # ProjectStore
    projectClosed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle("avala-desktop")
        self.setAcceptDrops(True)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks
                            | QMainWindow.DockOption.AllowNestedDocks)
        self.action_set = ActionSet(self)
        self.area = ReviewArea(self)
        self.canvas = self.area.canvas
        self.setCentralWidget(self.area)
        self.status = ReviewStatusBar(self)
        self.setStatusBar(self.status)
        self.suggestions_model = SuggestionsModel(self)
        self.suggestions = SuggestionsPanel(self.suggestions_model, self)
        self.labels_panel = LabelsPanel(self)
        self.assets_dock = self._dock("Assets", "assetsDock", QLabel("No project open", self),
                                      Qt.DockWidgetArea.LeftDockWidgetArea)
        self.suggestions_dock = self._dock("Suggestions", "suggestionsDock", self.suggestions,
                                           Qt.DockWidgetArea.RightDockWidgetArea)
        self.labels_dock = self._dock("Labels", "labelsDock", self.labels_panel,
                                      Qt.DockWidgetArea.RightDockWidgetArea)
        self.resizeDocks([self.assets_dock, self.suggestions_dock], [290, 500],
                         Qt.Orientation.Horizontal)
        self.resizeDocks([self.suggestions_dock, self.labels_dock], [640, 260],
                         Qt.Orientation.Vertical)
        self.recent_menu = build_menus(self, self.action_set)
        view_menu = self.menuBar().findChild(type(self.recent_menu), "viewMenu")
        if view_menu is not None:
            view_menu.addSeparator()
            for dock in (self.assets_dock, self.suggestions_dock, self.labels_dock):
                view_menu.addAction(dock.toggleViewAction())
        self.toolbar = build_toolbar(self, self.action_set)
        self.thumbnails = ThumbnailCache(parent=self)
        self.opener = ProjectOpener(self)
        self.opener.opened.connect(self._activate)
        self.opener.failed.connect(self._open_failed)
        self.help_dialog: HelpDialog | None = None
        # Suggestions imported this session: their provider ids have no run to name them.
        self._imported_providers: dict[str, str] = {}
        # The project counts take a few queries: once per burst of changes is enough.
        self._summary_timer = QTimer(self)
        self._summary_timer.setSingleShot(True)
        self._summary_timer.setInterval(SUMMARY_DELAY_MS)
        self._summary_timer.timeout.connect(self._refresh_project_summary)

        self.store: ProjectStore | None = None
        self.bridge: StoreBridge | None = None
        self.undo_stack: ReviewUndoStack | None = None
        self.asset_model: AssetListModel | None = None
        self.browser: AssetBrowser | None = None
        self.controller: ReviewController | None = None

        self._connect_actions()
        self.canvas.zoomChanged.connect(self.status.set_zoom)
        self.canvas.cursorMoved.connect(self.status.set_cursor)
        self.canvas.brushSizeChanged.connect(
            lambda radius: self.status.show_message(f"Brush radius {radius:.0f} px", 2000))
        self.area.welcome.openRequested.connect(self._open_requested)
        self.area.cloudMessage.connect(self.status.show_message)
        self._settings = QSettings(str(config_dir() / "window.ini"), QSettings.Format.IniFormat)
        self._restore_layout()
        self._refresh_recent()
        self._update_enabled()
        self.area.show_welcome()

    # --- assembly ----------------------------------------------------------------------------

    def _dock(self, title: str, name: str, widget: QWidget,
              area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(area, dock)
        return dock

    def _connect_actions(self) -> None:
        a = self.action_set
        a.open.triggered.connect(lambda: self._open_requested(""))
        a.close_project.triggered.connect(self.close_project)
        a.quit.triggered.connect(self.close)
        a.help.triggered.connect(self.show_help)
        a.fit.triggered.connect(self.canvas.fit_to_window)
        a.captions.setChecked(True)
        a.captions.toggled.connect(self.canvas.set_show_captions)
        a.brush_erase.toggled.connect(self.canvas.set_brush_erase)
        for name, tool in _TOOLS.items():
            a[name].triggered.connect(lambda _checked=False, t=tool: self.canvas.set_tool(t))
        self.canvas.toolChanged.connect(self._tool_changed)
        a.export.triggered.connect(lambda: self.export_annotations())
        a.import_annotations.triggered.connect(lambda: self.import_annotations())
        a.auto_label.triggered.connect(self.open_auto_label)
        a.inference_settings.triggered.connect(self.open_inference_settings)
        review = {
            "accept": lambda c: c.accept(), "delete": lambda c: c.delete(),
            "next_suggestion": lambda c: c.step_suggestion(1),
            "prev_suggestion": lambda c: c.step_suggestion(-1),
            "relabel": lambda c: c.relabel(), "classify": lambda c: c.add_classification(),
            "accept_all": lambda c: c.accept_all_shown(),
            "next_asset": lambda c: c.next_asset_needing_review(),
            "prev_asset": lambda c: c.step_asset(-1), "submit": lambda c: c.submit(),
            "reopen": lambda c: c.reopen(),
            "undo": lambda c: c.undo(), "redo": lambda c: c.redo(),
        }
        for name, call in review.items():
            a[name].triggered.connect(lambda _checked=False, f=call: self._with_controller(f))

    def _with_controller(self, call: Any) -> None:
        if self.controller is not None:
            call(self.controller)

    def _tool_changed(self, name: str) -> None:
        for action_name, tool in _TOOLS.items():
            if tool.value == name:
                self.action_set[action_name].setChecked(True)

    def _update_enabled(self) -> None:
        has_project = self.store is not None
        for name in _PROJECT_ACTIONS:
            self.action_set[name].setEnabled(has_project)
        self.action_set.reopen.setEnabled(self.controller is not None
                                          and self.controller.read_only())
        stack = self.undo_stack
        self.action_set.undo.setEnabled(stack is not None and stack.canUndo())
        self.action_set.redo.setEnabled(stack is not None and stack.canRedo())

    # --- opening and closing -----------------------------------------------------------------

    def open_project(self, folder: Path | str, *, ask: bool = True) -> None:
        """Opens a project folder (a plain folder is made a project, after asking)."""
        self.opener.open(Path(folder), ask=ask)

    def _open_requested(self, folder: str) -> None:
        if folder:
            self.open_project(folder)
            return
        start = self.store.root.parent if self.store is not None else None
        chosen = choose_folder(self, start)
        if chosen is not None:
            self.open_project(chosen)

    def _open_failed(self, message: str) -> None:
        self.show_message(message, "error")
        QMessageBox.warning(self, "Cannot open project", message)

    def _activate(self, store: ProjectStore) -> None:
        self.close_project()
        self.store = store
        self.undo_stack = ReviewUndoStack(self)
        self.undo_stack.canUndoChanged.connect(lambda _ok: self._update_enabled())
        self.undo_stack.canRedoChanged.connect(lambda _ok: self._update_enabled())
        self.undo_stack.undoTextChanged.connect(
            lambda text: self.action_set.undo.setText(f"&Undo {text}".rstrip()))
        self.undo_stack.redoTextChanged.connect(
            lambda text: self.action_set.redo.setText(f"&Redo {text}".rstrip()))
        self.bridge = StoreBridge(store, self)
        self.asset_model = AssetListModel(store, self.thumbnails, self)
        self.browser = AssetBrowser(self.asset_model, self)
        self.assets_dock.setWidget(self.browser)
        self.controller = ReviewController(store, self.undo_stack, self.area, self.suggestions,
                                           self.labels_panel, self, flush=self.bridge.flush)
        self.controller.message.connect(self.show_message)
        self.controller.assetChanged.connect(self._asset_changed)
        self.controller.annotationsChanged.connect(self._annotations_changed)
        self.browser.assetChosen.connect(self.controller.show_asset)
        self.bridge.changed.connect(self._store_changed)
        self.asset_model.refresh()
        self._refresh_filters()
        self._refresh_project_summary()
        project = store.project()
        self.setWindowTitle(f"{project.name} — avala-desktop")
        recent.remember_project(store.root)
        self._refresh_recent()
        self._update_enabled()
        self.projectOpened.emit(store)
        if not self.controller.next_asset_needing_review():
            assets = store.assets(limit=1)
            self.controller.show_asset(assets[0].id if assets else None)
            if not assets:
                self.show_message(f"{project.name} has no assets yet: add images to "
                                  f"{store.root} and run `avala-desktop init {store.root}`.",
                                  "warning")
        self.canvas.setFocus()
        self._offer_resume(store)

    def close_project(self) -> None:
        """Takes the open project down; everything was saved as it happened."""
        if self.store is None:
            return
        for dialog in self.findChildren(QDialog):
            if dialog is not self.help_dialog:
                dialog.close()
        if self.controller is not None:
            self.controller.detach()
            self.controller.deleteLater()
        if self.bridge is not None:
            self.bridge.close()
            self.bridge.deleteLater()
        self.area.reset_project()
        self.area.show_welcome()
        if self.undo_stack is not None:
            self.undo_stack.clear()
            self.undo_stack.deleteLater()
        placeholder = QLabel("No project open", self)
        self.assets_dock.setWidget(placeholder)
        if self.browser is not None:
            self.browser.deleteLater()
        if self.asset_model is not None:
            self.asset_model.deleteLater()
        self.suggestions_model.set_records([])
        self.labels_panel.set_labels([])
        self.canvas.set_items([])
        self.store.close()
        self.store = self.bridge = self.undo_stack = None
        self._imported_providers = {}
        self.asset_model = self.browser = self.controller = None
        self.setWindowTitle("avala-desktop")
        self.status.set_asset("")
        self.status.set_counts(None)
        self.status.set_project("")
        self._update_enabled()
        self._refresh_recent()
        self.projectClosed.emit()

    def _offer_resume(self, store: ProjectStore) -> None:
        # The dialogs take a tenth of a second to import: only when there is a run to offer.
        if store.latest_resumable_run() is None:
            return
        from avala_desktop.views.autolabel_dialog import offer_resume

        offer_resume(self, store)

    # --- file and project menu hooks ---------------------------------------------------------
    # The dialog modules are imported when first used, which keeps start-up fast.

    def export_annotations(self, **choices: Any) -> JobOutcome | None:
        """File > Export. ``choices`` (fmt, out_dir, include_pending, notify) skip the
        chooser; None when there is no project or the chooser was closed."""
        if self.store is None:
            return None
        from avala_desktop.views.export_import_dialogs import run_export_dialog

        return run_export_dialog(self, self.store, **choices)

    def import_annotations(self, **choices: Any) -> JobOutcome | None:
        """File > Import. ``choices`` (fmt, path, as_suggestions, provider_name, threshold,
        notify) skip the chooser; None when there is no project or the chooser was closed."""
        if self.store is None:
            return None
        from avala_desktop.views.export_import_dialogs import run_import_dialog

        outcome = run_import_dialog(self, self.store, **choices)
        summary = None if outcome is None else outcome.summary
        if summary is not None:
            if summary.provider_id:
                self._imported_providers[summary.provider_id] = \
                    f"{summary.provider_id.partition(':')[2] or summary.provider_id} (import)"
            self._after_import()
        return outcome

    def _after_import(self) -> None:
        """An import may touch every asset and add labels: show all of it now rather than
        waiting for the bridge's next delivery."""
        if self.bridge is not None:
            self.bridge.flush()
        if self.asset_model is not None:
            self.asset_model.refresh()
        self._refresh_filters()
        self._refresh_project_summary()
        if self.controller is not None:
            self.controller.reload_labels()
            self.controller.refresh()
            if self.controller.asset is None:
                assets = self.store.assets(limit=1) if self.store is not None else []
                if assets:
                    self.controller.show_asset(assets[0].id)

    def open_auto_label(self) -> None:
        if self.store is None:
            return
        from avala_desktop.views.autolabel_dialog import open_auto_label_dialog

        selected = self.browser.selected_asset_ids() if self.browser is not None else []
        # Its writes go through this window's store, so the bridge shows them as they land.
        open_auto_label_dialog(self, self.store, selected)

    def open_inference_settings(self) -> None:
        from avala_desktop.views.settings_inference import open_inference_settings

        open_inference_settings(self)

    # --- updates -----------------------------------------------------------------------------

    def _store_changed(self, changes: dict[str, set[str]]) -> None:
        if self.asset_model is not None and (ASSETS in changes or LABELS in changes):
            self.asset_model.refresh(changes.get(ASSETS))
            self._summary_timer.start()
        if LABELS in changes or RUNS in changes:
            self._refresh_filters()
        if self.controller is not None:
            self.controller.on_store_changed(changes)

    def _asset_changed(self, asset: Asset | None) -> None:
        # The 2D tools mean nothing on a point cloud (its view has its own keys).
        flat = asset is not None and asset.type != "point_cloud"
        for name in (*_TOOLS, "brush_erase", "fit", "captions"):
            self.action_set[name].setEnabled(flat)
        self._update_enabled()
        if self.browser is not None:
            self.browser.set_current(None if asset is None else asset.id)
        if asset is None:
            self.status.set_asset("")
            self.status.set_zoom(None)
            return
        self.status.set_asset(f"{asset.display_name} · {STATUS_TEXT[asset.status]}")

    def _annotations_changed(self) -> None:
        controller = self.controller
        if controller is None:
            return
        counts = controller.counts()
        self.status.set_counts(counts)
        shown = len(self.suggestions_model.records())
        live = len(controller.live_records())
        hidden = f", {live - shown} hidden" if live > shown else ""
        self.suggestions.set_summary(f"{shown} shown{hidden} · {counts_text(counts)}")

    def _refresh_filters(self) -> None:
        if self.store is None or self.browser is None:
            return
        providers = dict(self._imported_providers)
        providers.update({run.provider_id: run.provider_name for run in self.store.runs()})
        self.browser.set_filter_choices(self.store.labels(), providers)
        self.suggestions_model.set_provider_names(providers)

    def _refresh_project_summary(self) -> None:
        if self.store is None:
            return
        by_status = self.store.status_summary()["assets"]["by_status"]
        total = sum(by_status.values())
        self.status.set_project(
            f"{total} assets · {by_status[AssetStatus.PENDING_REVIEW.value]} need review · "
            f"{by_status[AssetStatus.SUBMITTED.value]} submitted")

    def _refresh_recent(self) -> None:
        folders = recent.recent_projects()
        self.area.welcome.set_recent(folders)
        self.recent_menu.clear()
        for folder in folders:
            action = self.recent_menu.addAction(str(folder))
            action.triggered.connect(lambda _c=False, f=folder: self.open_project(f))
        self.recent_menu.setEnabled(bool(folders))

    def show_message(self, text: str, level: str = "info") -> None:
        self.area.banner.show_message(text, level,
                                      _INFO_TIMEOUT_MS if level == "info" else 0)
        self.status.show_message(text)

    def show_help(self) -> None:
        if self.help_dialog is None:
            self.help_dialog = HelpDialog(self)
        self.help_dialog.show()
        self.help_dialog.raise_()

    # --- events ------------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Keys the canvas passed on (it keeps Del for a chosen vertex, Esc for a gesture).
        no_mods = not (event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier)
        if event.key() == Qt.Key.Key_Delete and no_mods and self.controller is not None:
            self.controller.delete()
            return
        if event.key() == Qt.Key.Key_Escape and no_mods:
            self.canvas.set_tool(Tool.SELECT)
            return
        super().keyPressEvent(event)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._dropped_folder(event) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        folder = self._dropped_folder(event)
        if folder is not None:
            event.acceptProposedAction()
            self.open_project(folder)

    @staticmethod
    def _dropped_folder(event: QDragEnterEvent | QDropEvent) -> Path | None:
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        for url in urls:
            if url.isLocalFile() and Path(url.toLocalFile()).is_dir():
                return Path(url.toLocalFile())
        return None

    def closeEvent(self, event: QCloseEvent) -> None:
        self._settings.setValue("geometry", self.saveGeometry())
        self._settings.setValue("state", self.saveState())
        self._settings.sync()
        self.opener.shutdown()
        self.close_project()
        self.area.shutdown()
        self.thumbnails.shutdown()
        if self.help_dialog is not None:
            self.help_dialog.close()
        super().closeEvent(event)

    def _restore_layout(self) -> None:
        geometry = self._settings.value("geometry")
        state = self._settings.value("state")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1600, 1000)
        if isinstance(state, QByteArray):
            self.restoreState(state)
