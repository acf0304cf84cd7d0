"""Canonical form round trips: to_wire -> parse, and stored parts -> annotation_from_stored."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pycocotools import mask as coco_mask

from avala_desktop.core.masks import rle as rle_codec
from avala_desktop.core.wire import (
    AnnotationInvalid,
    annotation_from_stored,
    parse_annotation,
)
from tests.unit.test_wire_properties import valid_annotations

LABELS = ["car", "truck"]


@settings(max_examples=400, deadline=None)
@given(obj=valid_annotations())
def test_to_wire_then_parse_gives_the_same_annotation(obj: dict[str, Any]) -> None:
    try:
        first = parse_annotation(obj, labels=LABELS, width=3, height=2)
    except AnnotationInvalid as invalid:
        # Random points may all coincide or lie on a line; nothing else valid is refused.
        assert "zero area" in invalid.reason or "zero length" in invalid.reason
        return
    wire = json.loads(json.dumps(first.to_wire(), allow_nan=False))
    assert wire["type"] == obj["type"] and wire["label"] == obj["label"]
    again = parse_annotation(wire, labels=LABELS, width=3, height=2)
    assert again.geometry_dict() == first.geometry_dict()
    assert again == first
    stored = annotation_from_stored(
        first.type, first.label, first.confidence, json.loads(json.dumps(first.geometry_dict()))
    )
    assert stored == first


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    height=st.integers(1, 40),
    width=st.integers(1, 40),
    density=st.floats(0, 1),
)
def test_mask_counts_lists_become_the_pycocotools_string(
    seed: int, height: int, width: int, density: float
) -> None:
    mask = (np.random.default_rng(seed).random((height, width)) < density).astype(np.uint8)
    expected = coco_mask.encode(np.asfortranarray(mask))
    counts = rle_codec.string_to_counts(expected["counts"].decode())
    a = parse_annotation(
        {
            "type": "segmentation_mask",
            "label": "car",
            "confidence": 0.5,
            "rle": {"size": [height, width], "counts": counts},
        },
        width=width,
        height=height,
    )
    assert a.geometry_dict() == {
        "rle": {"size": [height, width], "counts": expected["counts"].decode()}
    }
    np.testing.assert_array_equal(rle_codec.decode(a.geometry_dict()["rle"]), mask)


def test_stored_annotations_need_no_confidence_nor_label_set() -> None:
    a = annotation_from_stored("polygon", "anything", None, {"points": [[0, 0], [2, 0], [0, 2]]})
    assert a.confidence is None and a.label == "anything"
    assert a.to_wire() == {
        "type": "polygon",
        "label": "anything",
        "confidence": None,
        "points": [[0.0, 0.0], [2.0, 0.0], [0.0, 2.0]],
    }


def test_stored_parts_win_over_keys_smuggled_into_the_geometry() -> None:
    a = annotation_from_stored(
        "classification", "car", 0.4, {"type": "polygon", "label": "bus", "confidence": 2}
    )
    assert (a.type, a.label, a.confidence) == ("classification", "car", 0.4)


@pytest.mark.parametrize(
    ("type_", "geometry", "reason"),
    [
        ("polygon", {"points": [[0, 0]]}, "needs at least 3 points"),
        ("ellipse", {}, "unknown type 'ellipse'"),
        ("bounding_box", [], "stored geometry must be an object"),
    ],
)
def test_a_corrupt_stored_annotation_raises_with_the_reason(
    type_: str, geometry: Any, reason: str
) -> None:
    with pytest.raises(AnnotationInvalid, match=reason):
        annotation_from_stored(type_, "car", 0.5, geometry)
