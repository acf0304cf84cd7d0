"""The assets a run has in flight: their bytes, their request, and the URL server's resolver.

A worker reads an asset once (a video frame is decoded once) and parks the bytes here while
its request is out; the run's asset server answers the model's download from that copy. So
memory holds at most `concurrency` assets whatever the project's size, and an unreadable
asset fails as `asset_unreadable` before anything is sent.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from avala_desktop.core.assets import load_asset_bytes
from avala_desktop.core.discovery import Unreadable, image_size
from avala_desktop.core.errors import FailureCategory, InferenceFailure
from avala_desktop.core.masks import MaskCodecError, png_dimensions
from avala_desktop.core.store import Asset, ProjectStore
from avala_desktop.core.wire import AssetType, InferenceRequest


class InflightAssets:
    """Bytes of the assets being processed, keyed by asset id; thread-safe."""

    def __init__(self, store: ProjectStore) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._held: dict[str, tuple[bytes, str]] = {}

    @contextmanager
    def hold(self, asset: Asset) -> Iterator[tuple[bytes, str]]:
        """Load the asset's bytes (InferenceFailure ASSET_UNREADABLE) and serve them from
        memory until the block ends."""
        data, content_type = load_asset_bytes(self._store, asset)
        with self._lock:
            self._held[asset.id] = (data, content_type)
        try:
            yield data, content_type
        finally:
            with self._lock:
                self._held.pop(asset.id, None)

    def resolve(self, asset_id: str) -> tuple[bytes, str] | None:
        """The asset server's resolver: the parked copy, else the project's file (a model may
        download again after its answer, e.g. a retried request)."""
        with self._lock:
            held = self._held.get(asset_id)
        if held is not None:
            return held
        asset = self._store.asset(asset_id)
        if asset is None:
            return None
        return load_asset_bytes(self._store, asset)

    def __len__(self) -> int:
        with self._lock:
            return len(self._held)


def pixel_size(store: ProjectStore, asset: Asset, data: bytes) -> tuple[int, int] | None:
    """(width, height) for images and video frames, None for point clouds. The store's size
    (read when the asset was added) wins; an asset added without one is measured now."""
    if asset.type == AssetType.POINT_CLOUD.value:
        return None
    if asset.width and asset.height:
        return int(asset.width), int(asset.height)
    try:
        if asset.type == AssetType.VIDEO_FRAME.value:
            # load_asset_bytes hands a video frame over as PNG: its header has the size.
            height, width = png_dimensions(data)
            return width, height
        return image_size(store.asset_abspath(asset))
    except (Unreadable, MaskCodecError, OSError) as exc:
        raise InferenceFailure(
            FailureCategory.ASSET_UNREADABLE,
            f"The size of {asset.display_name} cannot be read ({exc}); check that the file is "
            "intact.",
            detail={"asset_id": asset.id},
        ) from None


def build_request(
    store: ProjectStore, asset: Asset, data: bytes, url: str, labels: Sequence[str]
) -> InferenceRequest:
    size = pixel_size(store, asset, data)
    return InferenceRequest(
        asset_id=asset.id,
        asset_url=url,
        asset_type=AssetType(asset.type),
        width=size[0] if size else None,
        height=size[1] if size else None,
        labels=list(labels),
    )
