"""ProjectStore: project files, labels, assets, annotations, derived status, notifications."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from avala_desktop.core.store import (
    ANNOTATIONS,
    ASSETS,
    LABELS,
    AssetSpec,
    AssetStatus,
    Label,
    NotFoundError,
    Origin,
    ProjectError,
    ProjectStore,
    ReviewState,
    SubmitRefused,
)
from tests.unit.store_support import got, status_of

BOX = {"coordinates": {"x": 10.0, "y": 20.0, "width": 30.0, "height": 40.0}}


def _image(store: ProjectStore, name: str = "a.jpg") -> str:
    (added,) = store.add_assets([AssetSpec(store.root / name, "image", 640, 480)])
    return added.id


def test_create_writes_database_with_pragmas(tmp_path: Path) -> None:
    store = ProjectStore.create(tmp_path / "p", name="Demo", labels=["car"])
    try:
        assert store.db_path == tmp_path / "p" / ".avala" / "project.db"
        project = store.project()
        assert project.name == "Demo"
        assert project.schema_version == 1
        assert project.created_at.tzinfo is not None
        with store._db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert (conn.exec_driver_sql("PRAGMA busy_timeout").scalar() or 0) >= 1000
    finally:
        store.close()


def test_create_twice_refused_and_open_roundtrip(tmp_path: Path) -> None:
    ProjectStore.create(tmp_path / "p", labels=["car"]).close()
    with pytest.raises(ProjectError, match="already an avala-desktop project"):
        ProjectStore.create(tmp_path / "p")
    with ProjectStore.open(tmp_path / "p") as store:
        assert store.label_names() == ["car"]
        assert store.project().name == "p"


def test_open_non_project_says_to_run_init(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="avala-desktop init") as info:
        ProjectStore.open(tmp_path)
    assert str(tmp_path) in info.value.message
    assert not (tmp_path / ".avala").exists()  # opening must not create anything


def test_open_garbage_database_is_a_project_error(tmp_path: Path) -> None:
    (tmp_path / ".avala").mkdir()
    (tmp_path / ".avala" / "project.db").write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(ProjectError, match="not a readable project database"):
        ProjectStore.open(tmp_path)


def test_labels_get_distinct_colours_and_set_keeps_known(store: ProjectStore) -> None:
    labels = store.labels()
    assert [label.name for label in labels] == ["car", "pedestrian"]
    assert len({label.color for label in labels}) == 2
    cyclist = store.add_label("cyclist")
    assert cyclist.color not in {label.color for label in labels}
    assert store.add_label("car") == labels[0]  # idempotent
    new = store.set_labels(["pedestrian", Label("truck", "#123ABC"), "car"])
    assert [label.name for label in new] == ["pedestrian", "truck", "car"]
    assert new[0].color == labels[1].color and new[2].color == labels[0].color
    assert new[1].color == "#123abc"
    with pytest.raises(ValueError, match="#rrggbb"):
        store.add_label("bad", "red")


def test_add_assets_paths_and_idempotence(store: ProjectStore, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "b.png"
    specs = [
        AssetSpec(store.root / "imgs" / "a.jpg", "image", 640, 480),
        AssetSpec(outside, "image", 10, 20),
        AssetSpec("scan.pcd", "point_cloud"),
        AssetSpec(store.root / "v.mp4", "video_frame", 64, 48, store.root / "v.mp4", 0),
        AssetSpec(store.root / "v.mp4", "video_frame", 64, 48, store.root / "v.mp4", 10),
    ]
    added = store.add_assets(specs)
    assert [a.path for a in added] == [
        "imgs/a.jpg", outside.as_posix(), "scan.pcd", "v.mp4", "v.mp4"
    ]
    assert all(a.id.startswith("ast_") for a in added)
    assert store.add_assets(specs) == []  # nothing new the second time
    assert store.asset_count() == 5
    frames = store.assets(types=["video_frame"])
    assert [(f.video_source, f.frame_index) for f in frames] == [("v.mp4", 0), ("v.mp4", 10)]
    assert store.asset_abspath(frames[1]) == store.root / "v.mp4"
    assert store.asset_abspath(added[1].id) == outside
    with pytest.raises(ValueError, match="frame index"):
        store.add_assets([AssetSpec("x.jpg", "video_frame")])
    with pytest.raises(ValueError, match="unknown asset type"):
        store.add_assets([AssetSpec("x.obj", "mesh")])


def test_derived_status_through_review(store: ProjectStore) -> None:
    asset_id = _image(store)
    assert status_of(store, asset_id) is AssetStatus.UNLABELED
    ann = store.insert_annotation(asset_id, "bounding_box", "car", BOX, confidence=0.9,
                                  origin="model", provider_id="p1")
    assert ann.state is ReviewState.PENDING and ann.origin is Origin.MODEL
    assert status_of(store, asset_id) is AssetStatus.PENDING_REVIEW
    with pytest.raises(SubmitRefused, match="1 pending suggestion"):
        store.submit_asset(asset_id)
    store.set_state(ann.id, "rejected")
    assert status_of(store, asset_id) is AssetStatus.UNLABELED  # only rejected ones left
    store.set_state(ann.id, "accepted")
    assert status_of(store, asset_id) is AssetStatus.REVIEWED
    submitted = store.submit_asset(asset_id)
    assert submitted.status is AssetStatus.SUBMITTED and submitted.submitted_at is not None
    assert store.unsubmit_asset(asset_id).status is AssetStatus.REVIEWED


def test_submit_refused_counts_every_pending(store: ProjectStore) -> None:
    asset_id = _image(store)
    for _ in range(3):
        store.insert_annotation(asset_id, "classification", "car", {}, origin="model")
    with pytest.raises(SubmitRefused) as info:
        store.submit_asset(asset_id)
    assert info.value.pending == 3 and "3 pending suggestions" in str(info.value)
    assert status_of(store, asset_id) is AssetStatus.PENDING_REVIEW


def test_asset_filters(store: ProjectStore) -> None:
    a = _image(store, "street/one.jpg")
    b = _image(store, "street/two_100%.jpg")
    c = _image(store, "park/three.jpg")
    store.add_assets([AssetSpec("cloud.bin", "point_cloud")])
    store.insert_annotation(a, "bounding_box", "car", BOX, origin="model", provider_id="m1")
    store.insert_annotation(b, "bounding_box", "pedestrian", BOX)
    rej = store.insert_annotation(c, "bounding_box", "car", BOX, origin="model", provider_id="m2")
    store.set_state(rej.id, "rejected")

    def ids(**kw: object) -> set[str]:
        return {x.id for x in store.assets(**kw)}  # type: ignore[arg-type]

    assert ids(types=["image"]) == {a, b, c}
    assert ids(statuses=["pending_review"]) == {a}
    assert ids(statuses=["reviewed"]) == {b}
    assert len(ids(statuses=[AssetStatus.UNLABELED])) == 2
    assert ids(label="car") == {a}  # the rejected car on c does not count
    assert ids(provider_id="m1") == {a} and ids(provider_id="m2") == set()
    assert ids(search="STREET") == {a, b}
    assert ids(search="100%") == {b}  # % is literal, not a wildcard
    assert ids(search="e_t") == set()  # _ is literal too ("street" would match e?t)
    assert [x.path for x in store.assets(limit=2, offset=1)] == ["park/three.jpg",
                                                                 "street/one.jpg"]


def test_annotation_crud_and_revisions(store: ProjectStore) -> None:
    asset_id = _image(store)
    ann = store.insert_annotation(asset_id, "polygon", "car", {"points": [[0, 0], [5, 0], [5, 5]]})
    assert ann.id.startswith("ann_") and ann.state is ReviewState.ACCEPTED
    assert ann.revision == 1 and ann.created_at == ann.updated_at
    assert store.get_annotation(ann.id) == ann
    moved = store.update_annotation(ann.id, geometry={"points": [[1, 1], [6, 1], [6, 6]]},
                                    label="pedestrian", confidence=None)
    assert moved.revision == 2 and moved.label == "pedestrian"
    assert moved.geometry == {"points": [[1, 1], [6, 1], [6, 6]]}
    assert moved.updated_at >= ann.updated_at and moved.created_at == ann.created_at
    assert store.update_annotation(ann.id, confidence=0.25).confidence == 0.25
    deleted = store.delete_annotation(ann.id)
    assert deleted.revision == 3
    assert store.get_annotation(ann.id) is None
    with pytest.raises(NotFoundError, match="no longer in the project"):
        store.set_state(ann.id, "accepted")
    assert store.restore_annotation(deleted) == deleted
    assert store.get_annotation(ann.id) == deleted  # exact, timestamps included
    with pytest.raises(ProjectError, match="already in the project"):
        store.restore_annotation(deleted)


def test_annotation_validation(store: ProjectStore) -> None:
    asset_id = _image(store)
    with pytest.raises(ValueError, match="unknown annotation type"):
        store.insert_annotation(asset_id, "circle", "car", {})
    with pytest.raises(ValueError, match="confidence"):
        store.insert_annotation(asset_id, "classification", "car", {}, confidence=1.5)
    with pytest.raises(ValueError, match="must not contain"):
        store.insert_annotation(asset_id, "classification", "car", {"label": "x"})
    with pytest.raises(ValueError):  # NaN never reaches the database
        store.insert_annotation(asset_id, "bounding_box", "car",
                                {"coordinates": {"x": float("nan")}})
    with pytest.raises(NotFoundError, match="no asset"):
        store.insert_annotation("ast_missing", "classification", "car", {})
    assert store.annotations(asset_id, include_rejected=True) == []


def test_annotations_listing_states(store: ProjectStore) -> None:
    asset_id = _image(store)
    made = [store.insert_annotation(asset_id, "classification", "car", {}, origin="model")
            for _ in range(4)]
    store.set_states({made[0].id: "accepted", made[1].id: "rejected", made[2].id: "edited"})
    assert [a.id for a in store.annotations(asset_id)] == [made[0].id, made[2].id, made[3].id]
    assert len(store.annotations(asset_id, include_rejected=True)) == 4
    assert [a.id for a in store.annotations(asset_id, states=["rejected"])] == [made[1].id]
    # all or nothing: an unknown id rolls the whole batch back
    with pytest.raises(NotFoundError):
        store.set_states({made[3].id: "accepted", "ann_gone": "accepted"})
    assert got(store, made[3].id).state is ReviewState.PENDING


def test_listeners_called_after_commit_outside_transaction(store: ProjectStore) -> None:
    seen: list[tuple[str, tuple[str, ...]]] = []
    reads: list[int] = []

    def listener(kind: str, ids: tuple[str, ...]) -> None:
        seen.append((kind, ids))
        # Reading and writing from a listener works: no transaction or lock is held.
        reads.append(len(store.assets()))
        if kind == LABELS and "bike" not in ids:
            store.add_label("bike")

    unsubscribe = store.subscribe(listener)
    asset_id = _image(store)
    ann = store.insert_annotation(asset_id, "classification", "car", {})
    store.add_label("cyclist")
    assert (ASSETS, (asset_id,)) in seen
    assert (ANNOTATIONS, (ann.id,)) in seen
    assert "bike" in store.label_names()
    assert all(n == 1 for n in reads)
    unsubscribe()
    before = len(seen)
    store.set_state(ann.id, "rejected")
    assert len(seen) == before


def test_failing_listener_does_not_break_write_or_others(store: ProjectStore) -> None:
    got: list[str] = []

    def broken(kind: str, ids: tuple[str, ...]) -> None:
        raise RuntimeError("view is gone")

    store.subscribe(broken)
    store.subscribe(lambda kind, ids: got.append(kind))
    asset_id = _image(store)
    assert store.asset(asset_id) is not None
    assert ASSETS in got


def test_failed_write_notifies_nothing(store: ProjectStore) -> None:
    got: list[str] = []
    store.subscribe(lambda kind, ids: got.append(kind))
    with pytest.raises(NotFoundError):
        store.update_annotation("ann_nothing", label="car")
    assert got == []


def test_threads_write_concurrently(store: ProjectStore) -> None:
    asset_id = _image(store)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(25):
                ann = store.insert_annotation(asset_id, "classification", "car", {},
                                              origin="model")
                store.set_state(ann.id, "accepted")
                store.annotations(asset_id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    anns = store.annotations(asset_id)
    assert len(anns) == 100 and all(a.revision == 2 for a in anns)


def test_two_stores_on_one_project_see_each_other(tmp_path: Path) -> None:
    with ProjectStore.create(tmp_path / "p") as one, ProjectStore.open(tmp_path / "p") as two:
        asset_id = _image(one)
        ann = two.insert_annotation(asset_id, "classification", "x", {})
        assert one.get_annotation(ann.id) == ann


def test_status_summary(store: ProjectStore) -> None:
    a = _image(store)
    store.add_assets([AssetSpec("c.pcd", "point_cloud")])
    store.insert_annotation(a, "classification", "car", {}, origin="model")
    store.insert_annotation(a, "classification", "car", {})
    summary = store.status_summary()
    assert summary["assets"] == {
        "total": 2,
        "by_type": {"image": 1, "point_cloud": 1, "video_frame": 0},
        "by_status": {"unlabeled": 1, "pending_review": 1, "reviewed": 0, "submitted": 0},
    }
    assert summary["annotations"] == {
        "total": 2,
        "by_state": {"pending": 1, "accepted": 1, "edited": 0, "rejected": 0},
        "by_origin": {"model": 1, "human": 1},
    }
    assert [x["name"] for x in summary["labels"]] == ["car", "pedestrian"]
    assert summary["project"]["schema_version"] == 1


def test_cascade_and_foreign_keys_enforced(store: ProjectStore) -> None:
    asset_id = _image(store)
    store.insert_annotation(asset_id, "classification", "car", {})
    con = sqlite3.connect(store.db_path)
    try:
        con.execute("PRAGMA foreign_keys=ON")
        with pytest.raises(sqlite3.IntegrityError):
            con.execute(
                "INSERT INTO annotations (id, asset_id, type, label, geometry, origin, state,"
                " revision, created_at, updated_at) VALUES ('ann_x', 'ast_none', 'classification',"
                " 'car', '{}', 'human', 'accepted', 1, '2024-01-01', '2024-01-01')"
            )
    finally:
        con.close()
