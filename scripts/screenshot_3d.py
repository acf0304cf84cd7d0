"""Screenshot of the 3D review layout with a selected cuboid, for the README.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python scripts/screenshot_3d.py

Builds a throw-away project holding the demo point cloud (a street with cars, a truck and two
pedestrians) and bounding_box_3d suggestions for its objects, opens the review page on it,
accepts one suggestion, corrects another, selects a car and saves
docs/screenshots/pointcloud-review.png.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from avala_desktop.canvas import qt_guard  # noqa: F401  (before the QApplication)
from avala_desktop.core.demo_data import (
    DEMO_OBJECTS,
    SENSOR_HEIGHT_M,
    write_demo_point_cloud,
)
from avala_desktop.core.geometry3d import Cuboid, yaw_quat
from avala_desktop.core.store import AssetSpec, ProjectStore

LABELS = {"car": "car", "truck": "truck", "person": "pedestrian"}
OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots" / "pointcloud-review.png"


def _project(root: Path, n_points: int) -> tuple[ProjectStore, str, list[str]]:
    write_demo_point_cloud(root / "scan_00.pcd", n_points, seed=0)
    store = ProjectStore.create(root, name="Street scan",
                                labels=["car", "truck", "pedestrian", "cyclist"])
    asset = store.add_assets([AssetSpec("scan_00.pcd", "point_cloud")])[0]
    rng = np.random.default_rng(7)
    ids = []
    for i, (concept, (x, y), dims, yaw) in enumerate(DEMO_OBJECTS):
        # A model's guesses: a little off in place, size and heading.
        center = np.array([x, y, -SENSOR_HEIGHT_M + dims[2] / 2]) + rng.normal(0, 0.15, 3)
        box = Cuboid(center, np.array(dims) * rng.uniform(1.0, 1.15, 3),
                     yaw_quat(yaw + rng.normal(0, 0.05)))
        record = store.insert_annotation(
            asset.id, "bounding_box_3d", LABELS[concept], box.to_geometry(),
            confidence=round(0.93 - 0.07 * i, 2), origin="model", provider_id="reference")
        ids.append(record.id)
    return store, asset.id, ids


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=120_000)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from avala_desktop.core.camera3d import OrbitCamera
    from avala_desktop.views.pointcloud_review import make_pointcloud_review
    from avala_desktop.views.undo import ReviewUndoStack

    app = QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as tmp:
        store, asset_id, ids = _project(Path(tmp) / "street", args.points)
        stack = ReviewUndoStack()
        review = make_pointcloud_review(store, stack)
        review.setWindowTitle("avala-desktop - 3D review")
        review.resize(1600, 1000)
        review.show()
        asset = store.asset(asset_id)
        loop = QEventLoop()
        review.cloudShown.connect(loop.quit)
        QTimer.singleShot(30_000, loop.quit)
        review.show_asset(asset)
        loop.exec()
        if review.view.cloud() is None:
            print("the point cloud did not load", file=sys.stderr)
            return 1
        # One suggestion accepted, one corrected (fitted), a car selected and in view.
        review.view.set_selection([ids[1]])
        review.accept_selected()
        review.view.set_selection([ids[2]])
        review.fit_selected()
        review.suggestions.picked.emit(ids[0])
        review.view.set_orbit(OrbitCamera(target=np.array([2.0, 2.0, -1.5]), distance=22.0,
                                          azimuth=math.radians(-112.0),
                                          elevation=math.radians(40.0)))
        for _ in range(5):
            app.processEvents()
        review.view.viewport("perspective").setFocus()
        app.processEvents()
        args.out.parent.mkdir(parents=True, exist_ok=True)
        if not review.grab().save(str(args.out)):
            print(f"could not write {args.out}", file=sys.stderr)
            return 1
        review.shutdown()
        store.close()
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
