"""What an auto-label run reports while it works, and what it comes to.

Events are frozen dataclasses delivered, in order, on the thread that called
`run_auto_label` (the CLI's main thread, the GUI's worker thread). The CLI prints them; the Qt
adapter turns them into signals. Every event is small and JSON-ready (`to_dict`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


class _Event:
    kind = "event"

    def to_dict(self) -> dict[str, Any]:
        return {"event": self.kind, **_plain(self)}


@dataclass(frozen=True)
class RunStarted(_Event):
    """The plan is made. `total` counts the whole run, `already_done` what earlier sessions of
    a resumed run finished, so `total - already_done` assets are left for this session."""

    run_id: str
    provider_id: str
    provider_name: str
    threshold: float
    scope: str | list[str]
    concurrency: int
    total: int
    already_done: int = 0
    resumed: bool = False
    kind = "started"


@dataclass(frozen=True)
class AssetDone(_Event):
    """One asset is committed. status: ok, failed or skipped; `category` and `message` say
    why it failed (or was skipped), and for an ok asset `message` may name a discarded
    prediction's problem."""

    asset_id: str
    asset_name: str
    status: str
    kept: int = 0
    discarded: dict[str, int] = field(default_factory=dict)
    category: str | None = None
    message: str | None = None
    kind = "asset_done"


@dataclass(frozen=True)
class RunProgress(_Event):
    """Counts over the whole run (a resumed run starts at `already_done`); `rate` and `eta_s`
    come from this session's pace (None until there is one)."""

    done: int
    total: int
    ok: int
    failed: int
    skipped: int
    rate: float | None
    eta_s: float | None
    kind = "progress"


@dataclass(frozen=True)
class FailureExample:
    asset_id: str
    asset_name: str
    message: str


@dataclass(frozen=True)
class RunSummary:
    """The outcome of a whole run, read back from the store (earlier sessions included)."""

    run_id: str
    provider_id: str
    provider_name: str
    state: str  # a RunState value: completed, cancelled, failed
    threshold: float
    scope: str | list[str]
    total: int
    ok: int
    failed: int
    skipped: int
    kept: int
    kept_by_type: dict[str, int]
    discarded: dict[str, int]
    failed_by_category: dict[str, int]
    failure_examples: dict[str, list[FailureExample]]
    elapsed_s: float  # this session's wall time
    rate: float | None  # assets per second in this session
    resumed: bool = False

    @property
    def done(self) -> int:
        return self.ok + self.failed + self.skipped

    @property
    def remaining(self) -> int:
        return max(0, self.total - self.done)

    @property
    def discarded_total(self) -> int:
        return sum(self.discarded.values())

    def to_dict(self) -> dict[str, Any]:
        return {**_plain(self), "done": self.done, "remaining": self.remaining}


@dataclass(frozen=True)
class RunFinished(_Event):
    summary: RunSummary
    kind = "finished"

    def to_dict(self) -> dict[str, Any]:
        return {"event": self.kind, "summary": self.summary.to_dict()}


RunEvent = RunStarted | AssetDone | RunProgress | RunFinished
