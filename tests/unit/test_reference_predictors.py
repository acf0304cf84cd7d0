"""The reference server's predictors on the synthetic demo data, validated by the wire parser."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from avala_desktop.core import demo_data
from avala_desktop.core.masks import rle
from avala_desktop.core.wire import AssetType, parse_response
from avala_desktop.inference.reference_server import hog
from avala_desktop.inference.reference_server.asset import (
    AssetDecodeError,
    LoadedAsset,
    decode_asset,
    image_asset,
    sniff_kind,
)
from avala_desktop.inference.reference_server.classify import SceneClassifier
from avala_desktop.inference.reference_server.labels import LabelMapper
from avala_desktop.inference.reference_server.lines import LineDetector
from avala_desktop.inference.reference_server.people import PeopleDetector
from avala_desktop.inference.reference_server.pointcloud import ObjectBoxer
from avala_desktop.inference.reference_server.predictors import predict_all
from avala_desktop.inference.reference_server.regions import RegionDetector
from avala_desktop.inference.reference_server.segmentation import ForegroundSegmenter

LABELS = list(demo_data.DEMO_LABELS)
CLOUD_POINTS = 20_000


def _png(image: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", image)
    assert ok
    return buf.tobytes()


def _valid(preds: list[dict[str, Any]], asset: LoadedAsset, labels: list[str] = LABELS) -> list:
    """Every prediction passes the app's own response parser, with no problem recorded."""
    width = asset.width if asset.is_image else None
    height = asset.height if asset.is_image else None
    parsed = parse_response(
        json.dumps({"annotations": preds}), labels=labels, width=width, height=height
    )
    assert parsed.problems == []
    assert len(parsed.annotations) == len(preds)
    return parsed.annotations


@pytest.fixture(scope="module")
def street() -> LoadedAsset:
    return decode_asset(_png(demo_data.demo_image(1)), AssetType.IMAGE)


@pytest.fixture(scope="module")
def cloud() -> LoadedAsset:
    points = demo_data.demo_point_cloud(CLOUD_POINTS, seed=0)
    return decode_asset(demo_data.pcd_bytes(points), AssetType.POINT_CLOUD)


# HOG: the numpy descriptor must be OpenCV's, or the published SVM weights mean nothing.


