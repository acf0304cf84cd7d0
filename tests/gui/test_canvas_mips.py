"""The zoom-out levels of the image are made off the UI thread: by the image loader with the
image, or by a worker for an image set without them; a paint never makes them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QImage

from avala_desktop.canvas.image_layer import mip_levels
from avala_desktop.core.store import Asset, AssetStatus
from avala_desktop.views.image_loader import ImageLoader
from tests.gui.test_canvas_support import make_canvas, render
from tests.gui.test_main_window_support import make_project, open_window


def test_mip_levels_halve_down_to_a_couple_of_pixels() -> None:
    image = QImage(1000, 600, QImage.Format.Format_RGB32)
    image.fill(QColor(200, 40, 40))
    levels = mip_levels(image)
    assert levels[0] is image
    assert [(lv.width(), lv.height()) for lv in levels[:4]] == \
        [(1000, 600), (500, 300), (250, 150), (125, 75)]
    assert min(levels[-1].width(), levels[-1].height()) == 1
    assert levels[3].pixelColor(60, 30) == QColor(200, 40, 40)  # smooth, same colour


def test_an_image_set_without_levels_gets_them_from_a_worker(qtbot: Any) -> None:
    canvas = make_canvas(qtbot, 400, 300, image_size=(1600, 1200))
    layer = canvas.image_layer
    assert layer.level_count() == 1  # not made on the UI thread by set_image
    canvas.zoom_by(0.9, QPointF(200, 150))  # zooming: frames come from a mip level
    render(canvas)
    assert layer.level_count() == 1  # nor by the paint: it drew from the image itself
    assert canvas._mips.requests >= 1
    qtbot.waitUntil(lambda: layer.level_count() > 1, timeout=5000)
    assert (layer._level(2).width(), layer._level(2).height()) == (400, 300)
    render(canvas)


def test_levels_of_a_replaced_image_are_dropped(qtbot: Any) -> None:
    canvas = make_canvas(qtbot, 400, 300, image_size=(1600, 1200))
    first = canvas.image_layer.image
    second = QImage(800, 600, QImage.Format.Format_RGB32)
    second.fill(QColor(10, 10, 10))
    canvas.set_image(second)
    assert not canvas.image_layer.set_levels(first.cacheKey(), mip_levels(first))
    qtbot.waitUntil(lambda: canvas.image_layer.level_count() > 1, timeout=5000)
    assert canvas.image_layer._level(1).width() == 400  # the second image's levels


def test_the_loader_makes_the_levels_with_the_image(qtbot: Any, tmp_path: Path) -> None:
    cv2.imwrite(str(tmp_path / "big.png"), np.full((600, 1000, 3), 90, np.uint8))
    asset = Asset(id="ast_big", path="big.png", type="image", width=1000, height=600,
                  video_source=None, frame_index=None, status=AssetStatus.UNLABELED)
    loader = ImageLoader()
    got: list[tuple[QImage, list[QImage]]] = []
    loader.loaded.connect(lambda _req, _id, image, levels: got.append((image, levels)))
    loader.request(tmp_path / "big.png", asset)
    qtbot.waitUntil(lambda: bool(got), timeout=10_000)
    image, levels = got[0]
    assert levels[0].cacheKey() == image.cacheKey()
    assert (levels[1].width(), levels[1].height()) == (500, 300)
    loader.shutdown()


def test_the_window_hands_the_loaders_levels_to_the_canvas(qtbot: Any, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    window = open_window(qtbot, project.root)  # waits for the image
    layer = window.canvas.image_layer
    assert layer.level_count() > 1
    assert window.canvas._mips.requests == 0  # nothing left to make on the canvas's side
