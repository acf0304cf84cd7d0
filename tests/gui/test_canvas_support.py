"""Shared setup for the canvas tests: a canvas showing a plain image at scale 1 (widget pixel ==
image pixel), item builders, synthetic mouse events and pixel probes. No tests live here."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QColor, QImage, QKeyEvent, QMouseEvent, QPixmap
from PySide6.QtWidgets import QApplication, QWidget

from avala_desktop.canvas.shapes2d import CanvasItem
from avala_desktop.canvas.view2d import Canvas2D
from avala_desktop.core.masks import rle

GRAY = QColor(128, 128, 128)
RED = "#ff0000"
BLUE = "#0000ff"
GREEN = "#00ff00"


def make_canvas(qtbot: Any, width: int = 400, height: int = 300,
                image_size: tuple[int, int] | None = None,
                parent: QWidget | None = None) -> Canvas2D:
    canvas = Canvas2D(parent)
    if parent is None:  # a parent owns (and deletes) its canvas itself
        qtbot.addWidget(canvas)
    canvas.resize(width, height)
    iw, ih = image_size or (width, height)
    image = QImage(iw, ih, QImage.Format.Format_RGB32)
    image.fill(GRAY)
    canvas.set_image(image)
    canvas.set_show_captions(False)  # pixel probes look at outlines, not text
    return canvas


def box(item_id: str, x: float, y: float, w: float, h: float, *, color: str = RED,
        state: str = "accepted", label: str = "car", confidence: float | None = 0.9) -> CanvasItem:
    return CanvasItem.of(item_id, "bounding_box", label,
                         {"coordinates": {"x": x, "y": y, "width": w, "height": h}},
                         color=color, confidence=confidence, state=state)


def poly(item_id: str, points: list[list[float]], *, closed: bool = True, color: str = BLUE,
         state: str = "accepted") -> CanvasItem:
    return CanvasItem.of(item_id, "polygon" if closed else "polyline", "thing",
                         {"points": points}, color=color, confidence=0.8, state=state)


def mask_item(item_id: str, full: np.ndarray, *, color: str = GREEN,
              state: str = "accepted") -> CanvasItem:
    return CanvasItem.of(item_id, "segmentation_mask", "road", {"rle": rle.encode(full)},
                         color=color, confidence=0.7, state=state)


def render(canvas: Canvas2D) -> QImage:
    pixmap = QPixmap(canvas.size())
    canvas.render(pixmap)
    return pixmap.toImage()


def reddish(image: QImage, x: int, y: int) -> bool:
    c = image.pixelColor(x, y)
    return c.red() - max(c.green(), c.blue()) > 50


def on_line(image: QImage, x: int, y: int, test: Any = reddish) -> bool:
    """A one-pixel antialiased line on an integer coordinate covers the rows (or columns) on
    both sides of it; count the pixel if either side shows the colour."""
    return test(image, x, y) or test(image, x, y - 1)


def mouse(canvas: Canvas2D, kind: str, x: float, y: float, *,
          button: Qt.MouseButton = Qt.MouseButton.LeftButton,
          modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
          held: bool = True) -> None:
    """Sends one mouse event at widget position (x, y). ``held``: whether ``button`` is down
    during a move."""
    types = {"press": QEvent.Type.MouseButtonPress, "release": QEvent.Type.MouseButtonRelease,
             "move": QEvent.Type.MouseMove, "double": QEvent.Type.MouseButtonDblClick}
    event_type = types[kind]
    if kind == "move":
        buttons = button if held else Qt.MouseButton.NoButton
        this_button = Qt.MouseButton.NoButton
    elif kind == "release":
        buttons, this_button = Qt.MouseButton.NoButton, button
    else:
        buttons, this_button = button, button
    pos = QPointF(x, y)
    event = QMouseEvent(event_type, pos, canvas.mapToGlobal(pos), this_button, buttons,
                        modifiers)
    QApplication.sendEvent(canvas, event)


def drag(canvas: Canvas2D, start: tuple[float, float], end: tuple[float, float], *,
         steps: int = 4, button: Qt.MouseButton = Qt.MouseButton.LeftButton,
         modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    mouse(canvas, "press", *start, button=button, modifiers=modifiers)
    for i in range(1, steps + 1):
        t = i / steps
        mouse(canvas, "move", start[0] + (end[0] - start[0]) * t,
              start[1] + (end[1] - start[1]) * t, button=button, modifiers=modifiers)
    mouse(canvas, "release", *end, button=button, modifiers=modifiers)


def click(canvas: Canvas2D, x: float, y: float, **kw: Any) -> None:
    mouse(canvas, "press", x, y, **kw)
    mouse(canvas, "release", x, y, **kw)


def key(canvas: Canvas2D, k: Qt.Key,
        modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> bool:
    """Sends a key press; returns whether the canvas accepted it."""
    event = QKeyEvent(QEvent.Type.KeyPress, k, modifiers)
    QApplication.sendEvent(canvas, event)
    return event.isAccepted()


class Recorder:
    """Collects the arguments of every emission of a signal."""

    def __init__(self, signal: Any) -> None:
        self.calls: list[tuple[Any, ...]] = []
        signal.connect(lambda *args: self.calls.append(args))

