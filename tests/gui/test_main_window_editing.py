"""Drawing, relabelling, classifying, filtering by label and undo across assets, driven
through the main window; changes written by another thread appear by themselves."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest

from avala_desktop.core.store import Origin, ProjectStore, ReviewState
from avala_desktop.views.main_window import MainWindow
from avala_desktop.views.suggestions_model import LABEL_COL
from tests.gui.test_main_window_support import (
    box,
    click_image,
    drag_image,
    make_project,
    open_window,
    press,
    records,
    settle,
    wait_for_image,
)

CTRL = Qt.KeyboardModifier.ControlModifier


def pick(window: MainWindow, label: str) -> None:
    """Chooses ``label`` in the open label picker, as a click on its entry would."""
    assert window.controller is not None
    picker = window.controller.picker
    assert picker is not None and picker.isVisible()
    action = next(a for a in picker.actions() if isinstance(a, QAction) and a.data() == label)
    QTest.mouseClick(picker, Qt.MouseButton.LeftButton, pos=picker.actionGeometry(action).center())
    assert not picker.isVisible()
    settle(window)


def test_drawing_a_box_creates_a_human_annotation_with_the_current_label(
        qtbot: Any, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    window = open_window(qtbot, project.root)
    window.labels_panel.set_current_label("pedestrian")
    press(window, Qt.Key.Key_B)
    assert window.action_set.tool_box.isChecked()
    drag_image(window, (160, 220), (200, 280))
    settle(window)
    created = [r for r in records(project.root, project.first).values()
               if r.origin is Origin.HUMAN]
    assert len(created) == 1
    record = created[0]
    assert (record.type, record.label, record.state) == ("bounding_box", "pedestrian",
                                                          ReviewState.ACCEPTED)
    c = record.geometry["coordinates"]
    assert abs(c["x"] - 160) < 1 and abs(c["width"] - 40) < 1
    assert window.canvas.selection() == [record.id]

    press(window, Qt.Key.Key_Z, CTRL)
    assert record.id not in records(project.root, project.first)
    assert window.canvas.item(record.id) is None
    press(window, Qt.Key.Key_Y, CTRL)
    again = records(project.root, project.first)[record.id]  # the same id comes back
    assert again.geometry == record.geometry


def test_painting_a_new_mask_with_the_brush(qtbot: Any, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    window = open_window(qtbot, project.root)
    window.labels_panel.set_current_label("road")
    press(window, Qt.Key.Key_Escape)  # nothing selected: the brush paints a new mask
    click_image(window, 395, 295)  # empty corner: clears the selection
    press(window, Qt.Key.Key_M)
    drag_image(window, (300, 250), (360, 250))
    settle(window)
    masks = [r for r in records(project.root, project.first).values()
             if r.origin is Origin.HUMAN and r.type == "segmentation_mask"]
    assert len(masks) == 1 and masks[0].label == "road"


def test_l_opens_a_label_picker_and_relabels_the_selection(qtbot: Any, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    window = open_window(qtbot, project.root)
    click_image(window, 90, 80)
    press(window, Qt.Key.Key_L)
    pick(window, "pedestrian")
    record = records(project.root, project.first)[project.ids["box"]]
    assert (record.label, record.state) == ("pedestrian", ReviewState.EDITED)
    item = window.canvas.item(project.ids["box"])
    assert item is not None and item.label == "pedestrian"
    assert item.color == next(lb.color for lb in window.controller.labels  # type: ignore[union-attr]
                              if lb.name == "pedestrian")
    press(window, Qt.Key.Key_Z, CTRL)
    assert records(project.root, project.first)[project.ids["box"]].label == "car"


def test_the_label_cell_of_the_table_relabels(qtbot: Any, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    window = open_window(qtbot, project.root)
    model = window.suggestions_model
    row = model.row_of(project.ids["classification"])
    assert row is not None
    model.setData(model.index(row, LABEL_COL), "night")  # what the label drop-down commits
    settle(window)
    record = records(project.root, project.first)[project.ids["classification"]]
    assert (record.label, record.state) == ("night", ReviewState.EDITED)
    assert model.record_at(row) is not None and model.record_at(row).label == "night"  # type: ignore[union-attr]


def test_c_adds_a_classification_of_the_asset(qtbot: Any, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    window = open_window(qtbot, project.root)
    press(window, Qt.Key.Key_C)
    pick(window, "night")
    added = [r for r in records(project.root, project.first).values()
             if r.type == "classification" and r.origin is Origin.HUMAN]
    assert [(r.label, r.state) for r in added] == [("night", ReviewState.ACCEPTED)]
    assert window.canvas.selection() == [added[0].id]
    press(window, Qt.Key.Key_C)  # the same class twice is refused with a note
    pick(window, "night")
    assert sum(r.type == "classification" and r.label == "night"
               for r in records(project.root, project.first).values()) == 1
    assert "already classified" in window.area.banner.text.text()


def test_unticking_a_label_hides_its_annotations(qtbot: Any, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    window = open_window(qtbot, project.root)
    window.labels_panel.set_label_visible("car", False)
    assert not window.canvas.scene.is_shown(project.ids["box"])
    assert window.suggestions_model.row_of(project.ids["box"]) is None
    assert window.canvas.scene.is_shown(project.ids["polygon"])
    window.labels_panel.set_label_visible("car", True)
    assert window.canvas.scene.is_shown(project.ids["box"])


def test_a_new_label_goes_to_the_store(qtbot: Any, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    window = open_window(qtbot, project.root)
    window.labels_panel.new_label.setText("truck")
    window.labels_panel.add_button.click()
    settle(window)
    with ProjectStore.open(project.root) as store:
        assert store.label_names()[-1] == "truck"
    assert window.labels_panel.current_label() == "truck"


def test_undo_goes_back_to_the_asset_it_changed(qtbot: Any, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    window = open_window(qtbot, project.root)
    click_image(window, 90, 80)
    press(window, Qt.Key.Key_A)
    press(window, Qt.Key.Key_N)
    assert window.controller is not None and window.controller.asset is not None
    assert window.controller.asset.id == project.second
    press(window, Qt.Key.Key_Z, CTRL)
    assert window.controller.asset.id == project.first
    wait_for_image(qtbot, window)
    assert records(project.root, project.first)[project.ids["box"]].state is \
        ReviewState.PENDING
    assert window.canvas.selection() == [project.ids["box"]]


def test_writes_from_another_thread_appear_without_a_reload(qtbot: Any, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    window = open_window(qtbot, project.root)
    store = window.store
    assert store is not None
    added: list[str] = []

    def run() -> None:  # what an auto-label run does, on its worker thread
        record = store.insert_annotation(project.first, "bounding_box", "car", box(5, 5, 20, 20),
                                         confidence=0.7, origin="model", provider_id="other")
        added.append(record.id)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: bool(added) and window.canvas.item(added[0]) is not None)
    assert window.suggestions_model.row_of(added[0]) is not None
    assert "7 pending" in window.status.counts_label.text()


def test_a_suggestion_replaced_meanwhile_gives_a_message_not_a_crash(
        qtbot: Any, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    window = open_window(qtbot, project.root)
    click_image(window, 90, 80)
    with ProjectStore.open(project.root) as other:  # a new run replaced it in another process
        other.delete_annotation(project.ids["box"])
    press(window, Qt.Key.Key_A)
    banner = window.area.banner
    assert banner.isVisible() and banner.level == "error"
    assert "no longer in the project" in banner.text.text()
    assert window.undo_stack is not None and window.undo_stack.count() == 0
    assert window.canvas.item(project.ids["box"]) is None  # the view re-read the store
