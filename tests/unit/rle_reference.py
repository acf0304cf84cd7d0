"""An independent writer of COCO compressed RLE strings, for the codec's tests."""

from __future__ import annotations


def stored_counts_string(stored: list[int]) -> str:
    """The string for these stored (already differenced) values, even invalid ones (negative
    ones), written as pycocotools' rleToString does: 5-bit groups, low first, +48."""
    out = []
    for value in stored:
        while True:
            group = value & 0x1F
            value >>= 5
            more = value != -1 if group & 0x10 else value != 0
            out.append(chr(48 + (group | (0x20 if more else 0))))
            if not more:
                break
    return "".join(out)
