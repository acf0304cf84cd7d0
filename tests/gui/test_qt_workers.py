from __future__ import annotations

import threading
import time

import pytest

from avala_desktop.qt_workers import JobReporter, JobWorker


def test_worker_reports_progress_and_result_on_the_ui_thread(qtbot) -> None:
    ui_thread = threading.get_ident()
    seen: list[tuple[object, int]] = []

    def job(reporter: JobReporter) -> str:
        for i in range(3):
            reporter.progress(i)
        return f"ran on {threading.get_ident()}"

    worker = JobWorker(job)
    worker.progress.connect(lambda v: seen.append((v, threading.get_ident())))
    with (
        qtbot.waitSignal(worker.finished, timeout=5000),
        qtbot.waitSignal(worker.result, timeout=5000) as blocker,
    ):
        worker.start()
    assert [v for v, _ in seen] == [0, 1, 2]
    assert all(tid == ui_thread for _, tid in seen)
    assert blocker.args[0] != f"ran on {ui_thread}"
    assert not worker.is_running()


def test_worker_cancel_stops_a_polling_job(qtbot) -> None:
    def job(reporter: JobReporter) -> int:
        n = 0
        while not reporter.cancelled:
            n += 1
            time.sleep(0.005)
        return n

    worker = JobWorker(job)
    with qtbot.waitSignal(worker.result, timeout=5000) as blocker:
        worker.start()
        qtbot.wait(50)
        worker.cancel()
    assert blocker.args[0] > 0
    assert worker.stop()


def test_worker_errors_travel_through_the_error_channel(qtbot) -> None:
    def job(reporter: JobReporter) -> None:
        raise ValueError("bad model response")

    worker = JobWorker(job)
    results: list[object] = []
    worker.result.connect(results.append)
    with qtbot.waitSignal(worker.errored, timeout=5000) as blocker:
        worker.start()
    qtbot.waitUntil(lambda: not worker.is_running(), timeout=5000)
    assert isinstance(blocker.args[0], ValueError)
    assert results == []


@pytest.mark.parametrize("n", [5])
def test_many_workers_all_join(qtbot, n: int) -> None:
    workers = [JobWorker(lambda r, i=i: i) for i in range(n)]
    for w in workers:
        w.start()
    qtbot.waitUntil(lambda: all(not w.is_running() for w in workers), timeout=5000)
    assert all(w.stop() for w in workers)
