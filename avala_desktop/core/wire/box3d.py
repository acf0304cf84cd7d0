"""3D bounding box in the point cloud's own frame (metres, Z up; PRODUCT.md §3)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import field_validator, model_validator

from avala_desktop.core.wire.base import AnnotationBase, WireModel
from avala_desktop.core.wire.common import AnnotationType, Finite, PositiveFinite, merge_alias
from avala_desktop.core.wire.rotation import read_rotation


class Vector3(WireModel):
    x: Finite
    y: Finite
    z: Finite


class Dimensions(WireModel):
    """Length along the heading (x at yaw 0), width along y, height along z."""

    l: PositiveFinite  # noqa: E741 - the wire name
    w: PositiveFinite
    h: PositiveFinite

    @model_validator(mode="before")
    @classmethod
    def _long_names(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name, alias in (("l", "length"), ("w", "width"), ("h", "height")):
                data = merge_alias(data, name, alias, where="dimensions")
        return data


class Quaternion(WireModel):
    """A unit quaternion; built only through `read_rotation`, which normalises it."""

    w: float
    x: float
    y: float
    z: float


class BoundingBox3D(AnnotationBase):
    type: Literal[AnnotationType.BOUNDING_BOX_3D] = AnnotationType.BOUNDING_BOX_3D
    center: Vector3
    dimensions: Dimensions
    rotation: Quaternion

    @field_validator("rotation", mode="plain")
    @classmethod
    def _rotation(cls, value: Any) -> Quaternion:
        if isinstance(value, Quaternion):
            value = value.model_dump()
        w, x, y, z = read_rotation(value)
        return Quaternion(w=w, x=x, y=y, z=z)

    def geometry_dict(self) -> dict[str, Any]:
        c, d, r = self.center, self.dimensions, self.rotation
        return {
            "center": {"x": c.x, "y": c.y, "z": c.z},
            "dimensions": {"l": d.l, "w": d.w, "h": d.h},
            "rotation": {"w": r.w, "x": r.x, "y": r.y, "z": r.z},
        }
