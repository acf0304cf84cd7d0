"""Shared setup for the 3D review tests: a project holding a synthetic cloud with known boxes
(binary PCD) and bounding_box_3d suggestions for them, the review page on it, and input
helpers, and the main window on such a project. No tests live here."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QUndoStack, QWheelEvent
from PySide6.QtWidgets import QApplication, QWidget

from avala_desktop.canvas.pointcloud_render import BACKGROUND
from avala_desktop.canvas.viewport3d import CloudViewport
from avala_desktop.core.demo_data import DEMO_OBJECTS, SENSOR_HEIGHT_M, demo_point_cloud, pcd_bytes
from avala_desktop.core.geometry3d import Cuboid, yaw_quat
from avala_desktop.core.store import AnnotationRecord, Asset, AssetSpec, ProjectStore
from avala_desktop.views.main_window import MainWindow
from avala_desktop.views.pointcloud_review import PointCloudReview, make_pointcloud_review
from tests.gui.test_canvas_support import mouse

LABELS = {"car": "car", "truck": "truck", "person": "pedestrian"}
# Suggestions are this much bigger than the true boxes on every side, so fitting shrinks them.
SLACK_M = 0.3


def true_boxes() -> list[tuple[str, Cuboid]]:
    """The boxes the synthetic cloud's objects stand in (DEMO_OBJECTS), with their labels."""
    out = []
    for concept, (x, y), dims, yaw in DEMO_OBJECTS:
        center = np.array([x, y, -SENSOR_HEIGHT_M + dims[2] / 2.0])
        out.append((LABELS[concept], Cuboid(center, np.array(dims), yaw_quat(yaw))))
    return out


@dataclass
class Project:
    root: Path
    asset: Asset
    suggestion_ids: list[str]  # in DEMO_OBJECTS order
    points: np.ndarray  # (N, 3) float32, as written


def make_project(root: Path, n_points: int = 40_000) -> Project:
    cloud = demo_point_cloud(n_points, seed=3)
    root.mkdir(parents=True, exist_ok=True)
    (root / "scan.pcd").write_bytes(pcd_bytes(cloud))
    with ProjectStore.create(root, labels=sorted(set(LABELS.values()))) as store:
        asset = store.add_assets([AssetSpec("scan.pcd", "point_cloud")])[0]
        ids = []
        for i, (label, box) in enumerate(true_boxes()):
            grown = Cuboid(box.center, box.dims + 2 * SLACK_M, box.quat)
            record = store.insert_annotation(
                asset.id, "bounding_box_3d", label, grown.to_geometry(),
                confidence=round(0.9 - 0.05 * i, 2), origin="model", provider_id="ref")
            ids.append(record.id)
    return Project(root, asset, ids, np.ascontiguousarray(cloud[:, :3]))


@dataclass
class Session:
    review: PointCloudReview
    store: ProjectStore
    stack: QUndoStack
    project: Project

    def record(self, ann_id: str) -> AnnotationRecord:
        record = self.store.get_annotation(ann_id)
        assert record is not None
        return record

    def box(self, ann_id: str) -> Cuboid:
        return Cuboid.from_geometry(self.record(ann_id).geometry)

    def viewport(self, kind: str) -> CloudViewport:
        return self.review.view.viewport(kind)  # type: ignore[arg-type]

    def select(self, ann_id: str, qtbot: Any) -> None:
        self.review.suggestions.picked.emit(ann_id)
        settle(qtbot)


def open_session(qtbot: Any, project: Project) -> Iterator[Session]:
    """The review page on the project, its cloud loaded (a fixture's body)."""
    store = ProjectStore.open(project.root)
    stack = QUndoStack()
    review = make_pointcloud_review(store, stack)
    qtbot.addWidget(review)
    review.resize(1400, 900)
    review.show()
    qtbot.waitExposed(review)
    with qtbot.waitSignal(review.cloudShown, timeout=20_000):
        review.show_asset(project.asset)
    settle(qtbot)
    yield Session(review, store, stack, project)
    review.shutdown()
    store.close()


def open_window(qtbot: Any, project: Project) -> tuple[MainWindow, PointCloudReview]:
    """The main window on the project, its 3D page shown with the cloud loaded."""
    window = MainWindow()
    qtbot.addWidget(window)
    window.resize(1500, 950)
    window.show()
    qtbot.waitExposed(window)
    window.open_project(project.root)
    qtbot.waitUntil(lambda: isinstance(window.area.cloud_view, PointCloudReview), timeout=10_000)
    page = window.area.cloud_view
    assert isinstance(page, PointCloudReview)
    qtbot.waitUntil(lambda: page.view.cloud() is not None, timeout=20_000)
    return window, page


def settle(qtbot: Any) -> None:
    """Lets queued renders, edits and store notifications run."""
    for _ in range(3):
        QApplication.processEvents()
    qtbot.wait(1)


def drag(widget: QWidget, points: list[tuple[float, float]], *,
         button: Qt.MouseButton = Qt.MouseButton.LeftButton,
         modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
         process: bool = True) -> None:
    """Press at the first point, move through the rest, release at the last; with ``process``
    the event loop runs after each move (as it would between real mouse events)."""
    mouse(widget, "press", *points[0], button=button, modifiers=modifiers)  # type: ignore[arg-type]
    for x, y in points[1:]:
        mouse(widget, "move", x, y, button=button, modifiers=modifiers)  # type: ignore[arg-type]
        if process:
            QApplication.processEvents()
    mouse(widget, "release", *points[-1], button=button, modifiers=modifiers)  # type: ignore[arg-type]
    QApplication.processEvents()


def wheel(widget: QWidget, x: float, y: float, notches: float) -> None:
    pos = QPointF(x, y)
    event = QWheelEvent(pos, widget.mapToGlobal(pos), QPointF(0, 0).toPoint(),
                        QPointF(0, 120 * notches).toPoint(), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def drawn_pixels(viewport: CloudViewport) -> np.ndarray:
    """Boolean (H, W) mask of the pixels where the last frame drew points."""
    image = viewport.frame_image()
    assert image is not None
    ptr = image.constBits()
    rows = np.frombuffer(ptr, np.uint8).reshape(image.height(), image.bytesPerLine())
    rgba = rows[:, : image.width() * 4].reshape(image.height(), image.width(), 4)
    return ~(rgba == np.array(BACKGROUND, np.uint8)).all(axis=2)
