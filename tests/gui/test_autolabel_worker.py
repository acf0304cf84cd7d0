"""The Qt adapter of auto-label runs: signals on the UI thread, cancel, stop, errors."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from avala_desktop.jobs.events import AssetDone, RunProgress, RunStarted, RunSummary
from avala_desktop.jobs.planning import RunError
from avala_desktop.views.autolabel_worker import AutoLabelWorker
from tests.e2e.autolabel_support import BOX, http_provider, image_project
from tests.servers.https_model_server import ModelServer, ok_json, slow

pytestmark = pytest.mark.gui

@pytest.fixture
def server() -> Iterator[ModelServer]:
    with ModelServer(fetch_assets=True) as running:
        yield running


def test_events_arrive_as_signals_on_the_ui_thread(qtbot, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                   server: ModelServer) -> None:
    store = image_project(tmp_path / "p", 5)
    server.default = ok_json([BOX])
    worker = AutoLabelWorker(store, http_provider(server), concurrency=2)
    ui = threading.get_ident()
    seen: list[tuple[object, int]] = []
    for signal in (worker.started, worker.progress, worker.asset_done):
        signal.connect(lambda event: seen.append((event, threading.get_ident())))
    with (
        qtbot.waitSignal(worker.closed, timeout=20_000),
        qtbot.waitSignal(worker.finished, timeout=20_000) as finished,
    ):
        worker.start()
    summary = finished.args[0]
    assert isinstance(summary, RunSummary) and summary.state == "completed" and summary.ok == 5
    events = [event for event, _ in seen]
    assert isinstance(events[0], RunStarted)
    assert sum(isinstance(e, AssetDone) for e in events) == 5
    assert isinstance(events[-1], RunProgress) and events[-1].done == 5
    assert {thread for _, thread in seen} == {ui}
    assert not worker.is_running()


def test_cancel_ends_the_run_cancelled_and_stop_joins(qtbot, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                       server: ModelServer) -> None:
    store = image_project(tmp_path / "p", 12)
    server.default = slow(0.2, ok_json([BOX]))
    worker = AutoLabelWorker(store, http_provider(server), concurrency=2)
    worker.asset_done.connect(lambda event: worker.cancel())
    with qtbot.waitSignal(worker.finished, timeout=20_000) as finished:
        worker.start()
    summary = finished.args[0]
    assert summary.state == "cancelled"
    assert 1 <= summary.done < 12
    assert worker.stop(10_000)  # the thread is joined; `closed` follows on the event loop
    qtbot.waitUntil(lambda: not worker.is_running(), timeout=10_000)


def test_a_run_that_cannot_start_reports_through_errored(qtbot, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                         server: ModelServer) -> None:
    store = image_project(tmp_path / "p", 1, labels=())
    worker = AutoLabelWorker(store, http_provider(server))
    with qtbot.waitSignal(worker.errored, timeout=10_000) as errored:
        worker.start()
    assert isinstance(errored.args[0], RunError)
    assert "no labels" in errored.args[0].message
    qtbot.waitUntil(lambda: not worker.is_running(), timeout=10_000)
