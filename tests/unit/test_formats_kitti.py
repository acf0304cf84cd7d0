"""KITTI in the sensor frame: 15 fields (16 with a score), bottom-centre location, yaw about
+Z, tilt dropped with a count, labels with spaces kept whole, bad lines named."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from avala_desktop.core.formats import ImportInvalid, export_project, import_annotations
from avala_desktop.core.geometry3d import Cuboid
from tests.unit.formats_compare import annotations_by_asset
from tests.unit.formats_samples import SWEEP, asset, box3d, new_project


def test_lines_follow_the_documented_convention(tmp_path: Path) -> None:
    store = new_project(tmp_path / "src", labels=("car", "traffic cone"))
    cloud = asset(store, SWEEP)
    store.insert_annotation(cloud.id, "bounding_box_3d", "car",
                            box3d(10.0, 10.0, 1.0, math.radians(135)), confidence=0.5,
                            origin="model", state="accepted")
    store.insert_annotation(cloud.id, "bounding_box_3d", "traffic cone",
                            box3d(-2.0, 0.0, 0.3, 0.0, pitch=0.2))
    store.insert_annotation(cloud.id, "classification", "car", {})
    summary = export_project(store, "kitti", tmp_path / "out")
    lines = (tmp_path / "out" / "lidar" / "000042.txt").read_text().splitlines()
    assert [len(line.split(" ")) for line in lines] == [16, 15]
    car = lines[0].split(" ")
    assert car[0] == "car" and car[1:3] == ["0", "3"] and car[4:8] == ["0"] * 4
    h, w, length, x, y, z, yaw = map(float, car[8:15])
    assert (h, w, length) == (1.5, 1.8, 4.2)
    assert (x, y) == (10.0, 10.0) and z == pytest.approx(1.0 - 1.5 / 2)  # bottom centre
    assert yaw == pytest.approx(math.radians(135))
    assert float(car[3]) == pytest.approx(math.radians(135) - math.atan2(10.0, 10.0))  # alpha
    assert float(car[15]) == 0.5
    cone = lines[1].split(" ")
    assert cone[0] == "traffic%20cone" and float(cone[14]) == pytest.approx(0.0, abs=1e-12)
    assert summary.notes == {"pitch/roll dropped (KITTI keeps yaw only)": 1}
    assert summary.skipped == {"classification (KITTI holds 3D boxes only)": 1}

    fresh = new_project(tmp_path / "fresh", labels=("car", "traffic cone"))
    import_annotations(fresh, "kitti", tmp_path / "out")
    boxes = {key[3]: (conf, Cuboid.from_geometry(g))
             for key, conf, g in annotations_by_asset(fresh)}
    assert boxes["car"][0] == 0.5 and boxes["traffic cone"][0] is None
    car_box = boxes["car"][1]
    assert car_box.center.tolist() == pytest.approx([10.0, 10.0, 1.0])
    assert car_box.yaw == pytest.approx(math.radians(135))
    # The tilted cone comes back level, its yaw kept.
    cone_box = boxes["traffic cone"][1]
    assert cone_box.rotation[:, 2].tolist() == pytest.approx([0.0, 0.0, 1.0])
    assert cone_box.yaw == pytest.approx(0.0, abs=1e-12)


def test_dontcare_skipped_and_bad_lines_named(tmp_path: Path) -> None:
    store = new_project(tmp_path / "p")
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "000042.txt").write_text(
        "Car 0.00 0 -1.58 587.01 173.33 614.12 200.12 1.65 1.67 3.64 -0.65 1.71 46.70 -1.59\n"
        "DontCare -1 -1 -10 503.89 169.71 590.61 190.13 -1 -1 -1 -1000 -1000 -1000 -10\n"
        "Car 0 0 0 0 0 0 0 1.5 1.8 4.2 1 2 3\n"
        "Car 0 0 0 0 0 0 0 -1.5 1.8 4.2 1 2 3 0.1\n"
        "Car 0 0 0 0 0 0 0 1.5 1.8 4.2 1 2 x 0.1\n"
        "\n"
    )
    (tmp_path / "labels" / "sweep.txt").write_text(
        "Van 0 3 0 0 0 0 0 2 2 5 1 2 3 1.7 1.9\n"
    )
    with pytest.raises(ImportInvalid) as caught:
        import_annotations(store, "kitti", tmp_path / "labels")
    reasons = [str(p) for p in caught.value.problems]
    assert reasons[0] == "000042.txt: line 3: 14 fields; a KITTI line has 15, or 16 with a score"
    assert reasons[1].startswith("000042.txt: line 4 (Car): bounding_box_3d:")
    assert "dimensions.h" in reasons[1] and "greater than 0" in reasons[1]
    assert reasons[2] == "000042.txt: line 5: every field after the type must be a number"
    assert reasons[3].startswith("sweep.txt: line 1 (Van): bounding_box_3d:")
    assert "confidence" in reasons[3]
    assert len(reasons) == 4
    assert annotations_by_asset(store) == []

    (tmp_path / "labels" / "000042.txt").write_text(
        "Car 0.00 0 -1.58 587.01 173.33 614.12 200.12 1.65 1.67 3.64 -0.65 1.71 46.70 -1.59\n"
        "DontCare -1 -1 -10 503.89 169.71 590.61 190.13 -1 -1 -1 -1000 -1000 -1000 -10\n"
    )
    (tmp_path / "labels" / "sweep.txt").unlink()
    summary = import_annotations(store, "kitti", tmp_path / "labels")
    assert summary.imported == 1 and summary.skipped == {"DontCare regions": 1}
    assert summary.labels_added == ["Car"]
