"""COCO RLE codec: bit-exact with pycocotools, and strict about malformed input."""

from __future__ import annotations

import numpy as np
import pytest
from pycocotools import mask as coco

from avala_desktop.core.masks import (
    area,
    counts_to_string,
    decode,
    encode,
    string_to_counts,
    to_bbox,
)


def _coco_encode(mask: np.ndarray) -> dict:
    return coco.encode(np.asfortranarray(mask.astype(np.uint8)))


def _assert_matches_coco(mask: np.ndarray) -> None:
    reference = _coco_encode(mask)
    ours = encode(mask)
    assert ours["size"] == reference["size"]
    assert ours["counts"] == reference["counts"].decode("ascii")
    decoded = decode(ours)
    assert decoded.dtype == np.uint8 and decoded.flags.c_contiguous
    np.testing.assert_array_equal(decoded, coco.decode(reference))
    np.testing.assert_array_equal(decoded, mask != 0)
    assert area(ours) == int(coco.area(reference))
    assert to_bbox(ours) == tuple(int(v) for v in coco.toBbox(reference))


@pytest.mark.parametrize(
    "shape", [(1, 1), (1, 9), (9, 1), (2, 3), (17, 31), (480, 640), (1080, 1920)]
)
def test_random_masks_match_pycocotools(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(7)
    for density in (0.01, 0.5, 0.99):
        _assert_matches_coco(rng.random(shape) < density)


def test_counts_round_trip_through_string() -> None:
    counts = [0, 5, 3, 100000, 2, 1, 0, 7]
    text = counts_to_string(counts)
    assert string_to_counts(text) == counts
    reference = coco.frPyObjects({"size": [1, sum(counts)], "counts": counts}, 1, sum(counts))
    assert text == reference["counts"].decode("ascii")
