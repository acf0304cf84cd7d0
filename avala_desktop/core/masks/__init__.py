"""Segmentation masks: COCO run-length encoding (bit-exact with pycocotools) and PNG masks.

Masks are ``numpy`` arrays of shape (height, width); non-zero means inside. Encoded masks are
``{"size": [h, w], "counts": "<compressed COCO string>"}`` (PRODUCT.md §3).
"""

from avala_desktop.core.masks.errors import MaskCodecError
from avala_desktop.core.masks.png import decode_png_mask, png_dimensions
from avala_desktop.core.masks.rle import (
    DEFAULT_MAX_PIXELS,
    area,
    counts_to_string,
    decode,
    encode,
    merge,
    string_to_counts,
    to_bbox,
)

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "MaskCodecError",
    "area",
    "counts_to_string",
    "decode",
    "decode_png_mask",
    "encode",
    "merge",
    "png_dimensions",
    "string_to_counts",
    "to_bbox",
]
