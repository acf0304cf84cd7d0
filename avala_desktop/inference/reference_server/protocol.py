"""What the server accepts (PRODUCT.md §2, read leniently) and how it answers one request.

HTTP-free: the server module turns requests into calls here and exceptions into status codes.
``BadRequest`` -> 400, ``AssetUnavailable`` -> 502.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import cv2
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from avala_desktop.core.wire import AssetType
from avala_desktop.inference.reference_server.asset import (
    AssetDecodeError,
    LoadedAsset,
    decode_asset,
    image_asset,
    sniff_kind,
)
from avala_desktop.inference.reference_server.fetch import FetchError, fetch_asset
from avala_desktop.inference.reference_server.predictors import predict_all

log = logging.getLogger(__name__)


class BadRequest(ValueError):
    """The request is malformed or its asset undecodable (HTTP 400)."""


class AssetUnavailable(RuntimeError):
    """The asset could not be downloaded from ``asset_url`` (HTTP 502)."""


class PredictRequest(BaseModel):
    """A request as the server reads it: everything but ``labels`` may be missing.

    ``asset_url`` is not needed when the asset comes inline (``asset_data``) or as the body of
    a SageMaker binary invocation; ``asset_type`` defaults to what the bytes look like.
    """

    model_config = ConfigDict(extra="ignore")

    asset_id: str = ""
    asset_url: str | None = None
    asset_type: AssetType | None = None
    width: int | None = Field(default=None, gt=0)
    height: int | None = Field(default=None, gt=0)
    labels: list[str]
    asset_data: str | None = None


@dataclass(frozen=True)
class FetchPolicy:
    timeout_s: float = 30.0
    max_bytes: int = 512 * 1024 * 1024
    allow_loopback: bool = True
    verify: bool | str = True


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "body"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


def parse_request(fields: Any) -> PredictRequest:
    if not isinstance(fields, Mapping):
        raise BadRequest(f"the request must be a JSON object, got {type(fields).__name__}")
    try:
        return PredictRequest.model_validate(dict(fields))
    except ValidationError as exc:
        raise BadRequest(f"invalid request: {_describe(exc)}") from exc


def parse_json_body(body: bytes) -> PredictRequest:
    try:
        fields = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(f"the request body is not valid JSON: {exc}") from exc
    return parse_request(fields)


def parse_attributes(header: str | None) -> PredictRequest:
    """Request fields carried as JSON in SageMaker's custom-attributes header."""
    if not header:
        raise BadRequest(
            "a binary invocation needs the request fields (at least labels) as JSON in the "
            "X-Amzn-SageMaker-Custom-Attributes header"
        )
    try:
        fields = json.loads(header)
    except json.JSONDecodeError as exc:
        raise BadRequest(f"X-Amzn-SageMaker-Custom-Attributes is not JSON: {exc}") from exc
    return parse_request(fields)


def _inline_bytes(request: PredictRequest) -> bytes | None:
    if request.asset_data is None:
        return None
    try:
        return base64.b64decode(request.asset_data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadRequest("asset_data is not valid base64") from exc


def _decode(
    request: PredictRequest,
    data: bytes,
    content_type: str | None,
    filename: str | None,
) -> LoadedAsset:
    kind = request.asset_type or sniff_kind(data, content_type)
    try:
        asset = decode_asset(data, kind, filename=filename)
    except AssetDecodeError as exc:
        raise BadRequest(f"the {kind.value} asset cannot be decoded: {exc}") from exc
    return _in_request_pixels(request, asset)


def _in_request_pixels(request: PredictRequest, asset: LoadedAsset) -> LoadedAsset:
    """Answer in the pixel grid the client declared, even when the decoded size differs.

    The client validates every coordinate and mask size against its own width and height
    (e.g. a frame it resized, or EXIF orientation read differently), so predicting on the
    image resized to that grid keeps every annotation inside it.
    """
    if not asset.is_image or request.width is None or request.height is None:
        return asset
    if (asset.width, asset.height) == (request.width, request.height):
        return asset
    log.info(
        "asset %r decodes to %dx%d but the request says %dx%d; predicting at the request's size",
        request.asset_id,
        asset.width,
        asset.height,
        request.width,
        request.height,
    )
    resized = cv2.resize(
        asset.require_image(), (request.width, request.height), interpolation=cv2.INTER_AREA
    )
    return image_asset(resized, asset.kind)


def load_asset(
    request: PredictRequest,
    policy: FetchPolicy,
    *,
    body: bytes | None = None,
    content_type: str | None = None,
) -> LoadedAsset:
    """The asset from the binary body, inline ``asset_data``, or a download of ``asset_url``."""
    if body is not None:
        return _decode(request, body, content_type, None)
    inline = _inline_bytes(request)
    if inline is not None:
        return _decode(request, inline, None, None)
    if not request.asset_url:
        raise BadRequest("the request has neither asset_url nor asset_data")
    try:
        fetched = fetch_asset(
            request.asset_url,
            timeout_s=policy.timeout_s,
            max_bytes=policy.max_bytes,
            allow_loopback=policy.allow_loopback,
            verify=policy.verify,
        )
    except FetchError as exc:
        raise AssetUnavailable(str(exc)) from exc
    return _decode(request, fetched.data, fetched.content_type, fetched.filename)


def answer(request: PredictRequest, asset: LoadedAsset) -> dict[str, Any]:
    """The response document for one decoded asset."""
    annotations = predict_all(asset, request.labels)
    log.debug("asset %r: %d annotations", request.asset_id, len(annotations))
    return {"annotations": annotations}
