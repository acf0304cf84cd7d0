"""The bundled reference model server: classical computer vision, no downloaded weights.

One module per prediction type, each a predictor with ``predict(asset, labels) -> list[dict]``
(people, regions, segmentation, lines, classify, pointcloud); ``server`` speaks the app's
protocol and the SageMaker container contract over HTTP(S).
"""

from avala_desktop.inference.reference_server.asset import LoadedAsset, decode_asset, image_asset
from avala_desktop.inference.reference_server.predictors import PREDICTORS, predict_all
from avala_desktop.inference.reference_server.server import ReferenceModelServer

__all__ = [
    "PREDICTORS",
    "LoadedAsset",
    "ReferenceModelServer",
    "decode_asset",
    "image_asset",
    "predict_all",
]
