"""The hand-over from a run's worker slots to its one committing thread, and the group commit.

Worker slots only fetch, parse and triage; each puts its asset's outcome into a `Handover`
of bounded size, so a slot blocks (back-pressure) whenever committing falls behind and
memory holds at most `capacity` waiting results. The committing thread takes everything
queued at once and `OutcomeCommitter` writes it in one transaction
(`ProjectStore.record_asset_outcomes`), each asset whole with its run_assets row: one
synced commit per batch instead of one per asset. Events for an asset go out only after the
batch holding it is on disk.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Generic, TypeVar

from avala_desktop.core.store import Asset, ProjectStore, RunAssetResult, RunAssetStatus
from avala_desktop.core.store.runs import AssetOutcome
from avala_desktop.jobs.events import AssetDone, RunEvent
from avala_desktop.jobs.process import Outcome
from avala_desktop.jobs.progress import RunTally

T = TypeVar("T")

PUT_POLL_S = 0.1
REMOVED_MESSAGE = "The asset was removed from the project during the run."

# (asset id, its record or None when it left the project, what became of it)
Finished = tuple[str, Asset | None, Outcome]


class Handover(Generic[T]):
    """A bounded, closable queue: many producers, one consumer taking batches."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"a hand-over needs room for one item, got {capacity}")
        self.capacity = capacity
        self._queue: queue.Queue[T] = queue.Queue(maxsize=capacity)
        self._closed = threading.Event()

    def put(self, item: T) -> bool:
        """Blocks while the hand-over is full; False (the item is dropped) once it is closed,
        so a slot whose consumer is gone never blocks for good."""
        while not self._closed.is_set():
            try:
                self._queue.put(item, timeout=PUT_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def take(self, timeout: float, limit: int, linger: float = 0.0) -> list[T]:
        """Waits up to `timeout` for one item, then up to `linger` more for others to join
        it (never past `limit` items in all); [] when nothing came."""
        try:
            first = self._queue.get(timeout=max(0.0, timeout))
        except queue.Empty:
            return []
        items = [first]
        deadline = time.monotonic() + linger
        while len(items) < limit:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                items.extend(self.drain(limit - len(items)))
                break
            try:
                items.append(self._queue.get(timeout=remaining))
            except queue.Empty:
                break
        return items

    def drain(self, limit: int | None = None) -> list[T]:
        """What is queued right now (up to `limit` items), without waiting."""
        items: list[T] = []
        while limit is None or len(items) < limit:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return items

    def close(self) -> None:
        """No more items are accepted; producers blocked in `put` return False."""
        self._closed.set()

    def empty(self) -> bool:
        return self._queue.empty()


class OutcomeCommitter:
    """Writes batches of finished assets for one run and reports each after its commit.

    A failure of the store propagates to the caller (the run fails with it); a batch is
    written whole or not at all, so what was not written is simply not done and a resume
    does it.
    """

    def __init__(
        self,
        store: ProjectStore,
        run_id: str,
        provider_id: str,
        tally: RunTally,
        emit: Callable[[RunEvent], None],
    ) -> None:
        self.store = store
        self.run_id = run_id
        self.provider_id = provider_id
        self.tally = tally
        self._emit = emit
        self.kept_by_type: Counter[str] = Counter()

    def commit(self, batch: list[Finished]) -> int:
        """Store the batch's outcomes in one transaction; returns how many assets it finished
        (cancelled ones are dropped uncommitted). Events keep the batch's order."""
        finished = [(a, asset, o) for a, asset, o in batch if not o.cancelled]
        to_write = [
            AssetOutcome(asset_id, *_result_of(outcome))
            for asset_id, _, outcome in finished
            if not outcome.removed
        ]
        stored = iter(
            self.store.record_asset_outcomes(self.run_id, self.provider_id, to_write)
            if to_write
            else []
        )
        gone = RunAssetResult(status=RunAssetStatus.SKIPPED, message=REMOVED_MESSAGE)
        for asset_id, asset, outcome in finished:
            name = asset.display_name if asset is not None else asset_id
            written = None if outcome.removed else next(stored)
            if written is None:
                self._report(asset_id, name, gone)
            else:
                self.kept_by_type.update(record.type for record in written.records)
                self._report(asset_id, name, written.result)
        return len(finished)

    def _report(self, asset_id: str, name: str, result: RunAssetResult) -> None:
        self.tally.add(result, asset_id=asset_id, asset_name=name)
        self._emit(done_event(asset_id, name, result))


def _result_of(outcome: Outcome) -> tuple[RunAssetResult, list[dict[str, object]]]:
    if outcome.failure is not None:
        failure = outcome.failure
        failed = RunAssetResult(
            status=RunAssetStatus.FAILED,
            category=failure.category.value,
            message=failure.message,
        )
        return failed, []
    ok = RunAssetResult(
        status=RunAssetStatus.OK,
        kept=len(outcome.annotations),
        discarded=outcome.discarded,
        message=outcome.message,
    )
    return ok, list(outcome.annotations)


def done_event(asset_id: str, name: str, result: RunAssetResult) -> AssetDone:
    return AssetDone(
        asset_id=asset_id,
        asset_name=name,
        status=RunAssetStatus(result.status).value,
        kept=result.kept,
        discarded=dict(result.discarded),
        category=result.category,
        message=result.message,
    )
