"""The 3D review page inside the main window: shown for a point cloud, its review keys win over
the window's shortcuts while a 3D view has the focus, and the window's Undo takes its edits
back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from avala_desktop.canvas import qt_guard  # noqa: F401  (before any widget exists)
from avala_desktop.core.store import ProjectStore, ReviewState
from tests.gui.test_pointcloud_review_support import make_project, open_window, settle


def test_the_window_shows_the_3d_page_and_undoes_its_edits(qtbot: Any, tmp_path: Path) -> None:
    project = make_project(tmp_path / "cloud", n_points=20_000)
    window, page = open_window(qtbot, project)
    assert window.area.stack.currentWidget() is page
    assert len(page.view.items()) == len(project.suggestion_ids)

    ann = project.suggestion_ids[0]
    page.suggestions.picked.emit(ann)
    viewport = page.view.viewport("perspective")
    window.activateWindow()
    viewport.setFocus()
    qtbot.waitUntil(viewport.hasFocus, timeout=2000)
    qtbot.keyClick(viewport, Qt.Key.Key_A)  # the window has an Accept action on A too
    settle(qtbot)
    with ProjectStore.open(project.root) as other:
        record = other.get_annotation(ann)
        assert record is not None and record.state is ReviewState.ACCEPTED
    assert window.undo_stack is not None and window.undo_stack.count() == 1

    window.action_set["undo"].trigger()
    settle(qtbot)
    qtbot.waitUntil(lambda: (page.view.item(ann) is not None
                             and page.view.item(ann).is_pending), timeout=5000)  # type: ignore[union-attr]
    with ProjectStore.open(project.root) as other:
        record = other.get_annotation(ann)
        assert record is not None and record.state is ReviewState.PENDING
