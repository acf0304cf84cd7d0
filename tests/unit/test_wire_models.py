"""The happy path: every annotation type in every accepted spelling, and the request."""

from __future__ import annotations

import base64
import json
import math
from typing import Any

import numpy as np
import pytest
from pycocotools import mask as coco_mask
from pydantic import ValidationError

from avala_desktop.core.wire import (
    AnnotationInvalid,
    AnnotationType,
    AssetType,
    BoundingBox,
    BoundingBox3D,
    Classification,
    InferenceRequest,
    Polygon,
    Polyline,
    SegmentationMask,
    parse_annotation,
    parse_response,
)

LABELS = ["car", "pedestrian"]
W, H = 8, 6


def _one(obj: dict[str, Any], **kwargs: Any) -> Any:
    """Parse through the whole response path, which must keep exactly this annotation."""
    result = parse_response(
        json.dumps({"annotations": [obj]}),
        labels=kwargs.get("labels", LABELS),
        width=kwargs.get("width", W),
        height=kwargs.get("height", H),
    )
    assert result.problems == []
    (annotation,) = result.annotations
    return annotation


def _head(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "label": "car", "confidence": 0.75, **extra}


def test_bounding_box() -> None:
    a = _one(_head("bounding_box", coordinates={"x": 1, "y": 2.5, "width": 3, "height": 4}))
    assert isinstance(a, BoundingBox)
    assert a.type is AnnotationType.BOUNDING_BOX and a.type == "bounding_box"
    assert (a.label, a.confidence) == ("car", 0.75)
    assert a.geometry_dict() == {"coordinates": {"x": 1.0, "y": 2.5, "width": 3.0, "height": 4.0}}


def test_numbers_spelled_as_strings_are_read() -> None:
    a = _one(
        _head(
            "bounding_box",
            confidence="0.5",
            coordinates={"x": " 1e1", "y": "-2", "width": "3.", "height": ".5"},
        )
    )
    assert a.confidence == 0.5
    assert a.geometry_dict()["coordinates"] == {"x": 10.0, "y": -2.0, "width": 3.0, "height": 0.5}


def test_confidence_bounds_are_inclusive() -> None:
    box = {"coordinates": {"x": 0, "y": 0, "width": 1, "height": 1}}
    assert _one(_head("bounding_box", confidence=0, **box)).confidence == 0.0
    assert _one(_head("bounding_box", confidence=1, **box)).confidence == 1.0


@pytest.mark.parametrize("key", ["points", "vertices"])
def test_polygon_in_both_spellings(key: str) -> None:
    a = _one(_head("polygon", **{key: [[0, 0], [4, 0], [4, 3]]}))
    assert isinstance(a, Polygon)
    assert a.geometry_dict() == {"points": [[0.0, 0.0], [4.0, 0.0], [4.0, 3.0]]}


def test_polygon_explicitly_closed_ring_is_stored_implicitly_closed() -> None:
    a = _one(_head("polygon", points=[[0, 0], [4, 0], [4, 3], [0, 0]]))
    assert a.geometry_dict() == {"points": [[0.0, 0.0], [4.0, 0.0], [4.0, 3.0]]}


def test_a_ring_closed_more_than_once_is_stored_once() -> None:
    a = _one(_head("polygon", points=[[0, 0], [4, 0], [4, 3], [0, 0], [0, 0]]))
    assert a.geometry_dict() == {"points": [[0.0, 0.0], [4.0, 0.0], [4.0, 3.0]]}


def test_polyline() -> None:
    a = _one(_head("polyline", points=[[0, 0], [5, 5], [5, 5]]))
    assert isinstance(a, Polyline)
    assert a.geometry_dict() == {"points": [[0.0, 0.0], [5.0, 5.0], [5.0, 5.0]]}


def test_classification_has_no_geometry() -> None:
    a = _one(_head("classification"))
    assert isinstance(a, Classification)
    assert a.geometry_dict() == {}
    assert a.to_wire() == {"type": "classification", "label": "car", "confidence": 0.75}


