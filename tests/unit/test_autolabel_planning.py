"""Planning runs: scopes, resume choices, and the lock that tells a live run from a dead one."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from avala_desktop.core.store import AssetSpec, ProjectStore, RunAssetResult, RunState
from avala_desktop.jobs import planning
from avala_desktop.jobs.planning import (
    AssetSource,
    Plan,
    RunError,
    RunLock,
    choose_resume,
    effective_state,
    mark_stale_runs,
    normalize_scope,
    plan_run,
    resumable_run,
)

PROVIDER = "inf_0123456789ab"


@pytest.fixture
def store(tmp_path: Path) -> ProjectStore:
    project = ProjectStore.create(tmp_path / "p", labels=["car"])
    project.add_assets(
        AssetSpec(path=f"a{i}.png", type="image", width=8, height=8) for i in range(5)
    )
    return project


def test_scope_is_unlabeled_all_or_a_list_of_distinct_ids() -> None:
    assert normalize_scope("all") == "all"
    assert normalize_scope(["b", " a", "b"]) == ["b", "a"]
    for bad in ("everything", [], ["a", " "]):
        with pytest.raises(RunError):
            normalize_scope(bad)  # type: ignore[arg-type]


def test_plan_skips_what_the_run_did_and_sets_submitted_assets_apart(store: ProjectStore
                                                                       ) -> None:
    a0, a1, a2, a3, a4 = store.assets()
    store.insert_annotation(a1.id, "classification", "car", {})
    store.submit_asset(a1.id)
    store.insert_annotation(a2.id, "classification", "car", {})
    run = store.create_run(PROVIDER, "m", scope="all")
    store.replace_pending_suggestions(a0.id, PROVIDER, run.id, [], RunAssetResult())
    plan = plan_run(store, run)
    assert plan.todo == [a2.id, a3.id, a4.id]
    assert plan.submitted == [a1.id]
    assert [e.asset_id for e in plan.earlier] == [a0.id]
    assert plan.total == 5

    unlabeled = store.create_run(PROVIDER, "m")
    assert plan_run(store, unlabeled).todo == [a0.id, a3.id, a4.id]
    chosen = store.create_run(PROVIDER, "m", scope=[a4.id, a3.id])
    assert plan_run(store, chosen).todo == [a4.id, a3.id]  # as asked


def test_a_lock_is_exclusive_until_released(store: ProjectStore) -> None:
    first, second = RunLock(store.root, "run_x"), RunLock(store.root, "run_x")
    assert first.acquire()
    assert not second.acquire()
    first.release()
    assert second.acquire()
    second.release(remove=True)
    assert not second.path.exists()


def test_a_running_run_whose_process_died_reads_as_interrupted(store: ProjectStore) -> None:
    run = store.create_run(PROVIDER, "m")
    lock_path = RunLock(store.root, run.id).path
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            from pathlib import Path
            from avala_desktop.jobs.planning import RunLock
            lock = RunLock(Path({str(store.root)!r}), {run.id!r})
            assert lock.acquire()
            print("locked", flush=True)
            time.sleep(60)
        """)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        assert effective_state(store, run) is RunState.RUNNING
        assert resumable_run(store, PROVIDER) is None  # someone is working on it
        with pytest.raises(RunError):
            choose_resume(store, PROVIDER, resume=True)
    finally:
        holder.kill()
        holder.wait()
    assert lock_path.exists()
    assert effective_state(store, run) is RunState.INTERRUPTED
    assert resumable_run(store, PROVIDER) == run
    mark_stale_runs(store, PROVIDER)
    assert store.get_run(run.id).state is RunState.INTERRUPTED  # type: ignore[union-attr]


def test_choose_resume(store: ProjectStore) -> None:
    assert choose_resume(store, PROVIDER, resume=None).run is None
    with pytest.raises(RunError, match="no unfinished"):
        choose_resume(store, PROVIDER, resume=True)
    run = store.create_run(PROVIDER, "m", threshold=0.3)
    store.update_run(run.id, state=RunState.CANCELLED)

    same = choose_resume(store, PROVIDER, resume=None)
    assert same.run == store.get_run(run.id)
    assert same.note == f"Resuming cancelled run {run.id} (threshold 0.3, scope unlabeled)."
    assert choose_resume(store, PROVIDER, resume=None, threshold=0.3, scope="unlabeled").run
    differs = choose_resume(store, PROVIDER, resume=None, threshold=0.5)
    assert differs.run is None and "pass --resume" in (differs.note or "")
    assert choose_resume(store, PROVIDER, resume=None, scope="all").run is None
    forced = choose_resume(store, PROVIDER, resume=True, threshold=0.5)
    assert forced.run is not None and "with its own settings" in (forced.note or "")
    assert choose_resume(store, PROVIDER, resume=False).run is None
    assert choose_resume(store, "inf_ffffffffffff", resume=None).run is None

    store.update_run(run.id, state=RunState.COMPLETED)
    assert choose_resume(store, PROVIDER, resume=None).run is None


def test_asset_source_hands_out_the_plan_a_page_at_a_time(
    store: ProjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(planning, "PAGE_SIZE", 2)
    ids = [a.id for a in store.assets()]
    plan = Plan(todo=[ids[1], ids[3], ids[4]], submitted=[], earlier=[])
    source = AssetSource(store, plan, "all", threading.Event())
    handed = list(iter(source.next, None))
    assert [(asset_id, asset.id if asset else None) for asset_id, asset in handed] == [
        (ids[1], ids[1]), (ids[3], ids[3]), (ids[4], ids[4])
    ]


def test_asset_source_reads_what_the_pages_missed_and_reports_removed_assets(
    store: ProjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(planning, "PAGE_SIZE", 2)
    ids = [a.id for a in store.assets()]
    plan = Plan(todo=[ids[0], ids[2], "ast_gone"], submitted=[], earlier=[])
    source = AssetSource(store, plan, "all", threading.Event())
    assert source.next() == (ids[0], store.asset(ids[0]))
    # An asset sorting first arrives mid-run: the pages shift by one and skip ids[2] ...
    store.add_assets([AssetSpec(path="0-new.png", type="image", width=8, height=8)])
    rest = list(iter(source.next, None))
    # ... which is then read on its own; the id the project lacks comes with no record.
    assert rest == [(ids[2], store.asset(ids[2])), ("ast_gone", None)]


def test_asset_source_keeps_a_list_scopes_order_and_dries_up_on_cancel(store: ProjectStore
                                                                       ) -> None:
    ids = [a.id for a in store.assets()]
    cancel = threading.Event()
    source = AssetSource(store, Plan([ids[4], ids[0], ids[2]], [], []), [ids[4], ids[0], ids[2]],
                         cancel)
    assert source.next() == (ids[4], store.asset(ids[4]))
    cancel.set()
    assert source.next() is None
    closed = AssetSource(store, Plan([ids[0]], [], []), "all", threading.Event())
    closed.close()
    assert closed.next() is None


def test_planning_a_resume_passes_over_listed_assets_that_left_the_project(
    store: ProjectStore
) -> None:
    ids = [a.id for a in store.assets()]
    run = store.create_run(PROVIDER, "m", scope=[ids[0], "ast_deleted", ids[1]])
    assert plan_run(store, run).todo == [ids[0], ids[1]]
    with pytest.raises(RunError, match="ast_deleted"):
        list(planning.iter_scope(store, [ids[0], "ast_deleted"]))
