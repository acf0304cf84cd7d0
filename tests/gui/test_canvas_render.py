"""The canvas draws what it is given, where it belongs, and only what is visible."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from PySide6.QtGui import QImage

from avala_desktop.canvas.shapes2d import CanvasItem
from tests.gui.test_canvas_support import (
    BLUE,
    box,
    make_canvas,
    mask_item,
    on_line,
    poly,
    reddish,
    render,
)


def bluish(image: QImage, x: int, y: int) -> bool:
    c = image.pixelColor(x, y)
    return c.blue() - max(c.red(), c.green()) > 50


def greenish(image: QImage, x: int, y: int) -> bool:
    c = image.pixelColor(x, y)
    return c.green() - max(c.red(), c.blue()) > 25


def test_box_outline_is_drawn_in_its_colour_where_it_belongs(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    canvas.set_items([box("a", 100, 50, 120, 80)])
    image = render(canvas)
    assert all(on_line(image, x, 50) for x in range(105, 215))  # top edge
    assert all(on_line(image, x, 130) for x in range(105, 215))  # bottom edge
    assert not reddish(image, 160, 90)  # inside: outline only
    assert not reddish(image, 300, 200)  # elsewhere: the image


def test_pending_suggestions_are_dashed_and_accepted_ones_solid(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    canvas.set_items([box("acc", 40, 40, 150, 60, state="accepted"),
                      box("pend", 40, 160, 150, 60, state="pending")])
    image = render(canvas)
    solid = sum(on_line(image, x, 40) for x in range(50, 180))
    dashed = sum(on_line(image, x, 160) for x in range(50, 180))
    assert solid == 130
    assert 30 < dashed < 110  # gaps, but clearly a line


def test_edited_state_is_drawn_solid_like_accepted(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    canvas.set_items([box("e", 40, 40, 150, 60, state="edited")])
    image = render(canvas)
    assert sum(on_line(image, x, 40) for x in range(50, 180)) == 130


def test_polygon_and_polyline_are_drawn(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    canvas.set_items([
        poly("tri", [[50, 50], [250, 50], [150, 150]]),
        poly("line", [[20, 250], [380, 250]], closed=False),
    ])
    image = render(canvas)
    assert on_line(image, 150, 50, bluish)
    assert on_line(image, 300, 250, bluish)
    assert not bluish(image, 150, 90)  # polygon interior is not filled when unselected


def test_mask_is_a_translucent_overlay_of_its_pixels(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    full = np.zeros((300, 400), dtype=bool)
    full[100:150, 200:260] = True
    canvas.set_items([mask_item("m", full)])
    image = render(canvas)
    inside = image.pixelColor(230, 120)
    outside = image.pixelColor(100, 120)
    assert greenish(image, 230, 120)
    assert not greenish(image, 100, 120)
    assert inside.red() > 40  # translucent: the grey image still shows through
    assert (outside.red(), outside.green(), outside.blue()) == (128, 128, 128)


def test_classification_is_a_badge_in_the_corner_and_clickable(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    canvas.set_show_captions(True)
    cls = CanvasItem.of("c", "classification", "night", {}, color="#ff0000", confidence=0.93,
                        state="accepted")
    canvas.set_items([cls])
    image = render(canvas)
    assert any(reddish(image, x, y) for x in range(4, 40) for y in range(4, 30))
    assert canvas.badge_at(10.0, 12.0) == "c"
    assert canvas.badge_at(300.0, 200.0) is None


def test_captions_show_on_large_shapes_and_are_left_off_tiny_ones(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    canvas.set_show_captions(True)
    canvas.set_items([box("big", 100, 100, 120, 80), box("small", 10, 200, 8, 8)])
    render(canvas)
    assert canvas.paint_stats.captions == 1
    canvas.set_zoom(4.0)
    canvas.center_on("small")
    render(canvas)
    assert canvas.paint_stats.captions >= 1


def test_caption_sprite_carries_label_and_confidence(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    canvas.set_show_captions(True)
    item = box("a", 100, 100, 120, 80, confidence=0.87)
    assert item.caption == "car 0.87"
    canvas.set_items([item])
    image = render(canvas)
    # The caption sits just above the box's top-left corner, text in the label colour.
    assert any(reddish(image, x, y) for x in range(101, 140) for y in range(86, 99))


def test_off_screen_items_are_culled(qtbot: Any) -> None:
    canvas = make_canvas(qtbot, 400, 300, image_size=(4000, 3000))
    items = [box(f"b{i}", (i % 40) * 100 + 10, (i // 40) * 100 + 10, 50, 50) for i in range(1200)]
    canvas.set_items(items)
    render(canvas)
    assert canvas.paint_stats.visible == 1200
    assert canvas.paint_stats.shapes == 1200
    canvas.set_zoom(1.0)  # 400x300 image pixels of a 4000x3000 image: a few boxes
    render(canvas)
    assert 0 < canvas.paint_stats.shapes <= 30
    assert canvas.paint_stats.visible == canvas.paint_stats.shapes


def test_tiny_shapes_are_drawn_as_rects(qtbot: Any) -> None:
    canvas = make_canvas(qtbot, 400, 300, image_size=(8000, 6000))
    tri = poly("t", [[4000, 3000], [4040, 3000], [4020, 3030]])
    canvas.set_items([tri])
    render(canvas)  # 40 image px at 1/20 scale: 2 screen px
    assert (canvas.paint_stats.shapes, canvas.paint_stats.tiny) == (0, 1)
    canvas.set_zoom(1.0)
    canvas.center_on("t")
    render(canvas)
    assert (canvas.paint_stats.shapes, canvas.paint_stats.tiny) == (1, 0)


def test_confidence_threshold_hides_only_pending_suggestions_below_it(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    canvas.set_items([
        box("low", 20, 20, 60, 60, state="pending", confidence=0.3),
        box("high", 120, 20, 60, 60, state="pending", confidence=0.8),
        box("low-accepted", 220, 20, 60, 60, state="accepted", confidence=0.3),
    ])
    canvas.set_confidence_threshold(0.5)
    image = render(canvas)
    assert canvas.paint_stats.visible == 2
    assert not any(on_line(image, x, 20) for x in range(30, 70))
    assert any(on_line(image, x, 20) for x in range(130, 170))
    canvas.set_confidence_threshold(0.0)
    render(canvas)
    assert canvas.paint_stats.visible == 3


def test_hidden_labels_and_rejected_items_are_not_drawn(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    canvas.set_items([
        box("car", 20, 20, 60, 60, label="car"),
        box("bus", 120, 20, 60, 60, label="bus"),
        box("gone", 220, 20, 60, 60, state="rejected"),
    ])
    canvas.set_hidden_labels({"bus"})
    render(canvas)
    assert canvas.paint_stats.visible == 1


def test_selected_shape_is_filled_and_has_handles(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    canvas.set_items([poly("tri", [[50, 50], [250, 50], [150, 150]], color=BLUE)])
    before = render(canvas).pixelColor(150, 90)
    canvas.set_selection(["tri"])
    after = render(canvas)
    assert after.pixelColor(150, 90) != before  # translucent fill
    assert after.pixelColor(50, 50).lightness() > 200  # white vertex handle


def test_unselected_layer_is_cached_between_frames(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    canvas.set_items([box("a", 10, 10, 50, 50), box("b", 100, 100, 50, 50)])
    render(canvas)
    builds = canvas.layer_builds
    canvas.set_hover("a")
    render(canvas)
    assert canvas.layer_builds == builds  # hover is drawn on top of the cached layer
    canvas.set_selection(["a"])
    render(canvas)
    assert canvas.layer_builds == builds + 1  # the selected shape leaves the layer
    canvas.preview_item(box("a", 20, 20, 50, 50))
    render(canvas)
    assert canvas.layer_builds == builds + 1  # editing it does not touch the layer
    canvas.update_item(box("b", 110, 100, 50, 50))
    render(canvas)
    assert canvas.layer_builds == builds + 2


def pixels(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    data = np.frombuffer(image.constBits(), dtype=np.uint32, count=image.width() * image.height())
    return data.reshape(image.height(), image.width()).copy()


@pytest.mark.parametrize("image_size", [(400, 300), (1000, 750)])
def test_a_pan_scrolls_the_layer_and_matches_a_full_redraw(qtbot: Any,
                                                           image_size: tuple[int, int]) -> None:
    canvas = make_canvas(qtbot, 400, 300, image_size=image_size)
    rng = np.random.default_rng(3)
    # Solid outlines anywhere; dashed ones only inside the view, because Qt restarts a dash
    # pattern where a line leaves the device, so a dashed shape cut by the widget's edge gets
    # a different dash phase at each pan position (until the settle redraw).
    corners = rng.uniform(0, 600, size=(60, 2)).tolist()
    canvas.set_items([box(f"b{i}", x, y, 60, 40) for i, (x, y) in enumerate(corners)]
                     + [box("pending", 150, 100, 70, 50, state="pending"),
                        poly("tri", [[50, 50], [250, 60], [150, 190]])])
    canvas.pan_by(1, 0)  # the first step of a pan redraws (the view becomes interactive) ...
    render(canvas)
    builds, scrolls = canvas.layer_builds, canvas.layer_scrolls
    canvas.pan_by(13, -7)  # ... the following ones scroll
    scrolled = pixels(render(canvas))
    assert (canvas.layer_builds, canvas.layer_scrolls) == (builds, scrolls + 1)
    canvas.invalidate_cache()
    full = pixels(render(canvas))
    assert canvas.layer_builds == builds + 1
    assert np.array_equal(scrolled, full)


def test_mask_pixels_line_up_with_image_pixels_when_zoomed_in(qtbot: Any) -> None:
    canvas = make_canvas(qtbot, 400, 300, image_size=(100, 75))  # fit: scale 4
    full = np.zeros((75, 100), dtype=bool)
    full[10, 10] = True
    canvas.set_items([mask_item("m", full)])
    image = render(canvas)
    assert canvas.zoom() == 4.0
    inside = [greenish(image, x, y) for x in range(40, 44) for y in range(40, 44)]
    around = [greenish(image, x, y) for x, y in [(39, 41), (44, 41), (41, 39), (41, 44)]]
    assert all(inside) and not any(around)
