"""The one Qt adapter outside canvas/ and views/: runs a Qt-free job on a QThread.

A job is any callable `job(reporter: JobReporter) -> result`. It reports progress through the
reporter and polls `reporter.cancelled` to stop early. The worker turns those calls into
signals, which Qt delivers queued on the receiver's (UI) thread, so the job never touches a
widget and the UI thread never waits on the job. Exceptions travel through `errored`
instead of being swallowed into an empty result.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot


class JobReporter:
    """What a running job sees: a progress channel and a cancel flag."""

    def __init__(self, emit_progress: Callable[[object], None]) -> None:
        self._emit = emit_progress
        self._cancel = threading.Event()

    @property
    def cancel_event(self) -> threading.Event:
        return self._cancel

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def progress(self, event: object) -> None:
        self._emit(event)


class _Runner(QObject):
    progress = Signal(object)
    result = Signal(object)
    errored = Signal(object)
    done = Signal()

    def __init__(self, job: Callable[[JobReporter], Any]) -> None:
        super().__init__()
        self._job = job
        self.reporter = JobReporter(self.progress.emit)

    @Slot()
    def run(self) -> None:
        try:
            value = self._job(self.reporter)
        except BaseException as exc:  # reported through the error channel
            exc.__traceback_text__ = traceback.format_exc()  # type: ignore[attr-defined]
            self.errored.emit(exc)
        else:
            self.result.emit(value)
        finally:
            self.done.emit()


class JobWorker(QObject):
    """Owns one QThread running one job. Signals arrive on the thread that created it.

    started(): the job began; progress(object): whatever the job reported;
    result(object): its return value; errored(BaseException): it raised;
    finished(): always last, after result or errored, once the thread has been joined.
    """

    started = Signal()
    progress = Signal(object)
    result = Signal(object)
    errored = Signal(object)
    finished = Signal()

    def __init__(self, job: Callable[[JobReporter], Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread = QThread()
        self._runner = _Runner(job)
        self._runner.moveToThread(self._thread)
        self._thread.started.connect(self._runner.run)
        self._runner.progress.connect(self.progress)
        self._runner.result.connect(self.result)
        self._runner.errored.connect(self.errored)
        self._runner.done.connect(self._on_done)
        self._running = False

    @property
    def cancel_event(self) -> threading.Event:
        return self._runner.reporter.cancel_event

    def is_running(self) -> bool:
        return self._running

    def start(self) -> None:
        self._running = True
        self._thread.start()
        self.started.emit()

    def cancel(self) -> None:
        self._runner.reporter.cancel_event.set()

    def stop(self, timeout_ms: int = 30_000) -> bool:
        """Cancel and join: called on window close so no thread outlives the app."""
        self.cancel()
        if self._thread.isRunning():
            self._thread.quit()
            return self._thread.wait(timeout_ms)
        return True

    @Slot()
    def _on_done(self) -> None:
        self._thread.quit()
        self._thread.wait()
        self._running = False
        self.finished.emit()
