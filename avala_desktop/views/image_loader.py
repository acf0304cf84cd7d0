"""Reading asset images off the UI thread.

``read_asset_image`` decodes an image file (QImageReader with EXIF orientation applied, the
same reader settings as the canvas) or a video frame (OpenCV), optionally scaled down while
decoding, which for JPEG skips most of the work. ``ImageLoader`` runs it on its own thread
pool and answers with ``loaded(request_id, asset_id, QImage, levels)`` (``levels``: the
image's mip levels for the canvas, made on the same thread, so neither the UI thread nor a
paint ever makes them) or ``failed(request_id, asset_id, message)`` on the UI thread. QImage
(not QPixmap) is safe to build on a worker.
"""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
from PySide6.QtCore import QObject, QRunnable, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QImage

from avala_desktop.canvas.image_layer import ImageLoadError, image_reader, load_image, mip_levels
from avala_desktop.core.discovery import Unreadable, read_video_frame
from avala_desktop.core.store import Asset


class AssetImageError(Exception):
    """The asset's pixels could not be read; the message names the file and the reason."""


def read_asset_image(path: Path, asset: Asset, max_side: int | None = None) -> QImage:
    """The asset's image (a video frame decoded from its video), at most ``max_side`` pixels
    on its longer side when given."""
    if asset.type == "video_frame":
        return paint_ready(_video_frame(path, asset, max_side))
    if max_side is None:
        try:
            return paint_ready(load_image(path))
        except ImageLoadError as exc:
            raise AssetImageError(str(exc)) from exc
        except MemoryError:
            raise AssetImageError(f"{path} is too large to hold in memory") from None
    reader = image_reader(path)
    size = reader.size()
    if size.isValid() and max(size.width(), size.height()) > max_side:
        reader.setScaledSize(size.scaled(QSize(max_side, max_side),
                                         Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    if image.isNull():
        raise AssetImageError(f"cannot read image {path}: {reader.errorString()}")
    if max(image.width(), image.height()) > max_side:  # orientation swapped after scaling
        image = image.scaled(max_side, max_side, Qt.AspectRatioMode.KeepAspectRatio,
                             Qt.TransformationMode.SmoothTransformation)
    return image


def paint_ready(image: QImage) -> QImage:
    """The image in the 32-bit format the canvas paints from, converted here on the worker
    rather than by the canvas on the UI thread (a 100 ms stall for an 8K frame)."""
    fmt = (QImage.Format.Format_ARGB32_Premultiplied if image.hasAlphaChannel()
           else QImage.Format.Format_RGB32)
    return image if image.format() == fmt else image.convertToFormat(fmt)


def _video_frame(path: Path, asset: Asset, max_side: int | None) -> QImage:
    if asset.frame_index is None:
        raise AssetImageError(f"{asset.display_name} is a video frame without a frame index")
    try:
        frame = read_video_frame(path, asset.frame_index)
    except Unreadable as exc:
        raise AssetImageError(f"cannot read {asset.display_name} from {path}: {exc}") from exc
    if max_side is not None and max(frame.shape[:2]) > max_side:
        scale = max_side / max(frame.shape[:2])
        frame = cv2.resize(frame, (max(1, round(frame.shape[1] * scale)),
                                   max(1, round(frame.shape[0] * scale))),
                           interpolation=cv2.INTER_AREA)
    rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    h, w = rgb.shape[:2]
    # copy(): the QImage must own its pixels once the numpy buffer goes away.
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


class _Signals(QObject):
    loaded = Signal(int, str, QImage, list)
    failed = Signal(int, str, str)


class _ReadJob(QRunnable):
    def __init__(self, signals: _Signals, request_id: int, path: Path, asset: Asset,
                 max_side: int | None, cancelled: threading.Event) -> None:
        super().__init__()
        self._signals = signals
        self._request = request_id
        self._path = path
        self._asset = asset
        self._max_side = max_side
        self._cancelled = cancelled

    def run(self) -> None:
        if self._cancelled.is_set():
            return
        try:
            image = read_asset_image(self._path, self._asset, self._max_side)
        except AssetImageError as exc:
            if not self._cancelled.is_set():
                self._signals.failed.emit(self._request, self._asset.id, str(exc))
            return
        if self._cancelled.is_set():
            return
        # A full-size image is for the canvas: its zoom-out levels are made here too.
        levels = mip_levels(image) if self._max_side is None else [image]
        if not self._cancelled.is_set():
            self._signals.loaded.emit(self._request, self._asset.id, image, levels)


class WorkerPool(QObject):
    """A private thread pool with a cancel flag its jobs poll; ``shutdown`` joins it."""

    def __init__(self, threads: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(threads)
        self._cancelled = threading.Event()

    def wait(self, timeout_ms: int = -1) -> bool:
        return self._pool.waitForDone(timeout_ms)

    def active_threads(self) -> int:
        return self._pool.activeThreadCount()

    def shutdown(self) -> None:
        """Drops queued jobs, lets the running ones finish and joins the threads."""
        self._cancelled.set()
        self._pool.clear()
        self._pool.waitForDone()


class ImageLoader(WorkerPool):
    """Loads images on ``threads`` background threads; ``shutdown`` waits for them."""

    loaded = Signal(int, str, QImage, list)  # request id, asset id, image, its mip levels
    failed = Signal(int, str, str)  # request id, asset id, message

    def __init__(self, threads: int = 1, parent: QObject | None = None) -> None:
        super().__init__(threads, parent)
        self._signals = _Signals()
        self._signals.loaded.connect(self.loaded)
        self._signals.failed.connect(self.failed)
        self._next_id = 0

    def request(self, path: Path, asset: Asset, max_side: int | None = None) -> int:
        """Queues a read; returns its request id (answers carry it, so stale ones can be
        told apart)."""
        self._next_id += 1
        self._pool.start(_ReadJob(self._signals, self._next_id, path, asset, max_side,
                                  self._cancelled))
        return self._next_id

    def clear_queue(self) -> None:
        """Drops reads that have not started (a newer request made them pointless)."""
        self._pool.clear()
