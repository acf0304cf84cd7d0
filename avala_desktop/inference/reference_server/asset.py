"""The decoded asset every predictor receives, and the decoding from bytes.

Images and video frames become a BGR uint8 array; point clouds become (N, 3) float32 points in
the sensor frame. Very large images are downscaled once here for the detectors; predictors
work in the working image's pixels and multiply by ``scale`` to answer in the original's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from avala_desktop.core.wire import AssetType
from avala_desktop.inference.reference_server.point_clouds import (
    PointCloudDecodeError,
    read_point_cloud,
)

# cv2 returns loosely typed arrays; every image here is uint8 (H, W[, 3]) all the same.
Pixels = npt.NDArray[Any]

# Detectors run on at most this many pixels along the longer side; coordinates are scaled back.
MAX_WORKING_SIDE = 1024
# cv2.imdecode would happily allocate gigabytes for a hostile header; refuse before that.
MAX_IMAGE_PIXELS = 100_000_000


class AssetDecodeError(ValueError):
    """The bytes are not an asset of the declared kind; the message says what was wrong."""


@dataclass(frozen=True, eq=False)
class LoadedAsset:
    """One decoded asset. ``image`` is set for images and video frames, ``points`` for clouds."""

    kind: AssetType
    image: Pixels | None = field(default=None, repr=False)
    points: npt.NDArray[np.float32] | None = field(default=None, repr=False)
    # Size of the original image; ``image`` may be a downscaled working copy.
    width: int = 0
    height: int = 0
    # Multiply working-image coordinates by this to get original-image pixels.
    scale: float = 1.0

    @property
    def is_image(self) -> bool:
        return self.kind in (AssetType.IMAGE, AssetType.VIDEO_FRAME)

    def require_image(self) -> Pixels:
        if self.image is None:
            raise ValueError(f"a {self.kind.value} asset has no image")
        return self.image

    def require_points(self) -> npt.NDArray[np.float32]:
        if self.points is None:
            raise ValueError(f"a {self.kind.value} asset has no points")
        return self.points

    @property
    def gray(self) -> Pixels:
        image = self.require_image()
        return image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def image_asset(
    image: Pixels,
    kind: AssetType = AssetType.IMAGE,
    *,
    max_side: int = MAX_WORKING_SIDE,
) -> LoadedAsset:
    """Wrap a BGR (or grey) image, downscaling a copy for the detectors when it is large."""
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    elif image.ndim == 3 and image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    height, width = image.shape[:2]
    scale = 1.0
    working = image
    longest = max(width, height)
    if longest > max_side:
        scale = longest / max_side
        size = (max(1, round(width / scale)), max(1, round(height / scale)))
        working = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return LoadedAsset(kind=kind, image=working, width=width, height=height, scale=scale)


def decode_image(data: bytes, kind: AssetType = AssetType.IMAGE) -> LoadedAsset:
    if not data:
        raise AssetDecodeError("the image is empty (0 bytes)")
    buffer = np.frombuffer(data, dtype=np.uint8)
    image = cv2.imdecode(buffer, cv2.IMREAD_COLOR)
    if image is None:
        raise AssetDecodeError(
            f"the {len(data)} bytes are not an image OpenCV can decode (PNG, JPEG, BMP, TIFF, WebP)"
        )
    if image.shape[0] * image.shape[1] > MAX_IMAGE_PIXELS:
        raise AssetDecodeError(
            f"the image is {image.shape[1]}x{image.shape[0]} pixels, more than this server accepts"
        )
    return image_asset(image, kind)


def decode_asset(data: bytes, kind: AssetType, *, filename: str | None = None) -> LoadedAsset:
    """Decode bytes as the declared kind; raises AssetDecodeError with a reason."""
    if kind is AssetType.POINT_CLOUD:
        try:
            points = read_point_cloud(data, filename=filename)
        except PointCloudDecodeError as exc:
            raise AssetDecodeError(str(exc)) from exc
        return LoadedAsset(kind=kind, points=points)
    return decode_image(data, kind)


def sniff_kind(data: bytes, content_type: str | None) -> AssetType:
    """Guess the asset kind of a binary payload that did not say what it is."""
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype.startswith("image/"):
        return AssetType.IMAGE
    head = data[:64]
    if head.startswith((b"# .PCD", b"VERSION", b"FIELDS", b"ply\n", b"ply\r\n")):
        return AssetType.POINT_CLOUD
    if ctype in ("application/x-pcd", "application/pcd", "application/x-ply"):
        return AssetType.POINT_CLOUD
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"BM", b"II*\x00", b"MM\x00*", b"RIFF")):
        return AssetType.IMAGE
    # KITTI .bin has no header; a float32 x,y,z,i stream is all that is left to try.
    if len(data) >= 16 and len(data) % 16 == 0:
        return AssetType.POINT_CLOUD
    return AssetType.IMAGE
