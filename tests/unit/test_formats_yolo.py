"""YOLO: the files follow the published Ultralytics layout and line format; predictions with
confidences import as suggestions; bad lines are named."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

from avala_desktop.core.formats import ImportInvalid, export_project, import_annotations
from avala_desktop.core.store import Origin, ReviewState
from tests.unit.formats_compare import annotations_by_asset
from tests.unit.formats_samples import FRONT, REAR, asset, new_project, populate

NUMBER = r"(?:0(?:\.\d+)?|1(?:\.0+)?)"  # a normalised value in [0, 1], no exponent
DETECT_LINE = re.compile(rf"\d+(?: {NUMBER}){{4}}")
SEGMENT_LINE = re.compile(rf"\d+(?: {NUMBER} {NUMBER}){{3,}}")


def _label_path_for(image: Path) -> Path:
    """Ultralytics' img2label_paths: /images/ -> /labels/ (last one), extension -> .txt."""
    sa, sb = f"{os.sep}images{os.sep}", f"{os.sep}labels{os.sep}"
    text = sb.join(str(image).rsplit(sa, 1)).rsplit(".", 1)[0] + ".txt"
    return Path(text)


def test_segmentation_dataset_layout_and_lines(tmp_path: Path) -> None:
    store = new_project(tmp_path / "src")
    populate(store)
    out = tmp_path / "out"
    summary = export_project(store, "yolo", out)
    data = yaml.safe_load((out / "data.yaml").read_text())
    assert data == {"path": str(out), "train": "images", "val": "images", "nc": 3,
                    "names": {0: "car", 1: "pedestrian", 2: "cyclist"}}
    images = sorted(p for p in (out / "images").rglob("*") if p.is_file())
    assert [p.relative_to(out / "images").as_posix() for p in images] == [
        "cam/front.jpg", "cam/rear.png", "drive_frame000003.png"]
    assert (out / "images" / "cam" / "front.jpg").read_bytes() == (
        store.root / "cam" / "front.jpg").read_bytes()
    for image in images:
        label_file = _label_path_for(image)
        assert label_file.is_file(), label_file
        for line in label_file.read_text().splitlines():
            assert SEGMENT_LINE.fullmatch(line), line
            assert (len(line.split()) - 1) % 2 == 0
    front = (out / "labels" / "cam" / "front.txt").read_text().splitlines()
    # box (as 4 corners), polygon, two mask regions; the polyline and classification skipped
    assert len(front) == 4
    assert front[0] == ("0 0.046875 0.083333333333 0.3671875 0.083333333333 0.3671875 "
                        "0.296875 0.046875 0.296875")
    assert summary.skipped["polylines (YOLO has none)"] == 1
    assert summary.notes["masks converted to polygons (lossy)"] == 1
    assert summary.notes["mask holes dropped"] == 1
    assert not list(out.rglob(".avala-tmp-*"))


def test_detection_lines_and_clipping(tmp_path: Path) -> None:
    store = new_project(tmp_path / "src")
    front = asset(store, FRONT)
    store.insert_annotation(front.id, "bounding_box", "cyclist",
                            {"coordinates": {"x": -10.0, "y": 40.0, "width": 30.0, "height": 20.0}})
    store.insert_annotation(front.id, "bounding_box", "car",
                            {"coordinates": {"x": 70.0, "y": 0.0, "width": 5.0, "height": 5.0}})
    summary = export_project(store, "yolo", tmp_path / "out")
    lines = (tmp_path / "out" / "labels" / "cam" / "front.txt").read_text().splitlines()
    assert all(DETECT_LINE.fullmatch(line) for line in lines)
    # x from 0 to 20 of 64, y from 40 to 48 of 48: clipped to the image
    assert lines == ["2 0.15625 0.916666666667 0.3125 0.166666666667"]
    assert summary.skipped["boxes wholly outside the image"] == 1
    assert summary.notes["shapes clipped to the image"] == 2


def _write_predictions(folder: Path) -> None:
    (folder / "labels").mkdir(parents=True)
    (folder / "labels" / "front.txt").write_text(
        "0 0.5 0.5 0.25 0.25 0.91\n"
        "1 0.1 0.1 0.05 0.05 0.3\n"
        "2 0.1 0.1 0.5 0.1 0.3 0.4 0.77\n"
    )
    (folder / "labels" / "unknown.txt").write_text("0 0.5 0.5 0.1 0.1 0.9\n")


