"""The 3D review page on a real project: loading, projection, editing in the orthographic views,
review keys, undo, persistence, fitting, the numeric panel and drawing."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QColor, QImage

from avala_desktop.canvas.cuboid_tools import Handle, face_rect_pixels, handle_pixels, to_pixels
from avala_desktop.core.camera3d import OrthoCamera, unproject_ortho
from avala_desktop.core.geometry3d import Cuboid, points_in_cuboid
from avala_desktop.core.store import AssetSpec, Origin, ProjectStore, ReviewState
from tests.gui.test_canvas_support import Recorder, mouse
from tests.gui.test_pointcloud_review_support import (
    SLACK_M,
    Session,
    drag,
    drawn_pixels,
    make_project,
    open_session,
    settle,
    true_boxes,
)

DEG = math.pi / 180.0


@pytest.fixture
def session(qtbot: Any, tmp_path: Path) -> Iterator[Session]:
    yield from open_session(qtbot, make_project(tmp_path / "proj"))


def _ortho(session: Session, kind: str) -> tuple[Any, OrthoCamera, int, int]:
    viewport = session.viewport(kind)
    camera = viewport.camera()
    assert isinstance(camera, OrthoCamera)
    return viewport, camera, viewport.width(), viewport.height()


def _is_color(image: QImage, x: int, y: int, color: QColor, tol: int = 60) -> bool:
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            if 0 <= x + dx < image.width() and 0 <= y + dy < image.height():
                c = image.pixelColor(x + dx, y + dy)
                if abs(c.red() - color.red()) + abs(c.green() - color.green()) + \
                        abs(c.blue() - color.blue()) <= tol:
                    return True
    return False


def test_background_load_reports_progress_and_shows_points(qtbot: Any, session: Session) -> None:
    review = session.review
    seen: list[float] = []
    review.loader.progress.connect(seen.append)
    # The asset on screen again: nothing to read.
    review.show_asset(session.project.asset)
    assert not review.loader.is_loading() and review.view.cloud() is not None
    review.show_asset(None)
    assert review.view.cloud() is None and review.view.items() == []
    review.show_asset(session.project.asset)
    # show_asset returns at once: the cloud is read on the worker, the bar is up meanwhile.
    assert review.view.cloud() is None
    assert review.loader.is_loading()
    assert not review._progress.isHidden()
    with qtbot.waitSignal(review.cloudShown, timeout=20_000):
        pass
    settle(qtbot)
    assert seen and seen == sorted(seen) and seen[-1] == 1.0
    assert review._progress.isHidden()
    cloud = review.view.cloud()
    assert cloud is not None and len(cloud) == len(session.project.points)
    assert drawn_pixels(session.viewport("perspective")).sum() > 5_000
    # Nothing is selected: the top view shows the whole cloud from above.
    assert drawn_pixels(session.viewport("top")).sum() > 1_000


def test_points_inside_a_box_fall_inside_its_top_view_rectangle(qtbot: Any,
                                                                 session: Session) -> None:
    ann = session.project.suggestion_ids[0]
    session.select(ann, qtbot)
    top, camera, w, h = _ortho(session, "top")
    box = session.box(ann)
    points = session.project.points
    inside = points[points_in_cuboid(points, box)]
    assert len(inside) > 500
    rect = face_rect_pixels(box, "top", camera, w, h)
    lo, hi = rect.min(axis=0), rect.max(axis=0)
    # Turned with the box: an upright rectangle in the middle, length up the screen.
    np.testing.assert_allclose((lo + hi) / 2.0, (w / 2.0, h / 2.0), atol=1e-3)
    # (float32 projection: equal to a thousandth of a pixel)
    assert math.isclose(hi[1] - lo[1], box.dims[0] * camera.scale, abs_tol=1e-3)
    assert math.isclose(hi[0] - lo[0], box.dims[1] * camera.scale, abs_tol=1e-3)
    px = to_pixels(inside, camera, w, h)
    assert (px >= lo - 1e-3).all() and (px <= hi + 1e-3).all()
    # The frame drew those points where the camera projects them ...
    drawn = drawn_pixels(top)
    u, v = px[:, 0].astype(int), px[:, 1].astype(int)
    assert drawn[v, u].all()
    # ... and the outline drawn over it runs along the rectangle, in the label's colour.
    image = top.grab().toImage()
    color = QColor(session.review._colors["car"])
    for a, b in ((0, 1), (1, 2), (2, 3), (3, 0)):
        samples = [rect[a] + (rect[b] - rect[a]) * t for t in np.linspace(0.15, 0.85, 25)]
        hits = sum(_is_color(image, round(x), round(y), color) for x, y in samples)
        assert hits >= 8, f"edge {a}-{b}: {hits} of 25 samples in the label colour"


def test_yaw_drag_in_the_top_view_turns_the_box_and_undo_restores_it(
        qtbot: Any, session: Session) -> None:
    ann = session.project.suggestion_ids[0]
    session.select(ann, qtbot)
    before = session.record(ann)
    box0 = session.box(ann)
    top, camera, w, h = _ortho(session, "top")
    handle = handle_pixels(box0, [Handle("rotate", (1, 0, 0))], camera, w, h)[0]
    centre = np.array([w / 2.0, h / 2.0])
    radius = float(np.linalg.norm(handle - centre))
    assert handle[1] < centre[1]  # the heading points up the top view
    theta = 30.0 * DEG  # counter-clockwise on screen = counter-clockwise seen from above
    path = [tuple(centre + radius * np.array([-math.sin(t), -math.cos(t)]))
            for t in np.linspace(0.0, theta, 9)]
    edits = Recorder(session.review.view.cuboidEdited)
    drag(top, path)
    settle(qtbot)
    box1 = session.box(ann)
    turned = math.remainder(box1.yaw - box0.yaw, math.tau)
    assert abs(turned - theta) < 0.5 * DEG
    np.testing.assert_allclose(box1.center, box0.center, atol=1e-9)
    np.testing.assert_allclose(box1.dims, box0.dims, atol=1e-9)
    assert session.record(ann).state is ReviewState.EDITED
    # Written as it went, several steps, one undo step.
    assert len(edits.calls) > 2
    assert len({call[3] for call in edits.calls}) == 1
    assert session.stack.count() == 1
    session.stack.undo()
    settle(qtbot)
    restored = session.record(ann)
    assert restored.geometry == before.geometry
    assert restored.state is ReviewState.PENDING
    item = session.review.view.item(ann)
    assert item is not None and item.geometry == before.geometry and item.is_pending
    session.stack.redo()
    settle(qtbot)
    assert math.isclose(session.box(ann).yaw, box1.yaw, abs_tol=1e-12)


def test_review_keys_accept_delete_and_step_through_suggestions(
        qtbot: Any, session: Session) -> None:
    review, ids = session.review, session.project.suggestion_ids
    # A window shortcut on the same key must not take it from the views.
    stolen: list[bool] = []
    shortcut = QAction("Accept (window)", review)
    shortcut.setShortcut("A")
    shortcut.triggered.connect(lambda: stolen.append(True))
    review.addAction(shortcut)
    session.select(ids[0], qtbot)
    viewport = session.viewport("perspective")
    review.activateWindow()
    viewport.setFocus()
    qtbot.waitUntil(viewport.hasFocus, timeout=2000)

    qtbot.keyClick(viewport, Qt.Key.Key_A)
    settle(qtbot)
    assert session.record(ids[0]).state is ReviewState.ACCEPTED
    assert not stolen
    qtbot.keyClick(viewport, Qt.Key.Key_Tab)
    assert review.view.selection() == [ids[1]]
    assert viewport.hasFocus()  # Tab moved through suggestions, not the focus
    qtbot.keyClick(viewport, Qt.Key.Key_D)
    settle(qtbot)
    assert session.record(ids[1]).state is ReviewState.REJECTED
    assert review.view.item(ids[1]) is None
    assert review.view.selection() == [ids[2]]  # the next box takes its place
    assert ids[1] not in review.suggestions.ids()
    qtbot.keyClick(viewport, Qt.Key.Key_Delete)
    settle(qtbot)
    assert session.record(ids[2]).state is ReviewState.REJECTED
    assert review.view.selection() == [ids[3]]
    qtbot.keyClick(viewport, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert review.view.selection() == [ids[4]]  # the previous pending one, wrapping round
    assert session.stack.count() == 3
    for _ in range(3):
        session.stack.undo()
    settle(qtbot)
    assert [session.record(i).state for i in ids[:3]] == [ReviewState.PENDING] * 3
    assert {item.id for item in review.view.items()} == set(ids)


def test_a_move_in_the_top_view_survives_reopening_the_project(
        qtbot: Any, session: Session) -> None:
    ann = session.project.suggestion_ids[2]  # the truck, turned 0.6 rad
    session.select(ann, qtbot)
    box0 = session.box(ann)
    top, camera, w, h = _ortho(session, "top")
    start, end = (w / 2.0, h / 2.0), (w / 2.0 + 30.0, h / 2.0 - 12.0)
    drag(top, [start, (w / 2.0 + 15.0, h / 2.0 - 6.0), end])
    settle(qtbot)
    expected = box0.center + (unproject_ortho(*end, camera, w, h)
                              - unproject_ortho(*start, camera, w, h))
    moved = session.record(ann)
    with ProjectStore.open(session.project.root) as again:
        stored = again.get_annotation(ann)
    assert stored is not None
    assert stored.geometry == moved.geometry
    assert stored.state is ReviewState.EDITED
    box = Cuboid.from_geometry(stored.geometry)
    np.testing.assert_allclose(box.center, expected, atol=1e-9)
    assert box.center[2] == box0.center[2]  # a top-view move keeps the height
    np.testing.assert_array_equal(box.quat, box0.quat)


def _pull_up(qtbot: Any, session: Session, kind: str, handle: Handle, box: Cuboid,
             pixels: float) -> OrthoCamera:
    """Drags ``handle`` of ``box`` up the screen of an orthographic view in two steps."""
    viewport, camera, w, h = _ortho(session, kind)
    u, v = handle_pixels(box, [handle], camera, w, h)[0]
    drag(viewport, [(u, v), (u, v - pixels / 2), (u, v - pixels)])
    settle(qtbot)
    return camera


def test_resizing_in_the_top_view_moves_one_face_only(qtbot: Any, session: Session) -> None:
    ann = session.project.suggestion_ids[0]
    session.select(ann, qtbot)
    box0 = session.box(ann)
    camera = _pull_up(qtbot, session, "top", Handle("edge", (1, 0, 0)), box0, 20.0)
    box1 = session.box(ann)
    grown = 20.0 / camera.scale
    assert math.isclose(box1.dims[0], box0.dims[0] + grown, rel_tol=1e-9)
    assert box1.dims[1] == box0.dims[1] and box1.dims[2] == box0.dims[2]
    heading = box0.rotation[:, 0]
    back0 = box0.center - heading * box0.dims[0] / 2
    back1 = box1.center - heading * box1.dims[0] / 2
    np.testing.assert_allclose(back1, back0, atol=1e-9)


def test_side_and_front_views_adjust_height_and_z(qtbot: Any, session: Session) -> None:
    ann = session.project.suggestion_ids[1]
    session.select(ann, qtbot)
    box0 = session.box(ann)
    camera = _pull_up(qtbot, session, "side", Handle("edge", (0, 0, 1)), box0, 16.0)
    box1 = session.box(ann)
    assert math.isclose(box1.dims[2], box0.dims[2] + 16.0 / camera.scale, rel_tol=1e-9)
    bottom0 = box0.center[2] - box0.dims[2] / 2
    assert math.isclose(box1.center[2] - box1.dims[2] / 2, bottom0, abs_tol=1e-9)
    front, camera, w, h = _ortho(session, "front")
    drag(front, [(w / 2.0, h / 2.0), (w / 2.0 + 25.0, h / 2.0 + 10.0)])
    settle(qtbot)
    box2 = session.box(ann)
    assert math.isclose(box2.center[2], box1.center[2] - 10.0 / camera.scale, rel_tol=1e-9)
    np.testing.assert_allclose(box2.center[:2], box1.center[:2], atol=1e-9)  # z only
    assert session.stack.count() == 2


def test_fit_to_points_shrinks_the_box_to_its_object(qtbot: Any, session: Session) -> None:
    ann = session.project.suggestion_ids[2]
    session.select(ann, qtbot)
    big = session.box(ann)
    session.review.fit_selected()
    settle(qtbot)
    fitted = session.box(ann)
    truth = true_boxes()[2][1]
    assert (fitted.dims < big.dims - SLACK_M).all()
    # Within the sensor noise (ground +-0.02 m, surfaces +-0.01 m, extremes of thousands).
    np.testing.assert_allclose(fitted.dims, truth.dims, atol=0.15)
    np.testing.assert_allclose(fitted.center, truth.center, atol=0.1)
    # The ground around the truck set only the bottom: it still stands on the ground.
    assert abs((fitted.center[2] - fitted.dims[2] / 2) - (truth.center[2] - truth.dims[2] / 2)) \
        < 0.1
    assert session.record(ann).state is ReviewState.EDITED
    assert session.stack.undoText() == "Fit 3D box to points"
    session.stack.undo()
    settle(qtbot)
    np.testing.assert_array_equal(session.box(ann).dims, big.dims)


def test_numeric_panel_edits_through_commands(qtbot: Any, session: Session) -> None:
    ann = session.project.suggestion_ids[0]
    session.select(ann, qtbot)
    panel = session.review.panel
    box0 = session.box(ann)
    assert math.isclose(panel.spin("x").value(), round(box0.center[0], 3))
    panel.spin("yaw").setValue(30.0)
    settle(qtbot)
    box1 = session.box(ann)
    assert math.isclose(box1.yaw, 30.0 * DEG, abs_tol=1e-9)
    np.testing.assert_array_equal(box1.center, box0.center)
    panel.spin("h").setValue(2.5)
    settle(qtbot)
    assert session.box(ann).dims[2] == 2.5
    assert session.stack.count() == 2
    # Arrow steps in one field are one undo step.
    spin = panel.spin("z")
    for _ in range(3):
        spin.stepUp()
    settle(qtbot)
    assert math.isclose(session.box(ann).center[2], box0.center[2] + 0.15, abs_tol=1e-3)
    assert session.stack.count() == 3
    # The views follow the store.
    item = session.review.view.item(ann)
    assert item is not None and math.isclose(item.box.center[2], session.box(ann).center[2])
    for _ in range(3):
        session.stack.undo()
    settle(qtbot)
    assert session.record(ann).geometry == box0.to_geometry()
    assert panel.spin("yaw").value() == round(math.degrees(box0.yaw), 2)
    # The label too, as a relabel command.
    combo = panel.label_box()
    combo.setCurrentText("truck")
    combo.activated.emit(combo.currentIndex())
    settle(qtbot)
    assert session.record(ann).label == "truck"
    assert session.record(ann).state is ReviewState.EDITED
    assert session.stack.undoText().startswith("Relabel")


def test_drawing_a_box_takes_its_height_from_the_points(qtbot: Any, session: Session) -> None:
    review = session.review
    # A window shortcut on C (the 2D canvas has its own tools) must not take it from the view.
    stolen: list[bool] = []
    shortcut = QAction("Some tool", review)
    shortcut.setShortcut("C")
    shortcut.triggered.connect(lambda: stolen.append(True))
    review.addAction(shortcut)
    top = session.viewport("top")
    review.activateWindow()
    top.setFocus()
    qtbot.waitUntil(top.hasFocus, timeout=2000)
    qtbot.keyClick(top, Qt.Key.Key_C)
    assert review.view.draw_mode() and not stolen
    _, camera, w, h = _ortho(session, "top")  # nothing selected: the whole cloud from above
    truth = true_boxes()[0][1]
    corners = [truth.center + np.array(d) for d in ((2.8, 1.6, 0.0), (-2.8, -1.6, 0.0))]
    a, b = to_pixels(np.array(corners), camera, w, h)
    drag(top, [tuple(a), tuple((a + b) / 2), tuple(b)])
    settle(qtbot)
    assert not review.view.draw_mode()
    created = [r for r in session.store.annotations(session.project.asset.id)
               if r.origin is Origin.HUMAN]
    assert len(created) == 1
    record = created[0]
    assert record.state is ReviewState.ACCEPTED and record.label == "car"
    box = Cuboid.from_geometry(record.geometry)
    bottom, top_z = truth.center[2] - truth.dims[2] / 2, truth.center[2] + truth.dims[2] / 2
    assert abs((box.center[2] - box.dims[2] / 2) - bottom) < 0.1
    assert abs((box.center[2] + box.dims[2] / 2) - top_z) < 0.15
    assert review.view.selection() == [record.id]
    session.stack.undo()
    settle(qtbot)
    assert session.store.get_annotation(record.id) is None
    assert review.view.item(record.id) is None


def test_camera_drags_render_once_per_event_loop_turn(qtbot: Any, session: Session) -> None:
    viewport = session.viewport("perspective")
    camera0 = session.review.view.orbit_camera()
    before = viewport.renders
    drag(viewport, [(300.0 + 6 * i, 300.0) for i in range(25)], process=False)
    settle(qtbot)
    assert viewport.renders - before <= 2  # 24 moves: the drag frame and the final full frame
    assert viewport.renders > before
    assert session.review.view.orbit_camera().azimuth != camera0.azimuth
    qtbot.keyClick(viewport, Qt.Key.Key_R)
    settle(qtbot)
    assert session.review.view.orbit_camera().azimuth == camera0.azimuth


def test_colour_by_intensity_recolours_the_points(qtbot: Any, session: Session) -> None:
    viewport = session.viewport("perspective")
    image = viewport.frame_image()
    assert image is not None
    before = image.copy()
    session.review._color_mode.setCurrentIndex(1)
    settle(qtbot)
    after = viewport.frame_image()
    assert after is not None and after != before
    cloud = session.review.view.cloud()
    assert cloud is not None and cloud.color_mode == "intensity"


def test_a_damaged_file_fails_with_a_message(qtbot: Any, session: Session) -> None:
    path = session.project.root / "scan.pcd"
    path.write_bytes(path.read_bytes()[:2000])
    session.review.show_asset(None)
    with qtbot.waitSignal(session.review.loader.failed, timeout=10_000) as blocker:
        session.review.show_asset(session.project.asset)
    assert "scan.pcd" in blocker.args[0]
    assert session.review.view.cloud() is None
    assert session.review._status.text() == blocker.args[0]
    # The boxes are still there to review from the list.
    assert len(session.review.view.items()) == 5


def test_cancel_stops_loading_a_big_cloud(qtbot: Any, session: Session) -> None:
    # KITTI .bin of 3 M points (48 MB): long enough to be cancelled part-way.
    rng = np.random.default_rng(1)
    path = session.project.root / "big.bin"
    rng.uniform(-50, 50, (3_000_000, 4)).astype("<f4").tofile(path)
    asset = session.store.add_assets([AssetSpec("big.bin", "point_cloud")])[0]
    review = session.review
    cancelled = Recorder(review.loader.cancelled)
    loaded = Recorder(review.cloudShown)
    review.show_asset(asset)
    assert review.loader.is_loading()
    review._cancel.click()
    qtbot.waitUntil(lambda: bool(cancelled.calls), timeout=10_000)
    settle(qtbot)
    assert not loaded.calls
    assert review.view.cloud() is None
    assert review._progress.isHidden()
    assert "cancelled" in review._status.text()


def test_escape_during_a_drag_puts_the_box_back_without_an_undo_step(
        qtbot: Any, session: Session) -> None:
    ann = session.project.suggestion_ids[0]
    session.select(ann, qtbot)
    before = session.record(ann)
    top, _, w, h = _ortho(session, "top")
    mouse(top, "press", w / 2.0, h / 2.0)
    for step in range(1, 5):
        mouse(top, "move", w / 2.0 + 8 * step, h / 2.0)
        settle(qtbot)
    assert session.record(ann).geometry != before.geometry  # the steps were written
    qtbot.keyClick(top, Qt.Key.Key_Escape)
    mouse(top, "release", w / 2.0 + 40, h / 2.0)
    settle(qtbot)
    after = session.record(ann)
    assert after.geometry == before.geometry and after.state is ReviewState.PENDING
    assert session.stack.count() == 0 and not session.stack.canRedo()
    item = session.review.view.item(ann)
    assert item is not None and item.geometry == before.geometry
