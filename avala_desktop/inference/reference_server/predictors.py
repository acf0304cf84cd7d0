"""All predictors, and running every one that applies to an asset."""

from __future__ import annotations

from collections.abc import Sequence

from avala_desktop.inference.reference_server.asset import LoadedAsset
from avala_desktop.inference.reference_server.base import Prediction, Predictor
from avala_desktop.inference.reference_server.classify import SceneClassifier
from avala_desktop.inference.reference_server.lines import LineDetector
from avala_desktop.inference.reference_server.people import PeopleDetector
from avala_desktop.inference.reference_server.pointcloud import ObjectBoxer
from avala_desktop.inference.reference_server.regions import RegionDetector
from avala_desktop.inference.reference_server.segmentation import ForegroundSegmenter

PREDICTORS: tuple[Predictor, ...] = (
    PeopleDetector(),
    RegionDetector(),
    ForegroundSegmenter(),
    LineDetector(),
    SceneClassifier(),
    ObjectBoxer(),
)


def predict_all(
    asset: LoadedAsset,
    labels: Sequence[str],
    predictors: Sequence[Predictor] = PREDICTORS,
) -> list[Prediction]:
    """Every applicable predictor's annotations, in predictor order."""
    label_list = list(labels)
    out: list[Prediction] = []
    for predictor in predictors:
        if asset.kind in predictor.kinds:
            out.extend(predictor.predict(asset, label_list))
    return out
