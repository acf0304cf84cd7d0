"""Whole image -> ``classification`` from global statistics.

Three independent axes, each answered only when the request's labels can name it:
- lighting: mean brightness (HSV value) -> ``bright`` (day) vs ``dark`` (night);
- clutter: Canny edge density -> ``busy`` (urban) vs ``plain`` (rural);
- colour: the dominant hue of the saturated pixels -> a colour name.
Each axis turns its statistic into logits and answers with the softmax winner and its
probability, so an image near a boundary gets a confidence near 1 / (number of choices).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import cv2
import numpy as np

from avala_desktop.inference.reference_server.asset import LoadedAsset
from avala_desktop.inference.reference_server.base import IMAGE_KINDS, Prediction, confidence
from avala_desktop.inference.reference_server.labels import LabelMapper

BRIGHTNESS_MIDPOINT = 0.4
BRIGHTNESS_GAIN = 12.0
EDGE_MIDPOINT = 0.04
EDGE_GAIN = 80.0
# OpenCV hue runs 0..180; the centre of each named colour.
HUE_CENTRES = {
    "red": 0.0,
    "orange": 15.0,
    "yellow": 30.0,
    "green": 60.0,
    "cyan": 90.0,
    "blue": 120.0,
    "purple": 145.0,
    "magenta": 165.0,
}
HUE_GAIN = 0.15
MIN_SATURATED_FRACTION = 0.05


def softmax(logits: Mapping[str, float]) -> dict[str, float]:
    top = max(logits.values())
    exp = {k: math.exp(v - top) for k, v in logits.items()}
    total = sum(exp.values())
    return {k: v / total for k, v in exp.items()}


def scene_statistics(asset: LoadedAsset) -> dict[str, float]:
    image = asset.require_image()
    hsv = cv2.cvtColor(image, cv2.COLOR_BGR2HSV)
    brightness = float(hsv[:, :, 2].mean()) / 255.0
    edges = cv2.Canny(asset.gray, 80, 160)
    edge_density = float(np.count_nonzero(edges)) / edges.size
    saturated = (hsv[:, :, 1] > 80) & (hsv[:, :, 2] > 50)
    stats = {"brightness": brightness, "edge_density": edge_density}
    fraction = float(np.count_nonzero(saturated)) / saturated.size
    stats["saturated_fraction"] = fraction
    if fraction >= MIN_SATURATED_FRACTION:
        # Circular mean of hue: OpenCV's 0..180 maps onto the full circle.
        angles = hsv[:, :, 0][saturated].astype(np.float64) * (2 * math.pi / 180.0)
        mean = math.atan2(float(np.sin(angles).mean()), float(np.cos(angles).mean()))
        stats["hue"] = (mean % (2 * math.pi)) * 180.0 / (2 * math.pi)
    return stats


def _hue_logits(hue: float) -> dict[str, float]:
    out = {}
    for name, centre in HUE_CENTRES.items():
        d = abs(hue - centre) % 180.0
        out[name] = -HUE_GAIN * min(d, 180.0 - d) ** 2 / 10.0
    return out


def _answer(mapper: LabelMapper, logits: dict[str, float]) -> Prediction | None:
    """Softmax over the concepts the label set can name; None when it names none."""
    named = {c: v for c, v in logits.items() if mapper.resolve_scene(c) is not None}
    if not named:
        return None
    if len(named) == 1:
        concept, logit = next(iter(named.items()))
        # One nameable side: its probability against the unnamed alternative.
        rest = [v for c, v in logits.items() if c != concept]
        probs = softmax({concept: logit, "_other": max(rest) if rest else 0.0})
    else:
        probs = softmax(named)
        concept = max(probs, key=lambda c: probs[c])
    label = mapper.resolve_scene(concept)
    if label is None:
        return None
    return {"type": "classification", "label": label, "confidence": confidence(probs[concept])}


class SceneClassifier:
    name = "classification"
    kinds = IMAGE_KINDS

    def predict(self, asset: LoadedAsset, labels: list[str]) -> list[Prediction]:
        mapper = LabelMapper(labels)
        stats = scene_statistics(asset)
        b = (stats["brightness"] - BRIGHTNESS_MIDPOINT) * BRIGHTNESS_GAIN
        e = (stats["edge_density"] - EDGE_MIDPOINT) * EDGE_GAIN
        axes = [{"bright": b / 2, "dark": -b / 2}, {"busy": e / 2, "plain": -e / 2}]
        if "hue" in stats:
            axes.append(_hue_logits(stats["hue"]))
        out = []
        seen: set[str] = set()
        for logits in axes:
            answer = _answer(mapper, logits)
            if answer is not None and answer["label"] not in seen:
                seen.add(answer["label"])
                out.append(answer)
        return out


def predict(asset: LoadedAsset, labels: list[str]) -> list[Prediction]:
    return SceneClassifier().predict(asset, labels)
