"""The cached bottom of a Canvas2D frame: a pixmap of the image and every shown, unselected
shape, remade only when something it depends on changes.

The canvas passes a `key` of everything the layer depends on except the pan offset; a change
of the pan alone by whole device pixels scrolls the old pixels and draws only the strips it
uncovered, which keeps a drag-pan over thousands of shapes cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainter, QPixmap, QTransform

from avala_desktop.canvas.painter2d import PaintStats
from avala_desktop.canvas.viewport import ViewTransform

# Draws one region of the layer (logical pixels; the painter is clipped to it) and counts what
# it painted.
DrawRegion = Callable[[QPainter, QRectF], PaintStats]


class LayerCache:
    def __init__(self) -> None:
        self._pixmap: QPixmap | None = None
        self._key: Hashable | None = None
        self._view: ViewTransform | None = None
        self.builds = 0  # full redraws (tests, diagnostics)
        self.scrolls = 0  # redraws of the uncovered strips only
        self.stats = PaintStats()  # of the last redraw

    def invalidate(self) -> None:
        """The next `pixmap` call redraws in full."""
        self._key = None

    def pixmap(self, w: int, h: int, dpr: float, view: ViewTransform, key: Hashable,
               draw: DrawRegion) -> QPixmap:
        """The layer for a widget of w x h logical pixels, redrawn if `key` or `view` changed."""
        if self._pixmap is None or key != self._key or view != self._view:
            self._render(w, h, dpr, view, draw, scroll=key == self._key)
            self._key, self._view = key, view
        assert self._pixmap is not None
        return self._pixmap

    def _render(self, w: int, h: int, dpr: float, view: ViewTransform, draw: DrawRegion, *,
                scroll: bool) -> None:
        pw, ph = max(1, round(w * dpr)), max(1, round(h * dpr))
        strips = self._scroll_strips(w, h, dpr, view) if scroll else None
        if self._pixmap is None or (self._pixmap.width(), self._pixmap.height()) != (pw, ph):
            self._pixmap, strips = QPixmap(pw, ph), None
        self._pixmap.setDevicePixelRatio(dpr)
        if strips is None:
            strips = [QRectF(0, 0, w, h)]
            self.builds += 1
        else:
            self.scrolls += 1
        p = QPainter(self._pixmap)
        stats = PaintStats()
        for region in strips:
            p.setTransform(QTransform())  # first: a clip rect is set in the current transform
            p.setClipRect(region)
            stats.add(draw(p, region))
        p.end()
        self.stats = stats

    def _scroll_strips(self, w: int, h: int, dpr: float,
                       view: ViewTransform) -> list[QRectF] | None:
        """Scrolls the layer by the pan since it was drawn; the uncovered strips, or None when
        the pan is not a whole number of device pixels or is too large to be worth it."""
        if self._pixmap is None or self._view is None:
            return None
        dx = view.ox - self._view.ox
        dy = view.oy - self._view.oy
        ddx, ddy = dx * dpr, dy * dpr
        if ddx != round(ddx) or ddy != round(ddy) or abs(dx) >= w / 2 or abs(dy) >= h / 2:
            return None
        self._pixmap.scroll(round(ddx), round(ddy), self._pixmap.rect())
        strips = []
        if dx > 0:
            strips.append(QRectF(0, 0, dx, h))
        elif dx < 0:
            strips.append(QRectF(w + dx, 0, -dx, h))
        if dy > 0:
            strips.append(QRectF(0, 0, w, dy))
        elif dy < 0:
            strips.append(QRectF(0, h + dy, w, -dy))
        return strips
