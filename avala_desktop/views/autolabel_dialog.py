"""Project > Auto-Label: choose a provider, threshold, scope and concurrency; run, watch, cancel,
resume, retry what failed.

The run is `jobs.autolabel.run_auto_label` on an `AutoLabelWorker` thread, exactly what
`avala-desktop auto-label` runs. Its per-asset events are collected and handed to the UI once
per `FLUSH_INTERVAL_MS`: one progress update, one failure-table update and one
`assetsUpdated(ids)` per tick however fast assets finish, so a quick model never floods the
event loop (see benchmarks/bench_ui_stall.py).

Signals for the main window: `assetsUpdated(list[str])` (assets whose suggestions changed,
batched), `runStarted(RunStarted)`, `runFinished(RunSummary)`.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from avala_desktop.core.store import AssetStatus, ProjectStore, Run, RunAssetStatus
from avala_desktop.inference.providers import ProviderError, ProviderRegistry
from avala_desktop.jobs.events import AssetDone, RunProgress, RunStarted, RunSummary
from avala_desktop.jobs.planning import (
    RunError,
    describe_scope,
    effective_state,
    plan_run,
    resumable_run,
)
from avala_desktop.views.autolabel_dialog_options import RunOptions, RunOptionsPanel
from avala_desktop.views.autolabel_dialog_progress import RunCounts, RunProgressPanel
from avala_desktop.views.autolabel_failures import FailedAsset, FailureList
from avala_desktop.views.autolabel_worker import AutoLabelWorker

FLUSH_INTERVAL_MS = 100
DIALOG_NAME = "autoLabelDialog"
_froze_heap = False


def _spare_the_ui_full_collections() -> None:
    """Freeze the objects the app holds before its first run (gc.freeze), once per process.

    A full pass of the cyclic garbage collector stops every thread, the UI's included, while
    it walks every tracked object: with Qt, SQLAlchemy, pydantic and botocore loaded that was
    the longest UI stall of a run (a 50 ms pass finding nothing, benchmarks/bench_ui_stall.py).
    Frozen objects are still freed by reference counting; only a cycle among them that is
    already garbage at this moment is never reclaimed, which costs a few kilobytes at most.
    """
    global _froze_heap
    if not _froze_heap:
        gc.freeze()
        _froze_heap = True


class AutoLabelDialog(QDialog):
    assetsUpdated = Signal(list)
    runStarted = Signal(object)
    runFinished = Signal(object)

    def __init__(
        self,
        store: ProjectStore,
        selected_asset_ids: list[str] | None = None,
        *,
        registry: ProviderRegistry | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.registry = registry or ProviderRegistry()
        self.worker: AutoLabelWorker | None = None
        self.last_summary: RunSummary | None = None
        self.resumable: Run | None = None
        self._pending: list[AssetDone] = []
        self._progress: RunProgress | None = None
        self._last_pace: RunProgress | None = None
        self.counts = RunCounts()
        self.setObjectName(DIALOG_NAME)
        self.setWindowTitle(f"Auto-Label — {store.project().name}")

        self.options = RunOptionsPanel(self)
        self.options.changed.connect(self._refresh_resume_offer)
        self.providers_button = QPushButton("Providers…", self)
        self.providers_button.setToolTip("Settings > Inference: add or test a provider")
        self.providers_button.clicked.connect(self._open_provider_settings)
        self.resume_note = QLabel(self)
        self.resume_note.setObjectName("resumeNote")
        self.resume_note.setWordWrap(True)
        settings_box = QGroupBox("Run", self)
        settings_layout = QVBoxLayout(settings_box)
        settings_layout.addWidget(self.options)
        settings_layout.addWidget(self.resume_note)

        self.progress = RunProgressPanel(self)
        self.failures = FailureList(self)
        self.failures.retryRequested.connect(self.retry_failed)
        lower = QSplitter(Qt.Orientation.Vertical, self)
        progress_box = QGroupBox("Progress", self)
        QVBoxLayout(progress_box).addWidget(self.progress)
        lower.addWidget(progress_box)
        lower.addWidget(self.failures)
        lower.setStretchFactor(1, 1)

        self.run_button = QPushButton("Run", self)
        self.run_button.setObjectName("runButton")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(lambda: self.start_run())
        self.resume_button = QPushButton("Resume", self)
        self.resume_button.setObjectName("resumeButton")
        self.resume_button.clicked.connect(lambda: self.resume())
        self.cancel_button = QPushButton("Cancel run", self)
        self.cancel_button.setObjectName("cancelButton")
        self.cancel_button.clicked.connect(self.cancel_run)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.providers_button)
        buttons.addStretch(1)
        for button in (self.resume_button, self.run_button, self.cancel_button):
            buttons.addWidget(button)
        buttons.addWidget(close)

        layout = QVBoxLayout(self)
        layout.addWidget(settings_box)
        layout.addWidget(lower, 1)
        layout.addLayout(buttons)
        self.resize(720, 640)

        self._flush_timer = QTimer(self)
        self._flush_timer.setInterval(FLUSH_INTERVAL_MS)
        self._flush_timer.timeout.connect(self._flush)
        # Closing the dialog or the app cancels the run; what was done stays, and the run is
        # offered for resuming (offer_resume) the next time the project opens.
        self.finished.connect(self.stop)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.stop)

        self.options.set_selected(selected_asset_ids or [])
        self.reload_providers()
        self._refresh_counts()
        self._set_running(False)

    # -- state --------------------------------------------------------------------------------

    def is_running(self) -> bool:
        return self.worker is not None

    def set_selected_assets(self, asset_ids: list[str]) -> None:
        self.options.set_selected(asset_ids)

    def reload_providers(self) -> None:
        try:
            configs = self.registry.list()
        except ProviderError as exc:
            configs = []
            self.progress.failed_to_start(str(exc), "config")
        self.options.set_providers(configs)
        if not configs:
            self.progress.status.setText(
                "No inference provider yet: add one with <b>Providers…</b> "
                "(Settings &gt; Inference)."
            )
        self._set_running(self.is_running())

    def _refresh_counts(self) -> None:
        unlabeled = len(self.store.assets(statuses=[AssetStatus.UNLABELED]))
        self.options.set_counts(unlabeled, self.store.asset_count())

    def _refresh_resume_offer(self) -> None:
        provider_id = self.options.provider_id()
        run = (
            resumable_run(self.store, provider_id)
            if provider_id and not self.is_running()
            else None
        )
        self.resumable = run
        if run is not None:
            plan = plan_run(self.store, run)
            state = effective_state(self.store, run).value
            self.resume_note.setText(
                f"An unfinished run of this provider ({state}, {len(plan.earlier):,} of "
                f"{plan.total:,} done; threshold {run.threshold:g}, "
                f"scope {describe_scope(run.scope)}) can be resumed with its own settings."
            )
        self.resume_note.setVisible(run is not None)
        self.resume_button.setVisible(run is not None)

    def _set_running(self, running: bool) -> None:
        self.options.setEnabled(not running)
        has_provider = self.options.provider_id() is not None
        self.run_button.setEnabled(not running and has_provider)
        self.resume_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.cancel_button.setText("Cancel run")
        self.providers_button.setEnabled(not running)
        self.failures.set_retry_allowed(not running and has_provider)
        if not running:
            self._refresh_resume_offer()

    # -- starting and stopping ----------------------------------------------------------------

    def start_run(self, options: RunOptions | None = None) -> bool:
        """A new run with the dialog's settings (or `options`); False when none can start."""
        options = options or self.options.options()
        if options is None or self.is_running():
            return False
        return self._launch(options, resume_run_id=None)

    def resume(self, run: Run | None = None) -> bool:
        """Continue `run` (default: the selected provider's unfinished one) with its own
        threshold and scope, as `auto-label --resume` does."""
        run = run or self.resumable
        if run is None or self.is_running():
            return False
        self.options.select_provider(run.provider_id)
        self.options.set_threshold(run.threshold)
        self.options.set_scope(run.scope)
        options = RunOptions(
            run.provider_id, run.threshold, run.scope, self.options.concurrency.value()
        )
        return self._launch(options, resume_run_id=run.id)

    def retry_failed(self, asset_ids: list[str] | None = None) -> bool:
        """A new run over exactly the assets that failed (or `asset_ids`)."""
        ids = list(asset_ids if asset_ids is not None else self.failures.failed_ids())
        current = self.options.options()
        if not ids or current is None:
            return False
        return self.start_run(
            RunOptions(current.provider_id, current.threshold, ids, current.concurrency)
        )

    def cancel_run(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.cancel_button.setEnabled(False)
            self.cancel_button.setText("Cancelling…")

    def stop(self) -> None:
        """Cancel and join the run's thread (the dialog or the app is closing)."""
        if self.worker is not None:
            self.worker.stop()
            # The thread has ended; tidy up now rather than when its queued `closed` arrives
            # (which finds nothing left to do), so the dialog is idle when close() returns.
            self._on_closed()

    def _launch(self, options: RunOptions, *, resume_run_id: str | None) -> bool:
        try:
            config = self.registry.get(options.provider_id)
        except ProviderError as exc:
            self.progress.failed_to_start(str(exc), "config")
            return False
        _spare_the_ui_full_collections()
        worker = AutoLabelWorker(
            self.store,
            config,
            threshold=options.threshold,
            scope=options.scope,
            concurrency=options.concurrency,
            resume_run_id=resume_run_id,
            parent=self,
        )
        worker.started.connect(self._on_started)
        worker.asset_done.connect(self._on_asset_done)
        worker.progress.connect(self._on_progress)
        worker.finished.connect(self._on_finished)
        worker.errored.connect(self._on_errored)
        worker.closed.connect(self._on_closed)
        self.worker = worker
        self._pending.clear()
        self._progress = self._last_pace = None
        self.counts = RunCounts()
        self.last_summary = None
        self.failures.clear()
        self.progress.begin()
        self._set_running(True)
        self.resume_note.hide()
        self.resume_button.hide()
        self._flush_timer.start()
        worker.start()
        return True

    # -- events from the run ------------------------------------------------------------------

    def _on_started(self, event: RunStarted) -> None:
        self.counts = RunCounts(total=event.total)
        if event.resumed:
            earlier = self.store.run_assets(event.run_id)
            for entry in earlier:
                self.counts.add(RunAssetStatus(entry.result.status).value, entry.result.kept)
            self.failures.add(
                FailedAsset(
                    e.asset_id,
                    self._asset_name(e.asset_id),
                    e.result.category,
                    e.result.message or "",
                )
                for e in earlier
                if e.result.status == RunAssetStatus.FAILED
            )
        self.progress.started(event, self.counts)
        self.runStarted.emit(event)

    def _on_asset_done(self, event: AssetDone) -> None:
        self._pending.append(event)  # shown at the next flush, batched with its neighbours

    def _on_progress(self, event: RunProgress) -> None:
        self._progress = event  # shown at the next flush, with the assets that led to it

    def _flush(self) -> None:
        done, self._pending = self._pending, []
        if done:
            for event in done:
                self.counts.add(event.status, event.kept)
            self.failures.add(
                FailedAsset(e.asset_id, e.asset_name, e.category, e.message or "")
                for e in done
                if e.status == RunAssetStatus.FAILED.value
            )
            self.assetsUpdated.emit([event.asset_id for event in done])
        if done or self._progress is not None:
            # The run's own pace (this session's rate and ETA) lags the counts by < 100 ms.
            pace = self._last_pace = self._progress or self._last_pace
            self.progress.progressed(
                self.counts, pace.rate if pace else None, pace.eta_s if pace else None
            )
            self._progress = None

    def _on_finished(self, summary: RunSummary) -> None:
        self._flush()
        self.last_summary = summary
        self.progress.finished(summary)
        self.runFinished.emit(summary)

    def _on_errored(self, error: BaseException) -> None:
        self._flush()
        if isinstance(error, RunError):
            self.progress.failed_to_start(error.message, error.category)
        else:
            self.progress.failed_to_start(
                f"the run stopped: {type(error).__name__}: {error}", "internal"
            )

    def _on_closed(self) -> None:
        self._flush_timer.stop()
        worker, self.worker = self.worker, None
        if worker is not None:
            worker.deleteLater()
        self._refresh_counts()
        self._set_running(False)

    # -- helpers ------------------------------------------------------------------------------

    def _asset_name(self, asset_id: str) -> str:
        asset = self.store.asset(asset_id)
        return asset.display_name if asset is not None else asset_id

    def _open_provider_settings(self) -> None:
        from avala_desktop.views.settings_inference import show_inference_settings

        settings = show_inference_settings(self, self.registry)
        settings.providersChanged.connect(self.reload_providers)


def show_auto_label_dialog(
    parent: QWidget | None,
    store: ProjectStore,
    selected_asset_ids: list[str],
    *,
    registry: ProviderRegistry | None = None,
) -> AutoLabelDialog:
    """The project's Auto-Label dialog, raised (with the new selection) if already open."""
    if parent is not None:
        for existing in parent.findChildren(AutoLabelDialog, DIALOG_NAME):
            if existing.store is store and existing.isVisible():
                existing.set_selected_assets(selected_asset_ids)
                existing.raise_()
                existing.activateWindow()
                return existing
    dialog = AutoLabelDialog(store, selected_asset_ids, registry=registry, parent=parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.setModal(False)
    dialog.show()
    return dialog


def open_auto_label_dialog(
    parent: QWidget | None, store: ProjectStore, selected_asset_ids: list[str]
) -> AutoLabelDialog:
    """Project > Auto-Label, non-modal. Connect `assetsUpdated` / `runFinished` on the result
    (or find it later with `parent.findChild(AutoLabelDialog)`)."""
    return show_auto_label_dialog(parent, store, selected_asset_ids)


def offer_resume(parent: QWidget | None, store: ProjectStore) -> bool:
    """After opening a project: offer to resume its interrupted run (see
    autolabel_dialog_resume); True when a run was resumed."""
    from avala_desktop.views.autolabel_dialog_resume import offer_resume as ask

    return ask(parent, store)
