"""Look of the 2D canvas: sizes in screen pixels, pens and colours (cached, they are made often).

Outlines use cosmetic one-pixel pens on purpose: Qt's raster engine strokes those (dashed or
not) with its fast cosmetic stroker, about five times faster than any wider pen, which is what
keeps thousands of shapes within a frame. Only the few selected or hovered shapes get wider
pens.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QPen

from avala_desktop.canvas import qt_guard  # noqa: F401  (PySide6 refcount workaround)

HANDLE_PX = 7.0  # side of a resize/vertex handle
HIT_TOLERANCE_PX = 6.0  # how far from an outline or handle a click still picks it
CAPTION_MIN_SHAPE_PX = 24.0  # shapes smaller than this on screen get no caption
TINY_SHAPE_PX = 3.0  # shapes smaller than this on screen are drawn as their bounding rect
CAPTION_FONT_PX = 11
CAPTION_CELL_PX = 110  # width of the screen cells (two captions high) that hold one caption
BADGE_MARGIN_PX = 6.0

BACKGROUND = QColor(38, 40, 44)
CAPTION_BACKGROUND = QColor(0, 0, 0, 150)
# Under the captions of selected and hovered shapes, which are drawn over the others.
CAPTION_BACKGROUND_OPAQUE = QColor(22, 23, 26)
NOTICE_BACKGROUND = QColor(0, 0, 0, 170)
NOTICE_TEXT = QColor(235, 235, 235)
HANDLE_FILL = QColor(255, 255, 255)
ACTIVE_HANDLE_FILL = QColor(255, 210, 0)
DASH_PATTERN = [4.0, 3.0]

MASK_ALPHA_PENDING = 80
MASK_ALPHA_ACCEPTED = 120
MASK_ALPHA_SELECTED = 150
SELECTED_FILL_ALPHA = 40
MASK_EDGE_LIGHTEN = 0.7  # a pending mask's outline: its colour this far towards white


class Palette:
    """QColor / QPen objects per label colour, made once."""

    def __init__(self) -> None:
        self._colors: dict[str, QColor] = {}
        self._pens: dict[tuple[str, bool, float], QPen] = {}
        self.caption_font = QFont()
        self.caption_font.setPixelSize(CAPTION_FONT_PX)

    def color(self, name: str) -> QColor:
        color = self._colors.get(name)
        if color is None:
            color = QColor(name)
            if not color.isValid():
                color = QColor(60, 180, 75)
            self._colors[name] = color
        return color

    def pen(self, name: str, *, dashed: bool, width: float = 1.0) -> QPen:
        key = (name, dashed, width)
        pen = self._pens.get(key)
        if pen is None:
            pen = QPen(self.color(name))
            pen.setCosmetic(True)
            pen.setWidthF(width)
            if dashed:
                pen.setDashPattern(DASH_PATTERN)
            pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
            self._pens[key] = pen
        return pen

    def light(self, name: str) -> QColor:
        """A light tint of the colour: outlines that stay visible on dark objects."""
        key = f"light:{name}"
        color = self._colors.get(key)
        if color is None:
            base = self.color(name)
            t = MASK_EDGE_LIGHTEN
            color = self._colors[key] = QColor(
                *(round(c + (255 - c) * t) for c in (base.red(), base.green(), base.blue())))
        return color

    def translucent(self, name: str, alpha: int) -> QColor:
        color = QColor(self.color(name))
        color.setAlpha(alpha)
        return color
