"""The run's committer against a loopback model server: results handed over before a cancel
are written, not dropped; a store failure while committing fails the run with its message."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from avala_desktop.core.store import ProjectStore, RunAssetStatus, RunState
from avala_desktop.jobs.autolabel import AutoLabelRun, run_auto_label
from avala_desktop.jobs.events import AssetDone, RunEvent
from tests.e2e.autolabel_support import BOX, http_provider, image_project
from tests.servers.https_model_server import ModelServer, ok_json

pytestmark = pytest.mark.e2e


@pytest.fixture
def server() -> Iterator[ModelServer]:
    with ModelServer() as running:
        running.default = ok_json([BOX])
        yield running


def assert_nothing_half_written(store: ProjectStore, run_id: str) -> set[str]:
    """Every asset with a result has its suggestion, and no suggestion lacks its result;
    returns the assets with a result."""
    done = {e.asset_id for e in store.run_assets(run_id)}
    for asset in store.assets():
        stored = [a for a in store.annotations(asset.id) if a.run_id == run_id]
        assert len(stored) == (1 if asset.id in done else 0), asset.id
    return done


def test_cancel_commits_what_was_handed_over_and_a_resume_does_the_rest(
    tmp_path: Path, server: ModelServer
) -> None:
    store = image_project(tmp_path / "p", 12)
    provider = http_provider(server)
    cancel = threading.Event()
    reported: list[AssetDone] = []

    def on_event(event: RunEvent) -> None:
        if isinstance(event, AssetDone):
            reported.append(event)
            if len(reported) == 1:
                # Hold the committer while both slots keep working: by the fifth request the
                # hand-over (two places) holds finished assets that no one committed yet.
                deadline = time.monotonic() + 10
                while len(server.requests) < 5 and time.monotonic() < deadline:
                    time.sleep(0.01)
                cancel.set()

    first = AutoLabelRun(
        store, provider, concurrency=2, cancel=cancel, on_event=on_event,
        cancel_grace_s=0.0,
    ).run()

    assert first.state == "cancelled"
    # No grace at all, yet what the slots had handed over is on disk and reported.
    assert first.done >= 3
    done = assert_nothing_half_written(store, first.run_id)
    assert done == {e.asset_id for e in reported}
    assert len(server.requests) < 12

    second = run_auto_label(store, provider, resume_run_id=first.run_id)
    assert (second.state, second.ok, second.done) == ("completed", 12, 12)
    assert len(assert_nothing_half_written(store, first.run_id)) == 12


def test_a_store_failure_while_committing_fails_the_run_with_its_message(
    tmp_path: Path, server: ModelServer
) -> None:
    store = image_project(tmp_path / "p", 6)
    victim = store.assets()[3].id
    with sqlite3.connect(store.db_path) as raw:
        raw.execute(
            f"CREATE TRIGGER refuse BEFORE INSERT ON run_assets WHEN NEW.asset_id = '{victim}' "
            "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
        )

    with pytest.raises(IntegrityError, match="database or disk is full"):
        run_auto_label(store, http_provider(server), concurrency=2, scope="all")

    (run,) = store.runs()
    assert run.state is RunState.FAILED
    done = assert_nothing_half_written(store, run.id)
    assert victim not in done
    assert all(e.result.status is RunAssetStatus.OK for e in store.run_assets(run.id))
