"""Translucent colour overlays of masks, made with numpy and kept as one QImage per mask.

Each overlay covers only the mask's crop, so twenty masks of objects in a 4K frame cost a few
megabytes and draw in a couple of milliseconds; an overlay is remade only when its mask, colour,
alpha or outline changes.

An overlay can carry an outline: the mask's edge pixels in a light colour, so a translucent
mask in a dark label colour still shows where it ends on a dark object. A copy resampled for a
zoomed-out view gets its outline drawn again at the new size, one screen pixel wide (the
original one-pixel edge would fade away in the resampling).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage

from avala_desktop.canvas import qt_guard  # noqa: F401  (PySide6 refcount workaround)
from avala_desktop.canvas.mask_raster import MaskRaster
from avala_desktop.canvas.shapes2d import CanvasItem

EDGE_ALPHA = 235


def _premultiplied(color: QColor, alpha: int) -> np.uint32:
    a = alpha / 255.0
    return np.uint32(
        (alpha << 24)
        | (round(color.red() * a) << 16)
        | (round(color.green() * a) << 8)
        | round(color.blue() * a)
    )


def edge_of(inside: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """Pixels of the region with a 4-neighbour outside it (outside the array counts too)."""
    core = inside.copy()
    core[1:, :] &= inside[:-1, :]
    core[:-1, :] &= inside[1:, :]
    core[:, 1:] &= inside[:, :-1]
    core[:, :-1] &= inside[:, 1:]
    core[0, :] = core[-1, :] = False
    core[:, 0] = core[:, -1] = False
    return inside & ~core


def colorize(crop: npt.NDArray[np.bool_], color: QColor, alpha: int,
             edge: QColor | None = None) -> QImage:
    """A premultiplied ARGB image: ``color`` at ``alpha`` where the mask is set, clear elsewhere;
    with ``edge``, the mask's edge pixels in that colour."""
    h, w = crop.shape
    if h == 0 or w == 0:
        return QImage()
    argb = np.where(crop, _premultiplied(color, alpha), np.uint32(0)).astype(np.uint32,
                                                                             copy=False)
    if edge is not None:
        argb[edge_of(crop)] = _premultiplied(edge, EDGE_ALPHA)
    argb = np.ascontiguousarray(argb)
    image = QImage(argb.data, w, h, w * 4, QImage.Format.Format_ARGB32_Premultiplied)
    # The QImage only borrows the numpy buffer; copy so it owns its pixels.
    return image.copy()


def outline_in_place(image: QImage, edge: QColor) -> None:
    """Draws the edge of an overlay's visible part (alpha at least half the overlay's) into
    it: the outline of a resampled overlay, at its own resolution."""
    if image.isNull():
        return
    if image.format() != QImage.Format.Format_ARGB32_Premultiplied:
        image.convertTo(QImage.Format.Format_ARGB32_Premultiplied)
    h, w, stride = image.height(), image.width(), image.bytesPerLine() // 4
    pixels = np.frombuffer(image.bits(), dtype=np.uint32).reshape(h, stride)[:, :w]
    alpha = pixels >> 24
    top = int(alpha.max(initial=0))
    if top == 0:
        return
    inside = alpha * 2 >= top
    pixels[edge_of(inside)] = _premultiplied(edge, EDGE_ALPHA)


class MaskOverlayCache:
    def __init__(self) -> None:
        self._cache: dict[str, tuple[MaskRaster, str, int, str, QImage]] = {}
        # Overlays resampled (smoothly) to the current zoom, so a frame only blends them.
        self._scaled: dict[str, tuple[int, float, str, QImage]] = {}

    def overlay(self, item: CanvasItem, color: QColor, alpha: int,
                edge: QColor | None = None) -> tuple[QImage, int, int]:
        """(image, x0, y0): the item's overlay and where its top-left pixel goes."""
        raster = item.mask
        return self.for_raster(item.id, raster, color, alpha, edge), raster.x0, raster.y0

    def for_raster(self, key: str, raster: MaskRaster, color: QColor, alpha: int,
                   edge: QColor | None = None) -> QImage:
        cached = self._cache.get(key)
        name = color.name()
        edge_name = "" if edge is None else edge.name()
        if cached is not None and cached[0] is raster and cached[1:4] == (name, alpha,
                                                                           edge_name):
            return cached[4]
        image = colorize(raster.crop, color, alpha, edge)
        self._cache[key] = (raster, name, alpha, edge_name, image)
        return image

    def scaled(self, key: str, image: QImage, scale: float, *, make: bool = True,
               edge: QColor | None = None) -> QImage | None:
        """``image`` (an overlay from this cache) resampled by ``scale``, made once per zoom
        (with ``edge``: its outline drawn again at that size); None when it is not made yet
        and ``make`` is False."""
        cached = self._scaled.get(key)
        edge_name = "" if edge is None else edge.name()
        if cached is not None and cached[:3] == (image.cacheKey(), scale, edge_name):
            return cached[3]
        if not make:
            return None
        w = max(1, round(image.width() * scale))
        h = max(1, round(image.height() * scale))
        small = image.scaled(w, h, Qt.AspectRatioMode.IgnoreAspectRatio,
                             Qt.TransformationMode.SmoothTransformation)
        if edge is not None:
            outline_in_place(small, edge)
        self._scaled[key] = (image.cacheKey(), scale, edge_name, small)
        return small

    def retain(self, keys: set[str]) -> None:
        """Forgets overlays of masks that are gone."""
        for key in [k for k in self._cache if k not in keys]:
            del self._cache[key]
        for key in [k for k in self._scaled if k not in keys]:
            del self._scaled[key]
