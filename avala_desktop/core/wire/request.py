"""The request the app sends to a model endpoint (PRODUCT.md §2)."""

from __future__ import annotations

import base64
import binascii
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

PositiveInt = Annotated[int, Field(gt=0, strict=True)]


class AssetType(StrEnum):
    IMAGE = "image"
    POINT_CLOUD = "point_cloud"
    VIDEO_FRAME = "video_frame"

    @property
    def has_pixels(self) -> bool:
        return self is not AssetType.POINT_CLOUD


class InferenceRequest(BaseModel):
    """One asset to annotate.

    ``width``/``height`` are required for images and video frames and absent for point
    clouds. ``asset_data`` carries the asset itself, base64-encoded, for endpoints that cannot
    fetch ``asset_url`` (SageMaker in JSON mode).
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    asset_id: Annotated[str, Field(min_length=1)]
    asset_url: str
    asset_type: AssetType
    width: PositiveInt | None = None
    height: PositiveInt | None = None
    labels: list[str]
    asset_data: str | None = None

    @model_validator(mode="after")
    def _size_matches_type(self) -> InferenceRequest:
        if self.asset_type.has_pixels:
            if self.width is None or self.height is None:
                raise ValueError(f"a {self.asset_type.value} request needs width and height")
        elif self.width is not None or self.height is not None:
            raise ValueError("a point_cloud request has no width or height")
        return self

    def to_wire(self) -> dict[str, Any]:
        """The JSON body: absent fields (point cloud size, asset_data) are left out."""
        return self.model_dump(mode="json", exclude_none=True)

    def asset_bytes(self) -> bytes | None:
        """The decoded ``asset_data``; ValueError when it is not valid base64."""
        if self.asset_data is None:
            return None
        try:
            return base64.b64decode(self.asset_data, validate=True)
        except binascii.Error as error:
            raise ValueError(f"asset_data is not valid base64: {error}") from error
