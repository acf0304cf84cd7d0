"""COCO run-length encoding, bit-exact with pycocotools, vectorised with numpy.

The format (pycocotools ``maskApi.c``): the mask is read in column-major (Fortran) order and
stored as alternating run lengths, starting with a run of zeros (which may be empty). The
compressed string stores each count as a little-endian sequence of 5-bit groups, one ASCII
character (``chr(48 + group)``) per group, bit 0x20 meaning "more groups follow" and bit 0x10 of
the last group being the sign. From the fourth count on (index > 2) the value stored is the
difference to the count two places before, which is small for masks whose runs change slowly
from column to column.

Nothing here loops over pixels or runs in Python: run boundaries come from one vectorised
comparison over the column-major pixels, and the string conversion works on whole arrays of
counts and characters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from numbers import Integral
from typing import Any, cast

import cv2
import numpy as np
import numpy.typing as npt

from avala_desktop.core.masks.errors import MaskCodecError

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "area",
    "counts_to_string",
    "decode",
    "encode",
    "merge",
    "string_to_counts",
    "to_bbox",
]

Counts = npt.NDArray[np.int64]
Mask = npt.NDArray[np.uint8]

# 50 megapixels covers 8K frames (33 MP) with room to spare; a larger claimed size in a model
# response is far more likely a mistake or an attack than a real mask, and decoding it would
# allocate that many bytes.
DEFAULT_MAX_PIXELS = 50_000_000

# A count is stored in at most this many 5-bit groups: 60 bits of two's complement, far beyond
# any real mask (pycocotools itself keeps counts in 32 bits) yet safe from int64 overflow.
_MAX_GROUPS = 12
_MAX_DELTA = 1 << (5 * _MAX_GROUPS - 1)
# A value v >= 0 (or ~v for v < 0) needs one more group per threshold it reaches.
_GROUP_THRESHOLDS = np.array([1 << (5 * k - 1) for k in range(1, _MAX_GROUPS)], dtype=np.int64)
_FIRST_CHAR = 48  # "0"
_LAST_CHAR = _FIRST_CHAR + 63  # "o"


# --- counts <-> compressed string ---------------------------------------------------------


def counts_to_string(counts: Sequence[int] | npt.NDArray[np.integer[Any]]) -> str:
    """The compressed COCO string of a list of run lengths (pycocotools ``rleToString``)."""
    return _counts_to_bytes(_counts_array(counts)).decode("ascii")


def string_to_counts(text: str | bytes) -> list[int]:
    """The run lengths stored in a compressed COCO string (pycocotools ``rleFrString``).

    Raises MaskCodecError for characters outside ``"0"``..``"o"``, a string that stops in the
    middle of a number, or a run length that comes out negative.
    """
    counts = _bytes_to_counts(_ascii_bytes(text))
    _check_non_negative(counts)
    return cast(list[int], counts.tolist())


def _counts_to_bytes(counts: Counts) -> bytes:
    if counts.size == 0:
        return b""
    values = counts.copy()
    values[3:] -= counts[1:-2]
    # Every value gets one character for its low 5 bits; most values of a real mask (small
    # differences between neighbouring columns) need nothing more, so the longer ones are
    # handled on their own, one group position at a time.
    chars = ((values & 0x1F) + _FIRST_CHAR).astype(np.uint8)
    # x ^ (x >> 63) is x for x >= 0 and ~x for x < 0: the magnitude the sign bit must cover.
    magnitude = values ^ (values >> 63)
    long_values = np.flatnonzero(magnitude >= _GROUP_THRESHOLDS[0])
    if long_values.size == 0:
        return chars.tobytes()
    long_magnitude = magnitude[long_values]
    groups = np.full(long_values.size, 2, dtype=np.int64)
    needs_more = np.flatnonzero(long_magnitude >= _GROUP_THRESHOLDS[1])
    for threshold in _GROUP_THRESHOLDS[2:]:
        groups[needs_more] += 1
        needs_more = needs_more[long_magnitude[needs_more] >= threshold]
    groups[needs_more] += 1
    chars[long_values] += 0x20  # "more follows" (the low group has no carry into bit 0x20)
    extra = groups - 1
    firsts = long_values + np.cumsum(extra) - extra  # where each long value starts in the output
    out = np.empty(counts.size + int(extra.sum()), dtype=np.uint8)
    is_first = np.ones(out.size, dtype=np.bool_)
    higher: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.uint8]]] = []
    long_raw = values[long_values]
    active = np.arange(long_values.size)
    group = 1
    while active.size:
        at = firsts[active] + group
        group_chars = (((long_raw[active] >> (5 * group)) & 0x1F) + _FIRST_CHAR).astype(np.uint8)
        continues = groups[active] > group + 1
        group_chars[continues] += 0x20
        is_first[at] = False
        higher.append((at, group_chars))
        active = active[continues]
        group += 1
    out[is_first] = chars
    for at, group_chars in higher:
        out[at] = group_chars
    return out.tobytes()


def _bytes_to_counts(data: bytes) -> Counts:
    """Counts as stored, possibly negative: the caller decides what it accepts."""
    raw = np.frombuffer(data, dtype=np.uint8)
    if raw.size == 0:
        return np.zeros(0, dtype=np.int64)
    chars = raw - np.uint8(_FIRST_CHAR)  # wraps below "0", so one test finds both ends
    if bool((chars > 63).any()):
        at = int(np.argmax(chars > 63))
        raise MaskCodecError(
            f"RLE counts string has the character {chr(raw[at])!r} at position {at}; "
            "a compressed COCO string only uses the characters '0' to 'o'"
        )
    more = chars >= 0x20
    if more[-1]:
        raise MaskCodecError(
            "RLE counts string ends in the middle of a number; it was probably cut short"
        )
    # A one-character number is its 5 bits read as signed: flip the sign bit, subtract it.
    single = (chars ^ np.uint8(0x10)).view(np.int8) - np.int8(0x10)
    continued = np.flatnonzero(more)
    if continued.size == 0:
        values = single.astype(np.int64)
    else:
        # Each number's last character closes it: take them all as one-character numbers, then
        # redo the longer ones, found as the runs of "more follows" characters.
        values = single[~more].astype(np.int64)
        run_index = np.flatnonzero(np.diff(continued, prepend=-2) != 1)
        starts = continued[run_index]
        groups = np.diff(run_index, append=continued.size) + 1
        if int(groups.max()) > _MAX_GROUPS:
            at = int(np.argmax(groups > _MAX_GROUPS))
            raise MaskCodecError(
                f"RLE counts string holds a number {int(groups[at])} characters long at "
                f"position {int(starts[at])}; no mask needs more than {_MAX_GROUPS}"
            )
        long_values = (chars[starts] & 0x1F).astype(np.int64)
        active = np.arange(starts.size)
        group = 1
        while active.size:
            bits = (chars[starts[active] + group] & 0x1F).astype(np.int64)
            long_values[active] |= bits << (5 * group)
            active = active[groups[active] > group + 1]
            group += 1
        negative = np.flatnonzero(chars[starts + groups - 1] & 0x10)
        long_values[negative] -= np.left_shift(1, 5 * groups[negative])
        # A long number's index among the numbers: its start minus the characters before it
        # that did not close a number.
        values[starts - run_index] = long_values
    # Undo the differences: from index 3 on, each count adds to the one two places before, so
    # the odd and the even positions (the latter from index 2) are two running sums.
    if values.size > 3:
        values[1::2] = np.cumsum(values[1::2])
        values[2::2] = np.cumsum(values[2::2])
    return values


def _ascii_bytes(text: str | bytes | bytearray | memoryview) -> bytes:
    if isinstance(text, bytes | bytearray | memoryview):
        return bytes(text)
    if not isinstance(text, str):
        raise MaskCodecError(
            f"RLE counts must be a compressed string or a list of integers, not {_kind(text)}"
        )
    try:
        return text.encode("ascii")
    except UnicodeEncodeError as exc:
        raise MaskCodecError(
            f"RLE counts string has the non-ASCII character {text[exc.start]!r} at position "
            f"{exc.start}; a compressed COCO string only uses the characters '0' to 'o'"
        ) from None


def _counts_array(counts: Sequence[int] | npt.NDArray[np.integer[Any]]) -> Counts:
    """Validated counts list -> int64 array (non-negative, small enough to compress)."""
    if isinstance(counts, str | bytes | bytearray | Mapping):
        raise MaskCodecError(f"RLE counts list must be a list of integers, not {_kind(counts)}")
    try:
        array = np.asarray(counts)
    except (TypeError, ValueError, OverflowError) as exc:
        raise MaskCodecError(f"RLE counts list must be a flat list of integers ({exc})") from None
    if array.ndim != 1:
        raise MaskCodecError(
            f"RLE counts list must be a flat list of integers; got an array of shape {array.shape}"
        )
    if array.size == 0:
        return np.zeros(0, dtype=np.int64)
    if array.dtype.kind not in "iu":
        kinds = "true/false values" if array.dtype.kind == "b" else f"{array.dtype} values"
        if array.dtype == object:
            kinds = "values that are not 64-bit integers"
        raise MaskCodecError(f"RLE counts list must hold integers; it holds {kinds}")
    if array.dtype.kind == "u" and int(array.max()) >= _MAX_DELTA:
        raise MaskCodecError(f"RLE count {int(array.max())} is too large for any mask")
    values = array.astype(np.int64, copy=False)
    _check_non_negative(values)
    if int(values.max()) >= _MAX_DELTA:
        raise MaskCodecError(f"RLE count {int(values.max())} is too large for any mask")
    return values


def _check_non_negative(counts: Counts) -> None:
    if counts.size and int(counts.min()) < 0:
        at = int(np.argmax(counts < 0))
        raise MaskCodecError(
            f"RLE count {at} is negative ({int(counts[at])}); run lengths are >= 0"
        )


# --- mask <-> RLE -------------------------------------------------------------------------


def encode(mask: npt.ArrayLike) -> dict[str, Any]:
    """``{"size": [h, w], "counts": str}`` of a 2-D mask (bool or integers, non-zero = inside).

    Same string as ``pycocotools.mask.encode(np.asfortranarray(mask))`` for a 0/1 mask. Either
    memory order is fine; C order costs one fast transpose.
    """
    array = np.asarray(mask)
    if array.ndim != 2:
        raise MaskCodecError(f"a mask must be 2-D (height x width); got shape {array.shape}")
    if array.dtype.kind not in "biu":
        raise MaskCodecError(
            f"a mask must hold booleans or integers, not {array.dtype}; "
            "threshold probabilities into a boolean mask first"
        )
    height, width = (int(n) for n in array.shape)
    counts = _mask_counts(array)
    return {"size": [height, width], "counts": _counts_to_bytes(counts).decode("ascii")}


def decode(rle: Mapping[str, Any], *, max_pixels: int | None = DEFAULT_MAX_PIXELS) -> Mask:
    """The (h, w) uint8 0/1 mask, C-contiguous, of an RLE whose counts are a string or a list.

    Raises MaskCodecError when the size is not two non-negative integers, the mask would have
    more than ``max_pixels`` pixels, or the counts are malformed or do not cover the mask.
    """
    height, width = _size(rle)
    pixels = height * width
    if max_pixels is not None and pixels > max_pixels:
        raise MaskCodecError(
            f"RLE mask size {height}x{width} is {pixels:,} pixels, more than the limit of "
            f"{max_pixels:,}"
        )
    counts = _valid_counts(rle, height, width)
    if pixels == 0:
        return np.zeros((height, width), dtype=np.uint8)
    values = np.zeros(counts.size, dtype=np.uint8)
    values[1::2] = 1
    column_major = np.repeat(values, counts).reshape(width, height)
    return _transpose(column_major)


def area(rle: Mapping[str, Any]) -> int:
    """Number of pixels inside the mask (pycocotools ``area``), without decoding it."""
    height, width = _size(rle)
    counts = _valid_counts(rle, height, width)
    return int(counts[1::2].sum())


def to_bbox(rle: Mapping[str, Any]) -> tuple[int, int, int, int]:
    """``(x, y, width, height)`` of the tightest box around the mask, like pycocotools ``toBbox``;
    ``(0, 0, 0, 0)`` for an empty mask. Works on the runs, without decoding the mask."""
    height, width = _size(rle)
    counts = _valid_counts(rle, height, width)
    ends = np.cumsum(counts)[1::2]
    lengths = counts[1::2]
    filled = lengths > 0
    if height == 0 or not filled.any():
        return (0, 0, 0, 0)
    last = ends[filled] - 1
    first = last - lengths[filled] + 1
    first_x, first_y = np.divmod(first, height)
    last_x, last_y = np.divmod(last, height)
    x0, x1 = int(first_x.min()), int(last_x.max())
    if bool((last_x > first_x).any()):
        # A run that continues into the next column covers the bottom of one column and the top
        # of the next: between them every row.
        y0, y1 = 0, height - 1
    else:
        y0, y1 = int(first_y.min()), int(last_y.max())
    return (x0, y0, x1 - x0 + 1, y1 - y0 + 1)


def merge(rles: Iterable[Mapping[str, Any]], *, intersect: bool = False) -> dict[str, Any]:
    """The union (or, with ``intersect``, the intersection) of RLEs of one size, as an RLE."""
    items = list(rles)
    if not items:
        raise MaskCodecError("merge needs at least one RLE")
    sizes = {_size(item) for item in items}
    if len(sizes) > 1:
        listed = ", ".join(f"{h}x{w}" for h, w in sorted(sizes))
        raise MaskCodecError(f"cannot merge RLEs of different sizes ({listed})")
    combined = decode(items[0], max_pixels=None).astype(bool)
    combine = np.logical_and if intersect else np.logical_or
    for item in items[1:]:
        combine(combined, decode(item, max_pixels=None), out=combined)
    return encode(combined)


# --- internals ----------------------------------------------------------------------------


def _mask_counts(mask: npt.NDArray[Any]) -> Counts:
    height, width = mask.shape
    pixels = height * width
    if pixels == 0:
        # pycocotools writes one empty run for an empty mask: counts [0], string "0".
        return np.zeros(1, dtype=np.int64)
    flat = _column_major_inside(mask)
    # changes[j] is the last pixel of a run; counts are the gaps between consecutive run ends.
    changes = _last_pixels_of_runs(flat)
    # Runs start with zeros: a mask whose first pixel is inside starts with an empty run.
    head = 2 if flat[0] else 1
    counts = np.empty(head + changes.size, dtype=np.int64)
    counts[: head - 1] = 0
    if changes.size == 0:
        counts[head - 1] = pixels
        return counts
    counts[head - 1] = changes[0] + 1
    np.subtract(changes[1:], changes[:-1], out=counts[head : head + changes.size - 1])
    counts[-1] = pixels - 1 - changes[-1]
    return counts


def _column_major_inside(mask: npt.NDArray[Any]) -> Mask:
    """The pixels of a 2-D mask in column-major order as a flat contiguous 0/1 uint8 array."""
    if mask.dtype.itemsize == 1:
        # bool, uint8 and int8 share a layout: transpose the bytes, then make them 0/1 in place
        # in our own copy rather than allocating a 0/1 copy first.
        data = mask.view(np.uint8)
        binary = mask.dtype == np.bool_
    else:
        data = (mask != 0).view(np.uint8)
        binary = True
    if data.flags.f_contiguous:
        flat = data.T.reshape(-1)
        return flat if binary else (flat != 0).view(np.uint8)
    flat = _transpose(np.ascontiguousarray(data)).reshape(-1)
    if not binary:
        np.not_equal(flat, 0, out=flat.view(np.bool_))
    return flat


def _transpose(array: Mask) -> Mask:
    # OpenCV's blocked transpose is about ten times faster than numpy's copy of a transposed
    # view for uint8 images (0.09 ms against 1 ms for 1920x1080).
    return cast(Mask, cv2.transpose(array))


def _last_pixels_of_runs(flat: Mask) -> Counts:
    """Indices i where flat[i] != flat[i + 1], ascending (every run's last pixel but the last
    run's)."""
    n = flat.size - 1
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    padded = np.empty(-(-n // 8) * 8, dtype=np.bool_)
    padded[n:] = False
    np.not_equal(flat[1:], flat[:-1], out=padded[:n])
    # Most masks change value rarely: find the 8-byte words holding a change first and only
    # look inside those, which skips ~99% of the bytes of a typical object mask. Past a few
    # percent of such words, one plain scan is cheaper.
    words = np.flatnonzero(padded.view(np.uint64) != 0)
    if words.size * 16 > padded.size // 8:
        return np.flatnonzero(padded)
    inner = np.flatnonzero(padded.reshape(-1, 8)[words])
    return words[inner >> 3] * 8 + (inner & 7)


def _size(rle: Mapping[str, Any]) -> tuple[int, int]:
    if not isinstance(rle, Mapping):
        raise MaskCodecError(f"an RLE must be an object with 'size' and 'counts', not {_kind(rle)}")
    if "size" not in rle:
        raise MaskCodecError("RLE has no 'size' ([height, width])")
    size = rle["size"]
    if (
        isinstance(size, str | bytes)
        or not isinstance(size, Sequence | np.ndarray)
        or len(size) != 2
        or not all(isinstance(n, Integral) and not isinstance(n, bool) for n in size)
    ):
        raise MaskCodecError(f"RLE 'size' must be [height, width] as two integers, not {size!r}")
    height, width = int(size[0]), int(size[1])
    if height < 0 or width < 0:
        raise MaskCodecError(f"RLE 'size' must not be negative; got [{height}, {width}]")
    return height, width


def _valid_counts(rle: Mapping[str, Any], height: int, width: int) -> Counts:
    if "counts" not in rle:
        raise MaskCodecError("RLE has no 'counts'")
    raw = rle["counts"]
    if isinstance(raw, str | bytes | bytearray | memoryview):
        counts = _bytes_to_counts(_ascii_bytes(raw))
        _check_non_negative(counts)
    else:
        counts = _counts_array(raw)
    pixels = height * width
    # Checking the largest count first keeps the sum below from overflowing.
    if counts.size and int(counts.max()) > pixels:
        raise MaskCodecError(
            f"RLE has a run of {int(counts.max()):,} pixels but the mask size {height}x{width} "
            f"has only {pixels:,}"
        )
    total = int(counts.sum())
    if total != pixels:
        raise MaskCodecError(
            f"RLE counts add up to {total:,} pixels but the mask size {height}x{width} has "
            f"{pixels:,}; the counts or the size are wrong"
        )
    return counts


def _kind(value: object) -> str:
    return f"a {type(value).__name__}"
