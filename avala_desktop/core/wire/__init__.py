"""The strict wire format between the app and model endpoints (PRODUCT.md §2-3).

The models here are also the canonical annotation form of storage and export
(docs/CONTRACTS.md): `Annotation.geometry_dict()` is what the store keeps.
"""

from avala_desktop.core.wire.annotations import (
    MODEL_BY_TYPE,
    Annotation,
    AnnotationBase,
    BoundingBox,
    BoundingBox3D,
    Classification,
    Coordinates,
    Dimensions,
    Polygon,
    Polyline,
    Quaternion,
    Rle,
    SegmentationMask,
    Vector3,
)
from avala_desktop.core.wire.common import AnnotationType
from avala_desktop.core.wire.errors import (
    AnnotationInvalid,
    AnnotationProblem,
    ResponseError,
    ResponseErrorKind,
)
from avala_desktop.core.wire.parse import (
    DEFAULT_MAX_BYTES,
    ParsedResponse,
    annotation_from_stored,
    parse_annotation,
    parse_response,
)
from avala_desktop.core.wire.request import AssetType, InferenceRequest
from avala_desktop.core.wire.rotation import quaternion_from_yaw_pitch_roll

__all__ = [
    "DEFAULT_MAX_BYTES",
    "MODEL_BY_TYPE",
    "Annotation",
    "AnnotationBase",
    "AnnotationInvalid",
    "AnnotationProblem",
    "AnnotationType",
    "AssetType",
    "BoundingBox",
    "BoundingBox3D",
    "Classification",
    "Coordinates",
    "Dimensions",
    "InferenceRequest",
    "ParsedResponse",
    "Polygon",
    "Polyline",
    "Quaternion",
    "ResponseError",
    "ResponseErrorKind",
    "Rle",
    "SegmentationMask",
    "Vector3",
    "annotation_from_stored",
    "parse_annotation",
    "parse_response",
    "quaternion_from_yaw_pitch_roll",
]
