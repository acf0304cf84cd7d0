"""The editing math under the 3D views (cuboid_tools), the panel's field edits, and the page's
lifetime around a load in progress."""

from __future__ import annotations

import gc
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QUndoStack

from avala_desktop.canvas.cloud3d import FAST_POINTS, PreparedCloud
from avala_desktop.canvas.cuboid_tools import (
    Handle,
    apply_handle,
    convex_hull,
    cuboid_from_footprint,
    handle_pixels,
    hit_handle,
    matrix_to_quat,
    pick,
    quat_from_ypr,
    rotate_about_height,
    rotation_angle,
    yaw_pitch_roll,
)
from avala_desktop.core.camera3d import OrthoCamera
from avala_desktop.core.geometry3d import Cuboid, quat_to_matrix, yaw_quat
from avala_desktop.core.pointcloud import PointCloud
from avala_desktop.core.store import AssetSpec, ProjectStore
from avala_desktop.qt_workers import JobWorker
from avala_desktop.views.pointcloud_panel import box_values, with_field
from avala_desktop.views.pointcloud_review import make_pointcloud_review
from tests.gui.test_pointcloud_review_support import make_project

W, H = 400, 300


def _box(yaw: float = 0.4) -> Cuboid:
    return Cuboid(np.array([3.0, -2.0, 0.5]), np.array([4.0, 2.0, 1.5]), yaw_quat(yaw))


@pytest.mark.parametrize("angles", [(0.3, 0.0, 0.0), (-2.5, 0.2, -0.1), (1.0, -0.7, 2.9),
                                    (math.pi - 1e-3, 0.4, 0.0)])
def test_yaw_pitch_roll_round_trip(angles: tuple[float, float, float]) -> None:
    quat = quat_from_ypr(*angles)
    np.testing.assert_allclose(yaw_pitch_roll(quat), angles, atol=1e-12)
    np.testing.assert_allclose(quat_to_matrix(matrix_to_quat(quat_to_matrix(quat))),
                               quat_to_matrix(quat), atol=1e-12)


def test_gimbal_lock_keeps_the_rotation() -> None:
    quat = quat_from_ypr(0.5, math.pi / 2, 0.2)
    yaw, pitch, roll = yaw_pitch_roll(quat)
    assert math.isclose(pitch, math.pi / 2, abs_tol=1e-6)
    np.testing.assert_allclose(quat_to_matrix(quat_from_ypr(yaw, pitch, roll)),
                               quat_to_matrix(quat), atol=1e-6)


def test_handles_of_a_turned_box_in_its_top_view() -> None:
    box = _box()
    camera = OrthoCamera(center=box.center, scale=20.0, view="top", frame=box.rotation)
    handles = [Handle("rotate", (1, 0, 0)), Handle("edge", (1, 0, 0)),
               Handle("corner", (-1, 1, 0))]
    rot, front, corner = handle_pixels(box, handles, camera, W, H)
    assert math.isclose(front[0], W / 2) and math.isclose(front[1], H / 2 - 2.0 * 20.0)
    assert rot[1] < front[1]  # beyond the front edge
    # The box's left side (+y) is on the screen's left in a top view.
    assert math.isclose(corner[0], W / 2 - 20.0) and math.isclose(corner[1], H / 2 + 40.0)
    for handle, (u, v) in zip(handles, (rot, front, corner), strict=True):
        assert hit_handle(box, "top", camera, W, H, u, v, 6.0) == handle
    # Anywhere along an edge grabs that edge; inside is the body; far outside nothing.
    assert hit_handle(box, "top", camera, W, H, W / 2 + 9, H / 2 - 41, 6.0) == \
        Handle("edge", (1, 0, 0))
    assert hit_handle(box, "top", camera, W, H, W / 2 + 5, H / 2 + 5, 6.0) == Handle("body")
    assert hit_handle(box, "top", camera, W, H, 5, 5, 6.0) is None


def test_corner_drag_keeps_the_opposite_corner() -> None:
    box = _box()
    handle = Handle("corner", (1, -1, 0))
    delta = box.rotation @ np.array([0.5, -0.25, 0.0])  # outwards along both axes
    grown = apply_handle(box, handle, "top", delta)
    np.testing.assert_allclose(grown.dims, [4.5, 2.25, 1.5])
    opposite = np.array([-1, 1, 0]) * box.dims / 2
    np.testing.assert_allclose(grown.center + grown.rotation @ (opposite * [1, 1, 0]
                                                                + [-0.25, 0.125, 0]),
                               box.center + box.rotation @ opposite, atol=1e-12)
    # Dragged through the opposite face, a box stops at the minimum size instead of flipping.
    squashed = apply_handle(box, Handle("edge", (0, 0, 1)), "side", np.array([0, 0, -9.0]))
    assert squashed.dims[2] == pytest.approx(0.05)


def test_body_drags_move_in_the_ground_plane_or_along_the_height() -> None:
    box = _box()
    delta = np.array([1.0, 2.0, 3.0])
    moved = apply_handle(box, Handle("body"), "top", delta)
    np.testing.assert_allclose(moved.center, box.center + np.array([1.0, 2.0, 0.0]), atol=1e-12)
    lifted = apply_handle(box, Handle("body"), "front", delta)
    np.testing.assert_allclose(lifted.center, box.center + np.array([0.0, 0.0, 3.0]),
                               atol=1e-12)


