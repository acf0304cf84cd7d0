"""Screenshots of the review window for the docs.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python scripts/screenshots.py

Builds a demo-like project in a temporary folder (generated street scenes, a short video and a
point cloud; suggestions made by the bundled reference model's predictors, so every 2D type
is there as a model would send it), opens the window at 1600x1000, selects a suggestion and
writes ``docs/screenshots/main-window.png`` and ``docs/screenshots/main-window-zoom.png`` (the
selected box's handles next to a mask, zoomed in). Everything runs in a private
AVALA_DESKTOP_HOME, so recent projects and caches of the person running it are not touched.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("AVALA_DESKTOP_HOME", tempfile.mkdtemp(prefix="avala-shots-home-"))

import cv2  # noqa: E402
from PySide6.QtCore import QEventLoop, QPointF, QTimer  # noqa: E402
from PySide6.QtGui import QImage  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from avala_desktop.canvas import qt_guard  # noqa: E402,F401  (before Qt objects exist)
from avala_desktop.core.demo_data import (  # noqa: E402
    DEMO_LABELS,
    demo_image,
    write_demo_point_cloud,
    write_demo_video,
)
from avala_desktop.core.discovery import discover_assets  # noqa: E402
from avala_desktop.core.store import Asset, ProjectStore, ReviewState  # noqa: E402
from avala_desktop.core.wire import parse_annotation  # noqa: E402
from avala_desktop.inference.reference_server.asset import decode_image  # noqa: E402
from avala_desktop.inference.reference_server.predictors import predict_all  # noqa: E402
from avala_desktop.views.main_window import MainWindow  # noqa: E402

IMAGE_SIZE = (1280, 800)
PROVIDER_ID = "prov_reference_demo"
PROVIDER_NAME = "reference-demo"
MAX_BYTES = 500_000


def build_project(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(4):
        cv2.imwrite(str(folder / f"street_{i:02d}.png"),
                    demo_image(i, IMAGE_SIZE, night=(i == 2)))
    write_demo_video(folder / "walk.mp4", frames=20)
    write_demo_point_cloud(folder / "scan_00.pcd", n_points=20_000)
    with ProjectStore.create(folder, name="street-demo", labels=list(DEMO_LABELS)) as store:
        store.add_assets(discover_assets(folder, frame_step=10).assets)
        run = store.create_run(PROVIDER_ID, PROVIDER_NAME, threshold=0.5, scope="all")
        images = [a for a in store.assets() if a.type == "image"]
        for index, asset in enumerate(images):
            suggest(store, asset, run.id)
            if index == 1:  # a reviewed asset, and a submitted one, for the browser
                store.set_states({r.id: ReviewState.ACCEPTED for r in store.annotations(asset.id)})
            if index == 3:
                store.set_states({r.id: ReviewState.ACCEPTED for r in store.annotations(asset.id)})
                store.submit_asset(asset.id)
        first = images[0]
        pending = store.annotations(first.id)
        polygons = [r for r in pending if r.type == "polygon"]
        if polygons:  # show an accepted (solid) shape next to pending (dashed) ones
            store.set_state(polygons[0].id, ReviewState.ACCEPTED)
        store.update_run(run.id, state="completed")


def suggest(store: ProjectStore, asset: Asset, run_id: str) -> None:
    data = store.asset_abspath(asset).read_bytes()
    kept_lanes = 0
    for raw in predict_all(decode_image(data), list(DEMO_LABELS)):
        ann = parse_annotation(raw, labels=DEMO_LABELS, width=asset.width, height=asset.height)
        if ann.type == "polyline":
            if kept_lanes >= 3:  # a few lanes read better than a dozen overlapping ones
                continue
            kept_lanes += 1
        store.insert_annotation(asset.id, ann.type, ann.label, ann.geometry_dict(),
                                confidence=ann.confidence, origin="model",
                                provider_id=PROVIDER_ID, run_id=run_id)


def wait(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def save(image: QImage, path: Path) -> None:
    """PNG, reduced to a 256-colour palette if the full-colour file is too large."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(str(path), "PNG")
    if path.stat().st_size > MAX_BYTES:
        image.convertToFormat(QImage.Format.Format_Indexed8).save(str(path), "PNG")
    print(f"{path}: {image.width()}x{image.height()}, {path.stat().st_size // 1024} KB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--project", type=Path, help="build the demo project here (kept)")
    args = parser.parse_args()
    folder = args.project or Path(tempfile.mkdtemp(prefix="avala-shots-")) / "street-demo"
    if not ProjectStore.is_project(folder):
        build_project(folder)

    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = MainWindow()
    window.resize(1600, 1000)
    window.show()
    window.open_project(folder)
    controller = window.controller
    assert controller is not None and controller.asset is not None
    while window.area.loaded_asset() != controller.asset.id:
        wait(50)
    window.thumbnails.wait(20_000)
    wait(400)

    records = controller.shown_records()
    person = next(r for r in records if r.type == "bounding_box")
    mask = next((r for r in records if r.type == "segmentation_mask"), None)
    window.canvas.fit_to_window()
    controller.select([person.id])
    wait(300)
    save(window.grab().toImage(), args.out / "main-window.png")

    # Zoomed in on the selected box's handles, with the mask in view when it is close by.
    item = window.canvas.item(person.id)
    assert item is not None and item.bbox is not None
    x0, y0, x1, y1 = item.bbox
    if mask is not None:
        m = window.canvas.item(mask.id)
        if m is not None and m.bbox is not None:
            x0, y0 = min(x0, m.bbox[0]), min(y0, m.bbox[1])
            x1, y1 = max(x1, m.bbox[2]), max(y1, m.bbox[3])
    canvas = window.canvas
    controller.select([person.id] + ([mask.id] if mask is not None else []))
    scale = min(canvas.width() / (x1 - x0 + 80), canvas.height() / (y1 - y0 + 80))
    canvas.set_zoom(scale)
    center = canvas.map_from_image(QPointF((x0 + x1) / 2, (y0 + y1) / 2))
    canvas.pan_by(canvas.width() / 2 - center.x(), canvas.height() / 2 - center.y())
    wait(400)
    save(window.grab().toImage(), args.out / "main-window-zoom.png")
    window.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
