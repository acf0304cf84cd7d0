"""The daemon worker pool under a run, and the run's tally: counts, pace and ETA."""

from __future__ import annotations

import threading
from concurrent.futures import CancelledError, wait

import pytest

from avala_desktop.core.store import RunAssetEntry, RunAssetResult, RunAssetStatus
from avala_desktop.jobs.pool import DaemonThreadPool
from avala_desktop.jobs.progress import RunTally


def test_pool_runs_tasks_on_daemon_threads_and_reports_errors() -> None:
    pool = DaemonThreadPool(3)
    names: list[str] = []

    def task(n: int) -> int:
        names.append(threading.current_thread().name)
        assert threading.current_thread().daemon
        if n == 4:
            raise ValueError("four")
        return n * n

    futures = [pool.submit(task, n) for n in range(6)]
    wait(futures)
    assert [f.result() for f in futures if f.exception() is None] == [0, 1, 4, 9, 25]
    assert isinstance(futures[4].exception(), ValueError)
    assert len(set(names)) <= 3
    pool.shutdown()
    with pytest.raises(RuntimeError):
        pool.submit(task, 1)


def test_shutdown_without_waiting_abandons_a_stuck_task_and_cancels_queued_ones() -> None:
    pool = DaemonThreadPool(1)
    release, running = threading.Event(), threading.Event()

    def stuck_task() -> bool:
        running.set()
        return release.wait(30)

    stuck = pool.submit(stuck_task)
    assert running.wait(5)
    queued = pool.submit(lambda: "never")
    pool.shutdown(wait=False, cancel_futures=True)
    assert queued.cancelled()
    with pytest.raises(CancelledError):
        queued.result()
    assert not stuck.done()  # still running on its daemon thread; nobody waits for it
    release.set()
    assert stuck.result(timeout=5) is True


def test_pool_needs_a_worker() -> None:
    with pytest.raises(ValueError):
        DaemonThreadPool(0)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_tally_counts_the_whole_run_but_paces_this_session() -> None:
    clock = Clock()
    earlier = [
        RunAssetEntry("run", f"a{i}", RunAssetResult(kept=2, discarded={"below_threshold": 1}),
                      None)  # type: ignore[arg-type]
        for i in range(4)
    ]
    tally = RunTally(10, earlier, clock=clock)
    first = tally.progress()
    assert (first.done, first.total, first.ok, first.rate, first.eta_s) == (4, 10, 4, None, None)
    clock.now += 2.0
    tally.add(RunAssetResult(status=RunAssetStatus.FAILED, category="timeout", message="slow"))
    tally.add(RunAssetResult(status=RunAssetStatus.SKIPPED, message="submitted"))
    progress = tally.progress()
    assert (progress.done, progress.ok, progress.failed, progress.skipped) == (6, 4, 1, 1)
    assert progress.rate == pytest.approx(1.0)
    assert progress.eta_s == pytest.approx(4.0)
    assert tally.counters() == {
        "total": 10, "done": 6, "ok": 4, "failed": 1, "skipped": 1, "kept": 8,
        "discarded": {"below_threshold": 4}, "failed_by_category": {"timeout": 1},
    }
