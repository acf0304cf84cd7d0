"""Counting a run as it goes: per-status totals, pace and ETA, and the run's stored counters."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from avala_desktop.core.store import RunAssetEntry, RunAssetResult, RunAssetStatus
from avala_desktop.jobs.events import FailureExample, RunProgress

EXAMPLES_PER_CATEGORY = 3


class RunTally:
    """Totals over the whole run (earlier sessions of a resumed run included); pace over this
    session only, so a resumed run's ETA is not skewed by the time it lay interrupted."""

    def __init__(self, total: int, earlier: Iterable[RunAssetEntry] = (), *, clock: Any = None):
        self.total = total
        self._clock = clock or time.monotonic
        self.counts: Counter[str] = Counter()
        self.kept = 0
        self.discarded: Counter[str] = Counter()
        self.failed_by_category: Counter[str] = Counter()
        # The first few failures of each category, for the summary: (asset id, name or None
        # when only the id is known, message).
        self.examples: dict[str, list[tuple[str, str | None, str]]] = {}
        for entry in earlier:
            self.add(entry.result, asset_id=entry.asset_id, this_session=False)
        self.session_done = 0
        self.started = self._clock()

    def add(
        self,
        result: RunAssetResult,
        *,
        asset_id: str = "",
        asset_name: str | None = None,
        this_session: bool = True,
    ) -> None:
        status = RunAssetStatus(result.status)
        self.counts[status.value] += 1
        self.kept += int(result.kept)
        self.discarded.update({str(k): int(v) for k, v in result.discarded.items()})
        if status is RunAssetStatus.FAILED:
            category = result.category or "internal"
            self.failed_by_category[category] += 1
            bucket = self.examples.setdefault(category, [])
            if len(bucket) < EXAMPLES_PER_CATEGORY:
                bucket.append((asset_id, asset_name, result.message or ""))
        if this_session:
            self.session_done += 1

    def failure_examples(
        self, name_of: Callable[[str], str]
    ) -> dict[str, list[FailureExample]]:
        """The examples with every asset named (`name_of` looks up those only known by id)."""
        return {
            category: [
                FailureExample(asset_id, name if name is not None else name_of(asset_id), text)
                for asset_id, name, text in bucket
            ]
            for category, bucket in self.examples.items()
        }

    @property
    def done(self) -> int:
        return sum(self.counts.values())

    def elapsed(self) -> float:
        return self._clock() - self.started

    def rate(self) -> float | None:
        elapsed = self.elapsed()
        if self.session_done == 0 or elapsed <= 0:
            return None
        return self.session_done / elapsed

    def progress(self) -> RunProgress:
        rate = self.rate()
        left = max(0, self.total - self.done)
        return RunProgress(
            done=self.done,
            total=self.total,
            ok=self.counts[RunAssetStatus.OK.value],
            failed=self.counts[RunAssetStatus.FAILED.value],
            skipped=self.counts[RunAssetStatus.SKIPPED.value],
            rate=rate,
            eta_s=(left / rate) if rate else None,
        )

    def counters(self) -> dict[str, Any]:
        """What the run row keeps, so a run list can show a run's standing without reading
        its per-asset rows."""
        return {
            "total": self.total,
            "done": self.done,
            "ok": self.counts[RunAssetStatus.OK.value],
            "failed": self.counts[RunAssetStatus.FAILED.value],
            "skipped": self.counts[RunAssetStatus.SKIPPED.value],
            "kept": self.kept,
            "discarded": dict(self.discarded),
            "failed_by_category": dict(self.failed_by_category),
        }