def test_rotation_is_measured_around_the_centre() -> None:
    box = _box(0.0)
    start = box.center + np.array([3.0, 0.0, 0.0])
    end = box.center + np.array([0.0, 3.0, 0.0])
    angle = rotation_angle(box, start, end)
    assert math.isclose(angle, math.pi / 2)
    turned = rotate_about_height(box, angle)
    assert math.isclose(turned.yaw, math.pi / 2)
    # Across the +-180 degree seam the shorter way round is taken.
    above, below = box.center + np.array([-1, 0.01, 0]), box.center + np.array([-1, -0.01, 0])
    assert math.isclose(rotation_angle(box, above, below), 0.02, rel_tol=1e-3)


def test_footprint_box_stands_on_the_points() -> None:
    camera = OrthoCamera(center=np.zeros(3), scale=10.0, view="top")
    rng = np.random.default_rng(0)
    ground = np.c_[rng.uniform(-10, 10, (5000, 2)), np.full(5000, -1.7)]
    obj = np.c_[rng.uniform(-1, 1, (2000, 2)), rng.uniform(-1.7, 0.3, 2000)]
    points = np.vstack([ground, obj]).astype(np.float32)
    # Screen (180, 130)-(220, 170) is 4 m x 4 m around the origin.
    box = cuboid_from_footprint(camera, W, H, (180, 130), (220, 170), points)
    np.testing.assert_allclose(box.dims[:2], [4.0, 4.0])
    assert box.center[2] - box.dims[2] / 2 == pytest.approx(-1.7, abs=0.01)
    assert box.center[2] + box.dims[2] / 2 == pytest.approx(0.3, abs=0.1)
    assert math.isclose(box.yaw, 0.0, abs_tol=1e-12)  # heading up the screen = +X here
    empty = cuboid_from_footprint(camera, W, H, (0, 0), (10, 20), None)
    assert empty.dims[2] == 1.5


def test_pick_prefers_the_smaller_box_and_hull_is_convex() -> None:
    camera = OrthoCamera(center=np.zeros(3), scale=10.0, view="top")
    big = Cuboid(np.zeros(3), np.array([10.0, 10.0, 2.0]))
    small = Cuboid(np.array([1.0, 1.0, 0.0]), np.ones(3))
    assert pick([("big", big), ("small", small)], camera, W, H, W / 2 - 10, H / 2 - 10) == "small"
    assert pick([("big", big), ("small", small)], camera, W, H, W / 2 + 30, H / 2 + 30) == "big"
    assert pick([("big", big)], camera, W, H, 2, 2) is None
    hull = convex_hull(np.array([[0, 0], [2, 0], [1, 1], [2, 2], [0, 2], [1, 0.5]]))
    assert sorted(map(tuple, hull.tolist())) == [(0, 0), (0, 2), (2, 0), (2, 2)]


def test_panel_field_edits_touch_one_quantity() -> None:
    box = Cuboid(np.array([1.23456789, 2.0, 3.0]), np.array([4.0, 2.0, 1.5]),
                 quat_from_ypr(0.3, 0.1, -0.2))
    values = box_values(box)
    assert math.isclose(values["yaw"], math.degrees(0.3))
    moved = with_field(box, "y", 7.5)
    assert moved.center[0] == box.center[0] and moved.center[1] == 7.5
    np.testing.assert_array_equal(moved.quat, box.quat)
    turned = with_field(box, "yaw", 45.0)
    ypr = yaw_pitch_roll(turned.quat)
    np.testing.assert_allclose(ypr, (math.radians(45.0), 0.1, -0.2), atol=1e-12)
    with pytest.raises(KeyError):
        with_field(box, "colour", 1.0)


def test_closing_the_page_mid_load_leaves_no_thread_behind(qtbot: Any, tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj", n_points=2_000)
    rng = np.random.default_rng(2)
    rng.uniform(-50, 50, (2_000_000, 4)).astype("<f4").tofile(project.root / "big.bin")
    store = ProjectStore.open(project.root)
    asset = store.add_assets([AssetSpec("big.bin", "point_cloud")])[0]
    stack = QUndoStack()
    review = make_pointcloud_review(store, stack)
    review.show_asset(asset)
    assert review.loader.is_loading()
    review.deleteLater()
    del review
    gc.collect()
    app = QCoreApplication.instance()
    assert app is not None
    qtbot.waitUntil(lambda: not any(isinstance(c, JobWorker) for c in app.children()),
                    timeout=20_000)
    store.close()


def test_prepared_cloud_derives_a_fast_copy_and_neighbourhoods() -> None:
    rng = np.random.default_rng(4)
    pts = rng.uniform(-100, 100, (1_600_000, 3)).astype(np.float32)
    prepared = PreparedCloud(PointCloud(pts))
    fast = prepared.fast()
    assert 700_000 <= len(fast) <= FAST_POINTS and prepared.fast() is fast
    np.testing.assert_array_equal(fast.points[:3], pts[::2][:3])
    near = prepared.around(np.array([10.0, 10.0, 0.0]), 5.0)
    inside = np.abs(near.points[:, :2] - [10.0, 10.0]).max(axis=1)
    assert len(near) > 1000 and (inside <= 10.0).all()
    # A request the last crop still covers reuses it; one beyond it crops again.
    assert prepared.around(np.array([12.0, 9.0, 0.0]), 4.0) is near
    assert prepared.around(np.array([60.0, 60.0, 0.0]), 4.0) is not near
    assert prepared.around(np.zeros(3), 150.0) is prepared.full
    assert not prepared.has_intensity and not prepared.set_color_mode("intensity")
    small = PreparedCloud(PointCloud(pts[:1000], intensity=np.linspace(0, 1, 1000,
                                                                       dtype=np.float32)))
    assert small.fast() is small.full
    before = small.full.colors.copy()
    assert small.set_color_mode("intensity") and small.color_mode == "intensity"
    assert not np.array_equal(small.full.colors, before) and small.version == 1
