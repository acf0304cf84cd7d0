"""Runs in the store: replacing pending suggestions atomically, per-asset results, resume."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from avala_desktop.core.store import (
    RUNS,
    AssetSpec,
    NotFoundError,
    Origin,
    ProjectStore,
    ReviewState,
    Run,
    RunAssetResult,
    RunAssetStatus,
    RunState,
)
from avala_desktop.core.store.runs import AssetOutcome

BOX = {"coordinates": {"x": 1.0, "y": 2.0, "width": 3.0, "height": 4.0}}


def run_of(store: ProjectStore, run_id: str) -> Run:
    run = store.get_run(run_id)
    assert run is not None, run_id
    return run


def resumable_id(store: ProjectStore, provider_id: str | None = None) -> str:
    run = store.latest_resumable_run(provider_id)
    assert run is not None
    return run.id


@pytest.fixture
def store(store: ProjectStore) -> ProjectStore:
    """The unit tests' store with three images."""
    store.add_assets([AssetSpec(f"img{i}.png", "image", 100, 100) for i in range(3)])
    return store


def _suggestion(label: str = "car", confidence: float = 0.8, x: float = 1.0) -> dict:
    return {"type": "bounding_box", "label": label, "confidence": confidence,
            "coordinates": {"x": x, "y": 2.0, "width": 3.0, "height": 4.0}}


def test_create_get_update_run(store: ProjectStore) -> None:
    run = store.create_run("prov1", "Local model", threshold=0.6, scope=["ast_a"], concurrency=2)
    assert run.id.startswith("run_") and run.state is RunState.RUNNING
    assert store.get_run(run.id) == run
    assert run_of(store, run.id).scope == ["ast_a"]
    done = store.update_run(run.id, state="completed", counters={"ok": 3, "failed": 0})
    assert done.state is RunState.COMPLETED and done.finished_at is not None
    assert done.counters == {"ok": 3, "failed": 0}
    resumed = store.update_run(run.id, state=RunState.RUNNING)
    assert resumed.finished_at is None and resumed.counters == {"ok": 3, "failed": 0}
    with pytest.raises(NotFoundError):
        store.update_run("run_nope", state="failed")
    with pytest.raises(ValueError):
        store.create_run("p", "p", threshold=1.5)


def test_replace_pending_suggestions_keeps_reviewed_and_other_providers(
    store: ProjectStore,
) -> None:
    asset = store.assets()[0].id
    run1 = store.create_run("prov1", "One")
    first = store.replace_pending_suggestions(
        asset, "prov1", run1.id, [_suggestion(x=1), _suggestion(x=2), _suggestion(x=3)],
        RunAssetResult(discarded={"below_threshold": 2}),
    )
    assert [a.state for a in first] == [ReviewState.PENDING] * 3
    assert all(a.origin is Origin.MODEL and a.run_id == run1.id for a in first)
    store.set_state(first[0].id, "accepted")
    store.update_annotation(first[1].id, geometry=BOX, state="edited")
    human = store.insert_annotation(asset, "bounding_box", "car", BOX)
    other_run = store.create_run("prov2", "Two")
    other = store.replace_pending_suggestions(asset, "prov2", other_run.id, [_suggestion()],
                                              RunAssetResult())

    run2 = store.create_run("prov1", "One")
    second = store.replace_pending_suggestions(
        asset, "prov1", run2.id, [_suggestion("pedestrian", 0.9)], RunAssetResult()
    )
    remaining = {a.id for a in store.annotations(asset)}
    # the pending one of prov1 (first[2]) is replaced; everything reviewed or foreign stays
    assert remaining == {first[0].id, first[1].id, human.id, other[0].id, second[0].id}
    assert store.get_annotation(first[2].id) is None
    entry = store.run_assets(run1.id)[0]
    assert entry.result.kept == 3 and entry.result.discarded == {"below_threshold": 2}


def test_replace_is_idempotent(store: ProjectStore) -> None:
    asset = store.assets()[0].id
    run = store.create_run("prov1", "One")
    for _ in range(3):
        store.replace_pending_suggestions(asset, "prov1", run.id,
                                          [_suggestion(), _suggestion(x=5)], RunAssetResult())
    assert len(store.annotations(asset)) == 2
    assert len(store.run_assets(run.id)) == 1
    assert store.processed_asset_ids(run.id) == {asset}


