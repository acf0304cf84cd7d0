"""The GUI's handle on an auto-label run: `run_auto_label` on a QThread, its events as signals.

Signals arrive on the thread that created the worker (the UI thread), queued, so slots may
touch widgets; the run itself never does, and the UI thread never waits on the network.

    worker = AutoLabelWorker(store, provider, threshold=0.5)
    worker.progress.connect(bar.update)          # RunProgress
    worker.finished.connect(show_summary)        # RunSummary (completed or cancelled)
    worker.errored.connect(show_error)           # RunError (could not start) or a failure
    worker.start(); ...; worker.cancel()         # cancel: the run ends `cancelled`
    worker.stop()                                # on close: cancel and join the thread
"""

from __future__ import annotations

from typing import Unpack

from PySide6.QtCore import QObject, Signal

from avala_desktop.core.store import ProjectStore
from avala_desktop.jobs.autolabel import ProviderConfig, RunParams, run_auto_label
from avala_desktop.jobs.events import AssetDone, RunProgress, RunStarted, RunSummary
from avala_desktop.qt_workers import JobReporter, JobWorker


class AutoLabelWorker(QObject):
    """One auto-label run on its own thread.

    started(RunStarted), progress(RunProgress), asset_done(AssetDone): as the run reports;
    finished(RunSummary): the run ended (completed or cancelled);
    errored(BaseException): it could not start (`RunError`, with the sentence to show) or
    failed part-way; closed(): always last, once the thread has been joined.
    """

    started = Signal(object)
    progress = Signal(object)
    asset_done = Signal(object)
    finished = Signal(object)
    errored = Signal(object)
    closed = Signal()

    def __init__(
        self,
        store: ProjectStore,
        provider_config: ProviderConfig,
        *,
        parent: QObject | None = None,
        **params: Unpack[RunParams],
    ) -> None:
        """`params`: the run's settings, as `run_auto_label` takes them."""
        super().__init__(parent)

        def job(reporter: JobReporter) -> RunSummary:
            return run_auto_label(
                store,
                provider_config,
                on_event=reporter.progress,
                cancel=reporter.cancel_event,
                **params,
            )

        self._worker = JobWorker(job, self)
        self._worker.progress.connect(self._dispatch)
        self._worker.result.connect(self.finished)
        self._worker.errored.connect(self.errored)
        self._worker.finished.connect(self.closed)

    def start(self) -> None:
        self._worker.start()

    def cancel(self) -> None:
        """Ask the run to stop; `finished` follows with a `cancelled` summary."""
        self._worker.cancel()

    def stop(self, timeout_ms: int = 30_000) -> bool:
        """Cancel and join the thread (call on close); False if it did not end in time."""
        return self._worker.stop(timeout_ms)

    def is_running(self) -> bool:
        return self._worker.is_running()

    def _dispatch(self, event: object) -> None:
        if isinstance(event, RunProgress):
            self.progress.emit(event)
        elif isinstance(event, AssetDone):
            self.asset_done.emit(event)
        elif isinstance(event, RunStarted):
            self.started.emit(event)
        # RunFinished carries the summary that `finished` delivers from the job's result.
