"""How the top, side and front views of the 3D page frame the scene (no Qt here).

With a box selected, an orthographic view is centred on the box and turned with it, at a scale
that shows the box with room around it; with nothing selected, the top view shows the whole
cloud from above. On top of either goes the zoom and pan the person applied (`OrthoAdjust`),
which the view keeps until the selection changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from avala_desktop.core.camera3d import OrthoCamera, OrthoView
from avala_desktop.core.geometry3d import Cuboid


@dataclass
class OrthoAdjust:
    """What the person did to an orthographic view since the selection last changed."""

    zoom: float = 1.0
    pan: np.ndarray = field(default_factory=lambda: np.zeros(3))

    def pan_by(self, camera: OrthoCamera, dx: float, dy: float) -> None:
        """Move the view by (dx, dy) screen pixels."""
        self.pan = self.pan + (camera.panned(dx, dy).center - camera.center)

    def zoom_by(self, camera: OrthoCamera, factor: float, anchor: np.ndarray) -> None:
        """Zoom by `factor`, keeping the scene point `anchor` where it is on the screen."""
        self.zoom *= factor
        self.pan = self.pan + (anchor - (anchor - camera.center) / factor) - camera.center


def box_camera(kind: OrthoView, box: Cuboid, fit_dims: np.ndarray | None, adjust: OrthoAdjust,
               width: int, height: int) -> OrthoCamera:
    """The `kind` view of `box`, scaled for `fit_dims` (the box's size when it was selected,
    so that resizing it does not rescale the view under the mouse) or its present size."""
    dims = fit_dims if fit_dims is not None else box.dims
    scale = fit_scale(kind, dims, width, height) * adjust.zoom
    return OrthoCamera(center=box.center + adjust.pan, scale=scale, view=kind,
                       frame=box.rotation, depth_range=depth_range(kind, box.dims))


def overview_camera(bounds: tuple[np.ndarray, np.ndarray], adjust: OrthoAdjust, width: int,
                    height: int) -> OrthoCamera:
    """The whole cloud (its bounds, low and high corner) from above."""
    lo, hi = bounds
    extent = max(float(max(hi[0] - lo[0], hi[1] - lo[1])), 1.0)
    scale = 0.95 * min(width, height) / extent * adjust.zoom
    return OrthoCamera(center=(lo + hi) / 2.0 + adjust.pan, scale=scale, view="top")


def fit_scale(kind: str, dims: np.ndarray, width: int, height: int) -> float:
    """Pixels per metre that show the box with room around it (and at least a few metres)."""
    length, w, h = (float(d) for d in dims)
    across, up = {"top": (w, length), "side": (length, h), "front": (w, h)}[kind]
    margin, least = (2.4, 4.0) if kind == "top" else (1.8, 3.0)
    return min(width / max(across * margin, least), height / max(up * margin, least))


def depth_range(kind: str, dims: np.ndarray) -> float:
    """How deep a slab of the scene each view shows, from the box's centre (metres): the top
    view the box's height and some ground, the side and front views the box's own width or
    length, so neighbours in front of it do not hide it."""
    length, w, h = (float(d) for d in dims)
    return {"top": h / 2.0 + 2.0, "side": w / 2.0 + 0.5, "front": length / 2.0 + 0.5}[kind]