def test_hog_descriptor_matches_opencv_4() -> None:
    image = demo_data.demo_image(1)
    window = image[64:192, 208:272]
    desc = hog.descriptor(window)
    weights, bias = hog.people_detector()
    assert desc.shape == (3780,)
    # Reference values from cv2.HOGDescriptor().compute() of OpenCV 4.11 on the same window.
    assert float(np.linalg.norm(desc)) == pytest.approx(10.069705, abs=1e-3)
    np.testing.assert_allclose(desc[:4], [0.1238126, 0.1671113, 0.1235875, 0.1327688], atol=1e-3)
    score = float(hog.window_scores(hog.block_features(image))[64 // 8, 208 // 8])
    assert score == pytest.approx(-0.68853, abs=5e-3)
    assert weights.shape == (15, 7, 36)
    assert bias == pytest.approx(-6.6657915)


def test_hog_scale_level_scores_match_opencv_4() -> None:
    image = demo_data.demo_image(1)
    small = cv2.resize(image, (round(320 / 1.3), round(240 / 1.3)))
    # OpenCV 4.11's HOGDescriptor.detect on this level: best weight 3.01693.
    assert float(hog.window_scores(hog.block_features(small)).max()) == pytest.approx(
        3.01693, abs=5e-3
    )


# One predictor at a time.


def test_people_boxes_cover_the_drawn_figures(street: LoadedAsset) -> None:
    preds = PeopleDetector().predict(street, LABELS)
    anns = _valid(preds, street)
    assert len(anns) == 2
    assert {a.label for a in anns} == {"pedestrian"}
    centres = sorted(p["coordinates"]["x"] + p["coordinates"]["width"] / 2 for p in preds)
    # demo_image(1) draws people near 25 % and 75 % of the width.
    assert centres[0] == pytest.approx(80, abs=20)
    assert centres[1] == pytest.approx(240, abs=20)
    assert all(0.5 < p["confidence"] < 1.0 for p in preds)


def test_people_on_a_blank_image_find_nothing() -> None:
    blank = image_asset(np.full((240, 320, 3), 128, np.uint8))
    assert PeopleDetector().predict(blank, LABELS) == []


def test_people_in_a_large_image_are_scaled_back(street: LoadedAsset) -> None:
    big = cv2.resize(demo_data.demo_image(1), (1920, 1440), interpolation=cv2.INTER_LINEAR)
    asset = image_asset(big)
    assert asset.scale == pytest.approx(1920 / 1024)
    preds = PeopleDetector().predict(asset, LABELS)
    _valid(preds, asset)
    assert len(preds) == 2
    heights = [p["coordinates"]["height"] for p in preds]
    # The figures are about 110 px tall in 240 px, so about 660 px in 1440 px.
    assert all(500 < h < 1100 for h in heights)


def test_regions_are_polygons_around_the_shapes(street: LoadedAsset) -> None:
    preds = RegionDetector().predict(street, LABELS)
    anns = _valid(preds, street)
    assert len(anns) >= 4
    assert {a.label for a in anns} == {"object"}
    confidences = [p["confidence"] for p in preds]
    assert confidences == sorted(confidences, reverse=True)
    assert len(set(confidences)) > 1  # real scores, not a constant
    # One polygon encloses the blue rectangle drawn near the top right.
    assert any(
        min(x for x, _ in p["points"]) > 200 and max(y for _, y in p["points"]) < 80 for p in preds
    )


def test_segmentation_mask_is_compressed_rle_of_the_full_image(street: LoadedAsset) -> None:
    preds = ForegroundSegmenter().predict(street, LABELS)
    assert len(preds) == 1
    (ann,) = _valid(preds, street)
    mask_rle = preds[0]["rle"]
    assert mask_rle["size"] == [240, 320]
    assert isinstance(mask_rle["counts"], str)
    mask = rle.decode(mask_rle)
    assert 0.001 < mask.mean() < 0.5
    assert 0.0 < preds[0]["confidence"] <= 1.0
    assert ann.type == "segmentation_mask"


def test_polylines_follow_the_lane_markings(street: LoadedAsset) -> None:
    preds = LineDetector().predict(street, LABELS)
    _valid(preds, street)
    assert len(preds) >= 2
    assert all(len(p["points"]) >= 2 for p in preds)

    # The left lane marking runs from the bottom-left corner up towards (96, 182).
    def hits_left_lane(points: list[list[float]]) -> bool:
        return any(x < 60 and y > 200 for x, y in points) and any(y < 215 for _, y in points)

    assert any(hits_left_lane(p["points"]) for p in preds)


def test_classification_tells_day_from_night() -> None:
    day = image_asset(demo_data.demo_image(0))
    night = image_asset(demo_data.demo_image(2, night=True))
    day_preds = SceneClassifier().predict(day, LABELS)
    night_preds = SceneClassifier().predict(night, LABELS)
    _valid(day_preds, day)
    _valid(night_preds, night)
    assert [p["label"] for p in day_preds] == ["day"]
    assert [p["label"] for p in night_preds] == ["night"]
    assert day_preds[0]["confidence"] > 0.5
    assert night_preds[0]["confidence"] > 0.5


def test_classification_names_the_dominant_colour() -> None:
    red = np.zeros((60, 80, 3), np.uint8)
    red[:] = (30, 30, 220)
    preds = SceneClassifier().predict(image_asset(red), ["blue", "red", "green"])
    assert preds[0]["label"] == "red"
    assert preds[0]["confidence"] > 0.9


def test_point_cloud_boxes_match_the_placed_objects(cloud: LoadedAsset) -> None:
    preds = ObjectBoxer().predict(cloud, LABELS)
    _valid(preds, cloud)
    assert Counter(p["label"] for p in preds) == Counter({"car": 2, "truck": 1, "pedestrian": 2})
    concept_label = {"car": "car", "truck": "truck", "person": "pedestrian"}
    for concept, (cx, cy), (length, _width, height), yaw in demo_data.DEMO_OBJECTS:
        match = min(
            preds,
            key=lambda p: math.hypot(p["center"]["x"] - cx, p["center"]["y"] - cy),
        )
        assert match["label"] == concept_label[concept]
        assert math.hypot(match["center"]["x"] - cx, match["center"]["y"] - cy) < 0.3
        dims = match["dimensions"]
        assert dims["l"] == pytest.approx(length, abs=0.5)
        assert dims["h"] == pytest.approx(height, abs=0.4)
        assert dims["l"] >= dims["w"]
        q = match["rotation"]
        assert q["x"] == 0.0 and q["y"] == 0.0
        assert math.isclose(q["w"] ** 2 + q["z"] ** 2, 1.0, abs_tol=1e-5)
        if length > 1.0:  # a pedestrian's footprint is square: its heading is arbitrary
            found_yaw = 2 * math.atan2(q["z"], q["w"])
            diff = (found_yaw - yaw + math.pi / 2) % math.pi - math.pi / 2
            assert abs(diff) < math.radians(5)


def test_point_cloud_formats_agree(tmp_path: Path) -> None:
    points = demo_data.demo_point_cloud(5_000, seed=3)
    from_pcd = decode_asset(demo_data.pcd_bytes(points), AssetType.POINT_CLOUD)
    from_bin = decode_asset(points.astype("<f4").tobytes(), AssetType.POINT_CLOUD)
    assert from_pcd.require_points().shape == (5_000, 3)
    np.testing.assert_allclose(from_pcd.require_points(), points[:, :3], atol=1e-6)
    np.testing.assert_array_equal(from_bin.require_points(), points[:, :3])
    ply = tmp_path / "c.ply"
    header = (
        f"ply\nformat binary_little_endian 1.0\nelement vertex {len(points)}\n"
        "property float x\nproperty float y\nproperty float z\nend_header\n"
    )
    ply.write_bytes(header.encode() + points[:, :3].astype("<f4").tobytes())
    from_ply = decode_asset(ply.read_bytes(), AssetType.POINT_CLOUD)
    np.testing.assert_allclose(from_ply.require_points(), points[:, :3], atol=1e-6)


# Labels and the whole pipeline.


def test_label_mapper_follows_the_request_set_and_order() -> None:
    assert LabelMapper(["car", "Pedestrians"]).resolve("person") == "Pedestrians"
    assert LabelMapper(["people", "person"]).resolve("person") == "people"
    assert LabelMapper(["car", "truck"]).resolve("person") is None
    assert LabelMapper(["Lane_Marking"]).resolve("line") == "Lane_Marking"


def test_predictions_without_a_label_in_the_set_are_dropped(street: LoadedAsset) -> None:
    preds = predict_all(street, ["car", "truck"])
    assert preds == []
    only_people = predict_all(street, ["person"])
    assert {p["type"] for p in only_people} == {"bounding_box"}
    assert {p["label"] for p in only_people} == {"person"}


def test_every_image_type_fires_on_demo_images_and_video_frames(tmp_path: Path) -> None:
    video = demo_data.write_demo_video(tmp_path / "walk.mp4", frames=8)
    capture = cv2.VideoCapture(str(video))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    assert len(frames) == 8
    frame_asset = image_asset(frames[4], AssetType.VIDEO_FRAME)
    for asset in (image_asset(demo_data.demo_image(0)), frame_asset):
        preds = predict_all(asset, LABELS)
        _valid(preds, asset)
        assert {p["type"] for p in preds} == {
            "bounding_box",
            "polygon",
            "segmentation_mask",
            "polyline",
            "classification",
        }


def test_demo_assets_are_written_and_deterministic(tmp_path: Path) -> None:
    first = demo_data.write_demo_assets(tmp_path / "a", cloud_points=CLOUD_POINTS, video_frames=4)
    second = demo_data.write_demo_assets(tmp_path / "b", cloud_points=CLOUD_POINTS, video_frames=4)
    assert [p.name for p in first.all] == [p.name for p in second.all]
    assert len(first.images) == 3 and len(first.point_clouds) == 1 and len(first.videos) == 1
    for a, b in zip(
        first.images + first.point_clouds, second.images + second.point_clouds, strict=True
    ):
        assert a.read_bytes() == b.read_bytes()
    assert first.point_clouds[0].read_bytes().startswith(b"# .PCD v0.7")


def test_undecodable_assets_raise_with_a_reason() -> None:
    with pytest.raises(AssetDecodeError, match="not an image"):
        decode_asset(b"definitely not a png", AssetType.IMAGE)
    with pytest.raises(AssetDecodeError, match="multiple of 16"):
        decode_asset(b"\x00" * 15, AssetType.POINT_CLOUD)
    with pytest.raises(AssetDecodeError, match="empty"):
        decode_asset(b"", AssetType.IMAGE)


def test_sniffing_the_kind_of_a_binary_payload() -> None:
    assert sniff_kind(_png(demo_data.demo_image(0)), "application/octet-stream") is AssetType.IMAGE
    assert sniff_kind(b"\x00" * 32, None) is AssetType.POINT_CLOUD
    pcd = demo_data.pcd_bytes(demo_data.demo_point_cloud(100))
    assert sniff_kind(pcd, "application/octet-stream") is AssetType.POINT_CLOUD
    assert sniff_kind(b"abc", "image/jpeg") is AssetType.IMAGE
