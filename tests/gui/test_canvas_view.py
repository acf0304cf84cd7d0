"""Zoom to the cursor, pan, fit, status signals and the image layer's smooth/fast modes."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QImage, QWheelEvent
from PySide6.QtWidgets import QApplication

from avala_desktop.canvas.image_layer import ImageLoadError
from tests.gui.test_canvas_support import Recorder, box, drag, key, make_canvas, mouse, render


def wheel(canvas: Any, x: float, y: float, notches: float) -> None:
    pos = QPointF(x, y)
    event = QWheelEvent(pos, canvas.mapToGlobal(pos), QPoint(0, 0),
                        QPoint(0, round(120 * notches)), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(canvas, event)


def test_fit_shows_the_whole_image_centred(qtbot: Any) -> None:
    canvas = make_canvas(qtbot, 800, 600, image_size=(3840, 2160))
    assert canvas.zoom() == pytest.approx(800 / 3840)
    x0, y0 = canvas.view.to_screen(0, 0)
    x1, y1 = canvas.view.to_screen(3840, 2160)
    assert (x0, x1) == pytest.approx((0.0, 800.0))
    assert y0 == pytest.approx(600 - y1)  # equal bars above and below


def test_wheel_zooms_keeping_the_point_under_the_cursor(qtbot: Any) -> None:
    canvas = make_canvas(qtbot, 800, 600, image_size=(3840, 2160))
    zooms = Recorder(canvas.zoomChanged)
    cursor = (613.0, 217.0)
    before = canvas.map_to_image(QPointF(*cursor))
    wheel(canvas, *cursor, 2)
    after = canvas.map_to_image(QPointF(*cursor))
    assert canvas.zoom() == pytest.approx(800 / 3840 * 1.25**2)
    assert (after.x(), after.y()) == pytest.approx((before.x(), before.y()))
    assert zooms.calls[-1][0] == pytest.approx(canvas.zoom())
    wheel(canvas, 100.0, 500.0, -1)
    assert canvas.zoom() == pytest.approx(800 / 3840 * 1.25)


def test_middle_and_right_drag_pan_the_view(qtbot: Any) -> None:
    canvas = make_canvas(qtbot, 400, 300)
    start = canvas.map_to_image(QPointF(100, 100))
    drag(canvas, (100, 100), (160, 130), button=Qt.MouseButton.MiddleButton)
    moved = canvas.map_to_image(QPointF(160, 130))
    assert (moved.x(), moved.y()) == pytest.approx((start.x(), start.y()))
    drag(canvas, (160, 130), (150, 130), button=Qt.MouseButton.RightButton)
    assert canvas.view.ox == pytest.approx(50.0)


def test_space_and_left_drag_pans_without_selecting(qtbot: Any) -> None:
    canvas = make_canvas(qtbot, 400, 300)
    selections = Recorder(canvas.selectionChanged)
    key(canvas, Qt.Key.Key_Space)
    drag(canvas, (100, 100), (120, 100))
    assert canvas.view.ox == pytest.approx(20.0)
    assert selections.calls == []


def test_f_key_and_double_click_on_empty_space_fit_again(qtbot: Any) -> None:
    canvas = make_canvas(qtbot, 400, 300, image_size=(800, 600))
    canvas.set_zoom(3.0)
    assert key(canvas, Qt.Key.Key_F)
    assert canvas.zoom() == pytest.approx(0.5)
    canvas.set_zoom(2.0)
    mouse(canvas, "press", 10, 10)
    mouse(canvas, "release", 10, 10)
    mouse(canvas, "double", 10, 10)
    assert canvas.zoom() == pytest.approx(0.5)


def test_fit_follows_resizes_until_the_user_zooms(qtbot: Any) -> None:
    canvas = make_canvas(qtbot, 400, 300, image_size=(800, 600))
    canvas.show()  # a hidden widget gets its resize events only when shown
    qtbot.waitExposed(canvas)
    canvas.resize(800, 600)
    qtbot.waitUntil(lambda: canvas.zoom() == pytest.approx(1.0), timeout=2000)
    canvas.set_zoom(2.0)
    canvas.resize(400, 300)
    qtbot.wait(20)
    assert canvas.zoom() == pytest.approx(2.0)


def test_cursor_moved_reports_image_coordinates(qtbot: Any) -> None:
    canvas = make_canvas(qtbot, 400, 300, image_size=(800, 600))
    moves = Recorder(canvas.cursorMoved)
    mouse(canvas, "move", 100, 50, held=False)
    assert moves.calls[-1] == pytest.approx((200.0, 100.0))


def test_unused_keys_are_left_to_the_parent(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    assert not key(canvas, Qt.Key.Key_A)
    assert not key(canvas, Qt.Key.Key_Delete)  # no vertex chosen: the main window deletes
    assert not key(canvas, Qt.Key.Key_Tab)


def test_image_is_drawn_fast_while_zooming_and_smooth_once_settled(qtbot: Any) -> None:
    canvas = make_canvas(qtbot, 400, 300, image_size=(1600, 1200))
    render(canvas)
    builds = canvas.image_layer.smooth_builds
    canvas.zoom_by(1.1, QPointF(200, 150))
    render(canvas)
    assert canvas.image_layer.smooth_builds == builds  # interactive: mip level, no resample
    qtbot.waitUntil(lambda: not canvas._interactive, timeout=2000)
    render(canvas)
    assert canvas.image_layer.smooth_builds == builds + 1


def test_image_pixels_land_where_the_view_says(qtbot: Any) -> None:
    canvas = make_canvas(qtbot, 400, 300, image_size=(400, 300))
    image = QImage(400, 300, QImage.Format.Format_RGB32)
    image.fill(QColor(0, 0, 0))
    for y in range(40, 60):
        for x in range(50, 70):
            image.setPixelColor(x, y, QColor(255, 255, 255))
    canvas.set_image(image)
    canvas.set_zoom(2.0, QPointF(0, 0))
    frame = render(canvas)
    assert frame.pixelColor(120, 100).lightness() > 200  # image (60, 50) at scale 2
    assert frame.pixelColor(138, 118).lightness() > 200  # image (69, 59): last white pixel
    assert frame.pixelColor(141, 100).lightness() < 50  # image (70.5, 50)
    assert frame.pixelColor(98, 100).lightness() < 50  # image (49, 50)


def test_unreadable_image_file_raises_a_clear_error(qtbot: Any, tmp_path: Any) -> None:
    canvas = make_canvas(qtbot)
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"not a png")
    with pytest.raises(ImageLoadError, match=r"broken\.png"):
        canvas.set_image(bad)


def test_image_from_path(qtbot: Any, tmp_path: Any) -> None:
    canvas = make_canvas(qtbot, 400, 300)
    image = QImage(200, 150, QImage.Format.Format_RGB32)
    image.fill(QColor(10, 200, 30))
    path = tmp_path / "frame.png"
    assert image.save(str(path))
    canvas.set_image(path)
    assert canvas.image_size() == (200, 150)
    assert canvas.zoom() == pytest.approx(2.0)


def test_center_on_brings_an_item_into_the_middle(qtbot: Any) -> None:
    canvas = make_canvas(qtbot, 400, 300, image_size=(4000, 3000))
    canvas.set_items([box("far", 3500, 2500, 100, 100)])
    canvas.set_zoom(1.0)
    canvas.center_on("far")
    cx, cy = canvas.view.to_screen(3550, 2550)
    assert (cx, cy) == pytest.approx((200.0, 150.0))
