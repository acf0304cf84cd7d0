"""People -> ``bounding_box``: the Dalal-Triggs HOG detector with OpenCV's default weights.

Windows over the pyramid with a margin of at least ``HIT_THRESHOLD`` are grouped as OpenCV's
``groupRectangles`` does (similar rectangles within 20 % join; a group needs ``MIN_HITS``
windows), then nested or heavily overlapping groups are suppressed. Confidence is the logistic
of the group's best SVM margin: a group at the hit threshold scores 0.62, a clear person > 0.9.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from avala_desktop.inference.reference_server import hog
from avala_desktop.inference.reference_server.asset import LoadedAsset
from avala_desktop.inference.reference_server.base import (
    IMAGE_KINDS,
    Prediction,
    confidence,
    sigmoid,
)
from avala_desktop.inference.reference_server.labels import LabelMapper

GROUP_EPS = 0.2
MIN_HITS = 3
# Windows count only from this SVM margin up: OpenCV's default of 0 lets weakly positive
# windows on strong edges pile up into false groups, most of all on large images.
HIT_THRESHOLD = 0.5
MAX_PEOPLE = 50
# Smaller images than the 64x128 window are upscaled so a small person can still be found.
MIN_SIDE_FOR_DETECTION = 160
# The pyramid's cost grows with the pixel count; a person under ~50 px tall at this size is
# below what a 64x128 window finds anyway.
MAX_SIDE_FOR_DETECTION = 800


@dataclass(frozen=True)
class PersonBox:
    x: float
    y: float
    width: float
    height: float
    score: float
    hits: int


def _similar(a: hog.Detection, b: hog.Detection) -> bool:
    delta = GROUP_EPS * (min(a.width, b.width) + min(a.height, b.height)) * 0.5
    return (
        abs(a.x - b.x) <= delta
        and abs(a.y - b.y) <= delta
        and abs(a.x + a.width - b.x - b.width) <= delta
        and abs(a.y + a.height - b.y - b.height) <= delta
    )


def group_detections(found: list[hog.Detection], min_hits: int = MIN_HITS) -> list[PersonBox]:
    """Cluster similar windows, average each cluster, keep the best margin as its score."""
    parent = list(range(len(found)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(found)):
        for j in range(i + 1, len(found)):
            if _similar(found[i], found[j]):
                parent[root(i)] = root(j)
    clusters: dict[int, list[hog.Detection]] = {}
    for i, det in enumerate(found):
        clusters.setdefault(root(i), []).append(det)
    boxes = []
    for members in clusters.values():
        if len(members) < min_hits:
            continue
        arr = np.array([[d.x, d.y, d.width, d.height] for d in members])
        x, y, w, h = arr.mean(axis=0).tolist()
        boxes.append(PersonBox(x, y, w, h, max(d.score for d in members), len(members)))
    return _suppress(sorted(boxes, key=lambda b: b.score, reverse=True))


def _suppress(boxes: list[PersonBox], max_overlap: float = 0.5) -> list[PersonBox]:
    kept: list[PersonBox] = []
    for box in boxes:
        if all(_overlap(box, other) < max_overlap for other in kept):
            kept.append(box)
    return kept


def _overlap(a: PersonBox, b: PersonBox) -> float:
    """Intersection over the smaller box, so a box nested in another counts as a duplicate."""
    ix = max(0.0, min(a.x + a.width, b.x + b.width) - max(a.x, b.x))
    iy = max(0.0, min(a.y + a.height, b.y + b.height) - max(a.y, b.y))
    smaller = min(a.width * a.height, b.width * b.height)
    return (ix * iy) / smaller if smaller > 0 else 0.0


def detect_people(asset: LoadedAsset) -> list[PersonBox]:
    """People in original-image pixels, clipped to the image."""
    image = asset.require_image()
    up = 1.0
    shortest, longest = min(image.shape[:2]), max(image.shape[:2])
    if shortest < MIN_SIDE_FOR_DETECTION:
        up = MIN_SIDE_FOR_DETECTION / shortest
        image = cv2.resize(image, None, fx=up, fy=up, interpolation=cv2.INTER_LINEAR)
    elif longest > MAX_SIDE_FOR_DETECTION:
        up = MAX_SIDE_FOR_DETECTION / longest
        image = cv2.resize(image, None, fx=up, fy=up, interpolation=cv2.INTER_AREA)
    groups = group_detections(hog.detect_multiscale(image, hit_threshold=HIT_THRESHOLD))[
        :MAX_PEOPLE
    ]
    factor = asset.scale / up
    out = []
    for g in groups:
        x0 = max(0.0, g.x * factor)
        y0 = max(0.0, g.y * factor)
        x1 = min(float(asset.width), (g.x + g.width) * factor)
        y1 = min(float(asset.height), (g.y + g.height) * factor)
        if x1 - x0 >= 1.0 and y1 - y0 >= 1.0:
            out.append(PersonBox(x0, y0, x1 - x0, y1 - y0, g.score, g.hits))
    return out


class PeopleDetector:
    name = "people"
    kinds = IMAGE_KINDS

    def predict(self, asset: LoadedAsset, labels: list[str]) -> list[Prediction]:
        label = LabelMapper(labels).resolve("person")
        if label is None:
            return []
        return [
            {
                "type": "bounding_box",
                "label": label,
                "confidence": confidence(sigmoid(box.score)),
                "coordinates": {
                    "x": round(box.x, 2),
                    "y": round(box.y, 2),
                    "width": round(box.width, 2),
                    "height": round(box.height, 2),
                },
            }
            for box in detect_people(asset)
        ]


def predict(asset: LoadedAsset, labels: list[str]) -> list[Prediction]:
    return PeopleDetector().predict(asset, labels)
