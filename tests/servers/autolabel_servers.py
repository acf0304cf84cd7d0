"""Responders for auto-label tests, on top of `tests.servers.https_model_server.ModelServer`.

    server.default = by_asset({asset_id: invalid_json(), ...}, default=ok_json())
    server.route("/masks/ok.png", png_response(png_mask(h, w)))
    server.route("/masks/bomb.png", png_response(png_bomb()))
    server.default = from_asset_bytes()      # deterministic predictions from the asset's bytes
    server.default = Counting(ok_json())     # .peak: most requests ever in flight at once

`by_asset` picks a responder per request by the request JSON's `asset_id`, so one run can
meet a different hostile behaviour on every asset.
"""

from __future__ import annotations

import functools
import hashlib
import struct
import threading
import time
import zlib
from typing import Any

import cv2
import numpy as np

from tests.servers.https_model_server import (
    RecordedRequest,
    Responder,
    ScriptHandler,
    json_response,
)


def by_asset(routes: dict[str, Responder], default: Responder) -> Responder:
    def respond(handler: ScriptHandler, request: RecordedRequest) -> None:
        asset_id = request.json.get("asset_id") if isinstance(request.json, dict) else None
        routes.get(str(asset_id), default)(handler, request)

    return respond


def png_mask(height: int, width: int, box: tuple[int, int, int, int] = (2, 2, 6, 5)) -> bytes:
    """A single-channel PNG, non-zero inside the (x, y, w, h) box."""
    mask = np.zeros((height, width), np.uint8)
    x, y, w, h = box
    mask[y : y + h, x : x + w] = 255
    ok, encoded = cv2.imencode(".png", mask)
    assert ok
    return encoded.tobytes()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@functools.lru_cache(maxsize=2)
def png_bomb(side: int = 10_000) -> bytes:
    """A real, valid 1-bit PNG of side x side black pixels: a few kilobytes that inflate to
    side * side / 8 bytes of scanlines (100 M pixels by default, twice the decoder's limit)."""
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    packer = zlib.compressobj(9)
    row = bytes(1 + (side + 7) // 8)  # filter byte + packed pixels
    rows_per_piece = 1000
    body = b"".join(
        packer.compress(row * min(rows_per_piece, side - start))
        for start in range(0, side, rows_per_piece)
    ) + packer.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", body)
        + _chunk(b"IEND", b"")
    )


def png_response(data: bytes) -> Responder:
    def respond(handler: ScriptHandler, request: RecordedRequest) -> None:
        handler.send_body(200, data, "image/png")

    return respond


def from_asset_bytes(delay_s: float = 0.0, label: str = "object") -> Responder:
    """Predictions that depend only on the asset's content (the server must fetch assets):
    the same image gets the same boxes in any project, whatever its asset id."""

    def respond(handler: ScriptHandler, request: RecordedRequest) -> None:
        if delay_s and handler.server.owner.stopping.wait(delay_s):
            handler.close_connection = True
            return
        digest = hashlib.sha256(request.asset_bytes or b"").digest()
        annotations: list[dict[str, Any]] = [
            {
                "type": "bounding_box",
                "label": label,
                "confidence": 0.5 + digest[i] / 512,
                "coordinates": {"x": digest[i + 1] % 20, "y": digest[i + 2] % 20,
                                "width": 1 + digest[i + 3] % 9, "height": 1 + digest[i + 4] % 9},
            }
            for i in range(0, 15, 5)
        ]
        json_response({"annotations": annotations})(handler, request)

    return respond


class Counting:
    """Wraps a responder and records the most requests it ever had in flight at once."""

    def __init__(self, inner: Responder, delay_s: float = 0.0) -> None:
        self.inner = inner
        self.delay_s = delay_s
        self.peak = 0
        self._now = 0
        self._lock = threading.Lock()

    def __call__(self, handler: ScriptHandler, request: RecordedRequest) -> None:
        with self._lock:
            self._now += 1
            self.peak = max(self.peak, self._now)
        try:
            if self.delay_s:
                time.sleep(self.delay_s)
            self.inner(handler, request)
        finally:
            with self._lock:
                self._now -= 1

