"""Which assets a run sends to the model, and which earlier run it may continue.

A run's scope is `unlabeled` (assets with no live annotation that are not submitted), `all`,
or a list of asset ids. Resuming a run skips every asset it already has a result for, so an
interrupted run finishes exactly what is left.

A run being worked on holds an OS file lock (`<project>/.avala/locks/<run id>.lock`). The
lock dies with its process, so a run left `running` by a killed process is recognisably
`interrupted`: nobody holds its lock. Two processes can never work on one run at once.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

from avala_desktop.core.store import (
    Asset,
    AssetStatus,
    ProjectStore,
    Run,
    RunAssetEntry,
    RunState,
)

Scope = Literal["unlabeled", "all"] | Sequence[str]
SCOPES: tuple[str, ...] = ("unlabeled", "all")
PAGE_SIZE = 256
LOCK_DIR = "locks"


class RunError(Exception):
    """The run cannot start (or continue); the message says what to do. Nothing was sent to
    a model. `category` is a FailureCategory value when a provider problem is the cause."""

    def __init__(self, message: str, *, category: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.category = category


def normalize_scope(scope: Scope) -> str | list[str]:
    if isinstance(scope, str):
        if scope not in SCOPES:
            raise RunError(f"unknown scope {scope!r}: use 'unlabeled', 'all' or a list of ids")
        return scope
    ids = list(dict.fromkeys(str(asset_id).strip() for asset_id in scope))
    if not ids or any(not asset_id for asset_id in ids):
        raise RunError("the list of assets to auto-label is empty or has an empty id")
    return ids


def describe_scope(scope: str | list[str]) -> str:
    """"unlabeled", "all" or "3 chosen assets", to follow the word "scope"."""
    if isinstance(scope, str):
        return scope
    return f"{len(scope)} chosen asset{'s' if len(scope) != 1 else ''}"


def require_assets(store: ProjectStore, asset_ids: list[str]) -> None:
    """RunError naming the ids the project does not have, if any."""
    missing = [asset_id for asset_id in asset_ids if store.asset(asset_id) is None]
    if missing:
        shown = ", ".join(missing[:5])
        if len(missing) > 5:
            shown += f" and {len(missing) - 5} more"
        raise RunError(
            f"the project has no asset {shown}; list the ids with `avala-desktop status` "
            "or the asset browser"
        )


def iter_scope(store: ProjectStore, scope: str | list[str], *, strict: bool = True
               ) -> Iterator[Asset]:
    """The assets `scope` names right now: in the project's path order (a list scope: in its
    own order), read a page at a time so that planning a large project never holds every
    asset record at once. `strict`: RunError names listed ids the project does not have;
    otherwise they are passed over (an asset deleted before a resume)."""
    if isinstance(scope, list):
        if strict:
            require_assets(store, scope)
        for asset_id in scope:
            asset = store.asset(asset_id)
            if asset is not None:
                yield asset
        return
    statuses = [AssetStatus.UNLABELED] if scope == "unlabeled" else None
    offset = 0
    while True:
        page = store.assets(statuses=statuses, limit=PAGE_SIZE, offset=offset)
        yield from page
        if len(page) < PAGE_SIZE:
            return
        offset += PAGE_SIZE


@dataclass(frozen=True)
class Plan:
    """Asset ids: `todo` go to the model, `submitted` are recorded as skipped without a
    request; `earlier` are the results a resumed run already has."""

    todo: list[str]
    submitted: list[str]
    earlier: list[RunAssetEntry]

    @property
    def total(self) -> int:
        return len(self.todo) + len(self.submitted) + len(self.earlier)


def plan_run(store: ProjectStore, run: Run) -> Plan:
    earlier = store.run_assets(run.id)
    done = {entry.asset_id for entry in earlier}
    todo: list[str] = []
    submitted: list[str] = []
    # Not strict: a new run checked its ids before it was created, and an asset deleted
    # since then is no reason to refuse to finish the others.
    for asset in iter_scope(store, run.scope, strict=False):
        if asset.id in done:
            continue
        (submitted if asset.status is AssetStatus.SUBMITTED else todo).append(asset.id)
    # A project changing while it is paged through could show an asset twice.
    return Plan(todo=list(dict.fromkeys(todo)), submitted=list(dict.fromkeys(submitted)),
                earlier=earlier)


class AssetSource:
    """Hands a plan's assets to worker threads one at a time, dry once cancelled or closed.

    Records are read a page at a time in the project's path order (the plan's own order for
    `unlabeled` and `all`) and only the planned ones are kept, so a worker never waits on a
    database read per asset and memory holds one page. A planned asset the pages did not show
    (the project changed meanwhile), and every asset of a list scope, is read on its own.
    `next()` returns (asset id, record), the record None when the asset left the project.
    """

    def __init__(self, store: ProjectStore, plan: Plan, scope: str | list[str],
                 cancel: threading.Event) -> None:
        self._store = store
        self._cancel = cancel
        self._lock = threading.Lock()
        self._closed = False
        self._wanted = set(plan.todo)
        self._order = iter(plan.todo)
        self._buffer: deque[tuple[str, Asset | None]] = deque()
        self._offset: int | None = None if isinstance(scope, list) else 0

    def next(self) -> tuple[str, Asset | None] | None:
        with self._lock:
            while not self._buffer:
                if self._closed or self._cancel.is_set() or not self._refill():
                    return None
            if self._closed or self._cancel.is_set():
                return None
            return self._buffer.popleft()

    def close(self) -> None:
        with self._lock:
            self._closed = True

    def _refill(self) -> bool:
        if self._offset is not None:
            page = self._store.assets(limit=PAGE_SIZE, offset=self._offset)
            self._offset = None if len(page) < PAGE_SIZE else self._offset + PAGE_SIZE
            for asset in page:
                if asset.id in self._wanted:
                    self._wanted.discard(asset.id)
                    self._buffer.append((asset.id, asset))
            return True
        for asset_id in self._order:
            if asset_id in self._wanted:
                self._wanted.discard(asset_id)
                self._buffer.append((asset_id, self._store.asset(asset_id)))
                return True
        return False


# -- run ownership -------------------------------------------------------------------------


class RunLock:
    """An exclusive, non-blocking OS lock on one run; released on `release` or process exit."""

    def __init__(self, project_root: Path, run_id: str) -> None:
        self.path = project_root / ".avala" / LOCK_DIR / f"{run_id}.lock"
        self._handle: IO[bytes] | None = None

    def acquire(self) -> bool:
        if self._handle is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+b")  # noqa: SIM115 - held open for the lock's lifetime
        try:
            _lock(handle)
        except OSError:
            handle.close()
            return False
        self._handle = handle
        return True

    def release(self, *, remove: bool = False) -> None:
        """Unlock. `remove` deletes the lock file too, which is only safe once nobody will
        ever lock this run again (it completed): a process that opened the file before the
        deletion could otherwise lock the old file while another locks a new one."""
        handle, self._handle = self._handle, None
        if handle is None:
            return
        try:
            if remove:
                with contextlib.suppress(OSError):
                    self.path.unlink()
            _unlock(handle)
        finally:
            handle.close()

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock(handle: IO[bytes]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)

    def _unlock(handle: IO[bytes]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(handle: IO[bytes]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(handle: IO[bytes]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def run_is_active(store: ProjectStore, run: Run) -> bool:
    """True while some process (this one included) is working on the run."""
    if run.state is not RunState.RUNNING:
        return False
    probe = RunLock(store.root, run.id)
    if probe.acquire():
        probe.release()
        return False
    return True


def effective_state(store: ProjectStore, run: Run) -> RunState:
    """The run's state, with `running` read as `interrupted` when no process works on it."""
    if run.state is RunState.RUNNING and not run_is_active(store, run):
        return RunState.INTERRUPTED
    return run.state


