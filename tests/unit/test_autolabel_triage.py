"""Triage of a model response: what a run keeps, and the reason it counts for the rest."""

from __future__ import annotations

import json
from typing import Any

import pytest

from avala_desktop.core.errors import FailureCategory
from avala_desktop.core.wire import AnnotationProblem, ResponseError
from avala_desktop.jobs.mask_fetch import MaskFetcher
from avala_desktop.jobs.triage import invalid_reason, triage_response

LABELS = ["car", "pedestrian"]


def box(label: str = "car", confidence: float = 0.9) -> dict[str, Any]:
    return {"type": "bounding_box", "label": label, "confidence": confidence,
            "coordinates": {"x": 1, "y": 2, "width": 3, "height": 4}}


def triage(annotations: list[Any], threshold: float = 0.5) -> Any:
    fetcher = MaskFetcher()
    try:
        return triage_response(
            json.dumps({"annotations": annotations}).encode(),
            labels=LABELS, threshold=threshold, width=10, height=8, masks=fetcher,
        )
    finally:
        fetcher.close()


def test_kept_annotations_are_canonical_dicts_in_the_models_order() -> None:
    result = triage([box("pedestrian", 0.7), {"type": "classification", "label": "car",
                                              "confidence": 0.6, "extra": "ignored"}])
    assert result.kept == [
        {"type": "bounding_box", "label": "pedestrian", "confidence": 0.7,
         "coordinates": {"x": 1.0, "y": 2.0, "width": 3.0, "height": 4.0}},
        {"type": "classification", "label": "car", "confidence": 0.6},
    ]
    assert result.discarded == {}
    assert result.message() is None


@pytest.mark.parametrize(
    ("confidence", "kept"), [(0.5, True), (0.4999, False), (1.0, True), (0.0, False)]
)
def test_threshold_is_inclusive(confidence: float, kept: bool) -> None:
    result = triage([box(confidence=confidence)])
    assert bool(result.kept) is kept
    assert result.discarded == ({} if kept else {"below_threshold": 1})


def test_threshold_zero_keeps_everything_valid() -> None:
    assert len(triage([box(confidence=0.0), box(confidence=1.0)], threshold=0.0).kept) == 2


def test_each_reason_is_counted_and_the_first_problems_make_the_message() -> None:
    result = triage([
        box(), box("zebra"), box("zebra", 0.1), box(confidence=0.2),
        {"type": "polygon", "label": "car", "confidence": 0.9, "points": [[0, 0], [1, 1]]},
        {"type": "polygon", "label": "car", "confidence": 0.9, "points": [[0, 0]]},
        {"type": "bbox", "label": "car", "confidence": 0.9}, 7,
    ])
    assert len(result.kept) == 1
    assert result.discarded == {
        "label_not_in_set": 2,
        "below_threshold": 1,
        "invalid:polygon: needs at least N points": 2,
        "invalid:annotation: unknown type 'bbox'": 1,
        "invalid:annotation: must be an object": 1,
    }
    message = result.message()
    assert message is not None
    assert message.startswith("annotation 4 (polygon): needs at least 3 points, got 2")
    assert message.endswith("(and 4 more)")


def test_a_response_that_cannot_be_read_fails_the_whole_asset() -> None:
    fetcher = MaskFetcher()
    with pytest.raises(ResponseError) as caught:
        triage_response(b'{"annotations": 5}', labels=LABELS, threshold=0.5, width=10,
                        height=8, masks=fetcher)
    assert caught.value.category is FailureCategory.BAD_RESPONSE
    with pytest.raises(ResponseError) as caught:
        triage_response(b"[" * 10 + b"]" * 10, labels=LABELS, threshold=0.5, width=None,
                        height=None, masks=fetcher, max_bytes=5)
    assert caught.value.category is FailureCategory.TOO_LARGE
    fetcher.close()


@pytest.mark.parametrize(
    ("reason", "type_", "summary"),
    [
        ("annotation 3 (polygon): needs at least 3 points, got 2", "polygon",
         "invalid:polygon: needs at least N points"),
        ("annotation 12 (bounding_box): confidence: must be between 0 and 1, got 1.5",
         "bounding_box", "invalid:bounding_box: confidence: must be between N and N"),
        ("annotation 0 (segmentation_mask): rle size [3, 3] does not match the image, which "
         "is [10, 10] as [height, width]", "segmentation_mask",
         "invalid:segmentation_mask: rle size [N, N] does not match the image"),
        ("annotation 7: must be an object, got 5", None, "invalid:annotation: must be an object"),
        ("annotation 1 (polyline): " + "x" * 200, "polyline", "invalid:polyline: " + "x" * 57
         + "..."),
    ],
)
def test_invalid_reasons_are_short_and_free_of_numbers(reason: str, type_: str | None,
                                                       summary: str) -> None:
    assert invalid_reason(AnnotationProblem(0, type_, reason)) == summary
