"""COCO: pycocotools reads our output, and its masks are ours bit for bit; other tools' COCO
variants (uncompressed RLE, multi-part polygons) import; bad records are named."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO

from avala_desktop.core.formats import ImportInvalid, export_project, import_annotations
from avala_desktop.core.masks import decode, encode, string_to_counts
from avala_desktop.core.store import ProjectStore
from tests.unit.formats_compare import annotations_by_asset
from tests.unit.formats_samples import FRONT, asset, new_project, populate


@pytest.fixture
def exported(tmp_path: Path) -> tuple[ProjectStore, Path]:
    store = new_project(tmp_path / "src")
    populate(store)
    export_project(store, "coco", tmp_path / "out")
    return store, tmp_path / "out" / "annotations.json"


def test_pycocotools_loads_it_and_masks_match_bit_for_bit(
    exported: tuple[ProjectStore, Path],
) -> None:
    store, path = exported
    coco = COCO(str(path))
    assert [c["name"] for c in coco.loadCats(coco.getCatIds())] == ["car", "pedestrian", "cyclist"]
    front_image = next(i for i in coco.dataset["images"] if i["file_name"] == FRONT)
    anns = coco.loadAnns(coco.getAnnIds(imgIds=[front_image["id"]]))
    front = asset(store, FRONT)
    stored = {r.type: r for r in store.annotations(front.id) if r.state.value != "pending"}

    mask_ann = next(a for a in anns if isinstance(a.get("segmentation"), dict))
    assert isinstance(mask_ann["segmentation"]["counts"], str)
    assert mask_ann["segmentation"]["size"] == [48, 64]
    ours = decode(stored["segmentation_mask"].geometry["rle"])
    theirs = coco.annToMask(mask_ann)
    assert theirs.dtype == np.uint8 and np.array_equal(theirs, ours)
    assert mask_ann["area"] == int(ours.sum())
    assert mask_ann["bbox"] == list(mask_utils.toBbox(mask_ann["segmentation"]))
    assert mask_ann["score"] == 0.9

    polygon_ann = next(a for a in anns if isinstance(a.get("segmentation"), list))
    points = stored["polygon"].geometry["points"]
    assert polygon_ann["segmentation"] == [[v for p in points for v in p]]
    # The same polygon rasterised by pycocotools directly: annToMask used exactly our points.
    direct = mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(
        [[v for p in points for v in p]], 48, 64)))
    assert np.array_equal(coco.annToMask(polygon_ann), direct)
    assert polygon_ann["score"] == 0.82

    box_ann = next(a for a in anns if "segmentation" not in a)
    assert box_ann["bbox"] == [3.0, 4.0, 20.5, 10.25] and "score" not in box_ann
    assert box_ann["area"] == 20.5 * 10.25


def test_extensions_carry_image_labels_and_polylines(exported: tuple[ProjectStore, Path]) -> None:
    _, path = exported
    document = json.loads(path.read_text())
    front = next(i for i in document["images"] if i["file_name"] == FRONT)
    assert front["image_labels"] == [{"label": "car", "category_id": 1, "score": 0.7}]
    assert front["polylines"][0]["points"] == [[0.5, 47.0], [30.0, 20.0], [63.0, 40.0]]
    frame = next(i for i in document["images"] if "frame_index" in i)
    assert frame == {"id": frame["id"], "file_name": "drive_frame000003.png", "width": 32,
                     "height": 24, "video": "drive.mp4", "frame_index": 3}
    assert all(a["iscrowd"] == 0 for a in document["annotations"])
    assert len({a["id"] for a in document["annotations"]}) == len(document["annotations"])


def _coco(images: list[dict[str, Any]], annotations: list[dict[str, Any]]) -> dict[str, Any]:
    return {"images": images, "annotations": annotations,
            "categories": [{"id": 7, "name": "car"}, {"id": 9, "name": "truck"}]}


def test_other_tools_variants_import(tmp_path: Path) -> None:
    store = new_project(tmp_path / "p")
    mask = np.zeros((48, 64), np.uint8)
    mask[10:20, 5:25] = 1
    # Uncompressed RLE, as other tools write it: column-major run lengths, zeros first.
    runs = string_to_counts(encode(mask)["counts"])
    compressed = mask_utils.frPyObjects({"size": [48, 64], "counts": runs}, 48, 64)
    assert compressed["counts"] == encode(mask)["counts"].encode()
    document = _coco(
        [{"id": 1, "file_name": "images/cam/front.jpg", "width": 64, "height": 48}],
        [
            {"id": 1, "image_id": 1, "category_id": 7, "iscrowd": 1, "bbox": [5, 10, 20, 10],
             "segmentation": {"size": [48, 64], "counts": runs}},
            {"id": 2, "image_id": 1, "category_id": 9, "bbox": [0, 0, 10, 10], "score": 0.4,
             "segmentation": [[0, 0, 10, 0, 10, 10], [20, 20, 30, 20, 30, 30, 20, 30]]},
            {"id": 3, "image_id": 1, "category_id": 7, "bbox": [1, 2, 3, 4], "segmentation": []},
        ],
    )
    path = tmp_path / "other.json"
    path.write_text(json.dumps(document))
    summary = import_annotations(store, "coco", path)
    assert summary.imported == 4 and summary.labels_added == ["truck"]
    assert summary.notes["multi-part COCO polygons split into one polygon per part"] == 1
    got = {(key[2], key[3]): (conf, geom) for key, conf, geom in annotations_by_asset(store)}
    assert got[("segmentation_mask", "car")][1]["rle"] == encode(mask)
    assert got[("bounding_box", "car")][1] == {
        "coordinates": {"x": 1.0, "y": 2.0, "width": 3.0, "height": 4.0}}
    polygons = [(conf, g) for key, conf, g in annotations_by_asset(store) if key[2] == "polygon"]
    assert sorted(polygons, key=repr) == [
        (0.4, {"points": [[0.0, 0.0], [10.0, 0.0], [10.0, 10.0]]}),
        (0.4, {"points": [[20.0, 20.0], [30.0, 20.0], [30.0, 30.0], [20.0, 30.0]]}),
    ]
    assert store.label_names() == ["car", "pedestrian", "cyclist", "truck"]


def _snapshot(store: ProjectStore) -> list[Any]:
    return [annotations_by_asset(store), store.label_names()]


def test_bad_records_are_named_and_nothing_changes(tmp_path: Path) -> None:
    store = new_project(tmp_path / "p")
    populate(store)
    before = _snapshot(store)
    document = _coco(
        [{"id": 1, "file_name": FRONT, "width": 64, "height": 48},
         {"id": 2, "file_name": "cam/rear.png", "width": 41, "height": 30}],
        [
            {"id": 10, "image_id": 1, "category_id": 7, "bbox": [1, 2, 3, 4]},
            {"id": 11, "image_id": 1, "category_id": 8, "bbox": [1, 2, 3, 4]},
            {"id": 12, "image_id": 1, "category_id": 7, "bbox": [1, 2, -3, 4]},
            {"id": 13, "image_id": 1, "category_id": 7, "bbox": [1, 2, 3, 4], "score": 1.5},
            {"id": 14, "image_id": 1, "category_id": 7,
             "segmentation": {"size": [48, 60], "counts": "PPYo1"}},
        ],
    )
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ImportInvalid) as caught:
        import_annotations(store, "coco", path)
    message = caught.value.message
    assert "nothing was imported" in message
    reasons = [str(p) for p in caught.value.problems]
    assert any("bad.json: images[1]:" in r and "41x30" in r for r in reasons)
    assert any("annotation id 11" in r and "category_id 8" in r for r in reasons)
    assert any("annotation id 12" in r and "width" in r for r in reasons)
    assert any("annotation id 13" in r and "confidence" in r for r in reasons)
    assert any("annotation id 14" in r and "[48, 60]" in r for r in reasons)
    assert len(reasons) == 5
    assert _snapshot(store) == before


def test_not_json_and_wrong_shape_name_the_file(tmp_path: Path) -> None:
    store = new_project(tmp_path / "p")
    path = tmp_path / "broken.json"
    path.write_text('{"images": [}')
    with pytest.raises(Exception, match=r"broken\.json: not valid JSON .*line 1 column 13"):
        import_annotations(store, "coco", path)
    path.write_text('{"images": [], "annotations": {}, "categories": []}')
    with pytest.raises(Exception, match=r"broken\.json: 'annotations' must be a list"):
        import_annotations(store, "coco", path)
