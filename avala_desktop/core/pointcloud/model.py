"""The loaded cloud and the one error type every reader raises."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from avala_desktop.core.errors import FailureCategory


class PointCloudError(Exception):
    """A point cloud file could not be read; ``reason`` says why in words a person can act on."""

    category = FailureCategory.ASSET_UNREADABLE

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"Cannot read point cloud {source}: {reason}")
        self.source = source
        self.reason = reason


class LoadCancelled(PointCloudError):
    """The caller set the cancel event; nothing is wrong with the file."""

    def __init__(self, source: str) -> None:
        super().__init__(source, "loading was cancelled")


@dataclass(frozen=True, eq=False)
class PointCloud:
    """Points in the sensor frame (metres, Z up).

    Arrays may be read-only, strided views into the file's buffer (a binary PCD is not copied);
    call ``np.ascontiguousarray`` before handing them to code that needs contiguous memory.
    Invalid returns of organised clouds stay in place as NaN, as open3d keeps them.
    """

    points: np.ndarray  # float32 (N, 3)
    intensity: np.ndarray | None = None  # float32 (N,)
    colors: np.ndarray | None = None  # uint8 (N, 3) RGB
    width: int = 0  # organised clouds: WIDTH x HEIGHT == N; unorganised: N x 1
    height: int = 1

    def __post_init__(self) -> None:
        if self.points.ndim != 2 or self.points.shape[1] != 3:
            raise ValueError(f"points must be (N, 3), got {self.points.shape}")
        if self.points.dtype != np.float32:
            raise ValueError(f"points must be float32, got {self.points.dtype}")
        n = self.points.shape[0]
        if self.intensity is not None and self.intensity.shape != (n,):
            raise ValueError(f"intensity must be ({n},), got {self.intensity.shape}")
        if self.colors is not None and self.colors.shape != (n, 3):
            raise ValueError(f"colors must be ({n}, 3), got {self.colors.shape}")
        if self.width == 0:
            object.__setattr__(self, "width", n)

    def __len__(self) -> int:
        return int(self.points.shape[0])
