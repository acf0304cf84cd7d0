"""Translucent colour overlays of masks, made with numpy and kept as one QImage per mask.

Each overlay covers only the mask's crop, so twenty masks of objects in a 4K frame cost a few
megabytes and draw in a couple of milliseconds; an overlay is remade only when its mask, colour
or alpha changes.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage

from avala_desktop.canvas import qt_guard  # noqa: F401  (PySide6 refcount workaround)
from avala_desktop.canvas.mask_raster import MaskRaster
from avala_desktop.canvas.shapes2d import CanvasItem


def colorize(crop: npt.NDArray[np.bool_], color: QColor, alpha: int) -> QImage:
    """A premultiplied ARGB image: ``color`` at ``alpha`` where the mask is set, clear elsewhere."""
    h, w = crop.shape
    if h == 0 or w == 0:
        return QImage()
    a = alpha / 255.0
    pixel = np.uint32(
        (alpha << 24)
        | (round(color.red() * a) << 16)
        | (round(color.green() * a) << 8)
        | round(color.blue() * a)
    )
    argb = np.where(crop, pixel, np.uint32(0)).astype(np.uint32, copy=False)
    argb = np.ascontiguousarray(argb)
    image = QImage(argb.data, w, h, w * 4, QImage.Format.Format_ARGB32_Premultiplied)
    # The QImage only borrows the numpy buffer; copy so it owns its pixels.
    return image.copy()


class MaskOverlayCache:
    def __init__(self) -> None:
        self._cache: dict[str, tuple[MaskRaster, str, int, QImage]] = {}
        # Overlays resampled (smoothly) to the current zoom, so a frame only blends them.
        self._scaled: dict[str, tuple[int, float, QImage]] = {}

    def overlay(self, item: CanvasItem, color: QColor, alpha: int) -> tuple[QImage, int, int]:
        """(image, x0, y0): the item's overlay and where its top-left pixel goes."""
        raster = item.mask
        return self.for_raster(item.id, raster, color, alpha), raster.x0, raster.y0

    def for_raster(self, key: str, raster: MaskRaster, color: QColor, alpha: int) -> QImage:
        cached = self._cache.get(key)
        name = color.name()
        if cached is not None and cached[0] is raster and cached[1] == name and cached[2] == alpha:
            return cached[3]
        image = colorize(raster.crop, color, alpha)
        self._cache[key] = (raster, name, alpha, image)
        return image

    def scaled(self, key: str, image: QImage, scale: float, *, make: bool = True) -> QImage | None:
        """``image`` (an overlay from this cache) resampled by ``scale``, made once per zoom;
        None when it is not made yet and ``make`` is False."""
        cached = self._scaled.get(key)
        if cached is not None and cached[0] == image.cacheKey() and cached[1] == scale:
            return cached[2]
        if not make:
            return None
        w = max(1, round(image.width() * scale))
        h = max(1, round(image.height() * scale))
        small = image.scaled(w, h, Qt.AspectRatioMode.IgnoreAspectRatio,
                             Qt.TransformationMode.SmoothTransformation)
        self._scaled[key] = (image.cacheKey(), scale, small)
        return small

    def retain(self, keys: set[str]) -> None:
        """Forgets overlays of masks that are gone."""
        for key in [k for k in self._cache if k not in keys]:
            del self._cache[key]
        for key in [k for k in self._scaled if k not in keys]:
            del self._scaled[key]
