"""PNG masks: decoded to 0/1, size checked from the header before any decompression."""

from __future__ import annotations

import struct
import zlib

import cv2
import numpy as np
import pytest

from avala_desktop.core.masks import MaskCodecError, decode_png_mask, png_dimensions

GRAY, RGB, PALETTE, GRAY_ALPHA, RGBA = 0, 2, 3, 4, 6


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png(
    width: int,
    height: int,
    *,
    colour_type: int = GRAY,
    bit_depth: int = 8,
    idat: bytes | None = None,
    pixels: np.ndarray | None = None,
    extra: bytes = b"",
) -> bytes:
    """A PNG written by hand, so the tests control every byte (cv2 cannot write all types)."""
    if idat is None:
        assert pixels is not None
        rows = pixels.reshape(height, -1)
        if bit_depth == 16:
            rows = rows.astype(">u2").view(np.uint8).reshape(height, -1)
        raw = b"".join(b"\x00" + row.tobytes() for row in rows.astype(np.uint8))
        idat = zlib.compress(raw)
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + extra
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )


def _zero_rows_bomb(width: int, height: int) -> bytes:
    """A real, valid gray PNG of all-zero rows: kilobytes that inflate to width*height bytes."""
    compressor = zlib.compressobj(9)
    row = b"\x00" * (width + 1)
    parts = [compressor.compress(row) for _ in range(height)]
    parts.append(compressor.flush())
    return _png(width, height, idat=b"".join(parts))


@pytest.fixture
def mask() -> np.ndarray:
    rng = np.random.default_rng(11)
    return (rng.random((37, 53)) < 0.3).astype(np.uint8)


def test_gray_png_from_opencv_decodes_to_0_1(mask: np.ndarray) -> None:
    for scale in (1, 255):
        ok, data = cv2.imencode(".png", mask * scale)
        assert ok
        decoded = decode_png_mask(data.tobytes())
        assert decoded.dtype == np.uint8 and decoded.shape == mask.shape
        np.testing.assert_array_equal(decoded, mask)


def test_sixteen_bit_value_one_counts_as_inside(mask: np.ndarray) -> None:
    data = _png(53, 37, bit_depth=16, pixels=mask.astype(np.uint16))
    np.testing.assert_array_equal(decode_png_mask(data), mask)


def test_colour_png_is_inside_where_any_colour_channel_is_set(mask: np.ndarray) -> None:
    red_only = np.zeros((37, 53, 3), np.uint8)
    red_only[..., 0] = mask * 200  # R first in the file; OpenCV hands it over last (BGR)
    np.testing.assert_array_equal(
        decode_png_mask(_png(53, 37, colour_type=RGB, pixels=red_only)), mask
    )


def test_alpha_is_ignored(mask: np.ndarray) -> None:
    gray_alpha = np.stack([mask * 255, np.full_like(mask, 255)], axis=-1)
    np.testing.assert_array_equal(
        decode_png_mask(_png(53, 37, colour_type=GRAY_ALPHA, pixels=gray_alpha)), mask
    )
    # Colour set but fully transparent is still inside; opaque black is still outside.
    rgba = np.zeros((37, 53, 4), np.uint8)
    rgba[..., 2] = mask
    rgba[..., 3] = 1 - mask
    np.testing.assert_array_equal(
        decode_png_mask(_png(53, 37, colour_type=RGBA, pixels=rgba)), mask
    )


def test_palette_png_black_index_is_outside(mask: np.ndarray) -> None:
    palette = _chunk(b"PLTE", bytes([0, 0, 0, 255, 255, 255]))
    data = _png(53, 37, colour_type=PALETTE, pixels=mask, extra=palette)
    np.testing.assert_array_equal(decode_png_mask(data), mask)


def test_decompression_bomb_is_refused_from_its_header() -> None:
    bomb = _zero_rows_bomb(8000, 8000)  # 64 megapixels
    assert len(bomb) < 200_000
    assert png_dimensions(bomb) == (8000, 8000)
    with pytest.raises(MaskCodecError, match=r"8000x8000 = 64,000,000 pixels.*limit of 50,000,000"):
        decode_png_mask(bomb)
    # A header claiming a size no decoder could hold, with nothing behind it.
    with pytest.raises(MaskCodecError, match="more than the limit"):
        decode_png_mask(_png(2**31 - 1, 2**31 - 1, idat=b""))
    # The same construction, small enough, is a valid PNG that decodes.
    small = decode_png_mask(_zero_rows_bomb(300, 200))
    assert small.shape == (200, 300) and not small.any()


def test_limit_and_expected_size_apply_to_ordinary_pngs(mask: np.ndarray) -> None:
    ok, data = cv2.imencode(".png", mask)
    assert ok
    png = data.tobytes()
    with pytest.raises(MaskCodecError, match="1,961 pixels, more than the limit of 1,000"):
        decode_png_mask(png, max_pixels=1000)
    assert decode_png_mask(png, max_pixels=37 * 53).shape == (37, 53)
    np.testing.assert_array_equal(decode_png_mask(png, expected_size=(37, 53)), mask)
    with pytest.raises(MaskCodecError, match=r"53x37 .* but the image it belongs to is 37x53"):
        decode_png_mask(png, expected_size=(53, 37))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "not a PNG"),
        (b"GIF89a" + b"\x00" * 40, "not a PNG"),
        (cv2.imencode(".jpg", np.zeros((8, 8), np.uint8))[1].tobytes(), "not a PNG"),
        (b"\x89PNG\r\n\x1a\n", "IHDR header chunk is missing"),
        (
            b"\x89PNG\r\n\x1a\n" + _chunk(b"IEND", b"") + b"\x00" * 20,
            "IHDR header chunk is missing",
        ),
        (_png(0, 10, idat=b""), "empty size"),
        (_png(10, 10, idat=b"this is not zlib data"), "could not be decoded"),
        (_png(10, 10, idat=zlib.compress(b"\x00" * 25)), "could not be decoded"),
    ],
    ids=[
        "empty",
        "gif",
        "jpeg",
        "signature-only",
        "no-ihdr",
        "zero-width",
        "garbage-idat",
        "truncated-idat",
    ],
)
def test_broken_pngs_are_refused_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(MaskCodecError, match=reason):
        decode_png_mask(data)


def test_non_bytes_are_refused() -> None:
    with pytest.raises(MaskCodecError, match="must be bytes"):
        decode_png_mask("\x89PNG")  # type: ignore[arg-type]
