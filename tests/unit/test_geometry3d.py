"""Cuboid geometry and camera projection (Qt-free)."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from avala_desktop.core.camera3d import OrbitCamera, OrthoCamera, project, unproject_ortho
from avala_desktop.core.geometry3d import (
    CUBOID_EDGES,
    Cuboid,
    cuboid_corners,
    cuboid_footprint,
    cuboid_segments,
    fit_cuboid_to_points,
    points_in_cuboid,
    project_segments,
    quat_to_matrix,
    yaw_quat,
)

W, H = 640, 480


def _inside_polygon(polygon: np.ndarray, uv: np.ndarray, tolerance: float = 1e-3) -> np.ndarray:
    contour = polygon.astype(np.float32).reshape(-1, 1, 2)
    return np.array(
        [cv2.pointPolygonTest(contour, (float(u), float(v)), True) >= -tolerance for u, v in uv]
    )


def test_yaw_quaternion_rotates_length_axis() -> None:
    rot = quat_to_matrix(yaw_quat(math.pi / 2))
    np.testing.assert_allclose(rot @ [1, 0, 0], [0, 1, 0], atol=1e-12)
    np.testing.assert_allclose(rot @ [0, 0, 1], [0, 0, 1], atol=1e-12)
    with pytest.raises(ValueError, match="no direction"):
        quat_to_matrix((0, 0, 0, 0))


def test_corners_follow_conventions() -> None:
    # Length along the heading (x at yaw 0), width along y, height along z.
    box = Cuboid(center=(10, 5, 1), dims=(4, 2, 1.5))
    corners = cuboid_corners(box)
    np.testing.assert_allclose(corners.min(axis=0), [8, 4, 0.25])
    np.testing.assert_allclose(corners.max(axis=0), [12, 6, 1.75])
    np.testing.assert_allclose(corners[:4, 0], 12)  # corners 0-3: the front (heading) face
    # Turned a quarter: the length now runs along y.
    turned = cuboid_corners(np.array([10, 5, 1]), np.array([4, 2, 1.5]), yaw_quat(math.pi / 2))
    np.testing.assert_allclose(turned.max(axis=0) - turned.min(axis=0), [2, 4, 1.5], atol=1e-9)
    np.testing.assert_allclose(turned[:4, 1], 7, atol=1e-9)
    # Every edge has the length of one of the dimensions.
    lengths = np.linalg.norm(corners[CUBOID_EDGES[:, 0]] - corners[CUBOID_EDGES[:, 1]], axis=1)
    assert sorted(set(np.round(lengths, 9))) == [1.5, 2.0, 4.0]


def test_geometry_dict_round_trip() -> None:
    geometry = {
        "center": {"x": 1.0, "y": 2.0, "z": 0.5},
        "dimensions": {"l": 4.0, "w": 1.8, "h": 1.5},
        "rotation": {"w": math.cos(0.3), "x": 0.0, "y": 0.0, "z": math.sin(0.3)},
    }
    box = Cuboid.from_geometry(geometry)
    assert box.yaw == pytest.approx(0.6)
    # A stored unit quaternion reads back bit-identical (no renormalising drift per edit).
    assert box.to_geometry() == geometry
    unnormalised = Cuboid(center=(0, 0, 0), dims=(1, 1, 1), quat=(2.0, 0.0, 0.0, 0.0))
    assert unnormalised.quat.tolist() == [1.0, 0.0, 0.0, 0.0]


def test_heading_mark_points_forward() -> None:
    box = Cuboid(center=(0, 0, 0), dims=(4, 2, 2), quat=yaw_quat(math.pi))
    edges, heading = cuboid_segments(box)
    assert edges.shape == (12, 2, 3) and heading.shape == (3, 2, 3)
    np.testing.assert_allclose(heading[0, 1], [-2, 0, 0], atol=1e-9)


def test_target_projects_to_image_centre() -> None:
    camera = OrbitCamera(target=(3, -2, 1), distance=12, azimuth=0.7, elevation=0.4)
    u, v, depth, valid = project(np.array([[3, -2, 1]], np.float32), camera, W, H)
    assert valid[0]
    assert (u[0], v[0]) == (pytest.approx(W / 2, abs=1e-3), pytest.approx(H / 2, abs=1e-3))
    assert depth[0] == pytest.approx(12, rel=1e-5)


def test_perspective_orientation_and_near_plane() -> None:
    # Looking from -X towards the origin: +Y is to the left on screen, +Z up.
    camera = OrbitCamera(target=(0, 0, 0), distance=10, azimuth=math.pi, elevation=0.0)
    pts = np.array([[0, 1, 0], [0, 0, 1], [-20, 0, 0]], np.float32)
    u, v, _, valid = project(pts, camera, W, H)
    assert u[0] < W / 2 and v[1] < H / 2
    assert valid.tolist() == [True, True, False]  # the last point is behind the eye


def test_ortho_views_of_a_turned_box() -> None:
    box = Cuboid(center=(5, 5, 1), dims=(4, 2, 1), quat=yaw_quat(0.5))
    front_centre = box.center + box.rotation @ [2, 0, 0]
    top = OrthoCamera(center=box.center, scale=20, view="top", frame=box.rotation)
    u, v, _, _ = project(front_centre[None], top, W, H)
    # In a top view turned with the box, the heading points straight up the image.
    assert u[0] == pytest.approx(W / 2, abs=1e-3) and v[0] == pytest.approx(H / 2 - 40, abs=1e-3)
    side = OrthoCamera(center=box.center, scale=20, view="side", frame=box.rotation)
    u, v, _, _ = project(front_centre[None], side, W, H)
    assert u[0] == pytest.approx(W / 2 + 40, abs=1e-3)  # heading to the right
    roof = box.center + box.rotation @ [0, 0, 0.5]
    front = OrthoCamera(center=box.center, scale=20, view="front", frame=box.rotation)
    u, v, _, _ = project(roof[None], front, W, H)
    assert v[0] == pytest.approx(H / 2 - 10, abs=1e-3)  # z up in the front view
    np.testing.assert_allclose(
        unproject_ortho(W / 2, H / 2 - 40, top, W, H), front_centre, atol=1e-9
    )


def test_ortho_depth_range_keeps_a_slab() -> None:
    camera = OrthoCamera(center=(0, 0, 0), scale=10, view="side", depth_range=1.0)
    pts = np.array([[0, 0.5, 0], [0, 3, 0], [0, -0.9, 0]], np.float32)
    assert project(pts, camera, W, H)[3].tolist() == [True, False, True]


@settings(max_examples=40, deadline=None)
@given(
    yaw=st.floats(-math.pi, math.pi),
    dims=st.tuples(st.floats(0.5, 8), st.floats(0.5, 4), st.floats(0.5, 3)),
    centre=st.tuples(st.floats(-30, 30), st.floats(-30, 30), st.floats(-2, 2)),
)
def test_points_inside_a_cuboid_fall_inside_its_top_view_rectangle(
    yaw: float, dims: tuple[float, float, float], centre: tuple[float, float, float]
) -> None:
    box = Cuboid(center=centre, dims=dims, quat=yaw_quat(yaw))
    rng = np.random.default_rng(0)
    pts = (rng.uniform(-12, 12, (400, 3)) + np.array(centre)).astype(np.float32)
    inside = points_in_cuboid(pts, box)
    camera = OrthoCamera(center=(0, 0, 0), scale=8, view="top")
    u, v, _, _ = project(pts, camera, W, H)
    footprint = np.concatenate([cuboid_footprint(box), np.full((4, 1), centre[2])], axis=1)
    rect, _ = project_segments(footprint[:, None, :].repeat(2, axis=1), camera, W, H)
    polygon = rect[:, 0, :]
    uv = np.stack([u, v], axis=1)
    assert _inside_polygon(polygon, uv[inside]).all()
    # ... and the points of the rectangle's column outside the box are above or below it.
    column = _inside_polygon(polygon, uv, tolerance=-1e-2)
    outside_in_column = column & ~inside
    if outside_in_column.any():
        z = pts[outside_in_column, 2]
        half = dims[2] / 2
        assert ((z > centre[2] + half - 1e-4) | (z < centre[2] - half + 1e-4)).all()


def test_points_in_cuboid_and_margin() -> None:
    box = Cuboid(center=(0, 0, 0), dims=(2, 2, 2), quat=yaw_quat(math.pi / 4))
    pts = np.array(
        [[0.0, 0.0, 0.0], [1.2, 0.0, 0.0], [1.6, 0.0, 0.0], [0.0, 0.0, 1.5], [np.nan, 0, 0]]
    )
    assert points_in_cuboid(pts, box).tolist() == [True, True, False, False, False]
    assert points_in_cuboid(pts, box, margin=0.6).tolist() == [True, True, True, True, False]


def test_fit_shrinks_to_points_keeping_yaw() -> None:
    yaw = 0.8
    truth = Cuboid(center=(4, -3, 0.8), dims=(4.2, 1.8, 1.6), quat=yaw_quat(yaw))
    rng = np.random.default_rng(7)
    local = rng.uniform(-0.5, 0.5, (2000, 3)) * truth.dims
    local[:8] = (
        np.array([[sx, sy, sz] for sx in (-0.5, 0.5) for sy in (-0.5, 0.5) for sz in (-0.5, 0.5)])
        * truth.dims
    )
    car = local @ truth.rotation.T + truth.center
    clutter = rng.uniform(-20, 20, (3000, 3))
    clutter = clutter[~points_in_cuboid(clutter, truth, margin=1.5)]
    pts = np.vstack([car, clutter]).astype(np.float32)
    loose = Cuboid(
        center=truth.center + np.array([0.3, -0.2, 0.1]), dims=truth.dims + 1.2, quat=truth.quat
    )

    fitted = fit_cuboid_to_points(pts, loose)

    assert fitted is not None
    assert fitted.yaw == pytest.approx(yaw)
    np.testing.assert_allclose(fitted.dims, truth.dims, atol=1e-4)
    np.testing.assert_allclose(fitted.center, truth.center, atol=1e-4)
    assert fit_cuboid_to_points(pts, Cuboid(center=(100, 100, 100), dims=(1, 1, 1))) is None
    single = fit_cuboid_to_points(
        np.array([[0.0, 0.0, 0.0]]), Cuboid(center=(0, 0, 0), dims=(2, 2, 2))
    )
    assert single is not None and single.dims.tolist() == [0.05, 0.05, 0.05]


def test_segments_clipped_at_near_plane() -> None:
    camera = OrbitCamera(target=(0, 0, 0), distance=5, azimuth=math.pi, elevation=0.0)
    # Eye at (-5, 0, 0) looking +X: a segment from behind the eye to in front of it.
    segs = np.array([[[-10, 1, 0], [5, 1, 0]], [[-10, 0, 0], [-8, 0, 0]]], np.float64)
    uv, visible = project_segments(segs, camera, W, H)
    assert visible.tolist() == [True, False]
    assert np.isfinite(uv[0]).all()
    u_far, _, _, _ = project(np.array([[5, 1, 0]], np.float32), camera, W, H)
    assert uv[0, 1, 0] == pytest.approx(u_far[0], abs=1e-3)
