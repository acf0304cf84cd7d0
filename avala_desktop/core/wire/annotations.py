"""The six annotation models as one discriminated union, and the type -> model table."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from avala_desktop.core.wire.base import AnnotationBase
from avala_desktop.core.wire.box3d import BoundingBox3D, Dimensions, Quaternion, Vector3
from avala_desktop.core.wire.common import AnnotationType
from avala_desktop.core.wire.mask import Rle, SegmentationMask
from avala_desktop.core.wire.shapes2d import (
    BoundingBox,
    Classification,
    Coordinates,
    Polygon,
    Polyline,
)

Annotation = Annotated[
    BoundingBox | Polygon | Polyline | SegmentationMask | Classification | BoundingBox3D,
    Field(discriminator="type"),
]

MODEL_BY_TYPE: dict[AnnotationType, type[AnnotationBase]] = {
    AnnotationType.BOUNDING_BOX: BoundingBox,
    AnnotationType.POLYGON: Polygon,
    AnnotationType.POLYLINE: Polyline,
    AnnotationType.SEGMENTATION_MASK: SegmentationMask,
    AnnotationType.CLASSIFICATION: Classification,
    AnnotationType.BOUNDING_BOX_3D: BoundingBox3D,
}

__all__ = [
    "MODEL_BY_TYPE",
    "Annotation",
    "AnnotationBase",
    "AnnotationType",
    "BoundingBox",
    "BoundingBox3D",
    "Classification",
    "Coordinates",
    "Dimensions",
    "Polygon",
    "Polyline",
    "Quaternion",
    "Rle",
    "SegmentationMask",
    "Vector3",
]
