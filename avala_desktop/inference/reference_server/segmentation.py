"""Foreground -> ``segmentation_mask`` (compressed COCO RLE).

GrabCut is initialised with the rectangle of the strongest salient region (grown by a margin)
and run on a small copy of the image; the result is resized back to the original size. Its
confidence is the agreement (IoU) between GrabCut's colour-model answer and the saliency
region it started from: two different cues that agree make a trustworthy mask. With no salient
region, Otsu's threshold on the grey image is the fallback, scored by its separability
(between-class over total variance).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from avala_desktop.core.masks import rle
from avala_desktop.inference.reference_server.asset import LoadedAsset, Pixels
from avala_desktop.inference.reference_server.base import IMAGE_KINDS, Prediction, confidence
from avala_desktop.inference.reference_server.labels import LabelMapper
from avala_desktop.inference.reference_server.regions import Region, salient_regions

GRABCUT_SIDE = 320
GRABCUT_ITERATIONS = 3
RECT_MARGIN = 0.1
MIN_MASK_FRACTION = 0.001


@dataclass(frozen=True, eq=False)
class Foreground:
    mask: Pixels  # original size, 0/1
    score: float


def _region_mask(region: Region, shape: tuple[int, int]) -> Pixels:
    mask = np.zeros(shape, np.uint8)
    cv2.drawContours(mask, [region.contour], -1, 1, thickness=cv2.FILLED)
    return mask


def _grabcut(image: Pixels, region: Region) -> tuple[Pixels, float]:
    """GrabCut mask at the working image's size and its IoU with the seed region."""
    h, w = image.shape[:2]
    shrink = min(1.0, GRABCUT_SIDE / max(h, w))
    small = cv2.resize(image, None, fx=shrink, fy=shrink, interpolation=cv2.INTER_AREA)
    sh, sw = small.shape[:2]
    x, y, rw, rh = region.rect
    mx, my = RECT_MARGIN * rw, RECT_MARGIN * rh
    x0 = max(0, int((x - mx) * shrink))
    y0 = max(0, int((y - my) * shrink))
    x1 = min(sw - 1, int((x + rw + mx) * shrink))
    y1 = min(sh - 1, int((y + rh + my) * shrink))
    seed = _region_mask(region, (h, w))
    if x1 - x0 < 2 or y1 - y0 < 2 or (x0 == 0 and y0 == 0 and x1 == sw - 1 and y1 == sh - 1):
        # GrabCut needs background outside the rectangle; without it the seed is the answer.
        return seed, 0.5
    gc_mask = np.zeros((sh, sw), np.uint8)
    bgd = np.zeros((1, 65), np.float64)
    fgd = np.zeros((1, 65), np.float64)
    cv2.grabCut(
        small,
        gc_mask,
        (x0, y0, x1 - x0, y1 - y0),
        bgd,
        fgd,
        GRABCUT_ITERATIONS,
        cv2.GC_INIT_WITH_RECT,
    )
    small_fg = np.isin(gc_mask, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.uint8)
    fg = cv2.resize(small_fg, (w, h), interpolation=cv2.INTER_NEAREST)
    union = int(np.count_nonzero(fg | seed))
    iou = int(np.count_nonzero(fg & seed)) / union if union else 0.0
    return fg, iou


def _otsu(gray: Pixels) -> tuple[Pixels, float]:
    threshold, binary = cv2.threshold(gray, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    # The minority side is the foreground: a bright object on dark or a dark one on bright.
    if np.count_nonzero(binary) > binary.size / 2:
        binary = 1 - binary
    values = gray.astype(np.float64)
    total_var = float(values.var())
    if total_var == 0:
        return binary, 0.0
    lo, hi = values[gray <= threshold], values[gray > threshold]
    if lo.size == 0 or hi.size == 0:
        return binary, 0.0
    w0, w1 = lo.size / values.size, hi.size / values.size
    between = w0 * w1 * (lo.mean() - hi.mean()) ** 2
    return binary, float(between / total_var)


def segment_foreground(asset: LoadedAsset) -> Foreground | None:
    image = asset.require_image()
    regions = salient_regions(asset)
    if regions:
        mask, score = _grabcut(image, regions[0])
    else:
        mask, score = _otsu(asset.gray)
    if asset.scale != 1.0:
        mask = cv2.resize(mask, (asset.width, asset.height), interpolation=cv2.INTER_NEAREST)
    if np.count_nonzero(mask) < MIN_MASK_FRACTION * mask.size:
        return None
    return Foreground(mask=mask, score=score)


class ForegroundSegmenter:
    name = "segmentation"
    kinds = IMAGE_KINDS

    def predict(self, asset: LoadedAsset, labels: list[str]) -> list[Prediction]:
        label = LabelMapper(labels).resolve("foreground")
        if label is None:
            return []
        found = segment_foreground(asset)
        if found is None:
            return []
        return [
            {
                "type": "segmentation_mask",
                "label": label,
                "confidence": confidence(found.score),
                "rle": rle.encode(found.mask),
            }
        ]


def predict(asset: LoadedAsset, labels: list[str]) -> list[Prediction]:
    return ForegroundSegmenter().predict(asset, labels)