def resumable_run(store: ProjectStore, provider_id: str) -> Run | None:
    """The provider's newest run if it did not complete and nobody is working on it."""
    run = store.latest_resumable_run(provider_id)
    if run is None or run_is_active(store, run):
        return None
    return run


def mark_stale_runs(store: ProjectStore, provider_id: str) -> None:
    """Record `interrupted` on the provider's runs left `running` by a process that died, so
    the project's history does not show them running forever."""
    for run in store.runs(provider_id=provider_id):
        if run.state is RunState.RUNNING and not run_is_active(store, run):
            store.update_run(run.id, state=RunState.INTERRUPTED)


def _same_scope(run: Run, scope: str | list[str]) -> bool:
    if isinstance(scope, str) or isinstance(run.scope, str):
        return run.scope == scope
    return sorted(run.scope) == sorted(scope)


@dataclass(frozen=True)
class ResumeChoice:
    """The run to continue (None: start a new one) and a sentence for the user, if any."""

    run: Run | None
    note: str | None = None


def _settings(run: Run) -> str:
    return f"threshold {run.threshold:g}, scope {describe_scope(run.scope)}"


def choose_resume(
    store: ProjectStore,
    provider_id: str,
    *,
    resume: bool | None,
    threshold: float | None = None,
    scope: str | list[str] | None = None,
) -> ResumeChoice:
    """What `auto-label` continues. `resume=None` (the default): the provider's unfinished
    run, unless the threshold or scope asked for (None = not asked) differ from its own;
    `True`: that run whatever was asked (RunError when there is none); `False`: none."""
    if resume is False:
        return ResumeChoice(None)
    run = resumable_run(store, provider_id)
    if run is None:
        if resume:
            raise RunError(
                "there is no unfinished auto-label run of this provider to resume; run without "
                "--resume to start one"
            )
        return ResumeChoice(None)
    differs = (threshold is not None and abs(run.threshold - threshold) > 1e-9) or (
        scope is not None and not _same_scope(run, scope)
    )
    state = effective_state(store, run).value
    if not differs:
        return ResumeChoice(run, f"Resuming {state} run {run.id} ({_settings(run)}).")
    if resume:
        return ResumeChoice(
            run, f"Resuming {state} run {run.id} with its own settings ({_settings(run)})."
        )
    return ResumeChoice(
        None,
        f"Run {run.id} ({_settings(run)}) was left {state}; starting a new run with the "
        "settings given instead (pass --resume to continue it).",
    )
