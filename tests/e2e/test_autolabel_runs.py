"""Runs against a loopback model server: re-runs replace only pending suggestions, the
threshold and label set filter, scopes, bounded concurrency, cancel and resume."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from avala_desktop.core.store import Origin, ReviewState, RunState
from avala_desktop.jobs.autolabel import run_auto_label
from avala_desktop.jobs.planning import RunError
from tests.e2e.autolabel_support import Events, by_name, http_provider, image_project
from tests.servers.autolabel_servers import Counting, by_asset
from tests.servers.https_model_server import ModelServer, json_from_request, ok_json, slow

pytestmark = pytest.mark.e2e


def box(x: int, confidence: float = 0.9, label: str = "object") -> dict[str, object]:
    return {"type": "bounding_box", "label": label, "confidence": confidence,
            "coordinates": {"x": x, "y": 1, "width": 4, "height": 4}}


@pytest.fixture
def server() -> Iterator[ModelServer]:
    with ModelServer(fetch_assets=True) as running:
        yield running


def test_rerun_replaces_only_this_providers_pending_suggestions(
    tmp_path: Path, server: ModelServer
) -> None:
    store = image_project(tmp_path / "p", 2)
    asset = store.assets()[0]
    provider = http_provider(server)
    server.default = ok_json([box(1), box(2), box(3), box(4)])
    first = run_auto_label(store, provider, scope="all")
    a, b, c, d = store.annotations(asset.id)
    store.set_state(a.id, ReviewState.ACCEPTED)
    store.update_annotation(b.id, geometry={"coordinates": {"x": 9, "y": 9, "width": 2,
                                                            "height": 2}},
                            state=ReviewState.EDITED)
    store.set_state(c.id, ReviewState.REJECTED)
    human = store.insert_annotation(asset.id, "polygon", "car",
                                    {"points": [[0, 0], [5, 0], [5, 5]]})
    other = store.insert_annotation(asset.id, "bounding_box", "car",
                                    {"coordinates": {"x": 0, "y": 0, "width": 3, "height": 3}},
                                    confidence=0.7, origin=Origin.MODEL,
                                    provider_id="inf_0123456789ab", run_id=None)

    server.default = ok_json([box(10), box(11)])
    second = run_auto_label(store, provider, scope="all")

    after = {r.id: r for r in store.annotations(asset.id, include_rejected=True)}
    # d (still pending, from the first run) was replaced; everything a person touched, the
    # human drawing and the other provider's suggestion stayed exactly as they were.
    assert d.id not in after
    assert after[a.id].state is ReviewState.ACCEPTED and after[a.id].run_id == first.run_id
    assert after[b.id].state is ReviewState.EDITED
    assert after[b.id].geometry["coordinates"]["x"] == 9
    assert after[c.id].state is ReviewState.REJECTED
    assert after[human.id] == human
    assert after[other.id] == other
    new = [r for r in after.values() if r.run_id == second.run_id]
    assert sorted(r.geometry["coordinates"]["x"] for r in new) == [10, 11]
    assert all(r.state is ReviewState.PENDING and r.provider_id == provider.id for r in new)
    assert second.kept == 4 and second.kept_by_type == {"bounding_box": 4}


def test_threshold_and_label_set_filter_and_are_counted(tmp_path: Path, server: ModelServer
                                                        ) -> None:
    store = image_project(tmp_path / "p", 3)
    server.default = ok_json([
        box(1, 0.49), box(2, 0.5), box(3, 0.51), box(4, 1.0), box(5, 0.9, "zebra"),
        {"type": "polygon", "label": "object", "confidence": 0.9, "points": [[0, 0], [1, 1]]},
    ])
    provider = http_provider(server)
    summary = run_auto_label(store, provider, threshold=0.5)
    for asset in store.assets():
        confidences = sorted(r.confidence or 0 for r in store.annotations(asset.id))
        assert confidences == [0.5, 0.51, 1.0]
    assert summary.kept == 9
    assert summary.discarded == {
        "below_threshold": 3,
        "label_not_in_set": 3,
        "invalid:polygon: needs at least N points": 3,
    }
    stricter = run_auto_label(store, provider, threshold=0.95, scope="all")
    assert stricter.kept == 3
    assert Counter(r.confidence for a in store.assets() for r in store.annotations(a.id)) == {
        1.0: 3
    }


def test_unlabeled_scope_skips_labeled_assets_and_all_skips_submitted(
    tmp_path: Path, server: ModelServer
) -> None:
    store = image_project(tmp_path / "p", 4)
    assets = by_name(store)
    labeled, submitted = assets["img_0000.png"], assets["img_0001.png"]
    store.insert_annotation(labeled.id, "bounding_box", "car",
                            {"coordinates": {"x": 0, "y": 0, "width": 3, "height": 3}})
    store.submit_asset(submitted.id)
    server.default = ok_json([box(1)])
    provider = http_provider(server)

    unlabeled = run_auto_label(store, provider)
    asked = {r.json["asset_id"] for r in server.requests}
    assert asked == {assets["img_0002.png"].id, assets["img_0003.png"].id}
    assert unlabeled.total == 2

    everything = run_auto_label(store, provider, scope="all")
    assert (everything.total, everything.ok, everything.skipped) == (4, 3, 1)
    assert submitted.id not in {r.json["asset_id"] for r in server.requests}
    entries = {e.asset_id: e.result for e in store.run_assets(everything.run_id)}
    assert "submitted" in (entries[submitted.id].message or "")

    chosen = run_auto_label(store, provider, scope=[assets["img_0003.png"].id])
    assert (chosen.total, chosen.ok) == (1, 1)
    with pytest.raises(RunError, match="no asset ast_missing"):
        run_auto_label(store, provider, scope=["ast_missing"])


def test_never_more_requests_in_flight_than_the_concurrency(tmp_path: Path, server: ModelServer
                                                            ) -> None:
    store = image_project(tmp_path / "p", 24)
    server.default = responder = Counting(ok_json([box(1)]), delay_s=0.05)
    summary = run_auto_label(store, http_provider(server), concurrency=3)
    assert summary.ok == 24
    assert responder.peak == 3


def test_cancel_then_resume_finishes_exactly_the_remaining_assets(
    tmp_path: Path, server: ModelServer
) -> None:
    store = image_project(tmp_path / "p", 10)
    server.default = slow(0.15, json_from_request(lambda req: {"annotations": [box(1)]}))
    provider = http_provider(server)
    cancel = threading.Event()
    events = Events(cancel=cancel, cancel_after=3)

    first = run_auto_label(store, provider, concurrency=2, cancel=cancel, on_event=events)

    assert first.state == "cancelled"
    assert 3 <= first.done < 10
    assert store.get_run(first.run_id).state is RunState.CANCELLED  # type: ignore[union-attr]
    done_before = store.processed_asset_ids(first.run_id)
    asked_before = [r.json["asset_id"] for r in server.requests]

    resumed_events = Events()
    second = run_auto_label(store, provider, concurrency=2, resume_run_id=first.run_id,
                            on_event=resumed_events)

    asked_after = [r.json["asset_id"] for r in server.requests][len(asked_before):]
    assert second.run_id == first.run_id and second.resumed
    assert second.state == "completed"
    assert (second.total, second.ok) == (10, 10)
    assert resumed_events.started.already_done == len(done_before)
    assert set(asked_after).isdisjoint(done_before)
    assert len(asked_after) == len(set(asked_after)) == 10 - len(done_before)
    assert all(len(store.annotations(a.id)) == 1 for a in store.assets())
    # The progress of the resumed session counts the whole run.
    assert resumed_events.progress[-1].done == 10


def test_resume_refuses_a_run_of_another_provider_or_a_completed_one(
    tmp_path: Path, server: ModelServer
) -> None:
    store = image_project(tmp_path / "p", 1)
    provider = http_provider(server)
    done = run_auto_label(store, provider)
    with pytest.raises(RunError, match="already completed"):
        run_auto_label(store, provider, resume_run_id=done.run_id)
    other = http_provider(server, name="other-model")
    run = store.create_run(provider.id, provider.name)
    with pytest.raises(RunError, match="was made with provider 'test-model'"):
        run_auto_label(store, other, resume_run_id=run.id)


def test_a_project_without_labels_cannot_run(tmp_path: Path, server: ModelServer) -> None:
    store = image_project(tmp_path / "p", 1, labels=())
    with pytest.raises(RunError, match="no labels"):
        run_auto_label(store, http_provider(server))
    assert store.runs() == []
    assert server.requests == []


def test_the_model_downloads_each_asset_from_its_signed_url(tmp_path: Path, server: ModelServer
                                                            ) -> None:
    store = image_project(tmp_path / "p", 3)
    server.default = ok_json([])
    run_auto_label(store, http_provider(server))
    for request in server.requests:
        asset = store.asset(request.json["asset_id"])
        assert asset is not None
        assert request.asset_bytes == store.asset_abspath(asset).read_bytes()
        assert request.json["width"] == request.json["height"] == 24
        assert request.json["labels"] == ["object", "pedestrian", "car"]
        assert "sig=" in request.json["asset_url"]
    assert server.requests and all(r.asset_error is None for r in server.requests)


def test_an_asset_that_cannot_be_read_fails_alone(tmp_path: Path, server: ModelServer) -> None:
    store = image_project(tmp_path / "p", 3)
    gone = by_name(store)["img_0001.png"]
    store.asset_abspath(gone).unlink()
    server.default = by_asset({}, ok_json([box(1)]))
    summary = run_auto_label(store, http_provider(server))
    assert (summary.ok, summary.failed) == (2, 1)
    assert summary.failed_by_category == {"asset_unreadable": 1}
    assert gone.id not in {r.json["asset_id"] for r in server.requests}


def test_cancel_abandons_stuck_requests_uncommitted_and_a_resume_does_them(
    tmp_path: Path, server: ModelServer
) -> None:
    store = image_project(tmp_path / "p", 4)
    server.default = slow(30, ok_json([box(1)]))
    provider = http_provider(server, timeout_s=60)
    cancel = threading.Event()
    timer = threading.Timer(0.5, cancel.set)
    timer.start()
    started = time.monotonic()

    first = run_auto_label(store, provider, concurrency=2, cancel=cancel)

    assert time.monotonic() - started < 10  # the 30 s requests were not waited for
    assert first.state == "cancelled" and first.done == 0
    assert len(server.requests) == 2  # no new request after the cancel
    assert all(store.annotations(a.id) == [] for a in store.assets())
    assert store.processed_asset_ids(first.run_id) == set()

    server.default = ok_json([box(1)])
    second = run_auto_label(store, provider, resume_run_id=first.run_id)
    assert (second.state, second.ok) == ("completed", 4)