def _mask() -> np.ndarray:
    rng = np.random.default_rng(7)
    return (rng.random((H, W)) > 0.5).astype(np.uint8)


def _coco(mask: np.ndarray) -> dict[str, Any]:
    encoded = coco_mask.encode(np.asfortranarray(mask))
    return {"size": [int(n) for n in encoded["size"]], "counts": encoded["counts"].decode()}


def _runs(mask: np.ndarray) -> list[int]:
    flat = mask.flatten(order="F")
    runs, current, length = [], 0, 0
    for pixel in flat:
        if pixel == current:
            length += 1
        else:
            runs.append(length)
            current, length = pixel, 1
    runs.append(length)
    return runs


def test_mask_with_a_compressed_string() -> None:
    expected = _coco(_mask())
    a = _one(_head("segmentation_mask", rle=expected))
    assert isinstance(a, SegmentationMask)
    assert a.geometry_dict() == {"rle": expected}


def test_mask_with_a_counts_list_is_stored_as_the_pycocotools_string() -> None:
    mask = _mask()
    a = _one(_head("segmentation_mask", rle={"size": [H, W], "counts": _runs(mask)}))
    assert a.geometry_dict() == {"rle": _coco(mask)}


def test_mask_as_a_bare_string_takes_the_request_size() -> None:
    expected = _coco(_mask())
    a = _one(_head("segmentation_mask", rle=expected["counts"]))
    assert a.geometry_dict() == {"rle": expected}


def test_mask_size_is_free_when_the_asset_size_is_unknown() -> None:
    a = _one(
        _head("segmentation_mask", rle={"size": [2, 3], "counts": [6]}), width=None, height=None
    )
    assert a.geometry_dict()["rle"]["size"] == [2, 3]


@pytest.mark.parametrize(
    "url", ["https://masks.example.com/a.png?sig=1", "http://127.0.0.1:9/m.png"]
)
def test_mask_by_url(url: str) -> None:
    a = _one(_head("segmentation_mask", mask_url=url, rle=None))
    assert a.geometry_dict() == {"mask_url": url}


def _cuboid(**geometry: Any) -> dict[str, Any]:
    return _head("bounding_box_3d", center={"x": 1, "y": -2, "z": 0.5}, **geometry)


ROTATIONS = [
    {"w": 1, "x": 0, "y": 0, "z": 0},
    [1, 0, 0, 0],
    {"yaw": 0, "pitch": 0, "roll": 0},
    {"yaw": 0.0},
]


@pytest.mark.parametrize("rotation", ROTATIONS, ids=["quaternion", "array", "euler", "yaw-only"])
@pytest.mark.parametrize(
    "dimensions",
    [
        {"l": 4, "w": 2, "h": 1.5},
        {"length": 4, "width": 2, "height": 1.5},
        {"l": 4, "width": 2, "h": 1.5},
    ],
    ids=["short", "long", "mixed"],
)
def test_cuboid_in_every_spelling(dimensions: dict[str, float], rotation: Any) -> None:
    a = _one(_cuboid(dimensions=dimensions, rotation=rotation))
    assert isinstance(a, BoundingBox3D)
    assert a.geometry_dict() == {
        "center": {"x": 1.0, "y": -2.0, "z": 0.5},
        "dimensions": {"l": 4.0, "w": 2.0, "h": 1.5},
        "rotation": {"w": 1.0, "x": 0.0, "y": 0.0, "z": 0.0},
    }


def test_cuboid_yaw_becomes_a_rotation_about_z() -> None:
    a = _one(_cuboid(dimensions={"l": 4, "w": 2, "h": 1}, rotation={"yaw": math.pi / 2}))
    r = a.geometry_dict()["rotation"]
    assert r["w"] == pytest.approx(math.sqrt(0.5)) and r["z"] == pytest.approx(math.sqrt(0.5))
    assert r["x"] == pytest.approx(0.0) and r["y"] == pytest.approx(0.0)


