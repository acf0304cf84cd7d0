"""Caption sprites: every distinct "label 0.93" text in its colour, rendered once into an atlas.

Drawing a caption is then one small image copy (about half a microsecond of raster work) instead
of laying out and rasterising glyphs (several microseconds), which is what lets a frame carry
two thousand captions. Each sprite includes its dark translucent background, so a caption is
readable on any image without a second pass.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter

from avala_desktop.canvas import qt_guard  # noqa: F401  (PySide6 refcount workaround)
from avala_desktop.canvas.style2d import CAPTION_BACKGROUND

_ATLAS_WIDTH = 1024
_PAD_X = 2

Sprite = tuple[int, int, int, int]  # x, y, width, height in the atlas


class CaptionAtlas:
    def __init__(self, font: QFont) -> None:
        self.font = font
        self.metrics = QFontMetrics(font)
        self.height = self.metrics.height() + 1
        fmt = QImage.Format.Format_ARGB32_Premultiplied
        self.image = QImage(_ATLAS_WIDTH, self.height * 8, fmt)
        self.image.fill(Qt.GlobalColor.transparent)
        self._sprites: dict[tuple[str, str], Sprite] = {}
        self._x = 0
        self._y = 0

    def __len__(self) -> int:
        return len(self._sprites)

    def sprite(self, text: str, color: QColor) -> Sprite:
        key = (text, color.name())
        found = self._sprites.get(key)
        if found is None:
            found = self._sprites[key] = self._add(text, color)
        return found

    def _add(self, text: str, color: QColor) -> Sprite:
        width = min(_ATLAS_WIDTH, self.metrics.horizontalAdvance(text) + 2 * _PAD_X)
        if self._x + width > _ATLAS_WIDTH:
            self._x, self._y = 0, self._y + self.height
        if self._y + self.height > self.image.height():
            # Grow downwards; the copy keeps every sprite already placed where it was.
            self.image = self.image.copy(0, 0, _ATLAS_WIDTH, self.image.height() * 2)
        x, y = self._x, self._y
        p = QPainter(self.image)
        p.setCompositionMode(QPainter.CompositionMode.CompositionMode_Source)
        p.fillRect(QRect(x, y, width, self.height), CAPTION_BACKGROUND)
        p.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceOver)
        p.setFont(self.font)
        # Dark label colours (navy, maroon) would vanish on the dark background: lighten them.
        p.setPen(color if color.lightness() >= 110 else color.lighter(200))
        p.drawText(QRect(x + _PAD_X, y, width - _PAD_X, self.height),
                   Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)
        p.end()
        self._x += width
        return (x, y, width, self.height)
