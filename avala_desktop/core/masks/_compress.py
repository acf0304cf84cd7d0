"""The compressed COCO counts string (pycocotools ``rleToString`` / ``rleFrString``).

Each count is written as a little-endian sequence of 5-bit groups, one ASCII character
(``chr(48 + group)``) per group; bit 0x20 of a character means "more groups follow" and bit 0x10
of the last group is the sign. From the fourth count on (index > 2) the value written is the
difference to the count two places before, which is small when runs change slowly from column
to column, so most values take one character.

Both directions work on whole arrays: every value first gets its one-character form, and only
the (few) longer values are then handled, one group position at a time.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from avala_desktop.core.masks.errors import MaskCodecError

Counts = npt.NDArray[np.int64]

# A count is stored in at most this many 5-bit groups: 60 bits of two's complement, far beyond
# any real mask (pycocotools itself keeps counts in 32 bits) yet safe from int64 overflow.
MAX_GROUPS = 12
MAX_VALUE = 1 << (5 * MAX_GROUPS - 1)
# A value v >= 0 (or ~v for v < 0) needs one more group per threshold it reaches.
_GROUP_THRESHOLDS = np.array([1 << (5 * k - 1) for k in range(1, MAX_GROUPS)], dtype=np.int64)
_FIRST_CHAR = 48  # "0"


def counts_to_bytes(counts: Counts) -> bytes:
    """The compressed string of non-negative counts below MAX_VALUE (the caller checks)."""
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


def bytes_to_counts(data: bytes) -> Counts:
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
        if int(groups.max()) > MAX_GROUPS:
            at = int(np.argmax(groups > MAX_GROUPS))
            raise MaskCodecError(
                f"RLE counts string holds a number {int(groups[at])} characters long at "
                f"position {int(starts[at])}; no mask needs more than {MAX_GROUPS}"
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
