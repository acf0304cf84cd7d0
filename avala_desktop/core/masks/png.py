"""PNG masks (the ``mask_url`` form of a segmentation mask), decoded with a pixel-count limit.

A PNG declares its size in its first chunk (IHDR) and can inflate a few kilobytes into
gigabytes, so the size is read from the bytes and checked before anything is decompressed.

Which pixels are inside: PRODUCT.md §3 asks for a single-channel PNG with non-zero = inside, at
8 or 16 bits. Other colour types are accepted rather than refused, because servers commonly
save masks as RGB or palette images: a pixel is inside when any of its colour channels is
non-zero. Alpha is ignored, so a gray+alpha or RGBA mask is read by its colour alone.
"""

from __future__ import annotations

import struct

import cv2
import numpy as np
import numpy.typing as npt

from avala_desktop.core.masks.errors import MaskCodecError
from avala_desktop.core.masks.rle import DEFAULT_MAX_PIXELS

__all__ = ["decode_png_mask", "png_dimensions"]

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# signature (8) + chunk length (4) + "IHDR" (4) + width (4) + height (4)
_HEADER_BYTES = 24


def png_dimensions(data: bytes) -> tuple[int, int]:
    """``(height, width)`` declared by a PNG's IHDR chunk, without decoding the image."""
    view = bytes(data[:_HEADER_BYTES])
    if len(view) < 8 or view[:8] != _SIGNATURE:
        raise MaskCodecError("mask is not a PNG image (it does not start with the PNG signature)")
    if len(view) < _HEADER_BYTES or view[12:16] != b"IHDR":
        raise MaskCodecError("PNG mask is cut short or damaged: its IHDR header chunk is missing")
    width, height = struct.unpack(">II", view[16:24])
    if width == 0 or height == 0:
        raise MaskCodecError(f"PNG mask declares an empty size ({width}x{height})")
    return height, width


def decode_png_mask(
    data: bytes,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    expected_size: tuple[int, int] | None = None,
) -> npt.NDArray[np.uint8]:
    """The (h, w) uint8 0/1 mask of a PNG image, non-zero = inside (see the module docstring).

    ``expected_size`` is ``(height, width)``, checked against the header before decoding.
    Raises MaskCodecError for data that is not a PNG, declares more than ``max_pixels``
    pixels, has another size than expected, or does not decode.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise MaskCodecError(f"PNG mask must be bytes, not a {type(data).__name__}")
    height, width = png_dimensions(data)
    if height * width > max_pixels:
        raise MaskCodecError(
            f"PNG mask declares {width}x{height} = {height * width:,} pixels, more than the "
            f"limit of {max_pixels:,}; refusing to decompress it"
        )
    if expected_size is not None and (height, width) != tuple(expected_size):
        exp_h, exp_w = expected_size
        raise MaskCodecError(
            f"PNG mask is {width}x{height} (width x height) but the image it belongs to is "
            f"{exp_w}x{exp_h}"
        )
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise MaskCodecError("PNG mask could not be decoded; the file is damaged or incomplete")
    if image.shape[:2] != (height, width):
        raise MaskCodecError(
            f"PNG mask decoded to {image.shape[1]}x{image.shape[0]} although its header "
            f"declares {width}x{height}; the file is damaged"
        )
    if image.ndim == 2:
        return (image != 0).view(np.uint8)
    # OpenCV hands colour over as BGR, and any transparency (gray+alpha, RGBA, a palette with
    # tRNS) as a last, alpha channel.
    channels = image.shape[2]
    colour = image[:, :, : channels - 1] if channels in (2, 4) else image
    return np.any(colour != 0, axis=2).view(np.uint8)
