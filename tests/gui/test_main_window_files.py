"""File > Export and File > Import through the main window: the menu items and their keys, the
chooser they open, and an import that the asset browser, the canvas and the suggestions table
show at once."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QMenu

from avala_desktop.core.discovery import discover_assets
from avala_desktop.core.store import AssetStatus, ProjectStore, ReviewState
from avala_desktop.views.asset_model import AssetListModel
from avala_desktop.views.export_import_dialogs import ExportChooser, ImportChooser
from avala_desktop.views.main_window import MainWindow
from tests.gui.test_main_window_support import LABELS, make_project, open_window, settle


def file_menu(window: MainWindow) -> QMenu:
    menu = window.menuBar().actions()[0].menu()
    assert isinstance(menu, QMenu) and menu.title() == "&File"
    return menu


def close_chooser_when_it_opens(kind: type, seen: list[str]) -> None:
    """Rejects the chooser (a modal dialog) as soon as it is shown."""
    def attempt() -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, kind) and widget.isVisible():
                seen.append(widget.windowTitle())
                widget.reject()
                return
        QTimer.singleShot(10, attempt)

    QTimer.singleShot(10, attempt)


def test_file_menu_opens_the_export_and_import_choosers(qtbot: Any, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    window = open_window(qtbot, project.root)
    actions = window.action_set
    assert actions.export in file_menu(window).actions()
    assert actions.import_annotations in file_menu(window).actions()
    assert actions.export.shortcut() == QKeySequence("Ctrl+E")
    assert actions.import_annotations.shortcut() == QKeySequence("Ctrl+I")

    seen: list[str] = []
    close_chooser_when_it_opens(ExportChooser, seen)
    actions.export.trigger()  # returns once the chooser is closed
    close_chooser_when_it_opens(ImportChooser, seen)
    actions.import_annotations.trigger()
    assert seen == ["Export annotations", "Import annotations"]

    window.close_project()
    assert not actions.export.isEnabled() and not actions.import_annotations.isEnabled()
    assert window.export_annotations(fmt="avala", out_dir=tmp_path / "x") is None


def test_export_then_import_shows_the_suggestions_at_once(qtbot: Any, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    window = open_window(qtbot, project.root)
    out = tmp_path / "export"
    outcome = window.export_annotations(fmt="avala", out_dir=out, include_pending=True,
                                        notify=False)
    assert outcome is not None and outcome.error is None
    assert outcome.summary.annotations == 7  # every live annotation of both assets
    window.close_project()

    # The same images in a project of their own, with no annotations yet.
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    for image in sorted(project.root.glob("*.png")):
        shutil.copy(image, fresh / image.name)
    with ProjectStore.create(fresh, labels=LABELS) as store:
        store.add_assets(discover_assets(fresh).assets)
    window.open_project(fresh)
    assert window.controller is not None and window.controller.asset is not None
    first = window.controller.asset.id
    assert window.suggestions_model.rowCount() == 0
    model = window.asset_model
    assert isinstance(model, AssetListModel)
    assert {a.status for a in model.assets()} == {AssetStatus.UNLABELED}

    outcome = window.import_annotations(fmt="avala", path=out, as_suggestions=True,
                                        provider_name="batch", threshold=0.5, notify=False)
    assert outcome is not None and outcome.error is None
    assert outcome.summary.imported == 6  # the 0.2 box is below the threshold
    # Shown without waiting for the store's change notices.
    assert window.controller.asset is not None and window.controller.asset.id == first
    states = {r.state for r in window.suggestions_model.records()}
    assert window.suggestions_model.rowCount() == 5 and states == {ReviewState.PENDING}
    assert sorted(i.label for i in window.canvas.items()) == \
        ["car", "day", "lane", "pedestrian", "road"]
    assert {a.status for a in model.assets()} == {AssetStatus.PENDING_REVIEW}
    browser = window.browser
    assert browser is not None
    assert browser.provider_filter.findText("batch (import)") > 0
    assert "2 need review" in window.status.project_label.text()
    settle(window)  # the notices that arrive afterwards change nothing
    assert window.suggestions_model.rowCount() == 5
