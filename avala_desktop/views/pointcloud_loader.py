"""Loading point clouds off the UI thread: read + decode + prepare for rendering on a JobWorker.

``CloudLoader.load(path)`` abandons a load in progress (it is cancelled and its late answer
ignored) and starts the new one. Signals, all on the UI thread: ``progress(fraction)``,
``loaded(PreparedCloud)``, ``failed(message)`` and ``cancelled()``; ``busyChanged(bool)``
brackets each load. Workers stay referenced until their thread has ended, so no QThread is
destroyed while it runs; ``shutdown`` cancels and joins them (the window is closing).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, Signal
from shiboken6 import isValid

from avala_desktop.canvas.cloud3d import PreparedCloud
from avala_desktop.core.pointcloud import LoadCancelled, PointCloudError, load_point_cloud
from avala_desktop.qt_workers import JobReporter, JobWorker

# Share of the progress bar for reading and decoding; preparing the render copy takes the rest.
_LOAD_SHARE = 0.9


def _load_job(path: Path) -> object:
    def job(reporter: JobReporter) -> PreparedCloud:
        cloud = load_point_cloud(
            path, progress=lambda f: reporter.progress(_LOAD_SHARE * f),
            cancel=reporter.cancel_event,
        )
        if reporter.cancelled:
            raise LoadCancelled(f"'{path}'")
        prepared = PreparedCloud(cloud)
        prepared.fast()  # the decimated copy for camera drags, made here rather than mid-drag
        reporter.progress(1.0)
        return prepared

    return job


class CloudLoader(QObject):
    progress = Signal(float)
    loaded = Signal(object)  # PreparedCloud
    failed = Signal(str)
    cancelled = Signal()
    busyChanged = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._current: JobWorker | None = None
        self._workers: list[JobWorker] = []

    def is_loading(self) -> bool:
        return self._current is not None

    def load(self, path: Path) -> None:
        self._abandon()
        # Owned by the application, not by this loader: a page closed mid-load must not
        # destroy a QThread that is still running; the worker deletes itself when done.
        worker = JobWorker(_load_job(path), QCoreApplication.instance())  # type: ignore[arg-type]
        self._current = worker
        self._workers.append(worker)
        worker.progress.connect(lambda value, w=worker: self._on_progress(w, value))
        worker.result.connect(lambda value, w=worker: self._on_result(w, value))
        worker.errored.connect(lambda exc, w=worker: self._on_error(w, exc, path))
        worker.finished.connect(lambda w=worker: self._on_finished(w))
        self.destroyed.connect(worker.cancel)  # the page went away: stop reading for it
        self.busyChanged.emit(True)
        worker.start()

    def cancel(self) -> None:
        """Stops the current load; ``cancelled`` follows once the worker has stopped."""
        if self._current is not None:
            self._current.cancel()

    def clear(self) -> None:
        """Abandons the current load without a signal (another asset is being shown)."""
        if self._abandon():
            self.busyChanged.emit(False)

    def shutdown(self, timeout_ms: int = 30_000) -> None:
        self._current = None
        for worker in list(self._workers):
            worker.stop(timeout_ms)

    def _abandon(self) -> bool:
        worker, self._current = self._current, None
        if worker is not None:
            worker.cancel()
        return worker is not None

    def _on_progress(self, worker: JobWorker, value: object) -> None:
        if isValid(self) and worker is self._current and isinstance(value, float):
            self.progress.emit(value)

    def _on_result(self, worker: JobWorker, value: object) -> None:
        if isValid(self) and worker is self._current:
            self._current = None
            self.busyChanged.emit(False)
            self.loaded.emit(value)

    def _on_error(self, worker: JobWorker, exc: object, path: Path) -> None:
        if not isValid(self) or worker is not self._current:
            return
        self._current = None
        self.busyChanged.emit(False)
        if isinstance(exc, LoadCancelled):
            self.cancelled.emit()
        elif isinstance(exc, PointCloudError):
            self.failed.emit(str(exc))
        elif isinstance(exc, MemoryError):
            self.failed.emit(f"Cannot load point cloud '{path}': it does not fit in memory.")
        else:
            self.failed.emit(f"Cannot load point cloud '{path}': {type(exc).__name__}: {exc}")

    def _on_finished(self, worker: JobWorker) -> None:
        if worker in self._workers:
            self._workers.remove(worker)
        worker.deleteLater()
