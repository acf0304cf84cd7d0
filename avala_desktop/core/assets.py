"""The bytes a model receives for an asset, with their content type."""

from __future__ import annotations

import cv2

from avala_desktop.core.discovery import Unreadable, image_content_type, read_video_frame
from avala_desktop.core.errors import FailureCategory, InferenceFailure
from avala_desktop.core.store.project_store import ProjectStore
from avala_desktop.core.store.records import Asset

_SUFFIX_TYPES = {
    ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".bmp": "image/bmp",
    ".tif": "image/tiff", ".tiff": "image/tiff", ".webp": "image/webp",
}  # fmt: skip
POINT_CLOUD_TYPE = "application/octet-stream"


def load_asset_bytes(store: ProjectStore, asset: Asset) -> tuple[bytes, str]:
    """Image: the file as it is; point cloud: the file as octet-stream; video frame: that frame
    decoded with OpenCV and encoded as PNG. Raises InferenceFailure(ASSET_UNREADABLE)."""
    path = store.asset_abspath(asset)
    try:
        if asset.type == "video_frame":
            if asset.frame_index is None:
                raise Unreadable("the video frame has no frame index")
            frame = read_video_frame(path, asset.frame_index)
            ok, encoded = cv2.imencode(".png", frame)
            if not ok:
                raise Unreadable(f"frame {asset.frame_index} could not be encoded as PNG")
            return encoded.tobytes(), "image/png"
        data = path.read_bytes()
    except Unreadable as exc:
        raise _unreadable(asset, str(exc)) from None
    except OSError as exc:
        raise _unreadable(asset, f"it could not be read ({exc.strerror or exc})") from None
    if asset.type == "point_cloud":
        return data, POINT_CLOUD_TYPE
    # The signature wins over the name: a PNG saved as .jpg is still sent as image/png.
    content_type = image_content_type(data[:64]) or _SUFFIX_TYPES.get(path.suffix.lower())
    if content_type is None:
        raise _unreadable(asset, "it is not a JPEG, PNG, BMP, TIFF or WebP image")
    return data, content_type


def _unreadable(asset: Asset, reason: str) -> InferenceFailure:
    return InferenceFailure(
        FailureCategory.ASSET_UNREADABLE,
        f"Asset {asset.display_name} cannot be sent to the model: {reason}. Check that the file "
        f"is still in place and intact.",
        detail={"asset_id": asset.id},
    )
