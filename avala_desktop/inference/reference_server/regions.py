"""Salient regions -> ``polygon``.

Frequency-tuned saliency (Achanta et al. 2009): the distance of each blurred pixel's Lab colour
from the image's mean colour. Otsu's threshold splits salient from not, morphology closes small
gaps, and each external contour is simplified with approxPolyDP. Confidence blends how convex
the region is (solidity) with how much more salient it is than its surroundings (contrast).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from avala_desktop.inference.reference_server.asset import LoadedAsset, Pixels
from avala_desktop.inference.reference_server.base import IMAGE_KINDS, Prediction, confidence
from avala_desktop.inference.reference_server.labels import LabelMapper

MIN_AREA_FRACTION = 0.002
MAX_AREA_FRACTION = 0.6
MAX_REGIONS = 20
SIMPLIFY_FRACTION = 0.01  # of the contour's perimeter


@dataclass(frozen=True, eq=False)
class Region:
    """A salient region in working-image pixels."""

    contour: Pixels  # (K, 1, 2), simplified
    rect: tuple[int, int, int, int]  # x, y, w, h
    area: float
    solidity: float
    contrast: float

    @property
    def score(self) -> float:
        return 0.5 * self.solidity + 0.5 * self.contrast


def saliency_map(image: Pixels) -> npt.NDArray[np.float32]:
    """Per-pixel saliency scaled to 0..1."""
    blurred = cv2.GaussianBlur(image, (5, 5), 0)
    lab = cv2.cvtColor(blurred, cv2.COLOR_BGR2LAB).astype(np.float32)
    mean = lab.reshape(-1, 3).mean(axis=0)
    sal = np.linalg.norm(lab - mean, axis=2)
    top = float(sal.max())
    return (sal / top).astype(np.float32) if top > 0 else np.zeros(sal.shape, np.float32)


def salient_regions(asset: LoadedAsset) -> list[Region]:
    """Regions sorted best first, at most MAX_REGIONS of them."""
    image = asset.require_image()
    sal = saliency_map(image)
    sal8 = (sal * 255).astype(np.uint8)
    if int(sal8.max()) == int(sal8.min()):
        return []
    _, binary = cv2.threshold(sal8, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    binary = cv2.morphologyEx(binary, cv2.MORPH_OPEN, kernel)
    binary = cv2.morphologyEx(binary, cv2.MORPH_CLOSE, kernel)
    contours, _ = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    total = float(image.shape[0] * image.shape[1])
    inside = binary > 0
    outside_mean = float(sal[~inside].mean()) if (~inside).any() else 0.0
    regions = []
    for contour in contours:
        area = float(cv2.contourArea(contour))
        if not MIN_AREA_FRACTION * total <= area <= MAX_AREA_FRACTION * total:
            continue
        hull_area = float(cv2.contourArea(cv2.convexHull(contour)))
        solidity = area / hull_area if hull_area > 0 else 0.0
        x, y, w, h = cv2.boundingRect(contour)
        mask = np.zeros((h, w), np.uint8)
        cv2.drawContours(mask, [contour - np.array([x, y])], -1, 255, thickness=cv2.FILLED)
        region_mean = float(sal[y : y + h, x : x + w][mask > 0].mean())
        contrast = float(np.clip(region_mean - outside_mean, 0.0, 1.0)) ** 0.5
        simplified = cv2.approxPolyDP(
            contour, SIMPLIFY_FRACTION * cv2.arcLength(contour, True), True
        )
        if len(simplified) < 3:
            continue
        regions.append(Region(simplified, (x, y, w, h), area, solidity, contrast))
    regions.sort(key=lambda r: r.score, reverse=True)
    return regions[:MAX_REGIONS]


class RegionDetector:
    name = "regions"
    kinds = IMAGE_KINDS

    def predict(self, asset: LoadedAsset, labels: list[str]) -> list[Prediction]:
        label = LabelMapper(labels).resolve("region")
        if label is None:
            return []
        s = asset.scale
        return [
            {
                "type": "polygon",
                "label": label,
                "confidence": confidence(region.score),
                "points": [
                    [round(float(px) * s, 2), round(float(py) * s, 2)]
                    for px, py in region.contour.reshape(-1, 2)
                ],
            }
            for region in salient_regions(asset)
        ]


def predict(asset: LoadedAsset, labels: list[str]) -> list[Prediction]:
    return RegionDetector().predict(asset, labels)
