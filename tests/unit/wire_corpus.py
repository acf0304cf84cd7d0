"""Malformed annotations and responses, each with the words its reason must contain.

Every annotation case is the JSON text of one annotation, parsed against the request in
`LABELS`, `WIDTH`, `HEIGHT`; raw text (not json.dumps) where the defect is one json.dumps cannot
write: duplicate keys, lone surrogates, huge integers.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

LABELS = ["car", "pedestrian", "cyclist", "truck"]
WIDTH, HEIGHT = 640, 480


class AnnotationCase(NamedTuple):
    id: str
    text: str  # JSON of one annotation
    type: str | None  # the problem's type
    reason: str  # a substring of the problem's reason


class ResponseCase(NamedTuple):
    id: str
    body: bytes
    kind: str  # ResponseError.kind
    reason: str  # a substring of its message
    max_bytes: int = 64 * 1024 * 1024


def _j(value: Any) -> str:
    return json.dumps(value)


def box(**changes: Any) -> str:
    base: dict[str, Any] = {
        "type": "bounding_box",
        "label": "car",
        "confidence": 0.9,
        "coordinates": {"x": 10, "y": 20, "width": 30, "height": 40},
    }
    return _j({**base, **changes})


def coords(**changes: Any) -> str:
    return box(coordinates={"x": 10, "y": 20, "width": 30, "height": 40, **changes})


def polygon(points: Any, key: str = "points", **changes: Any) -> str:
    return _j({"type": "polygon", "label": "car", "confidence": 0.9, key: points, **changes})


def polyline(points: Any) -> str:
    return _j({"type": "polyline", "label": "car", "confidence": 0.9, "points": points})


def mask(**geometry: Any) -> str:
    return _j({"type": "segmentation_mask", "label": "car", "confidence": 0.9, **geometry})


def rle(size: Any, counts: Any) -> str:
    return mask(rle={"size": size, "counts": counts})


def cuboid(**changes: Any) -> str:
    base: dict[str, Any] = {
        "type": "bounding_box_3d",
        "label": "car",
        "confidence": 0.9,
        "center": {"x": 1, "y": 2, "z": 0.5},
        "dimensions": {"l": 4, "w": 2, "h": 1.5},
        "rotation": {"w": 1, "x": 0, "y": 0, "z": 0},
    }
    return _j({**base, **changes})


_FULL = WIDTH * HEIGHT
_BOX = "bounding_box"
_POLY = "polygon"
_LINE = "polyline"
_MASK = "segmentation_mask"
_BOX3D = "bounding_box_3d"

ANNOTATION_CASES: list[AnnotationCase] = [
    # --- shape of the item and its type
    AnnotationCase("item-string", '"car"', None, "must be an object, got 'car'"),
    AnnotationCase("item-list", "[1, 2]", None, "must be an object, got [1, 2]"),
    AnnotationCase("type-missing", _j({"label": "car", "confidence": 0.5}), None, "missing 'type'"),
    AnnotationCase("type-null", _j({"type": None, "label": "car"}), None, "'type' is null"),
    AnnotationCase("type-number", _j({"type": 3}), None, "'type' must be a string, got 3"),
    AnnotationCase("type-bbox", box(type="bbox"), None, "did you mean 'bounding_box'?"),
    AnnotationCase("type-unknown", box(type="ellipse"), None, "unknown type 'ellipse'"),
    # --- label
    AnnotationCase(
        "label-missing",
        _j({"type": "classification", "confidence": 0.5}),
        "classification",
        "missing 'label'",
    ),
    AnnotationCase("label-number", box(label=7), _BOX, "label must be a string, got 7"),
    AnnotationCase("label-blank", box(label="  "), _BOX, "label is empty"),
    AnnotationCase(
        "label-not-in-set",
        box(label="bus"),
        _BOX,
        "label 'bus' is not in the label set ('car', 'pedestrian', 'cyclist', 'truck')",
    ),
    AnnotationCase("label-too-long", box(label="c" * 300), _BOX, "300 characters long"),
    AnnotationCase(
        "label-lone-surrogate",
        '{"type": "classification", "label": "\\ud800", "confidence": 0.5}',
        "classification",
        "is not valid Unicode text",
    ),
    # --- confidence
    AnnotationCase(
        "confidence-missing",
        _j({"type": "classification", "label": "car"}),
        "classification",
        "missing confidence",
    ),
    AnnotationCase("confidence-null", box(confidence=None), _BOX, "confidence is null"),
    AnnotationCase(
        "confidence-above-1",
        box(confidence=1.5),
        _BOX,
        "confidence: must be between 0 and 1, got 1.5",
    ),
    AnnotationCase("confidence-negative", box(confidence=-0.1), _BOX, "between 0 and 1, got -0.1"),
    AnnotationCase(
        "confidence-nan",
        box(confidence=float("nan")),
        _BOX,
        "confidence: must be a finite number, got NaN",
    ),
    AnnotationCase(
        "confidence-word", box(confidence="high"), _BOX, "confidence: expected a number, got 'high'"
    ),
    AnnotationCase(
        "confidence-bool", box(confidence=True), _BOX, "confidence: expected a number, got true"
    ),
    # --- bounding box
    AnnotationCase(
        "box-no-coordinates",
        _j({"type": "bounding_box", "label": "car", "confidence": 0.5}),
        _BOX,
        "missing 'coordinates'",
    ),
    AnnotationCase(
        "box-coordinates-array",
        box(coordinates=[10, 20, 30, 40]),
        _BOX,
        "'coordinates' must be an object, got [10, 20, 30, 40]",
    ),
    AnnotationCase(
        "box-zero-width",
        coords(width=0),
        _BOX,
        "coordinates.width: must be greater than 0, got 0.0",
    ),
    AnnotationCase(
        "box-negative-height", coords(height=-5), _BOX, "coordinates.height: must be greater than 0"
    ),
    AnnotationCase(
        "box-infinity-string",
        coords(x="Infinity"),
        _BOX,
        "coordinates.x: must be a finite number, got 'Infinity'",
    ),
    AnnotationCase(
        "box-overflowing-float",
        coords(y=float("inf")),
        _BOX,
        "coordinates.y: must be a finite number, got Infinity",
    ),
    AnnotationCase(
        "box-huge-integer",
        box().replace('"width": 30', '"width": ' + "9" * 400),
        _BOX,
        "coordinates.width: must be a finite number",
    ),
    AnnotationCase(
        "box-enormous-integer",
        box().replace('"x": 10', '"x": ' + "9" * 5000),
        _BOX,
        "coordinates.x: must be a finite number, got Infinity",
    ),
    AnnotationCase(
        "box-missing-height",
        box(coordinates={"x": 1, "y": 2, "width": 3}),
        _BOX,
        "missing 'coordinates.height'",
    ),
    AnnotationCase(
        "box-duplicate-label",
        box().replace('"label": "car"', '"label": "car", "label": "truck"'),
        _BOX,
        "the key 'label' appears more than once",
    ),
    # --- polygon
    AnnotationCase(
        "polygon-two-points", polygon([[0, 0], [5, 5]]), _POLY, "needs at least 3 points, got 2"
    ),
    AnnotationCase(
        "polygon-collinear",
        polygon([[0, 0], [1, 1], [2, 2], [3, 3]], key="vertices"),
        _POLY,
        "polygon has zero area",
    ),
    AnnotationCase(
        "polygon-triple",
        polygon([[0, 0], [1, 2, 3], [4, 0]]),
        _POLY,
        "point 1 must be a pair of numbers [x, y], got [1, 2, 3]",
    ),
    AnnotationCase(
        "polygon-letter", polygon([["a", 0], [1, 2], [4, 0]]), _POLY, "point 0 x: expected a number"
    ),
    AnnotationCase(
        "polygon-both-keys",
        polygon([[0, 0], [1, 2], [4, 0]], vertices=[[0, 0], [1, 2], [4, 0]]),
        _POLY,
        "polygon has both 'points' and 'vertices'",
    ),
    AnnotationCase(
        "polygon-points-string",
        polygon("0,0 1,2 4,0"),
        _POLY,
        "points must be a list of [x, y] pairs, got '0,0 1,2 4,0'",
    ),
    AnnotationCase(
        "polygon-point-objects",
        polygon([{"x": 0, "y": 0}, {"x": 1, "y": 2}, {"x": 4, "y": 0}]),
        _POLY,
        "point 0 must be a pair of numbers [x, y], got an object",
    ),
    # --- polyline
    AnnotationCase(
        "polyline-one-point", polyline([[3, 4]]), _LINE, "needs at least 2 points, got 1"
    ),
    AnnotationCase(
        "polyline-same-points",
        polyline([[3, 4], [3, 4], [3, 4]]),
        _LINE,
        "polyline has zero length",
    ),
    AnnotationCase(
        "polyline-nan-y",
        polyline([[0, 0], [1, float("nan")]]),
        _LINE,
        "point 1 y: must be a finite number, got NaN",
    ),
    # --- segmentation mask
    AnnotationCase(
        "mask-nothing", mask(), _MASK, "needs 'rle' (COCO run-length encoding) or 'mask_url'"
    ),
    AnnotationCase(
        "mask-both",
        mask(rle={"size": [HEIGHT, WIDTH], "counts": [_FULL]}, mask_url="https://m.example/1.png"),
        _MASK,
        "has both 'rle' and 'mask_url'",
    ),
    AnnotationCase(
        "mask-size-mismatch",
        rle([100, 100], [10000]),
        _MASK,
        "does not match the image, which is [480, 640]",
    ),
    AnnotationCase(
        "mask-size-transposed",
        rle([WIDTH, HEIGHT], [_FULL]),
        _MASK,
        "(it looks like [width, height])",
    ),
    AnnotationCase(
        "mask-counts-short",
        rle([HEIGHT, WIDTH], [4, 6]),
        _MASK,
        "rle run lengths add up to 10 pixels",
    ),
    AnnotationCase(
        "mask-run-too-long",
        rle([HEIGHT, WIDTH], [0, _FULL + 5]),
        _MASK,
        "rle has a run of 307205 pixels, but a [480, 640] mask has 307200",
    ),
    AnnotationCase(
        "mask-counts-negative",
        rle([HEIGHT, WIDTH], [5, -5, _FULL]),
        _MASK,
        "rle counts[1] is negative (-5)",
    ),
    AnnotationCase(
        "mask-counts-float",
        rle([HEIGHT, WIDTH], [1.5, _FULL - 1.5]),
        _MASK,
        "rle counts[0] must be a whole number",
    ),
    AnnotationCase(
        "mask-counts-bad-char", rle([HEIGHT, WIDTH], "P5d~"), _MASK, "has the character '~'"
    ),
    AnnotationCase(
        "mask-counts-cut-short", rle([HEIGHT, WIDTH], "0P"), _MASK, "ends in the middle of a number"
    ),
    AnnotationCase(
        "mask-counts-number",
        rle([HEIGHT, WIDTH], 12),
        _MASK,
        "rle counts must be a string or a list",
    ),
    AnnotationCase(
        "mask-size-one-number",
        rle([HEIGHT], [_FULL]),
        _MASK,
        "rle size must be [height, width], got [480]",
    ),
    AnnotationCase(
        "mask-size-bool",
        rle([True, WIDTH], [WIDTH]),
        _MASK,
        "rle size height must be an integer, got true",
    ),
    AnnotationCase(
        "mask-size-huge", rle([100000, 100000], [10**10]), _MASK, "more than the 50,000,000 pixels"
    ),
    AnnotationCase(
        "mask-no-counts", mask(rle={"size": [HEIGHT, WIDTH]}), _MASK, "rle is missing 'counts'"
    ),
    AnnotationCase("mask-rle-number", mask(rle=7), _MASK, 'rle must be {"size": [h, w]'),
    AnnotationCase(
        "mask-url-ftp",
        mask(mask_url="ftp://m.example/1.png"),
        _MASK,
        "mask_url must be an http or https URL",
    ),
    AnnotationCase("mask-url-no-host", mask(mask_url="https:///1.png"), _MASK, "has no host"),
    AnnotationCase(
        "mask-url-space", mask(mask_url="https://m.example/a b.png"), _MASK, "contains spaces"
    ),
    # --- 3D bounding box
    AnnotationCase(
        "cuboid-no-rotation",
        _j({k: v for k, v in json.loads(cuboid()).items() if k != "rotation"}),
        _BOX3D,
        "missing 'rotation'",
    ),
    AnnotationCase(
        "cuboid-flat",
        cuboid(dimensions={"l": 0, "w": 2, "h": 1}),
        _BOX3D,
        "dimensions.l: must be greater than 0, got 0.0",
    ),
    AnnotationCase(
        "cuboid-width-twice",
        cuboid(dimensions={"l": 4, "w": 2, "width": 2, "h": 1}),
        _BOX3D,
        "dimensions has both 'w' and 'width'",
    ),
    AnnotationCase(
        "cuboid-long-quaternion",
        cuboid(rotation={"w": 2, "x": 0, "y": 0, "z": 0}),
        _BOX3D,
        "rotation quaternion has length 2, expected 1",
    ),
    AnnotationCase(
        "cuboid-zero-quaternion",
        cuboid(rotation=[0, 0, 0, 0]),
        _BOX3D,
        "rotation quaternion is all zeros",
    ),
    AnnotationCase(
        "cuboid-mixed-rotation",
        cuboid(rotation={"w": 1, "x": 0, "y": 0, "z": 0, "yaw": 0.5}),
        _BOX3D,
        "rotation mixes quaternion keys",
    ),
    AnnotationCase(
        "cuboid-euler-array",
        cuboid(rotation=[0.1, 0.2, 0.3]),
        _BOX3D,
        "a rotation array must be a quaternion [w, x, y, z], got 3 numbers",
    ),
    AnnotationCase(
        "cuboid-quaternion-no-z",
        cuboid(rotation={"w": 1, "x": 0, "y": 0}),
        _BOX3D,
        "rotation quaternion is missing z",
    ),
    AnnotationCase(
        "cuboid-yaw-nan",
        cuboid(rotation={"yaw": "nan"}),
        _BOX3D,
        "rotation yaw: must be a finite number, got 'nan'",
    ),
    AnnotationCase(
        "cuboid-rotation-string", cuboid(rotation="90deg"), _BOX3D, "rotation must be an object"
    ),
    AnnotationCase(
        "cuboid-rotation-empty", cuboid(rotation={}), _BOX3D, "rotation needs either w, x, y, z"
    ),
    AnnotationCase(
        "cuboid-center-2d", cuboid(center={"x": 1, "y": 2}), _BOX3D, "missing 'center.z'"
    ),
]


def _body(text: str) -> bytes:
    return text.encode()


RESPONSE_CASES: list[ResponseCase] = [
    ResponseCase("empty", b"", "not_json", "the response body is empty"),
    ResponseCase("whitespace", b" \n\t ", "not_json", "the response body is empty"),
    ResponseCase("plain-text", b"internal error", "not_json", "not valid JSON: Expecting value"),
    ResponseCase(
        "not-utf8",
        b'{"annotations": []}\xff',
        "not_json",
        "not UTF-8 text (byte 0xff at position 19)",
    ),
    ResponseCase(
        "cut-short", b'{"annotations": [{"type": "polygon"', "not_json", "Expecting ',' delimiter"
    ),
    ResponseCase("trailing-text", b'{"annotations": []} ok', "not_json", "Extra data"),
    ResponseCase(
        "too-deep",
        b"[" * 100_000 + b"]" * 100_000,
        "not_json",
        "nests arrays or objects too deeply",
    ),
    ResponseCase("array", b'[{"type": "polygon"}]', "not_object", "the response is a JSON array"),
    ResponseCase("string", b'"annotations"', "not_object", "the response is a JSON string"),
    ResponseCase("null", b"null", "not_object", "the response is JSON null"),
    ResponseCase("number", b"NaN", "not_object", "the response is a JSON number"),
    ResponseCase("empty-object", b"{}", "no_annotations", "no 'annotations' key (its keys: none)"),
    ResponseCase(
        "other-key", b'{"predictions": []}', "no_annotations", "(its keys: 'predictions')"
    ),
    ResponseCase(
        "annotations-object", b'{"annotations": {}}', "no_annotations", "'annotations' is an object"
    ),
    ResponseCase(
        "annotations-null", b'{"annotations": null}', "no_annotations", "'annotations' is JSON null"
    ),
    ResponseCase(
        "annotations-twice",
        b'{"annotations": [], "annotations": []}',
        "no_annotations",
        "has the key 'annotations' more than once",
    ),
    ResponseCase(
        "too-large",
        _body(json.dumps({"annotations": [json.loads(box())] * 10})),
        "too_large",
        "more than the 1,000 bytes limit",
        max_bytes=1000,
    ),
]
