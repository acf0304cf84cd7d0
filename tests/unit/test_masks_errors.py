"""The mask codec refuses malformed RLEs with a reason, and never fails any other way."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from avala_desktop.core.masks import (
    MaskCodecError,
    area,
    counts_to_string,
    decode,
    encode,
    merge,
    string_to_counts,
    to_bbox,
)
from tests.unit.rle_reference import stored_counts_string as stored

COUNTS_ALPHABET = "".join(chr(c) for c in range(ord("0"), ord("o") + 1))
VALID_COUNTS = counts_to_string([2, 3, 7])  # a 3x4 mask

BAD_RLES: list[tuple[str, Any, str]] = [
    ("not a mapping", [[3, 4], "abc"], "object with 'size' and 'counts'"),
    ("no size", {"counts": VALID_COUNTS}, "no 'size'"),
    ("no counts", {"size": [3, 4]}, "no 'counts'"),
    ("size one number", {"size": [12], "counts": VALID_COUNTS}, "two integers"),
    ("size three numbers", {"size": [3, 4, 1], "counts": VALID_COUNTS}, "two integers"),
    ("size a string", {"size": "3x4", "counts": VALID_COUNTS}, "two integers"),
    ("size floats", {"size": [3.0, 4], "counts": VALID_COUNTS}, "two integers"),
    ("size booleans", {"size": [True, 12], "counts": VALID_COUNTS}, "two integers"),
    ("size null", {"size": None, "counts": VALID_COUNTS}, "two integers"),
    ("size negative", {"size": [-3, -4], "counts": VALID_COUNTS}, "must not be negative"),
    ("character above 'o'", {"size": [3, 4], "counts": "23{"}, "'{' at position 2"),
    ("character below '0'", {"size": [3, 4], "counts": "2 7"}, "' ' at position 1"),
    ("non-ASCII character", {"size": [3, 4], "counts": "23é"}, "non-ASCII"),
    ("cut short", {"size": [3, 4], "counts": VALID_COUNTS + "`"}, "cut short"),
    ("number too long", {"size": [3, 4], "counts": "o" * 13 + "0"}, "14 characters long"),
    ("negative stored count", {"size": [3, 4], "counts": stored([2, -3, 13])}, "negative"),
    ("difference goes negative", {"size": [1, 9], "counts": stored([2, 3, 1, -6, 9])}, "negative"),
    ("string sums short", {"size": [3, 4], "counts": counts_to_string([2, 3])}, "add up to 5"),
    ("string sums long", {"size": [3, 4], "counts": counts_to_string([2, 3, 8])}, "add up to 13"),
    ("run longer than mask", {"size": [3, 4], "counts": [0, 2**40]}, "run of"),
    ("empty counts", {"size": [3, 4], "counts": ""}, "add up to 0"),
    ("list sums wrong", {"size": [3, 4], "counts": [1, 2]}, "add up to 3"),
    ("list negative", {"size": [3, 4], "counts": [-1, 13]}, "negative"),
    ("list of floats", {"size": [3, 4], "counts": [2.0, 10.0]}, "float64"),
    ("list of booleans", {"size": [3, 4], "counts": [True, False]}, "true/false"),
    ("list of strings", {"size": [3, 4], "counts": ["2", "10"]}, "must hold integers"),
    ("nested list", {"size": [3, 4], "counts": [[2, 10]]}, "flat list"),
    ("ragged list", {"size": [3, 4], "counts": [2, [10]]}, "flat list"),
    ("huge integer", {"size": [3, 4], "counts": [2**70]}, "64-bit integers"),
    ("counts a number", {"size": [3, 4], "counts": 12}, "flat list"),
    ("counts null", {"size": [3, 4], "counts": None}, "flat list"),
    ("counts a mapping", {"size": [3, 4], "counts": {"a": 1}}, "list of integers"),
]


@pytest.mark.parametrize(("rle", "reason"), [c[1:] for c in BAD_RLES], ids=[c[0] for c in BAD_RLES])
def test_malformed_rle_is_refused_with_its_reason(rle: Any, reason: str) -> None:
    for operation in (decode, area, to_bbox):
        with pytest.raises(MaskCodecError, match=None) as caught:
            operation(rle)
        assert reason in str(caught.value), (operation.__name__, str(caught.value))
    assert isinstance(caught.value, ValueError)


def test_pixel_limit_is_checked_before_the_counts_are_read() -> None:
    with pytest.raises(MaskCodecError, match="more than the limit of 50,000,000"):
        decode({"size": [100_000, 100_000], "counts": "not even valid {{{"})
    with pytest.raises(MaskCodecError, match="limit of 100"):
        decode(encode(np.ones((11, 10), np.uint8)), max_pixels=100)
    assert decode(encode(np.ones((10, 10), np.uint8)), max_pixels=100).sum() == 100
    # area and bbox do not allocate the mask, so they need no limit.
    huge = {"size": [100_000, 100_000], "counts": [0, 10**10]}
    assert area(huge) == 10**10
    assert to_bbox(huge) == (0, 0, 100_000, 100_000)


def test_string_to_counts_refuses_negative_counts() -> None:
    with pytest.raises(MaskCodecError, match="negative"):
        string_to_counts(stored([4, -1]))
    with pytest.raises(MaskCodecError, match="not a int"):
        string_to_counts(12)  # type: ignore[arg-type]


def test_counts_to_string_refuses_what_it_cannot_store() -> None:
    with pytest.raises(MaskCodecError, match="negative"):
        counts_to_string([3, -1])
    with pytest.raises(MaskCodecError, match="too large"):
        counts_to_string([2**60])
    with pytest.raises(MaskCodecError, match="too large"):
        counts_to_string(np.array([2**63], np.uint64))
    with pytest.raises(MaskCodecError, match="list of integers"):
        counts_to_string("123")  # type: ignore[arg-type]


def test_merge_refuses_nothing_and_mixed_sizes() -> None:
    with pytest.raises(MaskCodecError, match="at least one"):
        merge([])
    with pytest.raises(MaskCodecError, match="different sizes"):
        merge([encode(np.ones((2, 3), np.uint8)), encode(np.ones((3, 2), np.uint8))])


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(st.text(max_size=40), st.text(alphabet=COUNTS_ALPHABET, max_size=40)),
    st.integers(0, 40),
    st.integers(0, 40),
)
def test_any_counts_string_decodes_or_raises_mask_codec_error(
    text: str, height: int, width: int
) -> None:
    rle = {"size": [height, width], "counts": text}
    try:
        mask = decode(rle)
    except MaskCodecError:
        return
    assert mask.shape == (height, width)
    assert int(mask.sum()) == area(rle)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 2**40), max_size=50))
def test_any_counts_list_round_trips(counts: list[int]) -> None:
    assert string_to_counts(counts_to_string(counts)) == counts


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 12).flatmap(
        lambda h: st.integers(1, 12).flatmap(
            lambda w: st.lists(st.booleans(), min_size=h * w, max_size=h * w).map(
                lambda bits: np.array(bits, np.uint8).reshape(h, w)
            )
        )
    )
)
def test_any_small_mask_round_trips(mask: np.ndarray) -> None:
    rle = encode(mask)
    np.testing.assert_array_equal(decode(rle), mask)
    np.testing.assert_array_equal(
        decode({"size": rle["size"], "counts": string_to_counts(rle["counts"])}), mask
    )
