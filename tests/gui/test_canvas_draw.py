"""Drawing new shapes and painting masks: the signals carry canonical geometry."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt

from avala_desktop.canvas.view2d import Tool
from avala_desktop.core.masks import rle
from tests.gui.test_canvas_support import (
    Recorder,
    click,
    drag,
    key,
    make_canvas,
    mask_item,
    mouse,
    render,
)

SHIFT = Qt.KeyboardModifier.ShiftModifier


def disc(shape: tuple[int, int], cx: float, cy: float, r: float) -> np.ndarray:
    """Pixels whose centre is within r of (cx, cy)."""
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]]
    return (xx + 0.5 - cx) ** 2 + (yy + 0.5 - cy) ** 2 <= r * r


def test_box_tool_emits_a_new_box(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    created = Recorder(canvas.shapeCreated)
    tools = Recorder(canvas.toolChanged)
    canvas.set_tool(Tool.BOX)
    assert tools.calls == [("bounding_box",)]
    drag(canvas, (200, 150), (120, 100))  # drawn up-left: still a proper box
    assert created.calls == [("bounding_box",
                              {"coordinates": {"x": 120, "y": 100, "width": 80, "height": 50}})]
    click(canvas, 50, 50)  # a click is not a box
    assert len(created.calls) == 1
    assert canvas.items() == []  # the canvas waits for the main window to add it


def test_box_is_clipped_to_the_image(qtbot: Any) -> None:
    canvas = make_canvas(qtbot, 400, 300, image_size=(200, 150))  # scale 2
    created = Recorder(canvas.shapeCreated)
    canvas.set_tool("bounding_box")
    drag(canvas, (100, 100), (450, 350))  # past the image's bottom-right corner
    assert created.calls[0][1]["coordinates"] == {"x": 50, "y": 50, "width": 150, "height": 100}


def test_polygon_tool_clicks_vertices_and_double_click_finishes(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    created = Recorder(canvas.shapeCreated)
    canvas.set_tool(Tool.POLYGON)
    for x, y in [(50, 50), (150, 50), (150, 150)]:
        click(canvas, x, y)
    mouse(canvas, "move", 60, 140, held=False)
    click(canvas, 50, 150)
    mouse(canvas, "double", 50, 150)
    assert created.calls == [("polygon", {"points": [[50, 50], [150, 50], [150, 150], [50, 150]]})]


def test_polygon_closes_by_clicking_its_first_vertex(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    created = Recorder(canvas.shapeCreated)
    canvas.set_tool(Tool.POLYGON)
    for x, y in [(50, 50), (150, 50), (100, 120), (52, 51)]:
        click(canvas, x, y)
    assert created.calls == [("polygon", {"points": [[50, 50], [150, 50], [100, 120]]})]


def test_polyline_tool_enter_finishes_and_backspace_undoes_a_vertex(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    created = Recorder(canvas.shapeCreated)
    canvas.set_tool(Tool.POLYLINE)
    for x, y in [(20, 20), (100, 40), (180, 20)]:
        click(canvas, x, y)
    assert key(canvas, Qt.Key.Key_Backspace)
    assert key(canvas, Qt.Key.Key_Return)
    assert created.calls == [("polyline", {"points": [[20, 20], [100, 40]]})]


def test_escape_abandons_a_shape_and_too_few_points_make_nothing(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    created = Recorder(canvas.shapeCreated)
    canvas.set_tool(Tool.POLYGON)
    click(canvas, 20, 20)
    click(canvas, 100, 40)
    assert key(canvas, Qt.Key.Key_Escape)
    click(canvas, 20, 20)
    click(canvas, 100, 40)
    key(canvas, Qt.Key.Key_Return)  # two points are not a polygon
    assert created.calls == []


def test_switching_tools_abandons_the_shape_in_progress(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    created = Recorder(canvas.shapeCreated)
    canvas.set_tool(Tool.POLYLINE)
    click(canvas, 20, 20)
    canvas.set_tool(Tool.SELECT)
    canvas.set_tool(Tool.POLYLINE)
    click(canvas, 30, 30)
    key(canvas, Qt.Key.Key_Return)
    assert created.calls == []


def test_brush_paints_into_the_selected_mask_by_the_expected_area(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    edits = Recorder(canvas.geometryEdited)
    full = np.zeros((300, 400), dtype=bool)
    full[100:150, 100:150] = True
    item = mask_item("m", full)
    canvas.set_items([item])
    canvas.set_selection(["m"])
    canvas.set_tool(Tool.MASK)
    canvas.set_brush_radius(6)
    click(canvas, 300, 200)  # a single dab well outside the mask
    item_id, old, new, _ = edits.calls[-1]
    assert item_id == "m" and old == dict(item.geometry)
    added = int(disc((300, 400), 300, 200, 6).sum())
    assert rle.area(new["rle"]) == 2500 + added
    assert np.array_equal(rle.decode(new["rle"]).astype(bool), full | disc((300, 400), 300, 200, 6))


def test_shift_brush_erases_and_a_stroke_covers_its_path(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    edits = Recorder(canvas.geometryEdited)
    full = np.zeros((300, 400), dtype=bool)
    full[100:200, 50:350] = True
    canvas.set_items([mask_item("m", full)])
    canvas.set_selection(["m"])
    canvas.set_tool(Tool.MASK)
    canvas.set_brush_radius(5)
    drag(canvas, (100, 150), (300, 150), steps=8, modifiers=SHIFT)
    assert len(edits.calls) == 1  # one stroke, one signal
    after = rle.decode(edits.calls[0][2]["rle"]).astype(bool)
    yy, xx = np.mgrid[0:300, 0:400]
    cx = np.clip(xx + 0.5, 100, 300)
    capsule = (xx + 0.5 - cx) ** 2 + (yy + 0.5 - 150) ** 2 <= 25
    assert np.array_equal(after, full & ~capsule)
    assert rle.area(edits.calls[0][2]["rle"]) == 30000 - int((full & capsule).sum())


def test_brush_without_a_selected_mask_creates_one(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    created = Recorder(canvas.shapeCreated)
    canvas.set_tool(Tool.MASK)
    canvas.set_brush_radius(4)
    click(canvas, 50, 60)
    kind, geometry = created.calls[0]
    assert kind == "segmentation_mask"
    assert geometry["rle"]["size"] == [300, 400]
    assert isinstance(geometry["rle"]["counts"], str)
    assert rle.area(geometry["rle"]) == int(disc((300, 400), 50, 60, 4).sum())


def test_bracket_keys_resize_the_brush(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    sizes = Recorder(canvas.brushSizeChanged)
    canvas.set_tool(Tool.MASK)
    canvas.set_brush_radius(8)
    assert key(canvas, Qt.Key.Key_BracketRight)
    assert canvas.brush_radius() == 10
    assert key(canvas, Qt.Key.Key_BracketLeft)
    assert key(canvas, Qt.Key.Key_BracketLeft)
    assert canvas.brush_radius() == 6
    assert [c[0] for c in sizes.calls] == [8, 10, 8, 6]
    canvas.set_brush_radius(0)
    assert canvas.brush_radius() == pytest.approx(1.0)


def test_painting_shows_live_before_release(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    canvas.set_tool(Tool.MASK)
    canvas.set_new_shape_color("#00ff00")
    canvas.set_brush_radius(10)
    mouse(canvas, "press", 200, 150)
    frame = render(canvas)
    c = frame.pixelColor(200, 150)
    assert c.green() > c.red() + 25
    mouse(canvas, "release", 200, 150)
