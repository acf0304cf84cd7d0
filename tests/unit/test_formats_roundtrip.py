"""Export, then import into a fresh project holding the same asset files: the same geometry,
labels and confidences come back for every type a format can carry.

What each format carries: Avala JSON everything; COCO every 2D type (polylines and image
labels through its documented extensions); labelme every 2D type; Pascal VOC boxes; KITTI 3D
boxes (yaw only); YOLO boxes (detection) or polygons (segmentation), without confidences.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from avala_desktop.core.formats import export_project, import_annotations
from avala_desktop.core.store import Origin, ProjectStore, ReviewState
from tests.unit.formats_compare import (
    annotations_by_asset,
    assert_same_annotations,
    records_by_asset,
)
from tests.unit.formats_samples import FRONT, REAR, Populated, asset, new_project, populate

TWO_D = ("bounding_box", "polygon", "segmentation_mask", "polyline", "classification")
CARRIED = {
    # format: (types carried, float tolerance in the format's units, confidences carried)
    "avala": (None, 0.0, True),
    "coco": (TWO_D, 0.0, True),
    "labelme": (TWO_D, 1e-9, True),
    "voc": (("bounding_box",), 1e-9, True),
    "kitti": (("bounding_box_3d",), 1e-9, True),
}


@pytest.fixture
def source(tmp_path: Path) -> tuple[ProjectStore, Populated]:
    store = new_project(tmp_path / "src")
    return store, populate(store)


@pytest.mark.parametrize("fmt", sorted(CARRIED))
def test_round_trip_keeps_geometry_labels_and_confidences(
    fmt: str, source: tuple[ProjectStore, Populated], tmp_path: Path
) -> None:
    store, populated = source
    types, tol, confidences = CARRIED[fmt]
    summary = export_project(store, fmt, tmp_path / "out")
    fresh = new_project(tmp_path / "fresh")
    imported = import_annotations(fresh, fmt, tmp_path / "out")
    # Only the final annotations left: pending and rejected ones stay home by default.
    expected = records_by_asset(store, populated.final, types)
    assert_same_annotations(expected, annotations_by_asset(fresh), tol=tol,
                            confidences=confidences)
    assert summary.annotations == imported.imported == len(expected)
    assert imported.unmatched == [] and imported.labels_added == []
    assert all(r.state is ReviewState.ACCEPTED and r.origin is Origin.HUMAN
               for a in fresh.assets() for r in fresh.annotations(a.id))


def test_yolo_detection_round_trip(tmp_path: Path) -> None:
    source = new_project(tmp_path / "src")
    front, rear = asset(source, FRONT), asset(source, REAR)
    boxes = [
        source.insert_annotation(front.id, "bounding_box", "car",
                                 {"coordinates": {"x": 3.0, "y": 4.0, "width": 20.5,
                                                  "height": 10.25}}),
        source.insert_annotation(front.id, "bounding_box", "cyclist",
                                 {"coordinates": {"x": 0.0, "y": 0.0, "width": 64.0,
                                                  "height": 48.0}}),
        source.insert_annotation(rear.id, "bounding_box", "pedestrian",
                                 {"coordinates": {"x": 10.125, "y": 5.0, "width": 12.0,
                                                  "height": 20.0}}, confidence=0.7),
    ]
    summary = export_project(source, "yolo", tmp_path / "out")
    assert "detection" in (tmp_path / "out" / "data.yaml").read_text()
    assert summary.annotations == 3
    fresh = new_project(tmp_path / "fresh")
    import_annotations(fresh, "yolo", tmp_path / "out")
    # YOLO training labels have no confidence column: geometry and labels only.
    assert_same_annotations(records_by_asset(source, boxes), annotations_by_asset(fresh),
                            tol=1e-6, confidences=False)


def test_yolo_segmentation_round_trip(tmp_path: Path) -> None:
    source = new_project(tmp_path / "src")
    front = asset(source, FRONT)
    polygons = [
        source.insert_annotation(front.id, "polygon", "pedestrian",
                                 {"points": [[40.5, 2.0], [60.0, 10.0], [50.25, 30.0]]}),
        source.insert_annotation(front.id, "polygon", "car",
                                 {"points": [[1.0, 1.0], [20.0, 1.0], [20.0, 20.0], [1.0, 30.0]]}),
    ]
    export_project(source, "yolo", tmp_path / "out")
    assert "segmentation" in (tmp_path / "out" / "data.yaml").read_text()
    fresh = new_project(tmp_path / "fresh")
    import_annotations(fresh, "yolo", tmp_path / "out")
    assert_same_annotations(records_by_asset(source, polygons), annotations_by_asset(fresh),
                            tol=1e-6, confidences=False)


@pytest.mark.parametrize("fmt", ["avala", "coco", "labelme", "voc", "kitti", "yolo"])
def test_pending_only_with_include_pending_and_rejected_never(
    fmt: str, source: tuple[ProjectStore, Populated], tmp_path: Path
) -> None:
    store, _ = source
    default = export_project(store, fmt, tmp_path / "default")
    with_pending = export_project(store, fmt, tmp_path / "pending", include_pending=True)
    carried = {"avala": 2, "coco": 1, "labelme": 1, "voc": 1, "kitti": 1, "yolo": 1}[fmt]
    assert with_pending.annotations - default.annotations == carried
    for name, expected in (("default", 0), ("pending", carried)):
        fresh = new_project(tmp_path / f"fresh-{name}")
        import_annotations(fresh, fmt, tmp_path / name)
        confidences = [conf for _, conf, _ in annotations_by_asset(fresh)]
        # 0.61 and 0.58 are the pending ones, 0.51 the rejected one (YOLO drops confidences,
        # so there the count of boxes tells).
        if fmt != "yolo":
            assert sum(c in (0.61, 0.58) for c in confidences) == expected
            assert 0.51 not in confidences
