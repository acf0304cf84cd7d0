"""COCO RLE codec: bit-exact with pycocotools on many masks and the edge cases."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from pycocotools import mask as coco

from avala_desktop.core.masks import (
    area,
    counts_to_string,
    decode,
    encode,
    merge,
    string_to_counts,
    to_bbox,
)
from tests.unit.rle_reference import stored_counts_string

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pycocotools")


def _coco_encode(mask: np.ndarray) -> dict:
    return coco.encode(np.asfortranarray((mask != 0).astype(np.uint8)))


def _true_bbox(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    if ys.size == 0:
        return (0, 0, 0, 0)
    return (
        int(xs.min()),
        int(ys.min()),
        int(xs.max() - xs.min() + 1),
        int(ys.max() - ys.min() + 1),
    )


def _assert_matches_coco(mask: np.ndarray) -> None:
    reference = _coco_encode(mask)
    ours = encode(mask)
    assert ours["size"] == reference["size"] == list(mask.shape)
    assert ours["counts"] == reference["counts"].decode("ascii")
    decoded = decode(ours)
    assert decoded.dtype == np.uint8 and decoded.shape == mask.shape
    assert decoded.flags.c_contiguous
    np.testing.assert_array_equal(decoded, coco.decode(reference))
    np.testing.assert_array_equal(decoded, mask != 0)
    assert area(ours) == int(coco.area(reference))
    bbox = to_bbox(ours)
    assert bbox == tuple(int(v) for v in coco.toBbox(reference))
    assert bbox == _true_bbox(mask)
    # The same RLE with its counts as a list.
    as_list = {"size": ours["size"], "counts": string_to_counts(ours["counts"])}
    np.testing.assert_array_equal(decode(as_list), decoded)


def _random_masks(rng: np.random.Generator, count: int) -> Iterator[np.ndarray]:
    """A mix of the shapes masks take: noise, discs, rectangles, stripes, sparse and dense."""
    for i in range(count):
        big = i % 50 == 0
        h = int(rng.integers(1, 400 if big else 48))
        w = int(rng.integers(1, 400 if big else 48))
        kind = i % 6
        if kind == 0:
            mask = rng.random((h, w)) < rng.random()
        elif kind == 1:
            cy, cx = np.ogrid[:h, :w]
            mask = np.zeros((h, w), bool)
            for _ in range(int(rng.integers(1, 5))):
                y, x, r = rng.random(3) * [h, w, max(h, w) / 2]
                mask |= (cy - y) ** 2 + (cx - x) ** 2 < r**2
        elif kind == 2:
            mask = np.zeros((h, w), bool)
            for _ in range(int(rng.integers(1, 4))):
                y0, y1 = sorted(rng.integers(0, h + 1, 2))
                x0, x1 = sorted(rng.integers(0, w + 1, 2))
                mask[y0:y1, x0:x1] ^= True
        elif kind == 3:
            mask = rng.random((h, w)) < 0.02  # sparse
        elif kind == 4:
            mask = rng.random((h, w)) < 0.98  # dense
        else:
            stripes = rng.random(w if i % 2 else h) < 0.5
            mask = np.broadcast_to(stripes if i % 2 else stripes[:, None], (h, w)).copy()
        yield mask.astype(np.uint8)


def test_a_thousand_random_masks_match_pycocotools() -> None:
    rng = np.random.default_rng(20240611)
    checked = 0
    for mask in _random_masks(rng, 1200):
        _assert_matches_coco(mask)
        checked += 1
    assert checked == 1200


@pytest.mark.parametrize(
    "mask",
    [
        np.zeros((5, 7), np.uint8),
        np.ones((5, 7), np.uint8),
        np.zeros((1, 1), np.uint8),
        np.ones((1, 1), np.uint8),
        np.array([[0, 1, 1, 0, 1]], np.uint8),
        np.array([[1, 1, 0, 1, 0]], np.uint8).T,
        np.ones((1, 1000), np.uint8),
        np.ones((1000, 1), np.uint8),
        np.eye(13, 17, dtype=np.uint8),
        np.pad(np.ones((3, 3), np.uint8), ((0, 0), (4, 0))),  # inside at the bottom right
        np.pad(np.ones((3, 3), np.uint8), ((0, 5), (0, 5))),  # inside from the first pixel
    ],
    ids=[
        "empty",
        "full",
        "1x1-empty",
        "1x1-full",
        "1xN",
        "Nx1",
        "1xN-full",
        "Nx1-full",
        "diagonal-odd",
        "corner-bottom-right",
        "corner-top-left",
    ],
)
def test_edge_cases_match_pycocotools(mask: np.ndarray) -> None:
    _assert_matches_coco(mask)


@pytest.mark.parametrize("shape", [(0, 5), (5, 0), (0, 0)])
def test_zero_size_masks_match_pycocotools(shape: tuple[int, int]) -> None:
    mask = np.zeros(shape, np.uint8)
    reference = _coco_encode(mask)
    ours = encode(mask)
    assert ours == {"size": list(shape), "counts": reference["counts"].decode("ascii")}
    assert decode(ours).shape == shape
    assert decode({"size": list(shape), "counts": []}).shape == shape
    assert area(ours) == 0
    assert to_bbox(ours) == (0, 0, 0, 0)


def test_4k_mask_matches_pycocotools() -> None:
    rng = np.random.default_rng(4)
    h, w = 2160, 3840
    cy, cx = np.ogrid[:h, :w]
    mask = np.zeros((h, w), np.uint8)
    for _ in range(8):
        y, x = rng.integers(0, h), rng.integers(0, w)
        mask[(cy - y) ** 2 + (cx - x) ** 2 < int(rng.integers(50, 600)) ** 2] = 1
    mask[rng.random((h, w)) < 0.001] ^= 1  # some speckle so the runs are irregular
    _assert_matches_coco(mask)


def test_any_integer_or_bool_layout_encodes_the_same() -> None:
    rng = np.random.default_rng(5)
    base = rng.random((37, 53)) < 0.4
    expected = encode(base.astype(np.uint8))
    variants = [
        base,
        base.astype(np.uint8) * 255,
        base.astype(np.int32) * -3,
        base.astype(np.int8) * -1,
        np.asfortranarray(base.astype(np.uint8) * 7),
        np.asfortranarray(base),
        np.asfortranarray(base.astype(np.uint16)),
    ]
    for variant in variants:
        assert encode(variant) == expected, variant.dtype
    # Views that are neither C- nor Fortran-contiguous.
    wide = np.zeros((74, 159), np.uint8)
    wide[::2, ::3] = base
    assert encode(wide[::2, ::3]) == expected
    assert encode(np.asfortranarray(wide)[::2, ::3]) == expected
    assert encode(base.T.copy().T) == expected
    # encode must not modify the caller's array (the C-order path normalises in place).
    source = base.astype(np.uint8) * 9
    encode(source)
    assert set(np.unique(source)) <= {0, 9}


@pytest.mark.parametrize(
    "bad", [np.zeros(5, np.uint8), np.zeros((2, 2, 2), np.uint8), np.zeros((2, 2), np.float32)]
)
def test_encode_refuses_what_is_not_a_2d_integer_mask(bad: np.ndarray) -> None:
    from avala_desktop.core.masks import MaskCodecError

    with pytest.raises(MaskCodecError):
        encode(bad)


def _differenced(counts: list[int]) -> list[int]:
    return [c - counts[i - 2] if i > 2 else c for i, c in enumerate(counts)]


def test_counts_list_and_string_round_trip_like_pycocotools() -> None:
    rng = np.random.default_rng(6)
    for i in range(600):
        # Below 2**24: pycocotools' rleToString overruns its buffer (6 characters per count plus
        # the terminator) when every count needs 6 characters.
        scale = [2, 17, 40, 700, 70_000, 2**23][i % 6]
        counts = [int(c) for c in rng.integers(0, scale, int(rng.integers(0, 40)))]
        text = counts_to_string(counts)
        assert text == stored_counts_string(_differenced(counts))
        assert string_to_counts(text) == counts
        assert string_to_counts(text.encode("ascii")) == counts
        if counts:
            total = sum(counts)
            reference = coco.frPyObjects({"size": [1, total], "counts": counts}, 1, total)
            assert text == reference["counts"].decode("ascii")
    assert counts_to_string([]) == "" and string_to_counts("") == []


def test_counts_beyond_32_bits_round_trip() -> None:
    counts = [2**40, 3, 2**58 - 1, 0, 5, 2**58 - 1, 1]
    assert string_to_counts(counts_to_string(counts)) == counts
    assert string_to_counts(counts_to_string(np.array(counts, np.uint64))) == counts


def test_rle_with_empty_interior_runs_decodes_like_pycocotools() -> None:
    # Not what encode writes, but a valid list a server may send: empty runs in the middle.
    counts = [2, 0, 3, 4, 0, 0, 3]
    rle = {"size": [3, 4], "counts": counts}
    reference = coco.frPyObjects(rle, 3, 4)
    np.testing.assert_array_equal(decode(rle), coco.decode(reference))
    assert area(rle) == int(coco.area(reference))
    assert to_bbox(rle) == _true_bbox(decode(rle))
    # Re-encoding gives the canonical form.
    assert encode(decode(rle))["counts"] == counts_to_string([5, 4, 3])


def test_decode_accepts_pycocotools_output_directly() -> None:
    mask = np.zeros((6, 9), np.uint8)
    mask[2:5, 1:7] = 1
    reference = _coco_encode(mask)  # counts are bytes
    np.testing.assert_array_equal(decode(reference), mask)
    assert area(reference) == 18
    assert to_bbox(reference) == (1, 2, 6, 3)


def test_merge_matches_pycocotools() -> None:
    rng = np.random.default_rng(7)
    for _ in range(30):
        masks = [(rng.random((23, 31)) < 0.3).astype(np.uint8) for _ in range(3)]
        ours = [encode(m) for m in masks]
        theirs = [_coco_encode(m) for m in masks]
        for intersect in (False, True):
            merged = merge(ours, intersect=intersect)
            reference = coco.merge(theirs, intersect=intersect)
            assert merged["counts"] == reference["counts"].decode("ascii")
            combine = np.logical_and if intersect else np.logical_or
            np.testing.assert_array_equal(decode(merged), combine.reduce(masks))
    assert merge([ours[0]]) == ours[0]
