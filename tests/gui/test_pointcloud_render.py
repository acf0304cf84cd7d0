"""The numpy point rasterizer and its QImage wrapper, offscreen."""

from __future__ import annotations

import gc
import math
import warnings

import numpy as np
import pytest
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication

from avala_desktop.canvas.pointcloud_render import (
    BACKGROUND,
    RenderCloud,
    colors_by_height,
    colors_by_intensity,
    pack_rgba,
    project,
    render,
    to_qimage,
    turbo_lut,
)
from avala_desktop.core.camera3d import OrbitCamera, OrthoCamera

W, H = 160, 120
RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)


def _rgb(*colors: tuple[int, int, int]) -> np.ndarray:
    return np.array(colors, np.uint8)


def _is_background(pixel: np.ndarray) -> bool:
    return tuple(pixel) == BACKGROUND


def test_points_land_where_projected_and_nowhere_else() -> None:
    pts = np.array([[0, 0, 0], [2, 1, 0], [-3, -2, 0.5]], np.float32)
    camera = OrthoCamera(center=(0, 0, 0), scale=10, view="top")
    image = render(pts, _rgb(RED, GREEN, BLUE), camera, W, H)
    assert image.shape == (H, W, 4) and image.dtype == np.uint8
    u, v, _, _ = project(pts, camera, W, H)
    for (r, g, b), x, y in zip((RED, GREEN, BLUE), u.astype(int), v.astype(int), strict=True):
        assert tuple(image[y, x]) == (r, g, b, 255)
    drawn = ~(image == np.array(BACKGROUND, np.uint8)).all(axis=2)
    assert drawn.sum() == 3


def test_perspective_nearest_point_wins() -> None:
    # Looking along +X from x = -10: both points sit on the line of sight through the centre.
    camera = OrbitCamera(target=(0, 0, 0), distance=10, azimuth=math.pi, elevation=0.0)
    for order in ([0, 1], [1, 0]):
        pts = np.array([[5, 0, 0], [-5, 0, 0]], np.float32)[order]
        colors = _rgb(RED, GREEN)[order]
        image = render(pts, colors, camera, W, H)
        assert tuple(image[H // 2, W // 2][:3]) == GREEN  # x = -5 is nearer the eye


def test_orthographic_nearest_point_wins_with_negative_depths() -> None:
    # A top view looks down: the highest point is nearest, whichever side of the centre it is.
    camera = OrthoCamera(center=(0, 0, 0), scale=10, view="top")
    for zs, winner in (((5.0, 1.0), RED), ((-1.0, -4.0), RED), ((-2.0, 3.0), GREEN)):
        pts = np.array([[0, 0, zs[0]], [0, 0, zs[1]]], np.float32)
        image = render(pts, _rgb(RED, GREEN), camera, W, H)
        assert tuple(image[H // 2, W // 2][:3]) == winner


def test_invisible_points_are_skipped_without_warnings() -> None:
    camera = OrbitCamera(target=(0, 0, 0), distance=10, azimuth=math.pi, elevation=0.0)
    pts = np.array(
        [[-20, 0, 0], [0, 500, 0], [np.nan, 0, 0], [np.inf, 1, 1], [0, 0, 0]], np.float32
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        image = render(pts, None, camera, W, H)
    drawn = ~(image == np.array(BACKGROUND, np.uint8)).all(axis=2)
    assert drawn.sum() == 1 and drawn[H // 2, W // 2]


def test_point_size_grows_splats_and_keeps_depth_order() -> None:
    camera = OrthoCamera(center=(0, 0, 0), scale=10, view="top")
    near_red = np.array([[0, 0, 2]], np.float32)
    far_green = np.array([[0.1, 0, 0]], np.float32)  # one pixel right of the red point
    pts = np.vstack([near_red, far_green])
    one = render(pts, _rgb(RED, GREEN), camera, W, H, point_size=1)
    three = render(pts, _rgb(RED, GREEN), camera, W, H, point_size=3)
    count = lambda img: int((~(img == np.array(BACKGROUND, np.uint8)).all(axis=2)).sum())  # noqa: E731
    assert count(one) == 2
    assert count(three) > count(one)
    u, v, _, _ = project(pts, camera, W, H)
    ux, vy = int(u[1]), int(v[1])
    assert tuple(three[vy, ux][:3]) == RED  # the nearer splat covers the farther point
    with pytest.raises(ValueError, match="point_size"):
        render(pts, None, camera, W, H, point_size=4)


def test_prepared_cloud_matches_one_shot_render_and_swaps_colours() -> None:
    rng = np.random.default_rng(0)
    pts = rng.uniform(-10, 10, (20_000, 3)).astype(np.float32)
    camera = OrbitCamera.framing(pts)
    prepared = RenderCloud(pts)
    np.testing.assert_array_equal(
        render(prepared, None, camera, W, H), render(pts, None, camera, W, H)
    )
    prepared.set_colors(np.full((len(pts), 3), 200, np.uint8))
    image = render(prepared, None, camera, W, H)
    drawn = ~(image == np.array(BACKGROUND, np.uint8)).all(axis=2)
    assert drawn.sum() > 1000
    assert (image[drawn][:, :3] == 200).all()


def test_height_and_intensity_colour_scales() -> None:
    lut = turbo_lut()
    pts = np.array([[0, 0, -100], [0, 0, 0], [0, 0, 100]], np.float32)
    packed = colors_by_height(pts, lo=-1.0, hi=1.0)
    assert packed[0] == lut[0] and packed[2] == lut[-1] and packed[1] not in (lut[0], lut[-1])
    intensity = np.linspace(0, 255, 1000).astype(np.float32)
    by_intensity = colors_by_intensity(intensity)
    assert by_intensity[0] == lut[0] and by_intensity[-1] == lut[-1]
    assert pack_rgba(_rgb(RED))[0].tobytes() == bytes([255, 0, 0, 255])


def test_to_qimage_offscreen_keeps_its_buffer(qapp: QApplication) -> None:
    pts = np.array([[0, 0, 0]], np.float32)
    camera = OrthoCamera(center=(0, 0, 0), scale=10, view="top")
    image = to_qimage(render(pts, _rgb(BLUE), camera, W, H))
    gc.collect()  # the array is referenced only by the image now
    assert image.format() == QImage.Format.Format_RGBA8888
    assert (image.width(), image.height()) == (W, H)
    assert image.pixelColor(W // 2, H // 2) == QColor(*BLUE)
    assert image.pixelColor(0, 0) == QColor(*BACKGROUND)
    with pytest.raises(ValueError, match="uint8"):
        to_qimage(np.zeros((4, 4, 3), np.uint8))
