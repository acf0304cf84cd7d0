"""The predictor interface (one module per prediction type, as in Label Studio's ML backend)."""

from __future__ import annotations

import math
from typing import Any, Protocol

from avala_desktop.core.wire import AssetType
from avala_desktop.inference.reference_server.asset import LoadedAsset

Prediction = dict[str, Any]


class Predictor(Protocol):
    """Turns one decoded asset into wire annotations in the request's labels."""

    name: str
    kinds: frozenset[AssetType]

    def predict(self, asset: LoadedAsset, labels: list[str]) -> list[Prediction]: ...


def sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def clamp01(x: float) -> float:
    return 0.0 if x < 0.0 else 1.0 if x > 1.0 else x


def confidence(x: float) -> float:
    """A finite score in 0..1, rounded so responses stay readable."""
    if not math.isfinite(x):
        raise ValueError(f"confidence {x!r} is not finite")
    return round(clamp01(x), 4)


IMAGE_KINDS = frozenset({AssetType.IMAGE, AssetType.VIDEO_FRAME})
CLOUD_KINDS = frozenset({AssetType.POINT_CLOUD})
