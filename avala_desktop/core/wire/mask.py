"""Segmentation masks: COCO run-length encoding, or a URL to a PNG the run fetches later."""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import urlsplit

import numpy as np
import numpy.typing as npt
from pydantic import ValidationInfo, field_validator, model_validator

from avala_desktop.core.masks.errors import MaskCodecError
from avala_desktop.core.masks.rle import DEFAULT_MAX_PIXELS, counts_to_string, string_to_counts
from avala_desktop.core.wire.base import AnnotationBase, WireModel
from avala_desktop.core.wire.common import (
    AnnotationType,
    WireContext,
    context_of,
    describe,
    fail,
    to_int,
    utf8_text,
)

# What the codec will decode: a larger size is a mistake (or an attack), never a real mask.
MAX_MASK_PIXELS = DEFAULT_MAX_PIXELS
MAX_URL_CHARS = 8192

Counts = npt.NDArray[np.int64]


class Rle(WireModel):
    """Canonical RLE: size is (height, width), counts the compressed COCO string."""

    size: tuple[int, int]
    counts: str

    def to_dict(self) -> dict[str, Any]:
        return {"size": [self.size[0], self.size[1]], "counts": self.counts}


def _read_size(value: Any) -> tuple[int, int]:
    if not isinstance(value, list | tuple) or len(value) != 2:
        fail(f"rle size must be [height, width], got {describe(value)}")
    height = to_int(value[0], "rle size height")
    width = to_int(value[1], "rle size width")
    if height <= 0 or width <= 0:
        fail(f"rle size must be positive [height, width], got [{height}, {width}]")
    if height * width > MAX_MASK_PIXELS:
        fail(
            f"rle size [{height}, {width}] is more than the {MAX_MASK_PIXELS:,} pixels "
            "a mask may have"
        )
    return height, width


def _list_counts(value: list[Any]) -> Counts:
    # Type-checking a few million counts one by one in Python would dominate the parse.
    if set(map(type, value)) - {int}:
        index, count = next((i, c) for i, c in enumerate(value) if type(c) is not int)
        fail(f"rle counts[{index}] must be a whole number, got {describe(count)}")
    try:
        counts = np.array(value, dtype=np.int64)
    except OverflowError:
        fail("rle counts hold a number too large for any mask")
    if counts.size and int(counts.min()) < 0:
        index = int(np.argmax(counts < 0))
        fail(f"rle counts[{index}] is negative ({int(counts[index])})")
    return counts


def _string_counts(value: str) -> Counts:
    try:
        return np.array(string_to_counts(value), dtype=np.int64)
    except MaskCodecError as error:
        fail(str(error))


def read_rle(value: Any, ctx: WireContext) -> Rle:
    if isinstance(value, str):
        if ctx.width is None or ctx.height is None:
            fail(
                "rle is a bare counts string, which takes its size from the asset, but the "
                'asset size is unknown; send {"size": [height, width], "counts": ...}'
            )
        size = (ctx.height, ctx.width)
        counts_value: Any = value
    elif isinstance(value, dict):
        for key in ("size", "counts"):
            if key not in value:
                fail(f"rle is missing {key!r}")
        size = _read_size(value["size"])
        counts_value = value["counts"]
    else:
        fail(
            'rle must be {"size": [h, w], "counts": ...} or a counts string, '
            f"got {describe(value)}"
        )
    height, width = size
    if ctx.width is not None and ctx.height is not None and size != (ctx.height, ctx.width):
        hint = " (it looks like [width, height])" if size == (ctx.width, ctx.height) else ""
        fail(
            f"rle size [{height}, {width}] does not match the image, which is "
            f"[{ctx.height}, {ctx.width}] as [height, width]{hint}"
        )
    if isinstance(counts_value, str):
        counts = _string_counts(counts_value)
    elif isinstance(counts_value, list):
        counts = _list_counts(counts_value)
    else:
        fail(f"rle counts must be a string or a list of run lengths, got {describe(counts_value)}")
    pixels = height * width
    # Bounding each count first keeps the int64 sum below from overflowing.
    if counts.size and int(counts.max()) > pixels:
        fail(
            f"rle has a run of {int(counts.max())} pixels, but a [{height}, {width}] mask has "
            f"{pixels}"
        )
    total = int(counts.sum())
    if total != pixels:
        fail(
            f"rle run lengths add up to {total} pixels, but a [{height}, {width}] mask has "
            f"{height * width}"
        )
    return Rle(size=(height, width), counts=counts_to_string(counts))


def read_mask_url(value: Any) -> str:
    if not isinstance(value, str):
        fail(f"mask_url must be a string, got {describe(value)}")
    if len(value) > MAX_URL_CHARS:
        fail(f"mask_url is {len(value)} characters long; the limit is {MAX_URL_CHARS}")
    if not utf8_text(value) or any(ch.isspace() or not ch.isprintable() for ch in value):
        fail("mask_url contains spaces or control characters; percent-encode them")
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        fail(f"mask_url {describe(value)} is not a valid URL")
    if parts.scheme.lower() not in ("http", "https"):
        fail(f"mask_url must be an http or https URL, got {describe(value)}")
    if not host:
        fail(f"mask_url {describe(value)} has no host")
    return value


class SegmentationMask(AnnotationBase):
    """Exactly one of `rle` (validated and canonicalised) or `mask_url` (resolved by the run)."""

    type: Literal[AnnotationType.SEGMENTATION_MASK] = AnnotationType.SEGMENTATION_MASK
    rle: Rle | None = None
    mask_url: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _one_source(cls, data: Any) -> Any:
        if isinstance(data, dict):
            has_rle = data.get("rle") is not None
            has_url = data.get("mask_url") is not None
            if has_rle and has_url:
                fail("has both 'rle' and 'mask_url'; send exactly one")
            if not (has_rle or has_url):
                fail("needs 'rle' (COCO run-length encoding) or 'mask_url' (a PNG mask URL)")
        return data

    @field_validator("rle", mode="plain")
    @classmethod
    def _rle(cls, value: Any, info: ValidationInfo) -> Rle | None:
        if value is None:
            return None
        if isinstance(value, Rle):
            value = value.to_dict()
        return read_rle(value, context_of(info))

    @field_validator("mask_url", mode="plain")
    @classmethod
    def _mask_url(cls, value: Any) -> str | None:
        return None if value is None else read_mask_url(value)

    def geometry_dict(self) -> dict[str, Any]:
        if self.rle is not None:
            return {"rle": self.rle.to_dict()}
        return {"mask_url": self.mask_url}
