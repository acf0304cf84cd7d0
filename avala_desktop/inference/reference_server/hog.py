"""Histogram-of-oriented-gradients people detector in numpy, laid out exactly as OpenCV's.

OpenCV 5 no longer ships ``cv2.HOGDescriptor``, so this module reproduces its default
configuration (64x128 window, 16x16 blocks at an 8 px stride, 8x8 cells, 9 unsigned bins,
square-root gamma, Gaussian block weighting with sigma 4, trilinear interpolation, L2-Hys) and
its descriptor layout (blocks column-major, cells column-major inside a block), so that the
default people detector's SVM weights apply unchanged. The per-window score is the raw SVM
margin ``w . x + b``; OpenCV calls it the detection weight.

The whole image is described once per pyramid level: every block histogram is computed once
and each window's score is a sum of 105 block dot products, done as shifted whole-map adds.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
import numpy.typing as npt

from avala_desktop.inference.reference_server._hog_people_svm import (
    PEOPLE_SVM_FLOAT32_LE_BASE64,
)
from avala_desktop.inference.reference_server.asset import Pixels

WIN_W, WIN_H = 64, 128
CELL = 8
NBINS = 9
BLOCKS_X = WIN_W // CELL - 1  # 7
BLOCKS_Y = WIN_H // CELL - 1  # 15
BLOCK_LEN = 2 * 2 * NBINS  # 36
DESCRIPTOR_LEN = BLOCKS_X * BLOCKS_Y * BLOCK_LEN  # 3780
L2HYS_THRESHOLD = 0.2

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Detection:
    """A window in input-image pixels with its SVM margin."""

    x: float
    y: float
    width: float
    height: float
    score: float


@lru_cache(maxsize=1)
def people_detector() -> tuple[FloatArray, float]:
    """SVM weights shaped (blocks_y, blocks_x, 36) for whole-map scoring, and the bias."""
    raw = np.frombuffer(base64.b64decode(PEOPLE_SVM_FLOAT32_LE_BASE64), dtype="<f4")
    if raw.size != DESCRIPTOR_LEN + 1:
        raise ValueError(f"people detector has {raw.size} coefficients, expected 3781")
    # OpenCV orders blocks with x outer, y inner; score maps are indexed [y, x].
    weights = raw[:DESCRIPTOR_LEN].reshape(BLOCKS_X, BLOCKS_Y, BLOCK_LEN).transpose(1, 0, 2)
    return np.ascontiguousarray(weights, dtype=np.float32), float(raw[DESCRIPTOR_LEN])


@lru_cache(maxsize=1)
def _quadrant_kernels() -> FloatArray:
    """Per-pixel weights of a 16x16 block, split into its four 8x8 quadrants.

    Shape (qy, qx, cx, cy, 64): the weight with which a pixel of quadrant (qy, qx) feeds cell
    (cx, cy) of the block: a Gaussian centred on the block times bilinear weights between cell
    centres (pixels beyond the outer cell centres keep their partial weight, as in OpenCV).
    """
    idx = np.arange(2 * CELL, dtype=np.float32)
    d = idx - CELL
    gauss = np.exp(-(d[:, None] ** 2 + d[None, :] ** 2) / (2.0 * 4.0**2))
    coord = (idx + 0.5) / CELL - 0.5
    lin = np.stack([np.clip(1.0 - np.abs(coord - c), 0.0, None) for c in (0, 1)])  # (cell, px)
    # full[cx, cy, i, j] = gauss[i, j] * lin[cy, i] * lin[cx, j]
    full = gauss[None, None] * lin[None, :, :, None] * lin[:, None, None, :]
    quads = full.reshape(2, 2, 2, CELL, 2, CELL).transpose(2, 4, 0, 1, 3, 5)
    return np.ascontiguousarray(quads.reshape(2, 2, 2, 2, CELL * CELL), dtype=np.float32)


def _orientation_maps(image: Pixels) -> FloatArray:
    """Gradient magnitude split between the two nearest of 9 unsigned orientation bins."""
    f = np.sqrt(image.astype(np.float32))  # OpenCV's gamma correction
    # OpenCV prefers R, then G, then B when the channels' magnitudes tie.
    f = f[:, :, None] if f.ndim == 2 else f[:, :, ::-1]
    p = np.pad(f, ((1, 1), (1, 1), (0, 0)), mode="reflect")
    dx = p[1:-1, 2:] - p[1:-1, :-2]
    dy = p[2:, 1:-1] - p[:-2, 1:-1]
    if dx.shape[2] > 1:
        best = np.argmax(dx * dx + dy * dy, axis=2)[:, :, None]
        dx = np.take_along_axis(dx, best, axis=2)
        dy = np.take_along_axis(dy, best, axis=2)
    dx, dy = dx[:, :, 0], dy[:, :, 0]
    mag = np.sqrt(dx * dx + dy * dy)
    angle = np.mod(np.arctan2(dy, dx), 2 * np.pi) * (NBINS / np.pi) - 0.5
    lo = np.floor(angle)
    frac = (angle - lo).astype(np.float32)
    lo_bin = np.mod(lo.astype(np.int64), NBINS)
    hi_bin = np.mod(lo_bin + 1, NBINS)
    out = np.zeros((*mag.shape, NBINS), dtype=np.float32)
    np.put_along_axis(out, lo_bin[:, :, None], (mag * (1.0 - frac))[:, :, None], axis=2)
    np.put_along_axis(out, hi_bin[:, :, None], (mag * frac)[:, :, None], axis=2)
    return out


def block_features(image: Pixels) -> FloatArray:
    """L2-Hys normalised block histograms, shape (blocks_y, blocks_x, 36), at an 8 px stride."""
    h, w = image.shape[:2]
    ncy, ncx = h // CELL, w // CELL
    if ncy < 2 or ncx < 2:
        return np.zeros((0, 0, BLOCK_LEN), dtype=np.float32)
    binned = _orientation_maps(image)[: ncy * CELL, : ncx * CELL]
    # (pixel-in-cell, cell y, cell x, bin) as one matrix, so the weighting is a single GEMM.
    cells = binned.reshape(ncy, CELL, ncx, CELL, NBINS).transpose(1, 3, 0, 2, 4)
    cells = np.ascontiguousarray(cells).reshape(CELL * CELL, ncy * ncx * NBINS)
    kernels = _quadrant_kernels().reshape(16, CELL * CELL)
    # per_cell[k, y, x, bin]: cell (y, x) weighted as quadrant/cell combination k
    per_cell = (kernels @ cells).reshape(2, 2, 2, 2, ncy, ncx, NBINS)
    nby, nbx = ncy - 1, ncx - 1
    blocks = np.zeros((nby, nbx, 2, 2, NBINS), dtype=np.float32)
    for qy in range(2):
        for qx in range(2):
            blocks += per_cell[qy, qx, :, :, qy : qy + nby, qx : qx + nbx].transpose(2, 3, 0, 1, 4)
    flat = blocks.reshape(nby, nbx, BLOCK_LEN)
    norm = np.sqrt(np.sum(flat * flat, axis=2, keepdims=True)) + 0.1 * BLOCK_LEN
    flat = np.minimum(flat / norm, L2HYS_THRESHOLD)
    norm = np.sqrt(np.sum(flat * flat, axis=2, keepdims=True)) + 1e-3
    return (flat / norm).astype(np.float32)


def window_scores(features: FloatArray) -> FloatArray:
    """SVM margin of every 64x128 window whose top-left corner sits on the 8 px cell grid."""
    weights, bias = people_detector()
    nby, nbx = features.shape[:2]
    ny, nx = nby - BLOCKS_Y + 1, nbx - BLOCKS_X + 1
    if ny <= 0 or nx <= 0:
        return np.zeros((0, 0), dtype=np.float32)
    # per_block[y, x, by, bx] = features[y, x] . weights[by, bx]
    flat_w = weights.reshape(BLOCKS_Y * BLOCKS_X, BLOCK_LEN)
    per_block = (features.reshape(nby * nbx, BLOCK_LEN) @ flat_w.T).reshape(
        nby, nbx, BLOCKS_Y, BLOCKS_X
    )
    scores = np.full((ny, nx), bias, dtype=np.float32)
    for by in range(BLOCKS_Y):
        for bx in range(BLOCKS_X):
            scores += per_block[by : by + ny, bx : bx + nx, by, bx]
    return scores


def descriptor(window: Pixels) -> FloatArray:
    """The 3,780-value descriptor of one 64x128 window, in OpenCV's order (for checks)."""
    if window.shape[:2] != (WIN_H, WIN_W):
        raise ValueError(f"a HOG window is {WIN_W}x{WIN_H} pixels, got {window.shape[1::-1]}")
    feats = block_features(window)  # (15, 7, 36)
    return np.ascontiguousarray(feats.transpose(1, 0, 2)).reshape(-1)


def detect_multiscale(
    image: Pixels,
    *,
    hit_threshold: float = 0.0,
    scale_step: float = 1.05,
    padding: int = 16,
    max_levels: int = 64,
) -> list[Detection]:
    """Every window above ``hit_threshold`` over an image pyramid, before grouping."""
    padded = cv2.copyMakeBorder(image, padding, padding, padding, padding, cv2.BORDER_REFLECT_101)
    h, w = padded.shape[:2]
    found: list[Detection] = []
    scale = 1.0
    for _ in range(max_levels):
        sw, sh = round(w / scale), round(h / scale)
        if sw < WIN_W or sh < WIN_H:
            break
        level = (
            padded if scale == 1.0 else cv2.resize(padded, (sw, sh), interpolation=cv2.INTER_LINEAR)
        )
        scores = window_scores(block_features(level))
        ys, xs = np.nonzero(scores > hit_threshold)
        for y, x in zip(ys.tolist(), xs.tolist(), strict=True):
            found.append(
                Detection(
                    x=x * CELL * scale - padding,
                    y=y * CELL * scale - padding,
                    width=WIN_W * scale,
                    height=WIN_H * scale,
                    score=float(scores[y, x]),
                )
            )
        scale *= scale_step
    return found