def test_replace_keeps_model_order(store: ProjectStore) -> None:
    asset = store.assets()[0].id
    run = store.create_run("prov1", "One")
    stored = store.replace_pending_suggestions(
        asset, "prov1", run.id, [_suggestion(x=float(i)) for i in range(30)], RunAssetResult()
    )
    listed = store.annotations(asset)
    assert [a.id for a in listed] == [a.id for a in stored]
    assert [a.geometry["coordinates"]["x"] for a in listed] == [float(i) for i in range(30)]


def test_replace_is_all_or_nothing(store: ProjectStore) -> None:
    asset = store.assets()[0].id
    run = store.create_run("prov1", "One")
    store.replace_pending_suggestions(asset, "prov1", run.id, [_suggestion()], RunAssetResult())
    before = store.annotations(asset)
    with pytest.raises(ValueError):
        store.replace_pending_suggestions(
            asset, "prov1", run.id, [_suggestion(), {"type": "blob", "label": "car"}],
            RunAssetResult(),
        )
    with pytest.raises(NotFoundError):
        store.replace_pending_suggestions(asset, "prov1", "run_missing", [_suggestion()],
                                          RunAssetResult())
    assert store.annotations(asset) == before


def test_failures_and_processed_ids(store: ProjectStore) -> None:
    a, b, c = (x.id for x in store.assets())
    run = store.create_run("prov1", "One")
    store.replace_pending_suggestions(a, "prov1", run.id, [], RunAssetResult())
    store.record_asset_failure(run.id, b, "timeout", "The model did not answer within 30 s.")
    store.record_asset_result(run.id, c, RunAssetResult(status=RunAssetStatus.SKIPPED))
    assert store.processed_asset_ids(run.id) == {a, b, c}
    assert store.processed_asset_ids(run.id, statuses=["failed"]) == {b}
    failed = {e.asset_id: e for e in store.run_assets(run.id)}[b]
    assert failed.result.status is RunAssetStatus.FAILED
    assert failed.result.category == "timeout" and "30 s" in (failed.result.message or "")
    # a retry that succeeds overwrites the failure
    store.replace_pending_suggestions(b, "prov1", run.id, [_suggestion()], RunAssetResult())
    assert store.processed_asset_ids(run.id, statuses=["failed"]) == set()


def test_latest_resumable_run(store: ProjectStore) -> None:
    assert store.latest_resumable_run() is None
    old = store.create_run("prov1", "One")
    store.update_run(old.id, state="cancelled")
    assert resumable_id(store, "prov1") == old.id
    assert store.latest_resumable_run("prov2") is None
    newer = store.create_run("prov1", "One")
    store.update_run(newer.id, state="completed")
    assert store.latest_resumable_run("prov1") is None  # the old cancelled one is superseded
    killed = store.create_run("prov2", "Two")  # never finished: its process died
    assert resumable_id(store, ) == killed.id
    assert resumable_id(store, "prov2") == killed.id
    assert [r.id for r in store.runs()] == [killed.id, newer.id, old.id]


def test_run_changes_notify(store: ProjectStore) -> None:
    seen: list[tuple[str, tuple[str, ...]]] = []
    store.subscribe(lambda kind, ids: seen.append((kind, ids)))
    run = store.create_run("prov1", "One")
    asset = store.assets()[0].id
    store.replace_pending_suggestions(asset, "prov1", run.id, [_suggestion()], RunAssetResult())
    kinds = [k for k, _ in seen]
    assert kinds.count(RUNS) == 2 and "annotations" in kinds and "assets" in kinds


def test_submitted_asset_is_skipped_by_runs(store: ProjectStore) -> None:
    asset = store.assets()[0].id
    store.submit_asset(asset)
    run = store.create_run("prov1", "One")
    assert store.replace_pending_suggestions(
        asset, "prov1", run.id, [_suggestion()], RunAssetResult()
    ) == []
    assert store.annotations(asset) == []
    (entry,) = store.run_assets(run.id)
    assert entry.result.status is RunAssetStatus.SKIPPED
    assert "submitted" in (entry.result.message or "")
    assert status_of_asset(store, asset) == "submitted"


def status_of_asset(store: ProjectStore, asset_id: str) -> str:
    asset = store.asset(asset_id)
    assert asset is not None
    return asset.status.value


# -- group commit: several assets of a run in one transaction ---------------------------------


