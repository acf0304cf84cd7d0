"""Selecting and editing with the mouse and keys: what the canvas emits and previews."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit, QVBoxLayout, QWidget

from avala_desktop.core.masks import rle
from tests.gui.test_canvas_support import (
    Recorder,
    box,
    click,
    drag,
    key,
    make_canvas,
    mask_item,
    mouse,
    poly,
)

SHIFT = Qt.KeyboardModifier.ShiftModifier
ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier


def coords(geometry: dict[str, Any]) -> tuple[float, float, float, float]:
    c = geometry["coordinates"]
    return (c["x"], c["y"], c["width"], c["height"])


def test_click_selects_the_smallest_shape_under_the_cursor(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    selections = Recorder(canvas.selectionChanged)
    canvas.set_items([box("small", 100, 100, 40, 40), box("big", 50, 50, 250, 200)])
    click(canvas, 120, 120)
    assert selections.calls[-1] == (["small"],)
    click(canvas, 70, 70)
    assert selections.calls[-1] == (["big"],)
    click(canvas, 380, 280)  # empty
    assert selections.calls[-1] == ([],)
    assert canvas.selection() == []


def test_among_equal_shapes_the_topmost_wins(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    canvas.set_items([box("under", 100, 100, 50, 50), box("over", 100, 100, 50, 50)])
    click(canvas, 120, 120)
    assert canvas.selection() == ["over"]


def test_polyline_is_picked_near_its_line_only(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    canvas.set_items([poly("lane", [[20, 100], [380, 100]], closed=False)])
    click(canvas, 200, 140)
    assert canvas.selection() == []
    click(canvas, 200, 103)
    assert canvas.selection() == ["lane"]


def test_ctrl_click_toggles_membership(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    canvas.set_items([box("a", 10, 10, 50, 50), box("b", 100, 10, 50, 50)])
    click(canvas, 30, 30)
    click(canvas, 120, 30, modifiers=CTRL)
    assert canvas.selection() == ["a", "b"]
    click(canvas, 30, 30, modifiers=CTRL)
    assert canvas.selection() == ["b"]


def test_set_selection_does_not_echo_a_signal(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    selections = Recorder(canvas.selectionChanged)
    canvas.set_items([box("a", 10, 10, 50, 50)])
    canvas.set_selection(["a", "missing"])
    assert canvas.selection() == ["a"]
    assert selections.calls == []


def test_dragging_a_box_corner_handle_resizes_it(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    edits = Recorder(canvas.geometryEdited)
    canvas.set_items([box("a", 100, 100, 80, 60, state="pending")])
    canvas.set_selection(["a"])
    drag(canvas, (180, 160), (230, 190))  # bottom-right handle
    assert len(edits.calls) == 1  # one signal per drag, on release
    item_id, old, new, merge_id = edits.calls[0]
    assert item_id == "a"
    assert coords(old) == (100, 100, 80, 60)
    assert coords(new) == (100, 100, 130, 90)
    assert merge_id > 0
    item = canvas.item("a")
    assert item is not None and coords(dict(item.geometry)) == (100, 100, 130, 90)
    assert item.state == "edited"  # correcting a suggestion accepts it (optimistic preview)


def test_edge_handle_resizes_one_side_and_dragging_past_flips(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    edits = Recorder(canvas.geometryEdited)
    canvas.set_items([box("a", 100, 100, 80, 60)])
    canvas.set_selection(["a"])
    drag(canvas, (100, 130), (70, 140))  # left edge handle: only x changes
    assert coords(edits.calls[-1][2]) == (70, 100, 110, 60)
    drag(canvas, (70, 130), (200, 130))  # past the right side
    assert coords(edits.calls[-1][2]) == (180, 100, 20, 60)
    assert edits.calls[-1][3] != edits.calls[-2][3]  # separate drags, separate merge ids


def test_resize_stays_inside_the_image(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    edits = Recorder(canvas.geometryEdited)
    canvas.set_items([box("a", 300, 200, 50, 50)])
    canvas.set_selection(["a"])
    drag(canvas, (350, 250), (399, 299))
    mouse(canvas, "press", 399, 299)
    mouse(canvas, "move", 600, 500)  # beyond the widget and the image
    mouse(canvas, "release", 600, 500)
    assert coords(edits.calls[-1][2]) == (300, 200, 100, 100)


def test_dragging_a_shape_moves_it_whole(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    edits = Recorder(canvas.geometryEdited)
    canvas.set_items([poly("tri", [[50, 50], [150, 50], [100, 120]])])
    drag(canvas, (100, 70), (130, 90))  # inside, unselected: selects and moves
    assert canvas.selection() == ["tri"]
    assert edits.calls[-1][2] == {"points": [[80, 70], [180, 70], [130, 140]]}


def test_click_without_moving_emits_nothing(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    edits = Recorder(canvas.geometryEdited)
    canvas.set_items([box("a", 100, 100, 80, 60)])
    click(canvas, 140, 130)
    click(canvas, 180, 160)  # on a handle of the now selected box
    assert edits.calls == []


def test_vertex_drag_moves_one_vertex(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    edits = Recorder(canvas.geometryEdited)
    canvas.set_items([poly("tri", [[50, 50], [150, 50], [100, 120]])])
    canvas.set_selection(["tri"])
    drag(canvas, (150, 50), (170, 40))
    assert edits.calls[-1][1] == {"points": [[50, 50], [150, 50], [100, 120]]}
    assert edits.calls[-1][2] == {"points": [[50, 50], [170, 40], [100, 120]]}


def test_alt_click_on_an_edge_inserts_a_vertex(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    edits = Recorder(canvas.geometryEdited)
    canvas.set_items([poly("tri", [[50, 50], [150, 50], [100, 120]])])
    canvas.set_selection(["tri"])
    click(canvas, 100, 52, modifiers=ALT)
    assert edits.calls[-1][2] == {"points": [[50, 50], [100, 50], [150, 50], [100, 120]]}


def test_alt_drag_inserts_and_places_a_vertex_in_one_step(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    edits = Recorder(canvas.geometryEdited)
    canvas.set_items([poly("line", [[20, 100], [220, 100]], closed=False)])
    canvas.set_selection(["line"])
    drag(canvas, (120, 101), (120, 60), modifiers=ALT)
    assert len(edits.calls) == 1
    assert edits.calls[0][1] == {"points": [[20, 100], [220, 100]]}
    assert edits.calls[0][2] == {"points": [[20, 100], [120, 60], [220, 100]]}


def test_double_click_on_an_edge_inserts_a_vertex(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    edits = Recorder(canvas.geometryEdited)
    canvas.set_items([poly("tri", [[50, 50], [150, 50], [100, 120]])])
    canvas.set_selection(["tri"])
    mouse(canvas, "double", 75, 85)  # on the edge (100,120)-(50,50)
    points = edits.calls[-1][2]["points"]
    assert len(points) == 4 and points[:3] == [[50, 50], [150, 50], [100, 120]]
    assert points[3] == pytest.approx([75.0, 85.0], abs=1.0)


def test_shift_click_deletes_a_vertex_but_keeps_the_minimum(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    edits = Recorder(canvas.geometryEdited)
    canvas.set_items([poly("quad", [[50, 50], [150, 50], [150, 150], [50, 150]])])
    canvas.set_selection(["quad"])
    click(canvas, 150, 150, modifiers=SHIFT)
    assert edits.calls[-1][2] == {"points": [[50, 50], [150, 50], [50, 150]]}
    click(canvas, 150, 50, modifiers=SHIFT)  # a triangle stays a triangle
    assert len(edits.calls) == 1


def test_delete_key_removes_the_chosen_vertex(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    edits = Recorder(canvas.geometryEdited)
    canvas.set_items([poly("line", [[20, 100], [120, 100], [220, 100]], closed=False)])
    canvas.set_selection(["line"])
    click(canvas, 120, 100)  # choose the middle vertex
    assert key(canvas, Qt.Key.Key_Delete)
    assert edits.calls[-1][2] == {"points": [[20, 100], [220, 100]]}
    click(canvas, 20, 100)
    assert key(canvas, Qt.Key.Key_Delete)  # handled, but a polyline keeps two points
    assert len(edits.calls) == 1


def test_delete_key_ignores_a_vertex_of_a_shape_no_longer_selected(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    edits = Recorder(canvas.geometryEdited)
    canvas.set_items([poly("quad", [[50, 50], [150, 50], [150, 150], [50, 150]])])
    canvas.set_selection(["quad"])
    click(canvas, 150, 150)  # choose a vertex
    click(canvas, 350, 250)  # then click away: nothing selected
    assert not key(canvas, Qt.Key.Key_Delete)  # left to the main window
    assert edits.calls == []


class KeyRecordingWindow(QWidget):
    """Stands in for the main window: takes the keys the canvas leaves to it."""

    def __init__(self) -> None:
        super().__init__()
        self.keys: list[int] = []

    def keyPressEvent(self, event: QKeyEvent) -> None:
        self.keys.append(event.key())
        event.accept()

    def focusNextPrevChild(self, forward: bool) -> bool:
        return False


def test_tab_reaches_the_main_window_and_the_canvas_keeps_focus(qtbot: Any) -> None:
    window = KeyRecordingWindow()
    qtbot.addWidget(window)
    layout = QVBoxLayout(window)
    canvas = make_canvas(qtbot, parent=window)
    layout.addWidget(canvas)
    layout.addWidget(QLineEdit())  # somewhere Tab could otherwise move the focus to
    window.show()
    window.activateWindow()
    qtbot.waitActive(window)
    canvas.setFocus()
    qtbot.waitUntil(canvas.hasFocus, timeout=2000)
    key(canvas, Qt.Key.Key_Tab)
    key(canvas, Qt.Key.Key_Backtab, SHIFT)
    key(canvas, Qt.Key.Key_A)
    assert window.keys == [Qt.Key.Key_Tab, Qt.Key.Key_Backtab, Qt.Key.Key_A]
    assert canvas.hasFocus()


def test_escape_abandons_a_drag(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    edits = Recorder(canvas.geometryEdited)
    canvas.set_items([box("a", 100, 100, 80, 60)])
    mouse(canvas, "press", 140, 130)
    mouse(canvas, "move", 200, 200)
    assert key(canvas, Qt.Key.Key_Escape)
    mouse(canvas, "release", 200, 200)
    assert edits.calls == []
    item = canvas.item("a")
    assert item is not None and coords(dict(item.geometry)) == (100, 100, 80, 60)


def test_arrow_nudges_in_a_row_share_a_merge_id(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    edits = Recorder(canvas.geometryEdited)
    canvas.set_items([box("a", 100, 100, 80, 60)])
    canvas.set_selection(["a"])
    key(canvas, Qt.Key.Key_Right)
    key(canvas, Qt.Key.Key_Right, SHIFT)
    key(canvas, Qt.Key.Key_Up)
    assert [coords(c[2])[:2] for c in edits.calls] == [(101, 100), (111, 100), (111, 99)]
    assert len({c[3] for c in edits.calls}) == 1
    drag(canvas, (150, 130), (160, 130))
    assert edits.calls[-1][3] != edits.calls[0][3]


def test_moving_a_mask_shifts_its_pixels(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    edits = Recorder(canvas.geometryEdited)
    full = np.zeros((300, 400), dtype=bool)
    full[100:140, 100:160] = True
    canvas.set_items([mask_item("m", full)])
    drag(canvas, (120, 120), (150, 100))
    moved = rle.decode(edits.calls[-1][2]["rle"]).astype(bool)
    expected = np.zeros_like(full)
    expected[80:120, 130:190] = True
    assert np.array_equal(moved, expected)
