"""Each malformed annotation or response of the corpus yields its own, specific reason."""

from __future__ import annotations

import json

import pytest

from avala_desktop.core.errors import FailureCategory, InferenceFailure
from avala_desktop.core.wire import (
    DEFAULT_MAX_BYTES,
    AnnotationInvalid,
    ParsedResponse,
    ResponseError,
    parse_annotation,
    parse_response,
)
from tests.unit.wire_corpus import (
    ANNOTATION_CASES,
    HEIGHT,
    LABELS,
    RESPONSE_CASES,
    WIDTH,
    AnnotationCase,
    ResponseCase,
    box,
)


def _parse(body: bytes | str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedResponse:
    return parse_response(body, labels=LABELS, width=WIDTH, height=HEIGHT, max_bytes=max_bytes)


def test_the_corpus_is_large_and_every_reason_is_its_own() -> None:
    assert len(ANNOTATION_CASES) + len(RESPONSE_CASES) >= 40
    ids = [case.id for case in ANNOTATION_CASES] + [case.id for case in RESPONSE_CASES]
    assert len(ids) == len(set(ids))
    reasons = []
    for case in ANNOTATION_CASES:
        result = parse_response(
            '{"annotations": [' + case.text + "]}", labels=LABELS, width=WIDTH, height=HEIGHT
        )
        reasons.append(result.problems[0].reason)
    assert len(reasons) == len(set(reasons)), "two malformed annotations share one reason"


@pytest.mark.parametrize("case", ANNOTATION_CASES, ids=lambda case: case.id)
def test_a_bad_annotation_is_skipped_with_its_reason_and_the_rest_kept(
    case: AnnotationCase,
) -> None:
    good = box(label="truck")
    body = '{"annotations": [' + ",".join([good, case.text, good]) + "]}"

    result = parse_response(body, labels=LABELS, width=WIDTH, height=HEIGHT)

    assert [a.label for a in result.annotations] == ["truck", "truck"]
    assert len(result.problems) == 1
    problem = result.problems[0]
    assert problem.index == 1
    assert problem.type == case.type
    assert case.reason in problem.reason
    expected_subject = "annotation 1" + (f" ({case.type})" if case.type else "") + ": "
    assert problem.reason.startswith(expected_subject)
    # Short enough to read in a table cell; never a raw pydantic dump.
    assert len(problem.reason) < 300
    assert "pydantic" not in problem.reason and "Input should" not in problem.reason


@pytest.mark.parametrize(
    "case",
    [c for c in ANNOTATION_CASES if "appears more than once" not in c.reason],
    ids=lambda case: case.id,
)
def test_parse_annotation_raises_the_same_reason(case: AnnotationCase) -> None:
    # The JSON of a response is read the same way: integers too long for int() are floats.
    obj = json.loads(case.text, parse_int=lambda s: int(s) if len(s) < 4000 else float(s))
    with pytest.raises(AnnotationInvalid) as raised:
        parse_annotation(obj, labels=LABELS, width=WIDTH, height=HEIGHT)
    assert case.reason in raised.value.reason
    assert raised.value.type == case.type


@pytest.mark.parametrize("case", RESPONSE_CASES, ids=lambda case: case.id)
def test_an_unusable_response_fails_as_a_whole(case: ResponseCase) -> None:
    with pytest.raises(ResponseError) as raised:
        _parse(case.body, max_bytes=case.max_bytes)
    error = raised.value
    assert isinstance(error, InferenceFailure)
    assert error.kind == case.kind
    expected = (
        FailureCategory.TOO_LARGE if case.kind == "too_large" else FailureCategory.BAD_RESPONSE
    )
    assert error.category is expected
    assert case.reason in error.message


def test_a_too_large_str_body_is_measured_in_utf8_bytes() -> None:
    # 300 characters of three bytes each: 900 bytes, over a limit of 600.
    body = '{"annotations": [], "note": "' + "€" * 300 + '"}'
    assert len(body) < 600
    with pytest.raises(ResponseError) as raised:
        _parse(body, max_bytes=600)
    assert raised.value.kind == "too_large"


def test_a_byte_order_mark_is_tolerated() -> None:
    result = _parse(b"\xef\xbb\xbf" + ('{"annotations": [' + box() + "]}").encode())
    assert len(result.annotations) == 1


def test_duplicate_keys_inside_ignored_fields_do_not_matter() -> None:
    text = box().replace('"label"', '"meta": {"a": 1, "a": 2}, "label"')
    result = _parse('{"annotations": [' + text + "]}")
    assert len(result.annotations) == 1
    assert result.problems == []


def test_a_duplicate_key_in_the_geometry_is_refused() -> None:
    text = box().replace('"x": 10', '"x": 10, "x": 11')
    result = _parse('{"annotations": [' + text + "]}")
    assert result.annotations == []
    assert "the key 'x' appears more than once" in result.problems[0].reason
