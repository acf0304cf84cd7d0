"""The image under the annotations, drawn cheaply at any zoom for 4K frames and larger.

- At rest and zoomed out, the visible part of the image (plus a margin for panning) is scaled
  once with smooth filtering and then only blitted; a pan that stays inside the margin or a
  repaint after an edit costs a copy of the viewport.
- While the user zooms or pans, and when the rendition no longer covers the view, the image is
  drawn straight from a mip level (the smallest halving that is still at least as large as the
  view needs) without filtering: a 4K frame then costs about a millisecond a frame. The view asks
  for the smooth rendition again when the interaction stops.
- The mip levels are never made while painting: the image loader makes them on its thread
  with the image (``mip_levels``), or, for an image set without them, ``MipBuilder`` makes them
  on a worker; until they arrive the nearest level there is (the image itself) is drawn.
- Zoomed in (one image pixel or more per screen pixel), pixels are drawn unfiltered on purpose:
  annotators need to see where pixel edges are.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, QPointF, QRect, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtGui import QImage, QImageReader, QPainter, QTransform

from avala_desktop.canvas import qt_guard  # noqa: F401  (PySide6 refcount workaround)
from avala_desktop.canvas.viewport import ViewTransform

# Reading a large frame needs more than Qt's default 256 MB allocation limit (a 16K x 16K
# RGBA image is 1 GB); keep a ceiling so a corrupt header cannot ask for anything at all.
_READ_LIMIT_MB = 2048
# Fraction of the viewport added on each side of the smooth rendition, so short pans reuse it.
_MARGIN = 0.5


class ImageLoadError(Exception):
    """The image file could not be read; the message says which file and why."""


def image_reader(path: str | Path) -> QImageReader:
    """A reader of `path` with the settings every image read uses: EXIF orientation applied,
    the allocation ceiling above."""
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)
    reader.setAllocationLimit(_READ_LIMIT_MB)
    return reader


def load_image(path: str | Path) -> QImage:
    reader = image_reader(path)
    image = reader.read()
    if image.isNull():
        raise ImageLoadError(f"cannot read image {path}: {reader.errorString()}")
    return image


def mip_levels(image: QImage) -> list[QImage]:
    """The image and its successive smooth halvings, down to a couple of pixels (what the
    layer draws from while zooming out). QImage work only: safe on any thread."""
    levels = [image]
    while not image.isNull() and image.width() >= 2 and image.height() >= 2:
        image = image.scaled(image.width() // 2, image.height() // 2,
                             Qt.AspectRatioMode.IgnoreAspectRatio,
                             Qt.TransformationMode.SmoothTransformation)
        levels.append(image)
    return levels


class _MipSignals(QObject):
    built = Signal(object, object)


class _MipJob(QRunnable):
    def __init__(self, signals: _MipSignals, image: QImage) -> None:
        super().__init__()
        self._signals = signals
        self._image = image

    def run(self) -> None:
        levels = mip_levels(self._image)
        self._signals.built.emit(self._image.cacheKey(), levels)  # queued to the UI thread


class MipBuilder(QObject):
    """Makes the mip levels of an image on a worker thread: ``built(cache_key, levels)``
    arrives on the thread the builder lives on. Its pool is its child, so deleting the
    builder waits for a build in progress."""

    built = Signal(object, object)  # QImage.cacheKey() of the image, list[QImage]

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # No parent: a running job holds it, so it outlives a builder deleted meanwhile.
        self._signals = _MipSignals()
        self._signals.built.connect(self.built)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self.requests = 0  # how many images needed their levels made here (tests)

    def request(self, image: QImage) -> None:
        self._pool.clear()  # levels of an image already replaced are not worth making
        self.requests += 1
        self._pool.start(_MipJob(self._signals, image))

    def wait(self, timeout_ms: int = -1) -> bool:
        return self._pool.waitForDone(timeout_ms)


class ImageLayer:
    def __init__(self) -> None:
        self._image = QImage()
        self._levels: list[QImage] = []
        self._smooth: QImage | None = None
        self._smooth_key: tuple[float, int, int, int, int] | None = None
        self.smooth_builds = 0  # how many smooth renditions were made (tests, diagnostics)

    @property
    def image(self) -> QImage:
        return self._image

    def set_image(self, image: QImage, levels: Sequence[QImage] | None = None) -> bool:
        """Shows ``image``; ``levels`` are its mip levels (``mip_levels``) when the caller made
        them already. True when the levels still have to be made (``set_levels``)."""
        # Blits are fastest from the 32-bit formats the raster engine paints into.
        fmt = (QImage.Format.Format_ARGB32_Premultiplied if image.hasAlphaChannel()
               else QImage.Format.Format_RGB32)
        converted = image if image.format() == fmt else image.convertToFormat(fmt)
        self._image = converted
        self._smooth, self._smooth_key = None, None
        if levels and converted is image and levels[0].cacheKey() == image.cacheKey():
            self._levels = list(levels)
            return False
        self._levels = [converted]
        return not converted.isNull() and min(converted.width(), converted.height()) >= 2

    def set_levels(self, key: int, levels: Sequence[QImage]) -> bool:
        """Takes the mip levels made for the image with this cache key; False (and ignored)
        when the layer shows another image by now."""
        if key != self._image.cacheKey() or not levels:
            return False
        self._levels = list(levels)
        return True

    def level_count(self) -> int:
        return len(self._levels)

    def is_null(self) -> bool:
        return self._image.isNull()

    def size(self) -> tuple[int, int]:
        return self._image.width(), self._image.height()

    def draw(self, p: QPainter, view: ViewTransform, width: float, height: float,
             *, interactive: bool, dpr: float = 1.0) -> None:
        """While ``interactive`` the smooth rendition is used if it already covers the view (a
        pan at the same zoom) but never remade."""
        if self._image.isNull():
            return
        if view.scale < 1.0:
            cached = self._covering(view, width, height, dpr)
            if cached is not None or not interactive:
                self._draw_smooth(p, view, width, height, dpr, cached)
                return
        self._draw_fast(p, view)

    # --- internals ----------------------------------------------------------------------

    def _level(self, k: int) -> QImage:
        # Never made here (that would stall the frame): the nearest level made so far.
        return self._levels[min(k, len(self._levels) - 1)]

    def _draw_fast(self, p: QPainter, view: ViewTransform) -> None:
        k = max(0, math.floor(math.log2(1.0 / view.scale))) if view.scale < 1.0 else 0
        level = self._level(k)
        # A level may be a pixel short of an exact halving; scale so it still spans the image.
        fx = self._image.width() / level.width() * view.scale
        fy = self._image.height() / level.height() * view.scale
        p.setTransform(QTransform(fx, 0.0, 0.0, fy, view.ox, view.oy))
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        p.drawImage(QPointF(0.0, 0.0), level)
        p.setTransform(QTransform())

    def _visible_source(self, view: ViewTransform, width: float, height: float,
                        margin: float) -> QRect | None:
        x0, y0, x1, y1 = view.visible_rect(width, height)
        mx, my = (x1 - x0) * margin, (y1 - y0) * margin
        w, h = self.size()
        left, top = max(0, math.floor(x0 - mx)), max(0, math.floor(y0 - my))
        right, bottom = min(w, math.ceil(x1 + mx)), min(h, math.ceil(y1 + my))
        if right <= left or bottom <= top:
            return None
        return QRect(left, top, right - left, bottom - top)

    def _covering(self, view: ViewTransform, width: float, height: float,
                  dpr: float) -> QImage | None:
        if self._smooth is None or self._smooth_key is None:
            return None
        scale, left, top, w, h = self._smooth_key
        if scale != view.scale * dpr:
            return None
        need = self._visible_source(view, width, height, 0.0)
        if need is None:
            return self._smooth
        have = QRect(left, top, w, h)
        return self._smooth if have.contains(need) else None

    def _draw_smooth(self, p: QPainter, view: ViewTransform, width: float, height: float,
                     dpr: float, cached: QImage | None) -> None:
        if cached is None:
            source = self._visible_source(view, width, height, _MARGIN)
            if source is None:
                return  # the image is entirely off screen
            s = view.scale * dpr
            tw, th = max(1, round(source.width() * s)), max(1, round(source.height() * s))
            cached = self._image.copy(source).scaled(
                tw, th, Qt.AspectRatioMode.IgnoreAspectRatio,
                Qt.TransformationMode.SmoothTransformation)
            cached.setDevicePixelRatio(dpr)
            self._smooth = cached
            self._smooth_key = (s, source.left(), source.top(), source.width(), source.height())
            self.smooth_builds += 1
        _, left, top, _, _ = self._smooth_key  # type: ignore[misc]
        # Whole device pixels: a blit, not a resample (at most half a pixel off the shapes).
        x = round((left * view.scale + view.ox) * dpr) / dpr
        y = round((top * view.scale + view.oy) * dpr) / dpr
        p.setTransform(QTransform())
        p.drawImage(QPointF(x, y), cached)
