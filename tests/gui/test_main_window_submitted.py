"""A submitted asset is read-only in the 2D canvas: keys, drags and drawing are refused with a
banner saying how to reopen it; Review > Reopen Asset takes it back into review, and both
submit and reopen are undoable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from avala_desktop.core.store import ProjectStore, ReviewState
from avala_desktop.views.main_window import MainWindow
from tests.gui.test_main_window_support import (
    drag_image,
    make_project,
    open_window,
    press,
    records,
    settle,
    wait_for_image,
)

CTRL = Qt.KeyboardModifier.ControlModifier


def banner(window: MainWindow) -> str:
    return window.area.banner.text.text() if window.area.banner.isVisible() else ""


def submitted(root: Path, asset_id: str) -> bool:
    with ProjectStore.open(root) as store:
        asset = store.asset(asset_id)
        assert asset is not None
        return asset.submitted_at is not None


def open_submitted_second(qtbot: Any, root: Path, second: str) -> MainWindow:
    """The window on the project, showing its second asset, accepted and submitted by keys."""
    window = open_window(qtbot, root)
    assert window.controller is not None
    window.controller.show_asset(second)
    wait_for_image(qtbot, window)
    press(window, Qt.Key.Key_Tab)
    press(window, Qt.Key.Key_A)
    press(window, Qt.Key.Key_Return, CTRL)
    assert submitted(root, second)
    window.controller.show_asset(second)  # submitting moved on to the next asset
    wait_for_image(qtbot, window)
    return window


def test_a_submitted_asset_refuses_every_change(qtbot: Any, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    window = open_submitted_second(qtbot, project.root, project.second)
    canvas = window.canvas
    assert canvas.read_only_reason() is not None
    assert "submitted" in window.status.asset_label.text()
    before = records(project.root, project.second)
    (box_id,) = before
    window.controller.select([box_id])  # type: ignore[union-attr]
    stack = window.undo_stack
    assert stack is not None
    steps = stack.count()

    edits: list[Any] = []
    canvas.geometryEdited.connect(lambda *args: edits.append(args))
    window.area.banner.hide()
    drag_image(window, (130, 160), (180, 200))  # the box spans 100..160 x 100..220
    settle(window)
    assert edits == []
    assert "street_01.png is submitted, so it is read-only" in banner(window)
    assert "Reopen Asset" in banner(window)
    for key in (Qt.Key.Key_D, Qt.Key.Key_L, Qt.Key.Key_C, Qt.Key.Key_Right):
        window.area.banner.hide()
        press(window, key)
        assert "is submitted, so it is read-only" in banner(window), key
    window.area.banner.hide()
    press(window, Qt.Key.Key_B)  # choosing a tool is fine; drawing with it is not
    drag_image(window, (10, 10), (60, 60))
    settle(window)
    assert "is submitted, so it is read-only" in banner(window)
    assert records(project.root, project.second) == before
    assert stack.count() == steps


def test_reopen_unlocks_and_undo_submits_again(qtbot: Any, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    window = open_submitted_second(qtbot, project.root, project.second)
    actions = window.action_set
    assert actions.reopen.isEnabled()
    assert actions.reopen in window.menuBar().actions()[2].menu().actions()  # Review
    press(window, Qt.Key.Key_R, CTRL | Qt.KeyboardModifier.ShiftModifier)
    assert not submitted(project.root, project.second)
    assert window.canvas.read_only_reason() is None
    assert not actions.reopen.isEnabled()
    assert window.undo_stack is not None and window.undo_stack.undoText() == \
        "Reopen street_01.png"

    (box_id,) = records(project.root, project.second)
    window.controller.select([box_id])  # type: ignore[union-attr]
    press(window, Qt.Key.Key_D)  # changes are possible again
    assert records(project.root, project.second)[box_id].state is ReviewState.REJECTED

    press(window, Qt.Key.Key_Z, CTRL)  # the delete
    press(window, Qt.Key.Key_Z, CTRL)  # the reopen
    assert submitted(project.root, project.second)
    assert window.canvas.read_only_reason() is not None
    assert actions.reopen.isEnabled()
    press(window, Qt.Key.Key_Z, CTRL)  # the submit
    assert not submitted(project.root, project.second)
    assert window.canvas.read_only_reason() is None
    assert records(project.root, project.second)[box_id].state is ReviewState.ACCEPTED
