"""A loaded cloud made ready for the 3D views: the full render cloud, colour modes, a decimated
copy for interaction and a cropped neighbourhood for the small orthographic views.

Preparing (``PreparedCloud(cloud)``) copies the points into the rasterizer's layout and colours
them by height; it is pure numpy, so the loader runs it on the worker thread along with the
file read. The derived clouds are made on first use and cached.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

from avala_desktop.canvas.pointcloud_render import (
    RenderCloud,
    colors_by_intensity,
)
from avala_desktop.core.pointcloud import PointCloud

ColorMode = Literal["height", "intensity"]
# Above this many points, camera drags render a strided subset of about this size, and the full
# cloud once the drag ends: a 1 M-point frame (~20-25 ms) keeps an orbit fluid on two cores.
FAST_POINTS = 1_000_000


class PreparedCloud:
    def __init__(self, cloud: PointCloud) -> None:
        # Copies of what the views need, not the PointCloud: its arrays may be views into the
        # whole file buffer (every field of a binary PCD), which would otherwise stay alive.
        self.intensity = None if cloud.intensity is None else \
            np.ascontiguousarray(cloud.intensity, dtype=np.float32)
        self.full = RenderCloud(cloud.points)
        self._height_colors = self.full.colors[:-1].copy()
        self._intensity_colors: np.ndarray | None = None
        self.color_mode: ColorMode = "height"
        self.version = 0  # grows when colours change: cached frames and derived clouds go stale
        self._fast: RenderCloud | None = None
        self._crop: tuple[float, float, float, RenderCloud] | None = None
        self.bounds = _bounds(self.full.points)

    def __len__(self) -> int:
        return len(self.full)

    @property
    def points(self) -> np.ndarray:
        """(N, 3) float32 view of the points."""
        return self.full.points

    @property
    def has_intensity(self) -> bool:
        return self.intensity is not None

    def set_color_mode(self, mode: ColorMode) -> bool:
        """Recolour by height or intensity; False (nothing changes) when the cloud has no
        intensity."""
        if mode == self.color_mode:
            return True
        if mode == "intensity":
            if self.intensity is None:
                return False
            if self._intensity_colors is None:
                self._intensity_colors = colors_by_intensity(self.intensity)
            colors = self._intensity_colors
        elif mode == "height":
            colors = self._height_colors
        else:
            raise ValueError(f"colour mode must be height or intensity, got {mode!r}")
        self.full.set_colors(colors)
        self.color_mode = mode
        self.version += 1
        self._fast = None
        self._crop = None
        return True

    def fast(self) -> RenderCloud:
        """The cloud to draw while the camera moves: itself when small, else a strided subset."""
        if len(self.full) <= FAST_POINTS * 3 // 2:
            return self.full
        if self._fast is None:
            step = math.ceil(len(self.full) / FAST_POINTS)
            self._fast = RenderCloud(self.full.points[::step], self.full.colors[:-1][::step])
        return self._fast

    def around(self, center: np.ndarray, radius: float) -> RenderCloud:
        """The points within ``radius`` metres of ``center`` in x and y (all heights): what a
        small orthographic view of one box can show. Reuses the last crop while it covers the
        request, and crops twice as wide as asked so small pans and edits reuse it too."""
        cx, cy = float(center[0]), float(center[1])
        if self._crop is not None:
            ox, oy, oradius, cached = self._crop
            if max(abs(cx - ox), abs(cy - oy)) + radius <= oradius:
                return cached
        if 2.0 * radius >= max(self.bounds[1][:2] - self.bounds[0][:2]):
            return self.full
        radius *= 2.0
        x, y = self.full.xyz[0], self.full.xyz[1]
        with np.errstate(invalid="ignore"):
            keep = np.abs(x - np.float32(cx)) <= radius
            keep &= np.abs(y - np.float32(cy)) <= radius
        crop = RenderCloud(self.full.points[keep], self.full.colors[:-1][keep])
        self._crop = (cx, cy, radius, crop)
        return crop


def _bounds(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper corners of the finite points (a strided sample of a big cloud)."""
    sample = points[:: max(1, len(points) // 200_000)]
    sample = sample[np.isfinite(sample).all(axis=1)]
    if len(sample) == 0:
        return np.zeros(3), np.ones(3)
    return sample.min(axis=0).astype(np.float64), sample.max(axis=0).astype(np.float64)
