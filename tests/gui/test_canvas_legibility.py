"""What keeps a busy canvas readable: a selected shape's caption is never drawn into another
caption, and a pending mask in a dark colour shows its edge on a dark image."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtGui import QColor, QImage

from avala_desktop.canvas.style2d import CAPTION_BACKGROUND_OPAQUE
from tests.gui.test_canvas_support import BLUE, box, make_canvas, mask_item, render

NAVY = "#000080"


def bluish(image: QImage, x: int, y: int) -> bool:
    c = image.pixelColor(x, y)
    return c.blue() - max(c.red(), c.green()) > 60


def test_a_selected_caption_leaves_out_the_captions_it_would_cover(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    canvas.set_show_captions(True)
    # Two boxes whose captions (above their top-left corners) overlap on screen.
    canvas.set_items([box("a", 100, 100, 120, 80, label="car", confidence=0.79),
                      box("b", 112, 102, 120, 80, label="truck", confidence=0.82,
                          color=BLUE)])
    image = render(canvas)
    assert canvas.paint_stats.captions == 2
    caption_row = [(x, y) for x in range(100, 200) for y in range(84, 100)]
    assert any(bluish(image, x, y) for x, y in caption_row)  # the truck's caption

    canvas.set_selection(["a"])
    image = render(canvas)
    assert canvas.paint_stats.captions == 0  # the truck's caption would be under the car's
    assert not any(bluish(image, x, y) for x, y in caption_row)

    canvas.set_selection(["b"])  # the other way round
    image = render(canvas)
    assert canvas.paint_stats.captions == 0
    assert any(bluish(image, x, y) for x, y in caption_row)


def test_a_selected_caption_has_an_opaque_background(qtbot: Any) -> None:
    canvas = make_canvas(qtbot)
    canvas.set_show_captions(True)
    canvas.set_items([box("a", 100, 100, 120, 80, label="car", confidence=0.5)])
    height = canvas.painter2d.atlas.height
    # The caption's left padding column, above the box: no text there, only background.
    column = [(100, y) for y in range(100 - height + 1, 95)]  # above the corner handle
    image = render(canvas)
    translucent = [image.pixelColor(x, y).lightness() for x, y in column]
    canvas.set_selection(["a"])
    image = render(canvas)
    opaque = [image.pixelColor(x, y).lightness() for x, y in column]
    assert min(translucent) > 40  # the grey image shows through
    assert max(opaque) <= CAPTION_BACKGROUND_OPAQUE.lightness()


def dark_canvas(qtbot: Any, image_size: tuple[int, int]) -> Any:
    canvas = make_canvas(qtbot, 400, 300, image_size=image_size)
    image = QImage(*image_size, QImage.Format.Format_RGB32)
    image.fill(QColor(35, 35, 38))  # a dark object under the mask
    canvas.set_image(image)
    return canvas


def disk(size: tuple[int, int], cx: float, cy: float, r: float) -> np.ndarray:
    yy, xx = np.mgrid[0:size[1], 0:size[0]]
    return (xx - cx) ** 2 + (yy - cy) ** 2 <= r * r


def rim_lightness(image: QImage, cx: float, cy: float, r: float) -> list[int]:
    """The lightest pixel around points of a disk's rim on screen, at angles away from its
    bounding box (whose dashed outline is drawn too)."""
    found = []
    for angle in np.radians([30, 45, 60, 120, 135, 150, 210, 225, 240, 300, 315, 330]):
        x, y = round(cx + r * np.cos(angle)), round(cy + r * np.sin(angle))
        found.append(max(image.pixelColor(x + dx, y + dy).lightness()
                         for dx in (-1, 0, 1) for dy in (-1, 0, 1)))
    return found


def test_a_pending_mask_is_outlined_in_a_light_colour(qtbot: Any) -> None:
    canvas = dark_canvas(qtbot, (400, 300))
    full = disk((400, 300), 230, 125, 40)
    canvas.set_items([mask_item("m", full, color=NAVY, state="pending")])
    image = render(canvas)
    assert min(rim_lightness(image, 230, 125, 40)) > 140
    assert image.pixelColor(230, 125).lightness() < 60  # inside: the translucent navy
    assert image.pixelColor(150, 125).lightness() < 60  # outside: the image

    canvas.set_items([mask_item("m", full, color=NAVY, state="accepted")])
    image = render(canvas)
    assert max(rim_lightness(image, 230, 125, 40)) < 60  # reviewed masks need no outline


def test_the_outline_stays_visible_when_zoomed_out(qtbot: Any) -> None:
    canvas = dark_canvas(qtbot, (1600, 1200))  # fitted at a quarter
    assert canvas.zoom() == 0.25
    full = disk((1600, 1200), 700, 600, 200)  # on screen: centre (175, 150), radius 50
    canvas.set_items([mask_item("m", full, color=NAVY, state="pending")])
    image = render(canvas)
    assert min(rim_lightness(image, 175, 150, 50)) > 140
    assert image.pixelColor(175, 150).lightness() < 60
