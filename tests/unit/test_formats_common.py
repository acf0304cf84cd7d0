"""What the formats share: atomic writes and cancel, asset naming and matching, the bulk
store insert, and the import rules (suggestions, threshold, all or nothing)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from avala_desktop.core.formats import (
    FormatError,
    ImportInvalid,
    OperationCancelled,
    Progress,
    export_project,
    import_annotations,
)
from avala_desktop.core.formats.common import (
    atomic_file,
    leftover_temp_files,
    write_bytes_atomic,
)
from avala_desktop.core.formats.naming import AssetMatcher, export_names
from avala_desktop.core.store import (
    AnnotationRecord,
    Asset,
    AssetStatus,
    Label,
    Origin,
    ProjectError,
    ReviewState,
)
from avala_desktop.core.store.base import new_id, utcnow
from avala_desktop.core.wire import parse_response
from tests.unit.formats_compare import annotations_by_asset
from tests.unit.formats_samples import FRONT, REAR, SWEEP, asset, new_project, populate


def _asset(id_: str, path: str, frame: int | None = None, type_: str = "image") -> Asset:
    return Asset(id_, path, "video_frame" if frame is not None else type_, 10, 10,
                 path if frame is not None else None, frame, AssetStatus.UNLABELED)


# -- atomic writes and cancel ---------------------------------------------------------------


def test_failed_write_leaves_the_old_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "out" / "a.json"
    write_bytes_atomic(target, b"old")

    class Boom(Exception):
        pass

    with pytest.raises(Boom), atomic_file(target) as fh:
        fh.write(b"half of the new")
        raise Boom
    assert target.read_bytes() == b"old"
    assert list(leftover_temp_files(tmp_path)) == []


@pytest.mark.parametrize("fmt", ["coco", "labelme", "yolo", "avala"])
def test_cancelled_export_leaves_no_partial_file_and_no_index(
    fmt: str, tmp_path: Path
) -> None:
    store = new_project(tmp_path / "src")
    populate(store)
    cancel = threading.Event()
    seen: list[Progress] = []

    def progress(event: Progress) -> None:
        seen.append(event)
        if event.done >= 1:
            cancel.set()  # after the first asset: mid-export

    out = tmp_path / "out"
    with pytest.raises(OperationCancelled):
        export_project(store, fmt, out, progress=progress, cancel=cancel)
    assert seen and seen[0].total >= 2
    assert list(leftover_temp_files(out)) == []
    # The file that marks a complete export is never there after a cancel...
    for marker in ("annotations.json", "data.yaml", "index.json"):
        assert not (out / marker).exists()
    # ...and every file that is there is whole.
    for path in out.rglob("*.json"):
        json.loads(path.read_text())


def test_cancel_just_before_the_rename_keeps_the_final_name_free(tmp_path: Path) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(OperationCancelled):
        write_bytes_atomic(tmp_path / "x.txt", b"complete, but cancelled", cancel=cancel)
    assert list(tmp_path.iterdir()) == []


def test_export_refuses_the_project_folder_itself(tmp_path: Path) -> None:
    store = new_project(tmp_path / "src")
    for inside in (tmp_path / "src", tmp_path / "src" / "export", tmp_path):
        with pytest.raises(FormatError, match="folder outside the project"):
            export_project(store, "coco", inside)
    with pytest.raises(FormatError, match="Unknown format 'csv'"):
        export_project(store, "csv", tmp_path / "out")


# -- naming and matching --------------------------------------------------------------------


def test_export_names_are_unique_and_frames_named() -> None:
    assets = [
        _asset("a1", "cam/front.jpg"),
        _asset("a2", "/elsewhere/front.jpg"),
        _asset("a3", "/other/front.jpg"),
        _asset("a4", "drive.mp4", frame=30),
    ]
    assert export_names(assets) == {
        "a1": "cam/front.jpg",
        "a2": "front.jpg",
        "a3": "front__a3.jpg",
        "a4": "drive_frame000030.png",
    }


def test_matcher_prefers_exact_then_unique_suffix_and_refuses_to_guess(tmp_path: Path) -> None:
    assets = [_asset("a1", "day/cam/front.jpg"), _asset("a2", "night/cam/front.jpg"),
              _asset("a3", "day/rear.jpg")]
    matcher = AssetMatcher(assets, export_names(assets), tmp_path)
    assert matcher.match("day/cam/front.jpg").asset is assets[0]
    assert matcher.match("..\\data\\night\\cam\\front.jpg").asset is assets[1]
    assert matcher.match("rear.jpg").asset is assets[2]
    assert matcher.match("/abs/path/day/rear.jpg").asset is assets[2]
    ambiguous = matcher.match("cam/front.jpg")
    assert ambiguous.asset is None and "any of 2 assets" in ambiguous.reason
    assert matcher.match("nothing.jpg").asset is None
    assert matcher.match(str(tmp_path / "day/rear.jpg"), base_dir=Path("/x")).asset is assets[2]
    label_files = AssetMatcher(assets, export_names(assets), tmp_path, ignore_extension=True)
    assert label_files.match("labels/day/rear.txt").asset is assets[2]


# -- the bulk insert ------------------------------------------------------------------------


def test_insert_annotations_is_all_or_nothing(tmp_path: Path) -> None:
    store = new_project(tmp_path / "p")
    populate(store)
    before = annotations_by_asset(store)
    records = [
        store.get_annotation(a.id) for a in store.annotations(asset(store, FRONT).id)[:1]
    ]
    assert records[0] is not None
    # The same id twice: the second row fails, so the first must not stay either.
    with pytest.raises(ProjectError):
        store.insert_annotations(records, new_labels=[Label("truck", "#123456")])
    assert annotations_by_asset(store) == before
    assert "truck" not in store.label_names()


def test_insert_annotations_refuses_pending_on_submitted(tmp_path: Path) -> None:
    store = new_project(tmp_path / "p")
    rear = asset(store, REAR)
    store.submit_asset(rear.id)
    now = utcnow()
    pending = AnnotationRecord(new_id("ann"), rear.id, "classification", "car", {}, 0.9,
                               Origin.MODEL, "import:x", None, ReviewState.PENDING, 1, now, now)
    with pytest.raises(ProjectError, match="submitted"):
        store.insert_annotations([pending])
    assert store.annotations(rear.id) == []


# -- import rules ---------------------------------------------------------------------------


def _response_folder(root: Path, files: dict[str, object]) -> Path:
    for name, body in files.items():
        path = root / f"{name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(body))
    return root


def test_avala_files_are_exactly_model_responses(tmp_path: Path) -> None:
    store = new_project(tmp_path / "src")
    populated = populate(store)
    export_project(store, "avala", tmp_path / "out")
    index = json.loads((tmp_path / "out" / "index.json").read_text())
    assert index["format"] == "avala-desktop" and index["labels"] == ["car", "pedestrian",
                                                                       "cyclist"]
    front = next(e for e in index["assets"] if e["path"] == FRONT)
    body = (tmp_path / "out" / front["file"]).read_text()
    parsed = parse_response(body, labels=index["labels"], width=64, height=48)
    # Every annotation passes the live wire parser, except the one a person drew: a model
    # must always give a confidence, a person's box has none.
    assert [(p.index, p.type) for p in parsed.problems] == [(0, "bounding_box")]
    assert "confidence is null" in parsed.problems[0].reason
    assert len(parsed.annotations) == 4
    expected = [r.canonical() for r in populated.final if r.asset_id == asset(store, FRONT).id]
    assert json.loads(body) == {"annotations": expected}


def test_suggestions_keep_unscored_and_skip_submitted(tmp_path: Path) -> None:
    store = new_project(tmp_path / "p")
    store.submit_asset(asset(store, REAR).id)
    folder = _response_folder(tmp_path / "responses", {
        "cam/front.jpg": {"annotations": [
            {"type": "classification", "label": "car", "confidence": 0.2},
            {"type": "classification", "label": "cyclist", "confidence": None},
            {"type": "classification", "label": "bus", "confidence": 0.9},
        ]},
        "cam/rear.png": {"annotations": [
            {"type": "classification", "label": "car", "confidence": 0.9}]},
    })
    summary = import_annotations(store, "avala", folder, as_suggestions=True, threshold=0.5,
                                 provider_name="nightly")
    assert summary.below_threshold == 1 and summary.imported == 2
    assert summary.labels_added == ["bus"]
    assert summary.skipped == {"annotations for submitted assets (reopen them to import)": 1}
    got = [(k[3], c) for k, c, _ in annotations_by_asset(store)]
    assert sorted(got, key=str) == [("bus", 0.9), ("cyclist", None)]


def test_accepted_imports_leave_a_submitted_asset_alone(tmp_path: Path) -> None:
    store = new_project(tmp_path / "p")
    rear = asset(store, REAR).id
    store.submit_asset(rear)
    folder = _response_folder(tmp_path / "responses", {
        "cam/front.jpg": {"annotations": [
            {"type": "classification", "label": "car", "confidence": 0.9}]},
        "cam/rear.png": {"annotations": [
            {"type": "classification", "label": "car", "confidence": 0.9}]},
    })
    summary = import_annotations(store, "avala", folder)
    assert summary.imported == 1
    assert summary.skipped == {"annotations for submitted assets (reopen them to import)": 1}
    assert store.annotations(rear) == []
    assert [a.label for a in store.annotations(asset(store, FRONT).id)] == ["car"]


def test_wrong_kind_of_asset_and_mask_url_are_problems(tmp_path: Path) -> None:
    store = new_project(tmp_path / "p")
    folder = _response_folder(tmp_path / "responses", {
        "cam/front.jpg": {"annotations": [
            {"type": "bounding_box_3d", "label": "car", "confidence": 0.9,
             "center": {"x": 0, "y": 0, "z": 0}, "dimensions": {"l": 1, "w": 1, "h": 1},
             "rotation": {"yaw": 0}},
            {"type": "segmentation_mask", "label": "car", "confidence": 0.9,
             "mask_url": "https://example.com/m.png"},
        ]},
        SWEEP: {"annotations": [
            {"type": "bounding_box", "label": "car", "confidence": 0.9,
             "coordinates": {"x": 0, "y": 0, "width": 1, "height": 1}}]},
        "cam/rear.png": {"annotations": {}},
    })
    with pytest.raises(ImportInvalid) as caught:
        import_annotations(store, "avala", folder)
    reasons = [str(p) for p in caught.value.problems]
    assert reasons == [
        "cam/front.jpg.json: annotation 0 (bounding_box_3d): a 3D box belongs on a point "
        "cloud, not on cam/front.jpg",
        "cam/front.jpg.json: annotation 1 (segmentation_mask): a mask_url cannot be "
        "imported; embed the mask as 'rle'",
        'cam/rear.png.json: file: must be {"annotations": [...]}',
        "lidar/000042.bin.json: annotation 0 (bounding_box): a bounding_box belongs on an "
        "image, not on the point cloud lidar/000042.bin",
    ]


def test_nothing_matching_is_an_error_and_bad_threshold_refused(tmp_path: Path) -> None:
    store = new_project(tmp_path / "p")
    folder = _response_folder(tmp_path / "responses", {"elsewhere/x.jpg": {"annotations": []}})
    with pytest.raises(FormatError, match="None of the 1 files named in"):
        import_annotations(store, "avala", folder)
    with pytest.raises(FormatError, match="threshold must be a number from 0 to 1"):
        import_annotations(store, "avala", folder, threshold=1.5)
    with pytest.raises(FormatError, match="does not exist"):
        import_annotations(store, "avala", tmp_path / "missing")


def test_cancelled_import_changes_nothing(tmp_path: Path) -> None:
    store = new_project(tmp_path / "src")
    populate(store)
    export_project(store, "labelme", tmp_path / "out")
    fresh = new_project(tmp_path / "fresh")
    cancel = threading.Event()

    def progress(event: Progress) -> None:
        if event.done == 1:
            cancel.set()

    with pytest.raises(OperationCancelled):
        import_annotations(fresh, "labelme", tmp_path / "out", progress=progress, cancel=cancel)
    assert annotations_by_asset(fresh) == []


def test_one_bulk_insert_is_one_notification(tmp_path: Path) -> None:
    store = new_project(tmp_path / "src")
    populate(store)
    export_project(store, "coco", tmp_path / "out")
    fresh = new_project(tmp_path / "fresh", labels=("car",))
    heard: list[tuple[str, tuple[str, ...]]] = []
    fresh.subscribe(lambda kind, ids: heard.append((kind, ids)))
    summary = import_annotations(fresh, "coco", tmp_path / "out")
    kinds = [kind for kind, _ in heard]
    assert sorted(kinds) == ["annotations", "assets", "labels"]
    annotation_ids = next(ids for kind, ids in heard if kind == "annotations")
    assert len(annotation_ids) == summary.imported == 7
    assert next(ids for kind, ids in heard if kind == "labels") == (
        "car", "pedestrian", "cyclist")
