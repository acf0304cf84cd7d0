"""The main window drives review end to end: a real project, real widgets, real store.

Every check on what was saved reads the project with a fresh ProjectStore, as the next
session of the app would.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from avala_desktop.core.store import AssetStatus, ProjectStore, ReviewState
from avala_desktop.views.main_window import MainWindow
from tests.gui.test_main_window_support import (
    click_image,
    drag_image,
    make_project,
    open_window,
    press,
    records,
    send_key,
    settle,
)

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def snapshot(record: Any) -> tuple[Any, ...]:
    return (record.label, record.geometry, record.state, record.confidence)


def select_row(window: MainWindow, annotation_id: str) -> None:
    """A click on the row in the suggestions table (through its selection model)."""
    model = window.suggestions_model
    row = model.row_of(annotation_id)
    assert row is not None
    table = window.suggestions.table
    table.selectionModel().select(
        model.index(row, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)


def test_opening_shows_every_2d_type_on_the_canvas_and_in_the_table(
        qtbot: Any, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    window = open_window(qtbot, project.root)
    assert window.controller is not None and window.controller.asset is not None
    assert window.controller.asset.id == project.first  # first asset needing review
    canvas_types = sorted(item.type.value for item in window.canvas.items())
    assert canvas_types == ["bounding_box", "bounding_box", "classification", "polygon",
                            "polyline", "segmentation_mask"]
    assert window.canvas.image_size() == (400, 300)
    table = [window.suggestions_model.record_at(r) for r in range(6)]
    assert {r.id for r in table if r is not None} == set(project.ids.values())
    assert "street_00.png" in window.status.asset_label.text()
    assert "6 pending" in window.status.counts_label.text()
    assert window.windowTitle().startswith("p ")


def test_click_on_the_canvas_selects_the_row_and_a_row_selects_on_the_canvas(
        qtbot: Any, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    window = open_window(qtbot, project.root)
    click_image(window, 90, 80)  # inside the car box
    assert window.canvas.selection() == [project.ids["box"]]
    assert window.suggestions.selected_ids() == [project.ids["box"]]
    click_image(window, 60, 260)  # inside the road mask
    assert window.suggestions.selected_ids() == [project.ids["mask"]]

    select_row(window, project.ids["polygon"])
    assert window.canvas.selection() == [project.ids["polygon"]]
    select_row(window, project.ids["classification"])
    assert window.canvas.selection() == [project.ids["classification"]]


def test_accept_with_a_then_the_next_pending_suggestion_is_selected(
        qtbot: Any, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    window = open_window(qtbot, project.root)
    click_image(window, 90, 80)
    press(window, Qt.Key.Key_A)
    stored = records(project.root, project.first)
    assert stored[project.ids["box"]].state is ReviewState.ACCEPTED
    assert stored[project.ids["box"]].geometry["coordinates"] == {
        "x": 40, "y": 40, "width": 100, "height": 80}
    assert window.canvas.selection() == [project.ids["polygon"]]  # next pending in the table
    item = window.canvas.item(project.ids["box"])
    assert item is not None and item.state == "accepted"


def test_delete_with_d_and_del_rejects_and_hides(qtbot: Any, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    window = open_window(qtbot, project.root)
    click_image(window, 90, 80)
    press(window, Qt.Key.Key_D)
    select_row(window, project.ids["polyline"])
    # Del reaches the window only when the canvas has no vertex chosen, as here.
    send_key(window.canvas, Qt.Key.Key_Delete)
    settle(window)
    stored = records(project.root, project.first)
    assert stored[project.ids["box"]].state is ReviewState.REJECTED
    assert stored[project.ids["polyline"]].state is ReviewState.REJECTED
    shown = {item.id for item in window.canvas.items()}
    assert project.ids["box"] not in shown and project.ids["polyline"] not in shown
    assert window.suggestions_model.row_of(project.ids["box"]) is None
    assert "2 rejected" in window.status.counts_label.text()


def test_dragging_a_box_handle_edits_it_and_undo_redo_restore_exactly(
        qtbot: Any, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    window = open_window(qtbot, project.root)
    box_id = project.ids["box"]
    before = records(project.root, project.first)[box_id]
    click_image(window, 90, 80)
    drag_image(window, (140, 120), (170, 150))  # the bottom-right handle
    settle(window)
    edited = records(project.root, project.first)[box_id]
    assert edited.state is ReviewState.EDITED  # the correction is the acceptance
    coords = edited.geometry["coordinates"]
    assert (coords["x"], coords["y"]) == (40, 40)
    assert abs(coords["width"] - 130) < 1.0 and abs(coords["height"] - 110) < 1.0
    assert window.undo_stack is not None and window.undo_stack.count() == 1  # one drag, one step

    press(window, Qt.Key.Key_Z, CTRL)
    undone = records(project.root, project.first)[box_id]
    assert snapshot(undone) == snapshot(before)
    item = window.canvas.item(box_id)
    assert item is not None and dict(item.geometry) == before.geometry
    assert item.state == "pending"

    press(window, Qt.Key.Key_Z, CTRL | SHIFT)
    assert snapshot(records(project.root, project.first)[box_id]) == snapshot(edited)
    press(window, Qt.Key.Key_Z, CTRL)
    press(window, Qt.Key.Key_Y, CTRL)
    assert snapshot(records(project.root, project.first)[box_id]) == snapshot(edited)


def test_arrow_nudges_merge_into_one_undo_step(qtbot: Any, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    window = open_window(qtbot, project.root)
    before = records(project.root, project.first)[project.ids["polygon"]]
    click_image(window, 250, 90)
    for _ in range(3):
        press(window, Qt.Key.Key_Right)
    moved = records(project.root, project.first)[project.ids["polygon"]]
    assert moved.geometry["points"][0] == [223, 40]
    assert window.undo_stack is not None and window.undo_stack.count() == 1
    press(window, Qt.Key.Key_Z, CTRL)
    assert snapshot(records(project.root, project.first)[project.ids["polygon"]]) == \
        snapshot(before)


def test_undo_and_redo_of_accept_and_delete(qtbot: Any, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    window = open_window(qtbot, project.root)
    before = records(project.root, project.first)
    click_image(window, 90, 80)
    press(window, Qt.Key.Key_A)
    select_row(window, project.ids["mask"])
    press(window, Qt.Key.Key_D)
    press(window, Qt.Key.Key_Z, CTRL)
    press(window, Qt.Key.Key_Z, CTRL)
    after_undo = records(project.root, project.first)
    assert {k: snapshot(v) for k, v in after_undo.items()} == \
        {k: snapshot(v) for k, v in before.items()}
    assert window.canvas.item(project.ids["mask"]) is not None  # back on the canvas
    press(window, Qt.Key.Key_Z, CTRL | SHIFT)
    press(window, Qt.Key.Key_Z, CTRL | SHIFT)
    redone = records(project.root, project.first)
    assert redone[project.ids["box"]].state is ReviewState.ACCEPTED
    assert redone[project.ids["mask"]].state is ReviewState.REJECTED


def test_submit_is_refused_while_anything_is_pending(qtbot: Any, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    window = open_window(qtbot, project.root)
    window.suggestions.set_threshold(0.5)  # hides the 0.2 box: still pending, still blocking
    press(window, Qt.Key.Key_Return, CTRL)
    with ProjectStore.open(project.root) as store:
        asset = store.asset(project.first)
    assert asset is not None and asset.status is AssetStatus.PENDING_REVIEW
    banner = window.area.banner
    assert banner.isVisible() and banner.level == "error"
    assert "6 pending suggestions" in banner.text.text()
    assert "1 of them hidden" in banner.text.text()

    assert window.controller is not None
    window.controller.accept_all_shown(confirm=lambda _title, _text: True)
    press(window, Qt.Key.Key_Return, CTRL)
    with ProjectStore.open(project.root) as store:
        still = store.asset(project.first)
    assert still is not None and still.status is AssetStatus.PENDING_REVIEW  # the hidden one

    window.suggestions.set_threshold(0.0)
    window.controller.select([project.ids["low"]])
    press(window, Qt.Key.Key_D)
    press(window, Qt.Key.Key_Return, CTRL)
    with ProjectStore.open(project.root) as store:
        done = store.asset(project.first)
    assert done is not None and done.status is AssetStatus.SUBMITTED
    assert window.controller.asset is not None
    assert window.controller.asset.id == project.second  # on to the next asset needing review


def test_accept_all_shown_asks_first_and_skips_hidden(qtbot: Any, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    window = open_window(qtbot, project.root)
    window.suggestions.set_threshold(0.5)
    seen: list[str] = []

    def answer(button: QMessageBox.StandardButton) -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        seen.append(box.text())
        box.button(button).click()

    QTimer.singleShot(0, lambda: answer(QMessageBox.StandardButton.Cancel))
    window.suggestions.accept_all.click()
    assert all(r.state is ReviewState.PENDING
               for r in records(project.root, project.first).values())
    QTimer.singleShot(0, lambda: answer(QMessageBox.StandardButton.Yes))
    window.suggestions.accept_all.click()
    stored = records(project.root, project.first)
    assert "Accept 5 pending suggestions" in seen[-1] and "1 pending suggestion" in seen[-1]
    assert stored[project.ids["low"]].state is ReviewState.PENDING
    assert sum(r.state is ReviewState.ACCEPTED for r in stored.values()) == 5
    press(window, Qt.Key.Key_Z, CTRL)  # one step for the lot
    assert all(r.state is ReviewState.PENDING
               for r in records(project.root, project.first).values())


def test_everything_is_there_after_closing_and_reopening(qtbot: Any, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    window = open_window(qtbot, project.root)
    click_image(window, 90, 80)
    drag_image(window, (140, 120), (160, 140))
    select_row(window, project.ids["mask"])
    press(window, Qt.Key.Key_D)
    select_row(window, project.ids["polyline"])
    press(window, Qt.Key.Key_A)
    saved = {k: snapshot(v) for k, v in records(project.root, project.first).items()}
    window.close()
    assert window.store is None  # closed, unsubscribed

    again = open_window(qtbot, project.root)
    assert again.controller is not None
    shown = {r.id: snapshot(r) for r in again.controller.records}
    assert shown == saved
    item = again.canvas.item(project.ids["box"])
    assert item is not None and item.state == "edited"
    assert item.geometry["coordinates"]["width"] > 100


def test_n_goes_to_the_next_asset_needing_review(qtbot: Any, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    window = open_window(qtbot, project.root)
    press(window, Qt.Key.Key_N)
    assert window.controller is not None and window.controller.asset is not None
    assert window.controller.asset.id == project.second
    qtbot.waitUntil(lambda: window.area.loaded_asset() == project.second)
    assert [i.label for i in window.canvas.items()] == ["pedestrian"]
    assert window.browser is not None
    assert window.browser.list.currentIndex().row() == 1  # the browser follows
    press(window, Qt.Key.Key_N)
    assert window.controller.asset.id == project.first


def test_confidence_slider_hides_low_confidence_suggestions(qtbot: Any, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    window = open_window(qtbot, project.root)
    low = project.ids["low"]
    assert window.canvas.scene.is_shown(low)
    window.suggestions.slider.setValue(50)
    assert not window.canvas.scene.is_shown(low)
    assert window.suggestions_model.row_of(low) is None
    assert window.canvas.scene.is_shown(project.ids["box"])
    assert "1 hidden" in window.suggestions.summary.text()
    stored = records(project.root, project.first)
    assert stored[low].state is ReviewState.PENDING  # display only
    window.suggestions.slider.setValue(10)
    assert window.canvas.scene.is_shown(low)


def test_tab_steps_through_the_table(qtbot: Any, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    window = open_window(qtbot, project.root)
    order = [r.id for r in window.suggestions_model.records()]
    press(window, Qt.Key.Key_Tab)
    assert window.canvas.selection() == [order[0]]
    press(window, Qt.Key.Key_Tab)
    assert window.canvas.selection() == [order[1]]
    press(window, Qt.Key.Key_Backtab, SHIFT)
    assert window.canvas.selection() == [order[0]]
    press(window, Qt.Key.Key_Backtab, SHIFT)
    assert window.canvas.selection() == [order[-1]]  # wraps


def test_f1_lists_the_shortcuts(qtbot: Any, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    window = open_window(qtbot, project.root)
    press(window, Qt.Key.Key_F1)
    dialog = window.help_dialog
    assert dialog is not None and dialog.isVisible()
    keys = dialog.shortcut_texts()
    for expected in ("A", "D, Del", "Tab", "Shift+Tab", "N", "Ctrl+Z", "Ctrl+Shift+Z, Ctrl+Y",
                     "F", "F1", "L"):
        assert expected in keys, expected
    assert any("Return" in k or "Enter" in k for k in keys)
    titles = dialog.section_titles()
    assert titles[0] == "Project and files" and titles[-1] == "Help"
    assert len(titles) == len(set(titles))  # each context once
    assert {"Review (images and point clouds)", "2D canvas: tools",
            "2D canvas: mouse and keys", "3D review (point clouds)"} <= set(titles)
    cloud = dict(dialog.rows_of("3D review (point clouds)"))
    for expected in ("Left drag (perspective view)", "Right/middle drag, Shift+drag", "Wheel",
                     "R", "F", "C or B, then drag in the top view", "Esc", "A / D, Del",
                     "Tab / Shift+Tab"):
        assert expected in cloud, expected
    assert "Cancel the drag" in cloud["Esc"]
    files = dict(dialog.rows_of("Project and files"))
    assert "Export" in files["Ctrl+E"] and "Import" in files["Ctrl+I"]
    assert "Ctrl+Shift+R" in dict(dialog.rows_of("Review (images and point clouds)"))


def test_letters_typed_in_a_text_field_are_text_not_review_keys(
        qtbot: Any, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    window = open_window(qtbot, project.root)
    click_image(window, 90, 80)
    assert window.browser is not None
    search = window.browser.search
    search.setFocus()
    QTest.keyClicks(search, "nad")
    assert search.text() == "nad"
    assert all(r.state is ReviewState.PENDING
               for r in records(project.root, project.first).values())
    assert window.controller is not None and window.controller.asset is not None
    assert window.controller.asset.id == project.first  # N did not move on either


def test_review_keys_work_with_the_focus_in_the_table(qtbot: Any, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    window = open_window(qtbot, project.root)
    table = window.suggestions.table
    select_row(window, project.ids["polygon"])
    table.setFocus()
    QTest.keyClick(table, Qt.Key.Key_A)
    settle(window)
    assert records(project.root, project.first)[project.ids["polygon"]].state is \
        ReviewState.ACCEPTED
    select_row(window, project.ids["polyline"])
    table.setFocus()
    QTest.keyClick(table, Qt.Key.Key_Delete)
    settle(window)
    assert records(project.root, project.first)[project.ids["polyline"]].state is \
        ReviewState.REJECTED
