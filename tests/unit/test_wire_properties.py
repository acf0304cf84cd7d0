"""Whatever the bytes, parse_response returns or raises ResponseError, and what it accepts is
safe to store: finite, UTF-8 encodable JSON that parses back to the same annotation."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from avala_desktop.core.masks.rle import counts_to_string, encode, string_to_counts
from avala_desktop.core.wire import (
    AnnotationType,
    ParsedResponse,
    ResponseError,
    parse_annotation,
    parse_response,
    quaternion_from_yaw_pitch_roll,
)

SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.integers(min_value=-5, max_value=50),
    st.floats(),  # NaN and infinities included: json.dumps writes them, json.loads reads them
    st.text(max_size=12),
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)
numberish = st.one_of(
    st.integers(min_value=-3, max_value=10),
    st.floats(min_value=-1e6, max_value=1e6),
    st.floats(),
    st.sampled_from(["1", " 2.5", "nan", "-Infinity", "1e999", "x", ""]),
    st.booleans(),
    st.none(),
    json_values,
)


def _object(keys: list[str], values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional={key: values for key in keys})


points = st.lists(st.lists(numberish, max_size=3), max_size=6) | json_values
rle_counts = (
    st.text(alphabet="0123456789:;<=>?@ABPQRSTZ[\\]^_`aijklmno~", max_size=8)
    | st.lists(st.integers(min_value=-2, max_value=7), max_size=6)
    | json_values
)
rle = (
    st.fixed_dictionaries(
        {},
        optional={
            "size": st.lists(st.integers(min_value=-1, max_value=4) | numberish, max_size=3)
            | json_values,
            "counts": rle_counts,
        },
    )
    | rle_counts
)
rotation = (
    _object(["w", "x", "y", "z", "yaw", "pitch", "roll"], numberish)
    | st.lists(numberish, min_size=3, max_size=5)
    | json_values
)
annotation_like = st.fixed_dictionaries(
    {
        "type": st.sampled_from([t.value for t in AnnotationType] + ["bbox", "Polygon"])
        | json_values
    },
    optional={
        "label": st.sampled_from(["car", "bus", "", " ", "\ud800"]) | json_values,
        "confidence": numberish,
        "coordinates": _object(["x", "y", "width", "height"], numberish) | json_values,
        "points": points,
        "vertices": points,
        "rle": rle,
        "mask_url": st.sampled_from(
            ["https://m.example/a.png", "ftp://x", "http://", "http://[::1"]
        )
        | json_values,
        "center": _object(["x", "y", "z"], numberish) | json_values,
        "dimensions": _object(["l", "w", "h", "length", "width", "height"], numberish)
        | json_values,
        "rotation": rotation,
        "extra": json_values,
    },
)
# --- valid annotations in every spelling, for a request of labels car/truck and size 3x2 ---

finite = st.floats(min_value=-1e6, max_value=1e6) | st.integers(-(10**6), 10**6)
positive = st.floats(min_value=1e-3, max_value=1e6)
point = st.tuples(finite, finite).map(list)


@st.composite
def _mask_geometry(draw: st.DrawFn) -> dict[str, Any]:
    bits = draw(st.lists(st.booleans(), min_size=6, max_size=6))
    runs = string_to_counts(encode(np.array(bits).reshape(2, 3))["counts"])
    form = draw(st.sampled_from(["list", "string", "bare", "url"]))
    if form == "url":
        return {"mask_url": draw(st.sampled_from(["https://m.example/1.png", "http://10.0.0.1/m"]))}
    if form == "bare":
        return {"rle": counts_to_string(runs)}
    counts: Any = runs if form == "list" else counts_to_string(runs)
    return {"rle": {"size": [2, 3], "counts": counts}}


def _rotation(yaw: float, pitch: float, roll: float, form: str) -> Any:
    if form == "euler":
        return {"yaw": yaw, "pitch": pitch, "roll": roll}
    w, x, y, z = quaternion_from_yaw_pitch_roll(yaw, pitch, roll)
    return {"w": w, "x": x, "y": y, "z": z} if form == "dict" else [w, x, y, z]


angle = st.floats(min_value=-7, max_value=7)
geometries: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "bounding_box": st.fixed_dictionaries(
        {
            "coordinates": st.fixed_dictionaries(
                {"x": finite, "y": finite, "width": positive, "height": positive}
            )
        }
    ),
    "polygon": st.sampled_from(["points", "vertices"]).flatmap(
        lambda key: st.fixed_dictionaries({key: st.lists(point, min_size=3, max_size=8)})
    ),
    "polyline": st.fixed_dictionaries({"points": st.lists(point, min_size=2, max_size=8)}),
    "segmentation_mask": _mask_geometry(),
    "classification": st.just({}),
    "bounding_box_3d": st.fixed_dictionaries(
        {
            "center": st.fixed_dictionaries({"x": finite, "y": finite, "z": finite}),
            "dimensions": st.fixed_dictionaries({"l": positive, "w": positive, "h": positive})
            | st.fixed_dictionaries({"length": positive, "width": positive, "height": positive}),
            "rotation": st.builds(
                _rotation, angle, angle, angle, st.sampled_from(["euler", "dict", "array"])
            ),
        }
    ),
}


@st.composite
def valid_annotations(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(sorted(geometries)))
    head = {
        "type": kind,
        "label": draw(st.sampled_from(["car", "truck"])),
        "confidence": draw(st.floats(min_value=0, max_value=1)),
    }
    return {**head, **draw(geometries[kind])}


@st.composite
def nearly_valid_annotations(draw: st.DrawFn) -> dict[str, Any]:
    """A valid annotation with, most of the time, one key replaced by junk or removed."""
    obj = draw(valid_annotations())
    action = draw(st.sampled_from(["keep", "replace", "remove"]))
    if action != "keep":
        key = draw(st.sampled_from(sorted(obj)))
        if action == "remove":
            del obj[key]
        else:
            obj[key] = draw(numberish)
    return obj


requests = st.fixed_dictionaries(
    {
        "labels": st.sampled_from([None, ["car", "truck"], []]),
        "size": st.sampled_from([(None, None), (3, 2), (3, 2), (640, 480)]),
    }
)


def _parse_checked(body: bytes | str, request: dict[str, Any]) -> ParsedResponse | None:
    width, height = request["size"]
    try:
        result = parse_response(body, labels=request["labels"], width=width, height=height)
    except ResponseError as error:
        assert error.message and error.kind in {"not_json", "not_object", "no_annotations"}
        return None
    for annotation in result.annotations:
        # Storable: strict JSON (no NaN), valid UTF-8, and read back as the same annotation.
        text = json.dumps(annotation.to_wire(), allow_nan=False)
        text.encode("utf-8")
        again = parse_annotation(
            json.loads(text), labels=request["labels"], width=width, height=height
        )
        assert again == annotation
    for problem in result.problems:
        assert problem.reason.startswith(f"annotation {problem.index}")
        assert len(problem.reason) < 600
        problem.reason.encode("utf-8")
    indices = [p.index for p in result.problems]
    assert indices == sorted(set(indices))
    return result


@SETTINGS
@given(body=st.binary(max_size=300), request=requests)
def test_arbitrary_bytes(body: bytes, request: dict[str, Any]) -> None:
    _parse_checked(body, request)


@SETTINGS
@given(document=json_values, request=requests)
def test_arbitrary_json_documents(document: Any, request: dict[str, Any]) -> None:
    _parse_checked(json.dumps(document), request)


@SETTINGS
@given(
    items=st.lists(nearly_valid_annotations() | annotation_like | json_values, max_size=6),
    extra=st.dictionaries(st.text(max_size=5), json_values, max_size=2),
    request=requests,
)
def test_annotation_shaped_responses(
    items: list[Any], extra: dict[str, Any], request: dict[str, Any]
) -> None:
    body = json.dumps({**extra, "annotations": items})
    result = _parse_checked(body, request)
    assert result is not None
    assert len(result.annotations) + len(result.problems) == len(items)


@SETTINGS
@given(
    items=st.lists(annotation_like, min_size=1, max_size=3),
    edits=st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), max_size=4),
    request=requests,
)
def test_corrupted_bytes_of_a_plausible_response(
    items: list[Any], edits: list[tuple[int, int]], request: dict[str, Any]
) -> None:
    body = bytearray(json.dumps({"annotations": items}).encode())
    for position, value in edits:
        body[position % len(body)] = value
    _parse_checked(bytes(body), request)


@SETTINGS
@given(
    items=st.lists(annotation_like, min_size=1, max_size=3),
    duplicated=st.sampled_from(["label", "type", "x", "points", "counts", "w"]),
    request=requests,
)
def test_duplicate_keys_never_escape(
    items: list[Any], duplicated: str, request: dict[str, Any]
) -> None:
    text = json.dumps({"annotations": items})
    # Duplicate the first occurrence of a key (if any) with a different value.
    needle = f'"{duplicated}": '
    text = text.replace(needle, f'{needle}0, "{duplicated}": ', 1)
    _parse_checked(text, request)


def test_str_bodies_with_lone_surrogates_and_deep_nesting() -> None:
    request = {"labels": None, "size": (3, 2)}
    _parse_checked(
        '{"annotations": [{"type": "classification", "label": "\ud800", "confidence": 1}]}', request
    )
    for depth in (50, 400, 900, 5000):
        deep = "[" * depth + "]" * depth
        for key in ("points", "coordinates", "rotation", "rle", "extra"):
            body = (
                '{"annotations": [{"type": "polygon", "label": "car", "confidence": 0.5, '
                f'"{key}": {deep}, "a": 1, "a": 2}}]}}'
            )
            _parse_checked(body, request)