def test_nearly_unit_quaternion_is_normalised() -> None:
    a = _one(_cuboid(dimensions={"l": 1, "w": 1, "h": 1}, rotation=[0.0, 0.0, 0.0, 1.0009]))
    assert a.geometry_dict()["rotation"] == {"w": 0.0, "x": 0.0, "y": 0.0, "z": 1.0}


def test_unknown_fields_are_ignored_at_every_level() -> None:
    a = _one(
        _head(
            "bounding_box",
            coordinates={"x": 1, "y": 2, "width": 3, "height": 4, "unit": "px"},
            track_id=17,
            attributes={"occluded": True, "deep": [[[[]]]]},
        )
    )
    assert a.geometry_dict() == {"coordinates": {"x": 1.0, "y": 2.0, "width": 3.0, "height": 4.0}}


def test_without_a_label_set_any_label_is_accepted() -> None:
    a = _one(_head("classification", label="zebra crossing"), labels=None)
    assert a.label == "zebra crossing"


def test_an_empty_label_set_accepts_no_label() -> None:
    with pytest.raises(AnnotationInvalid, match="the label set is empty"):
        parse_annotation(_head("classification"), labels=[])


def test_parse_annotation_may_accept_a_missing_confidence() -> None:
    obj = {"type": "classification", "label": "car"}
    with pytest.raises(AnnotationInvalid, match="missing confidence"):
        parse_annotation(obj)
    assert parse_annotation(obj, require_confidence=False).confidence is None


def test_models_are_immutable() -> None:
    a = parse_annotation(_head("classification"))
    with pytest.raises(ValidationError):
        a.label = "truck"


def test_an_empty_annotations_list_is_a_valid_answer() -> None:
    result = parse_response(b'{"annotations": [], "model": "v2"}', labels=LABELS, width=W, height=H)
    assert result.annotations == [] and result.problems == []


# --- the request -------------------------------------------------------------------------


def test_image_request_round_trips_through_json() -> None:
    request = InferenceRequest(
        asset_id="asset_abc123",
        asset_url="https://signed-url",
        asset_type=AssetType.IMAGE,
        width=1920,
        height=1080,
        labels=["car", "pedestrian"],
    )
    wire = request.to_wire()
    assert wire == {
        "asset_id": "asset_abc123",
        "asset_url": "https://signed-url",
        "asset_type": "image",
        "width": 1920,
        "height": 1080,
        "labels": ["car", "pedestrian"],
    }
    assert InferenceRequest.model_validate_json(json.dumps(wire)) == request


def test_point_cloud_request_has_no_size_and_may_carry_the_data() -> None:
    request = InferenceRequest(
        asset_id="pc1",
        asset_url="https://signed-url",
        asset_type=AssetType.POINT_CLOUD,
        labels=["car"],
        asset_data=base64.b64encode(b"\x00\x01pcd").decode(),
    )
    wire = request.to_wire()
    assert "width" not in wire and "height" not in wire
    assert request.asset_bytes() == b"\x00\x01pcd"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"asset_type": "image"}, "needs width and height"),
        ({"asset_type": "video_frame", "width": 10}, "needs width and height"),
        ({"asset_type": "point_cloud", "width": 10, "height": 10}, "has no width or height"),
        ({"asset_type": "image", "width": 0, "height": 10}, "greater than 0"),
        ({"asset_type": "image", "width": True, "height": 10}, "valid integer"),
        ({"asset_type": "mesh"}, "'image', 'point_cloud' or 'video_frame'"),
    ],
)
def test_request_refuses_sizes_that_do_not_fit_the_type(
    fields: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        InferenceRequest(asset_id="a", asset_url="https://u", labels=[], **fields)


def test_request_asset_data_must_be_base64() -> None:
    request = InferenceRequest(
        asset_id="a",
        asset_url="https://u",
        asset_type=AssetType.POINT_CLOUD,
        labels=[],
        asset_data="@@",
    )
    with pytest.raises(ValueError, match="not valid base64"):
        request.asset_bytes()
