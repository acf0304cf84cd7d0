"""Auto-label runs: every asset in scope goes to the model; what clears the bar is stored as
pending suggestions (PRODUCT.md §4).

How a run holds together:
- Bounded: `concurrency` pool tasks each take the next asset when they are free, so at most
  that many requests are out and at most that many results wait to be committed; memory
  stays flat in the number of assets.
- Group commit: workers fetch, parse and triage; the calling thread is the one committer and
  writes every finished asset queued in one transaction (committer.py,
  `ProjectStore.record_asset_outcomes`), each asset whole with its result row. A failing
  asset never stops the run; a failing store fails it.
- Cancel: no new request starts; requests already out get `CANCEL_GRACE_S` to finish and be
  committed (with whatever was already handed over), then are abandoned uncommitted (an
  abandoned asset is simply not done, and a resume does it). The run ends `cancelled`. A
  killed process leaves it `running` without an owner, which reads as `interrupted`
  (planning.py); both resume under the same run id.
- Events (events.py) go to `on_event` on the calling thread, in order.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import TypedDict, Unpack

from avala_desktop.core.errors import InferenceFailure
from avala_desktop.core.store import (
    ProjectStore,
    Run,
    RunAssetResult,
    RunAssetStatus,
    RunState,
)
from avala_desktop.core.store.runs import SUBMITTED_SKIP_MESSAGE
from avala_desktop.inference.asset_server import AssetServer
from avala_desktop.inference.base import ProviderClient
from avala_desktop.inference.clients import make_client
from avala_desktop.inference.providers import HttpProviderConfig, SageMakerProviderConfig
from avala_desktop.jobs.committer import Finished, Handover, OutcomeCommitter, done_event
from avala_desktop.jobs.events import (
    RunEvent,
    RunFinished,
    RunStarted,
    RunSummary,
)
from avala_desktop.jobs.planning import (
    AssetSource,
    Plan,
    RunError,
    RunLock,
    Scope,
    mark_stale_runs,
    normalize_scope,
    plan_run,
    require_assets,
)
from avala_desktop.jobs.pool import DaemonThreadPool
from avala_desktop.jobs.process import AssetProcessor, AssetServing
from avala_desktop.jobs.progress import RunTally

log = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 4
MAX_CONCURRENCY = 32
CANCEL_GRACE_S = 1.0
PROGRESS_INTERVAL_S = 0.1
COUNTERS_INTERVAL_S = 1.0
# The most assets written in one transaction (the hand-over holds `concurrency` anyway).
MAX_BATCH = MAX_CONCURRENCY
# How long the committer lets a batch gather after its first asset. Besides making batches
# (one synced commit for several assets), it keeps the committer's CPU-bound store work off
# the GIL while the slot that just handed over reads its next asset and sends its request:
# run together, the slot waits on the GIL and the request leaves late.
COMMIT_LINGER_S = 0.005

ProviderConfig = HttpProviderConfig | SageMakerProviderConfig
EventSink = Callable[[RunEvent], None]


class RunParams(TypedDict, total=False):
    """The settings of a run as keyword arguments, passed unchanged from `run_auto_label`
    (and the GUI's worker) to `AutoLabelRun`, which holds their defaults."""

    threshold: float
    scope: Scope
    concurrency: int
    resume_run_id: str | None
    client: ProviderClient | None
    asset_server: AssetServer | None
    asset_serving: AssetServing | None


class AutoLabelRun:
    """One run (or one session of a resumed run). Build it, then call `run()` once."""

    def __init__(
        self,
        store: ProjectStore,
        provider_config: ProviderConfig,
        *,
        threshold: float = 0.5,
        scope: Scope = "unlabeled",
        concurrency: int = DEFAULT_CONCURRENCY,
        resume_run_id: str | None = None,
        on_event: EventSink | None = None,
        cancel: threading.Event | None = None,
        client: ProviderClient | None = None,
        asset_server: AssetServer | None = None,
        asset_serving: AssetServing | None = None,
        cancel_grace_s: float = CANCEL_GRACE_S,
    ) -> None:
        if not isinstance(concurrency, int) or not 1 <= concurrency <= MAX_CONCURRENCY:
            raise RunError(f"concurrency must be from 1 to {MAX_CONCURRENCY}, got {concurrency!r}")
        if not 0.0 <= float(threshold) <= 1.0:
            raise RunError(f"the confidence threshold must be from 0 to 1, got {threshold!r}")
        self.store = store
        self.config = provider_config
        self.threshold = float(threshold)
        self.scope = normalize_scope(scope)
        self.concurrency = concurrency
        self.resume_run_id = resume_run_id
        self.cancel = cancel if cancel is not None else threading.Event()
        self._emit: EventSink = on_event or (lambda event: None)
        self._client = client
        self._grace_s = cancel_grace_s
        self._labels: list[str] = []
        self._processor = AssetProcessor(
            store,
            provider_config,
            cancel=self.cancel,
            pool_size=concurrency,
            asset_server=asset_server,
            serving=asset_serving,
        )
        self._committer: OutcomeCommitter | None = None
        self._run: Run | None = None

    # -- the run ----------------------------------------------------------------------------

    def run(self) -> RunSummary:
        """Raises RunError when the run cannot start; otherwise returns its summary, also
        after a cancel. A failure of the store itself marks the run failed and propagates."""
        self._labels = self.store.label_names()
        if not self._labels:
            raise RunError(
                "the project has no labels, so no prediction could be kept; add the label set "
                "first (`avala-desktop init PROJECT_DIR --labels a,b,c`)"
            )
        if isinstance(self.scope, list):
            require_assets(self.store, self.scope)  # unknown ids fail before a run exists
        owns_client = self._client is None
        client = self._client if self._client is not None else self._make_client()
        try:
            self._processor.start()
            run, lock = self._open_run()
            completed = False
            try:
                summary = self._session(run, client)
                completed = summary.state == RunState.COMPLETED.value
                return summary
            finally:
                lock.release(remove=completed)
        finally:
            self._processor.stop()
            if owns_client:
                client.close()

    def _make_client(self) -> ProviderClient:
        try:
            return make_client(self.config, pool_size=self.concurrency, cancel=self.cancel)
        except InferenceFailure as exc:
            raise RunError(exc.message, category=exc.category.value) from None

    def _open_run(self) -> tuple[Run, RunLock]:
        if self.resume_run_id is None:
            mark_stale_runs(self.store, self.config.id)
            run = self.store.create_run(
                self.config.id,
                self.config.name,
                threshold=self.threshold,
                scope=self.scope,
                concurrency=self.concurrency,
            )
            lock = RunLock(self.store.root, run.id)
            lock.acquire()
            return run, lock
        found = self.store.get_run(self.resume_run_id)
        if found is None:
            raise RunError(f"there is no auto-label run {self.resume_run_id} in this project")
        if found.provider_id != self.config.id:
            raise RunError(
                f"run {found.id} was made with provider {found.provider_name!r}, not "
                f"{self.config.name!r}; resume it with that provider or start a new run"
            )
        if found.state is RunState.COMPLETED:
            raise RunError(f"run {found.id} already completed; start a new run instead")
        lock = RunLock(self.store.root, found.id)
        if not lock.acquire():
            raise RunError(
                f"run {found.id} is being worked on by another window or process; wait for it "
                "to finish or cancel it there"
            )
        try:
            # A resumed run keeps its own threshold and scope, so the finished run is the
            # same as one that was never interrupted.
            self.threshold = found.threshold
            self.scope = found.scope
            return self.store.update_run(found.id, state=RunState.RUNNING), lock
        except BaseException:
            lock.release()
            raise

    def _session(self, run: Run, client: ProviderClient) -> RunSummary:
        self._run = run
        self._processor.labels = self._labels
        self._processor.threshold = run.threshold
        tally: RunTally | None = None
        try:
            plan = plan_run(self.store, run)
            tally = RunTally(plan.total, plan.earlier)
            self._emit(
                RunStarted(
                    run_id=run.id,
                    provider_id=self.config.id,
                    provider_name=self.config.name,
                    threshold=run.threshold,
                    scope=run.scope,
                    concurrency=self.concurrency,
                    total=plan.total,
                    already_done=len(plan.earlier),
                    resumed=self.resume_run_id is not None,
                )
            )
            for asset_id in plan.submitted:
                self._skip_submitted(asset_id, tally)
            remaining = self._process_all(plan, client, tally)
            state = RunState.CANCELLED if remaining else RunState.COMPLETED
            self.store.update_run(run.id, state=state, counters=tally.counters())
            summary = self._summary(plan, state, tally)
        except BaseException as exc:
            # KeyboardInterrupt and friends leave a resumable run; anything else is a failure
            # of the run itself (the store, a bug), which the caller hears about.
            state = RunState.FAILED if isinstance(exc, Exception) else RunState.INTERRUPTED
            self._record_state(run.id, state, tally)
            raise
        self._emit(RunFinished(summary))
        return summary

    def _record_state(self, run_id: str, state: RunState, tally: RunTally | None) -> None:
        try:
            self.store.update_run(
                run_id, state=state, counters=tally.counters() if tally else None
            )
        except Exception:
            # Called while the run's own exception propagates: that one is what the caller must
            # hear; this second failure (usually the same broken store) only goes to the log.
            log.exception("could not record state %s of run %s", state.value, run_id)

    # -- the loop ---------------------------------------------------------------------------

    def _process_all(self, plan: Plan, client: ProviderClient, tally: RunTally) -> int:
        """Runs the plan; returns how many assets were left undone (non-zero after a cancel).

        `concurrency` pool tasks each take the next asset themselves and only fetch, parse
        and triage it; this thread is the one committer (committer.py): it takes every
        finished asset queued and writes them in one transaction. The hand-over holds
        `concurrency` results, which holds the slots back whenever committing falls behind.
        """
        source = AssetSource(self.store, plan, self.scope, self.cancel)
        handover: Handover[Finished] = Handover(self.concurrency)
        committer = self._committer = OutcomeCommitter(
            self.store, self._run_id, self.config.id, tally, self._emit
        )

        def work() -> None:
            while (handed := source.next()) is not None:
                asset_id, asset = handed
                outcome = self._processor.process(asset_id, asset, client)
                if not handover.put((asset_id, asset, outcome)):
                    return  # the run has ended: an abandoned result is not committed

        left = len(plan.todo)
        pool = DaemonThreadPool(self.concurrency, name="avala-autolabel")
        workers = [pool.submit(work) for _ in range(self.concurrency)]
        last_progress = last_counters = time.monotonic()
        grace_until: float | None = None
        emitted_done = -1
        try:
            while True:
                if self.cancel.is_set() and grace_until is None:
                    grace_until = time.monotonic() + self._grace_s
                if all(w.done() for w in workers) and handover.empty():
                    for w in workers:
                        w.result()  # a worker that died of a bug fails the run, loudly
                    break
                now = time.monotonic()
                if grace_until is not None and now >= grace_until:
                    # What was handed over is finished work: it is written, not dropped.
                    left -= committer.commit(handover.drain())
                    log.info("cancel: abandoning the requests still in flight")
                    break
                wait_s = 0.1 if grace_until is None else min(0.1, grace_until - now)
                batch = handover.take(wait_s, MAX_BATCH, COMMIT_LINGER_S)
                if batch:
                    left -= committer.commit(batch)
                now = time.monotonic()
                if now - last_progress >= PROGRESS_INTERVAL_S and tally.done != emitted_done:
                    self._emit(tally.progress())
                    last_progress, emitted_done = now, tally.done
                if now - last_counters >= COUNTERS_INTERVAL_S:
                    self.store.update_run(self._run_id, counters=tally.counters())
                    last_counters = now
        finally:
            # Requests still out finish on daemon threads; what they return is dropped.
            handover.close()
            source.close()
            pool.shutdown(wait=False, cancel_futures=True)
        if tally.done != emitted_done:
            self._emit(tally.progress())
        return left

    @property
    def _run_id(self) -> str:
        assert self._run is not None
        return self._run.id

    # -- committing -------------------------------------------------------------------------

    def _skip_submitted(self, asset_id: str, tally: RunTally) -> None:
        result = RunAssetResult(status=RunAssetStatus.SKIPPED, message=SUBMITTED_SKIP_MESSAGE)
        self.store.record_asset_result(self._run_id, asset_id, result)
        name = self._name(asset_id)
        tally.add(result, asset_id=asset_id, asset_name=name)
        self._emit(done_event(asset_id, name, result))

    # -- the summary ------------------------------------------------------------------------

    def _summary(self, plan: Plan, state: RunState, tally: RunTally) -> RunSummary:
        """The whole run's outcome: the tally was seeded with the earlier sessions' results,
        so nothing is read back but the types of their suggestions."""
        run = self.store.get_run(self._run_id)
        assert run is not None
        kept_by_type = Counter(self._committer.kept_by_type if self._committer else {})
        for entry in plan.earlier:
            if entry.result.kept:
                kept_by_type.update(
                    a.type for a in self.store.annotations(entry.asset_id) if a.run_id == run.id
                )
        return RunSummary(
            run_id=run.id,
            provider_id=run.provider_id,
            provider_name=run.provider_name,
            state=state.value,
            threshold=run.threshold,
            scope=run.scope,
            total=plan.total,
            ok=tally.counts[RunAssetStatus.OK.value],
            failed=tally.counts[RunAssetStatus.FAILED.value],
            skipped=tally.counts[RunAssetStatus.SKIPPED.value],
            kept=tally.kept,
            kept_by_type=dict(kept_by_type.most_common()),
            discarded=dict(tally.discarded.most_common()),
            failed_by_category=dict(tally.failed_by_category.most_common()),
            failure_examples=tally.failure_examples(self._name),
            elapsed_s=tally.elapsed(),
            rate=tally.rate(),
            resumed=self.resume_run_id is not None,
        )

    def _name(self, asset_id: str) -> str:
        asset = self.store.asset(asset_id)
        return asset.display_name if asset is not None else asset_id


def run_auto_label(
    store: ProjectStore,
    provider_config: ProviderConfig,
    *,
    on_event: EventSink | None = None,
    cancel: threading.Event | None = None,
    **params: Unpack[RunParams],
) -> RunSummary:
    """Run (or resume) auto-label over the project; see `AutoLabelRun` and the module doc.

    Raises RunError when the run cannot start: bad arguments, no labels, unknown asset ids,
    a provider configuration or secret problem, a run another process is working on.
    """
    return AutoLabelRun(store, provider_config, on_event=on_event, cancel=cancel, **params).run()
