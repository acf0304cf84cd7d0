"""Asset thumbnails, made in the background and cached in memory and on disk.

A thumbnail is asked for when the browser first paints its row. The request goes to a small
thread pool that reads the disk cache (``<cache dir>/thumbnails``, keyed by the file's path,
size and modification time, so an edited image gets a new one) or decodes the image scaled
down while reading, and writes the cache. The UI thread only ever sees finished QImages, via
``ready(asset_id)``. Point clouds get a drawn icon instead of rendering millions of points.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import QObject, QPointF, QRectF, QRunnable, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter

from avala_desktop.core.store import Asset
from avala_desktop.paths import cache_dir
from avala_desktop.views.image_loader import AssetImageError, WorkerPool, read_asset_image

log = logging.getLogger(__name__)

THUMB_SIDE = 96
_MEMORY_LIMIT = 2000  # thumbnails kept in memory (about 35 KB each)


def thumbnail_key(path: Path, asset: Asset) -> str | None:
    """A cache key that changes when the file does; None when the file is not there."""
    try:
        stat = path.stat()
    except OSError:
        return None
    raw = f"{path}|{stat.st_size}|{stat.st_mtime_ns}|{asset.frame_index}|{THUMB_SIDE}"
    return hashlib.sha1(raw.encode("utf-8")).hexdigest()


def point_cloud_icon(side: int = THUMB_SIDE) -> QImage:
    image = QImage(side, side, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QColor(32, 36, 44))
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(86, 180, 233))
    # A fixed scatter of dots reads as "point cloud" at a glance.
    for i in range(90):
        x = (i * 37) % side
        y = side * 0.55 + ((i * 53) % (side // 3)) - (x - side / 2) ** 2 / (side * 2.5)
        p.drawEllipse(QPointF(x, y), 1.4, 1.4)
    p.setPen(QColor(230, 230, 230))
    font = QFont()
    font.setPixelSize(side // 4)
    font.setBold(True)
    p.setFont(font)
    p.drawText(QRectF(0, 4, side, side / 3), Qt.AlignmentFlag.AlignCenter, "3D")
    p.end()
    return image


class _Signals(QObject):
    done = Signal(str, QImage)
    failed = Signal(str, str)


class _ThumbJob(QRunnable):
    def __init__(self, signals: _Signals, asset: Asset, path: Path, folder: Path,
                 cancelled: threading.Event) -> None:
        super().__init__()
        self._signals, self._asset, self._path = signals, asset, path
        self._folder, self._cancelled = folder, cancelled

    def run(self) -> None:
        try:
            self._run()
        except Exception as exc:  # a bug here must still end the request, with its reason
            log.exception("thumbnail of %s failed", self._path)
            self._signals.failed.emit(self._asset.id, f"{type(exc).__name__}: {exc}")

    def _run(self) -> None:
        if self._cancelled.is_set():
            return
        key = thumbnail_key(self._path, self._asset)
        if key is None:
            self._signals.failed.emit(self._asset.id, f"{self._path} is missing")
            return
        cached = self._folder / f"{key}.png"
        image = QImage(str(cached)) if cached.is_file() else QImage()
        if image.isNull():
            try:
                image = read_asset_image(self._path, self._asset, THUMB_SIDE)
            except AssetImageError as exc:
                if not self._cancelled.is_set():
                    self._signals.failed.emit(self._asset.id, str(exc))
                return
            # A failed cache write only costs a decode next time.
            if not image.save(str(cached), "PNG"):  # type: ignore[call-overload]
                log.debug("could not write thumbnail %s", cached)
        if not self._cancelled.is_set():
            self._signals.done.emit(self._asset.id, image)


class ThumbnailCache(WorkerPool):
    """``ready(asset_id)`` when a requested thumbnail is there; ``failed(asset_id, why)``."""

    ready = Signal(str)
    failed = Signal(str, str)

    def __init__(self, threads: int = 2, parent: QObject | None = None,
                 folder: Path | None = None) -> None:
        super().__init__(threads, parent)
        self._folder = folder or cache_dir() / "thumbnails"
        self._folder.mkdir(parents=True, exist_ok=True)
        self._signals = _Signals()
        self._signals.done.connect(self._on_done)
        self._signals.failed.connect(self._on_failed)
        self._images: OrderedDict[str, QImage] = OrderedDict()
        self._in_flight: set[str] = set()
        self._broken: dict[str, str] = {}
        self._cloud_icon: QImage | None = None

    def get(self, asset: Asset) -> QImage | None:
        """The thumbnail if it is ready; None (and nothing else) otherwise."""
        if asset.type == "point_cloud":
            if self._cloud_icon is None:
                self._cloud_icon = point_cloud_icon()
            return self._cloud_icon
        image = self._images.get(asset.id)
        if image is not None:
            self._images.move_to_end(asset.id)
        return image

    def error(self, asset_id: str) -> str | None:
        return self._broken.get(asset_id)

    def request(self, asset: Asset, path: Path) -> None:
        """Starts making the thumbnail unless it is ready, on its way or known to fail."""
        if (asset.type == "point_cloud" or asset.id in self._images
                or asset.id in self._in_flight or asset.id in self._broken
                or self._cancelled.is_set()):
            return
        self._in_flight.add(asset.id)
        self._pool.start(_ThumbJob(self._signals, asset, path, self._folder, self._cancelled))

    def forget(self, asset_id: str) -> None:
        self._images.pop(asset_id, None)
        self._broken.pop(asset_id, None)

    def shutdown(self) -> None:
        """Drops queued work, waits for running jobs: no thread outlives the window."""
        super().shutdown()
        self._in_flight.clear()

    def _on_done(self, asset_id: str, image: QImage) -> None:
        self._in_flight.discard(asset_id)
        self._images[asset_id] = image
        while len(self._images) > _MEMORY_LIMIT:
            self._images.popitem(last=False)
        self.ready.emit(asset_id)

    def _on_failed(self, asset_id: str, message: str) -> None:
        self._in_flight.discard(asset_id)
        self._broken[asset_id] = message
        self.failed.emit(asset_id, message)
