"""labelme: the files are what labelme 5.x reads (its own loader where installed), masks sit
where labelme's `shapes_to_label` puts them, and unusual shapes import or are counted."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from avala_desktop.core.formats import ImportInvalid, export_project, import_annotations
from avala_desktop.core.masks import decode, encode
from avala_desktop.core.store import ProjectStore
from tests.unit.formats_compare import annotations_by_asset
from tests.unit.formats_samples import FRONT, asset, blob_mask, new_project, populate


@pytest.fixture
def exported(tmp_path: Path) -> tuple[ProjectStore, Path]:
    store = new_project(tmp_path / "src")
    populate(store)
    export_project(store, "labelme", tmp_path / "out")
    return store, tmp_path / "out"


def test_file_structure(exported: tuple[ProjectStore, Path]) -> None:
    store, out = exported
    document = json.loads((out / "cam" / "front.json").read_text())
    assert set(document) == {"version", "flags", "shapes", "imagePath", "imageData",
                             "imageHeight", "imageWidth", "classifications"}
    assert document["imageData"] is None
    assert (document["imageWidth"], document["imageHeight"]) == (64, 48)
    # imagePath is relative to the JSON file and leads to the image itself.
    assert (out / "cam" / document["imagePath"]).resolve() == (store.root / FRONT).resolve()
    assert document["flags"] == {"car": True}
    assert document["classifications"] == [{"label": "car", "confidence": 0.7}]
    kinds = {s["shape_type"]: s for s in document["shapes"]}
    assert set(kinds) == {"rectangle", "polygon", "mask", "linestrip"}
    assert kinds["rectangle"]["points"] == [[3.0, 4.0], [23.5, 14.25]]
    assert "confidence" not in kinds["rectangle"] and kinds["polygon"]["confidence"] == 0.82
    for shape in document["shapes"]:
        assert {"label", "points", "group_id", "description", "shape_type", "flags",
                "mask"} <= set(shape)
    frame = json.loads((out / "drive_frame000003.json").read_text())
    assert frame["imagePath"] == "drive_frame000003.png"
    image = cv2.imread(str(out / "drive_frame000003.png"))
    assert image is not None and image.shape == (24, 32, 3)


def test_mask_shape_is_where_labelme_puts_it(exported: tuple[ProjectStore, Path]) -> None:
    """labelme's shapes_to_label: mask[y1:y2 + 1, x1:x2 + 1] = shape["mask"]."""
    _, out = exported
    document = json.loads((out / "cam" / "front.json").read_text())
    shape = next(s for s in document["shapes"] if s["shape_type"] == "mask")
    (x1, y1), (x2, y2) = np.asarray(shape["points"]).astype(int)
    crop = cv2.imdecode(np.frombuffer(base64.b64decode(shape["mask"]), np.uint8),
                        cv2.IMREAD_UNCHANGED).astype(bool)
    full = np.zeros((48, 64), dtype=bool)
    full[y1 : y2 + 1, x1 : x2 + 1] = crop
    assert np.array_equal(full, decode(blob_mask(48, 64)).astype(bool))
    assert shape["confidence"] == 0.9


def test_labelme_own_loader_reads_it(exported: tuple[ProjectStore, Path]) -> None:
    labelme = pytest.importorskip(
        "labelme",
        reason="labelme is not installed in the test environment; its loader cannot be run",
    )
    _, out = exported
    loaded = labelme.LabelFile(str(out / "cam" / "front.json"))
    assert {s["shape_type"] for s in loaded.shapes} == {"rectangle", "polygon", "mask",
                                                       "linestrip"}
    mask_shape = next(s for s in loaded.shapes if s["shape_type"] == "mask")
    assert mask_shape["mask"].dtype == bool


def test_other_shapes(tmp_path: Path) -> None:
    store = new_project(tmp_path / "p")
    mask = np.zeros((48, 64), np.uint8)
    mask[2:5, 3:9] = 1
    ok, png = cv2.imencode(".png", mask[2:5, 3:9] * 255)
    assert ok
    document = {
        "version": "5.4.1", "flags": {"cyclist": True, "car": False},
        "imagePath": "..\\images\\cam\\front.jpg", "imageData": None,
        "imageHeight": 48, "imageWidth": 64,
        "shapes": [
            {"label": "car", "points": [[30, 20], [10, 5]], "shape_type": "rectangle"},
            {"label": "car", "points": [[1, 1], [5, 5]], "shape_type": "line"},
            {"label": "car", "points": [[1, 1], [5, 5]], "shape_type": "circle"},
            {"label": "car", "points": [[1, 1]], "shape_type": "point"},
            {"label": "truck", "points": [[3, 2], [8, 4]], "shape_type": "mask",
             "mask": base64.b64encode(png.tobytes()).decode(), "score": 0.4},
            {"label": "car", "points": [[1, 1], [9, 1], [9, 9]]},
        ],
    }
    path = tmp_path / "ann" / "front.json"
    path.parent.mkdir()
    path.write_text(json.dumps(document))
    summary = import_annotations(store, "labelme", path)
    assert summary.imported == 5 and summary.labels_added == ["truck"]
    assert summary.skipped == {"labelme 'circle' shapes (no counterpart here)": 1,
                               "labelme 'point' shapes (no counterpart here)": 1}
    got = {(k[2], k[3]): (c, g) for k, c, g in annotations_by_asset(store)}
    assert got[("bounding_box", "car")][1]["coordinates"] == {
        "x": 10.0, "y": 5.0, "width": 20.0, "height": 15.0}
    assert got[("segmentation_mask", "truck")] == (0.4, {"rle": encode(mask)})
    assert ("polyline", "car") in got and ("polygon", "car") in got
    assert ("classification", "cyclist") in got and ("classification", "car") not in got


def test_bad_shapes_are_named(tmp_path: Path) -> None:
    store = new_project(tmp_path / "p")
    document = {
        "version": "5.5.0", "flags": {}, "imagePath": "front.jpg", "imageData": None,
        "imageHeight": 48, "imageWidth": 64,
        "shapes": [
            {"label": "car", "points": [[1, 1], [2, 2]], "shape_type": "polygon"},
            {"label": "", "points": [[1, 1], [2, 2]], "shape_type": "rectangle"},
            {"label": "car", "points": [[1, 1], [3, 3]], "shape_type": "mask", "mask": "@@"},
        ],
    }
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "front.json").write_text(json.dumps(document))
    (tmp_path / "in" / "other.json").write_text('{"not": "labelme"}')
    with pytest.raises(ImportInvalid) as caught:
        import_annotations(store, "labelme", tmp_path / "in")
    reasons = [str(p) for p in caught.value.problems]
    assert reasons[0].startswith("front.json: shape 0 (polygon): polygon:")
    assert "at least 3 points" in reasons[0]
    assert reasons[1].startswith("front.json: shape 1 (bounding_box):") and "empty" in reasons[1]
    assert reasons[2].startswith("front.json: shape 2: mask:")
    assert len(reasons) == 3
    assert annotations_by_asset(store) == []
    assert asset(store, FRONT).status.value == "unlabeled"