def test_predictions_import_as_suggestions_with_threshold(tmp_path: Path) -> None:
    store = new_project(tmp_path / "p")
    human = store.insert_annotation(asset(store, FRONT).id, "bounding_box", "car",
                                    {"coordinates": {"x": 1.0, "y": 1.0, "width": 2.0,
                                                     "height": 2.0}})
    _write_predictions(tmp_path / "predict")
    summary = import_annotations(store, "yolo", tmp_path / "predict", as_suggestions=True,
                                 provider_name="batch", threshold=0.5)
    assert summary.imported == 2 and summary.below_threshold == 1
    assert summary.provider_id == "import:batch" and summary.state == "pending"
    assert summary.notes["no data.yaml or classes.txt: class i read as the project's i-th label"]
    assert len(summary.unmatched) == 1 and "unknown.txt" in summary.unmatched[0]
    records = store.annotations(asset(store, FRONT).id, states=[ReviewState.PENDING])
    assert sorted((r.type, r.label, r.confidence) for r in records) == [
        ("bounding_box", "car", 0.91), ("polygon", "cyclist", 0.77)]
    box = next(r for r in records if r.type == "bounding_box").geometry["coordinates"]
    assert box == {"x": 24.0, "y": 18.0, "width": 16.0, "height": 12.0}
    assert all(r.origin is Origin.MODEL and r.provider_id == "import:batch" for r in records)

    # Importing again from the same provider replaces its pending suggestions, like a re-run;
    # what a person drew stays.
    again = import_annotations(store, "yolo", tmp_path / "predict", as_suggestions=True,
                               provider_name="batch", threshold=0.8)
    assert again.replaced == 2 and again.imported == 1
    left = store.annotations(asset(store, FRONT).id)
    assert sorted((r.origin.value, r.confidence) for r in left) == [("human", None),
                                                                     ("model", 0.91)]
    assert store.get_annotation(human.id) == human


def test_bad_lines_are_named_and_nothing_changes(tmp_path: Path) -> None:
    store = new_project(tmp_path / "p")
    (tmp_path / "ds" / "labels").mkdir(parents=True)
    (tmp_path / "ds" / "data.yaml").write_text("names: [car, pedestrian]\n")
    (tmp_path / "ds" / "labels" / "front.txt").write_text(
        "0 0.5 0.5 0.2 0.2\n"
        "5 0.5 0.5 0.2 0.2\n"
        "0 0.5 0.5 1.2 0.2\n"
        "0 0.5 0.5\n"
        "x 0.5 0.5 0.2 0.2\n"
        "1 0.5 nan 0.2 0.2\n"
    )
    (tmp_path / "ds" / "labels" / "rear.txt").write_text("1 0.5 0.5 0.2 0.2\n")
    with pytest.raises(ImportInvalid) as caught:
        import_annotations(store, "yolo", tmp_path / "ds")
    reasons = [str(p) for p in caught.value.problems]
    assert reasons == [
        "labels/front.txt: line 2: class 5 is not among the 2 class names",
        "labels/front.txt: line 3: coordinates must be normalised to 0..1",
        "labels/front.txt: line 4: 3 values: a box has 5 (6 with a confidence), a polygon 1 + "
        "2 per point (3 points or more, plus 1 for a confidence)",
        "labels/front.txt: line 5: the class must be a whole number, got 'x'",
        "labels/front.txt: line 6: every value after the class must be a finite number",
    ]
    assert annotations_by_asset(store) == []
    assert asset(store, REAR).status.value == "unlabeled"


def test_data_yaml_names_as_a_list_or_mapping(tmp_path: Path) -> None:
    store = new_project(tmp_path / "p")
    for spelling in ("names: [truck, car]\n", "names:\n  0: truck\n  1: car\n"):
        folder = tmp_path / f"ds{len(spelling)}"
        (folder / "labels").mkdir(parents=True)
        (folder / "data.yaml").write_text(spelling)
        (folder / "labels" / "rear.txt").write_text("0 0.5 0.5 0.5 0.5\n")
        summary = import_annotations(store, "yolo", folder / "data.yaml")
        assert summary.imported == 1
    assert store.label_names() == ["car", "pedestrian", "cyclist", "truck"]
    (tmp_path / "gap.yaml").write_text("names:\n  0: a\n  2: b\n")
    with pytest.raises(Exception, match="without gaps"):
        import_annotations(store, "yolo", tmp_path / "gap.yaml")
