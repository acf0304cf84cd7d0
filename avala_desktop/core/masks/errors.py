"""The one exception the mask codec raises for input it cannot use."""

from __future__ import annotations


class MaskCodecError(ValueError):
    """A mask, RLE or PNG that cannot be encoded or decoded; the message says why."""