def _abort_run_asset_insert(store: ProjectStore, asset_id: str, message: str) -> None:
    """A real store failure in the middle of a transaction: SQLite refuses the run_assets row
    of `asset_id` (as a full disk or a broken file would refuse a write)."""
    import sqlite3

    with sqlite3.connect(store.db_path) as raw:
        raw.execute(
            f"CREATE TRIGGER refuse BEFORE INSERT ON run_assets WHEN NEW.asset_id = '{asset_id}' "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
        )


def test_a_batch_writes_each_asset_as_replace_and_record_would(store: ProjectStore) -> None:
    a, b, c = (x.id for x in store.assets())
    run = store.create_run("prov1", "One")
    store.replace_pending_suggestions(a, "prov1", run.id, [_suggestion(x=9.0)], RunAssetResult())
    failed = RunAssetResult(status=RunAssetStatus.FAILED, category="timeout", message="slow")
    stored = store.record_asset_outcomes(run.id, "prov1", [
        AssetOutcome(a, RunAssetResult(discarded={"below_threshold": 2}),
                     [_suggestion(x=1.0), _suggestion("pedestrian", x=2.0)]),
        AssetOutcome(b, failed),
        AssetOutcome(c, RunAssetResult(kept=5), []),
    ])
    first, second, third = stored
    assert first is not None and second is not None and third is not None
    assert [r.label for r in first.records] == ["car", "pedestrian"]
    assert first.result.kept == 2 and third.result.kept == 0  # what was stored, not claimed
    assert second.records == [] and second.result == failed
    # a's old pending suggestion was replaced, not added to
    assert [x.geometry["coordinates"]["x"] for x in store.annotations(a)] == [1.0, 2.0]
    results = {e.asset_id: e.result for e in store.run_assets(run.id)}
    assert results[a].discarded == {"below_threshold": 2} and results[a].kept == 2
    assert results[b].status is RunAssetStatus.FAILED and results[b].category == "timeout"
    assert results[c].status is RunAssetStatus.OK


def test_a_batch_is_all_or_nothing(store: ProjectStore) -> None:
    a, b, c = (x.id for x in store.assets())
    run = store.create_run("prov1", "One")
    _abort_run_asset_insert(store, c, "the disk is full")
    batch = [
        AssetOutcome(a, RunAssetResult(), [_suggestion()]),
        AssetOutcome(b, RunAssetResult(status=RunAssetStatus.FAILED, category="timeout",
                                       message="slow")),
        AssetOutcome(c, RunAssetResult(), [_suggestion()]),
    ]
    with pytest.raises(IntegrityError, match="the disk is full"):
        store.record_asset_outcomes(run.id, "prov1", batch)
    # c's refusal came after a and b were written in the same transaction: both rolled back
    assert store.run_assets(run.id) == []
    assert all(store.annotations(x) == [] for x in (a, b, c))
    with pytest.raises(ValueError):  # a malformed suggestion: nothing of the batch is written
        store.record_asset_outcomes(run.id, "prov1", [
            AssetOutcome(a, RunAssetResult(), [_suggestion()]),
            AssetOutcome(b, RunAssetResult(), [{"type": "blob", "label": "car"}]),
        ])
    with pytest.raises(NotFoundError):
        store.record_asset_outcomes("run_missing", "prov1", batch[:1])
    assert store.run_assets(run.id) == [] and store.annotations(a) == []


def test_a_batch_skips_a_submitted_asset_and_reports_a_removed_one(
    store: ProjectStore,
) -> None:
    a, b, _ = (x.id for x in store.assets())
    store.submit_asset(b)
    run = store.create_run("prov1", "One")
    stored = store.record_asset_outcomes(run.id, "prov1", [
        AssetOutcome(a, RunAssetResult(), [_suggestion()]),
        AssetOutcome(b, RunAssetResult(), [_suggestion()]),
        AssetOutcome("ast_gone", RunAssetResult(), [_suggestion()]),
    ])
    kept, skipped, gone = stored
    assert kept is not None and len(kept.records) == 1
    assert skipped is not None and skipped.records == []
    assert skipped.result.status is RunAssetStatus.SKIPPED
    assert "submitted" in (skipped.result.message or "")
    assert gone is None
    assert store.annotations(b) == [] and status_of_asset(store, b) == "submitted"
    results = {e.asset_id: e.result.status for e in store.run_assets(run.id)}
    assert results == {a: RunAssetStatus.OK, b: RunAssetStatus.SKIPPED}
