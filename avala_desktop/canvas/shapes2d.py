"""What the 2D canvas knows about one annotation: a Qt-free, immutable view-model.

The canvas never owns annotations. The main window hands it ``CanvasItem`` values built from
store records; an edit produces a new ``CanvasItem`` (``with_geometry``), never a mutation, so a
painter cache can tell "same item" by identity. Geometry is the canonical dict of CONTRACTS.md;
the numpy forms the canvas needs (vertices, bounding box, decoded mask) are derived once per
item and cached on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from avala_desktop.canvas.mask_raster import MaskRaster
from avala_desktop.core.masks import rle

Points = npt.NDArray[np.float64]
BBox = tuple[float, float, float, float]  # x0, y0, x1, y1 in image pixels


class ItemType(StrEnum):
    BOX = "bounding_box"
    POLYGON = "polygon"
    POLYLINE = "polyline"
    MASK = "segmentation_mask"
    CLASSIFICATION = "classification"


class ReviewState(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    EDITED = "edited"
    REJECTED = "rejected"


# Fewest vertices a shape keeps: deleting below this would change its type (PRODUCT.md §3).
MIN_POINTS = {ItemType.POLYGON: 3, ItemType.POLYLINE: 2}

DEFAULT_COLOR = "#3cb44b"


def label_color(label: str) -> str:
    """A stable colour for a label that has none configured (same label, same colour)."""
    palette = (
        "#e6194b", "#3cb44b", "#ffe119", "#4363d8", "#f58231", "#911eb4", "#46f0f0",
        "#f032e6", "#bcf60c", "#fabebe", "#008080", "#e6beff", "#9a6324", "#aaffc3",
    )  # fmt: skip
    digest = sum((i + 1) * ord(c) for i, c in enumerate(label))
    return palette[digest % len(palette)]


@dataclass(frozen=True, eq=False)
class CanvasItem:
    """One annotation as drawn: identity, look, review state and canonical geometry.

    ``color`` is ``"#rrggbb"`` (the label's colour). ``confidence`` is None for shapes a person
    drew. Raises ValueError at construction when the geometry does not fit the type, so a bad
    record fails where it enters the canvas, not in the middle of a paint.
    """

    id: str
    type: ItemType
    label: str
    geometry: Mapping[str, Any]
    color: str = DEFAULT_COLOR
    confidence: float | None = None
    state: ReviewState = ReviewState.PENDING

    @classmethod
    def of(cls, item_id: str, type_name: str, label: str, geometry: Mapping[str, Any], *,
           color: str | None = None, confidence: float | None = None,
           state: str = "pending") -> CanvasItem:
        """From plain strings, as a store record holds them; no colour: one from the label."""
        return cls(item_id, _item_type(item_id, type_name), label, geometry,
                   color or label_color(label), confidence, ReviewState(state))

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", _item_type(self.id, self.type))
        object.__setattr__(self, "state", ReviewState(self.state))
        if self.type in (ItemType.BOX, ItemType.POLYGON, ItemType.POLYLINE):
            _ = self.points  # validates now rather than at first paint
        elif self.type is ItemType.MASK and not isinstance(self.geometry.get("rle"), Mapping):
            raise ValueError(f"annotation {self.id}: a segmentation mask needs an 'rle' object")

    # --- derived geometry (computed once per item) ------------------------------------------

    @cached_property
    def points(self) -> Points:
        """Vertices (N, 2): a box's four corners clockwise from top-left, a polygon's or
        polyline's points; empty for masks and classifications."""
        if self.type is ItemType.BOX:
            x0, y0, x1, y1 = box_bounds(self.geometry)
            return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float64)
        if self.type in MIN_POINTS:
            raw = self.geometry.get("points")
            try:
                pts = np.asarray(raw, dtype=np.float64)
            except (TypeError, ValueError):
                raise ValueError(f"annotation {self.id}: points must be [[x, y], ...]") from None
            if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) < MIN_POINTS[self.type]:
                raise ValueError(
                    f"annotation {self.id}: a {self.type.value} needs at least "
                    f"{MIN_POINTS[self.type]} [x, y] points, got {raw!r:.80}"
                )
            if not np.isfinite(pts).all():
                raise ValueError(f"annotation {self.id}: points must be finite numbers")
            return pts
        return np.empty((0, 2), dtype=np.float64)

    @cached_property
    def bbox(self) -> BBox | None:
        """Bounds in image pixels; None for a classification (it has no place on the image)."""
        if self.type is ItemType.CLASSIFICATION:
            return None
        if self.type is ItemType.MASK:
            x, y, w, h = rle.to_bbox(self.geometry["rle"])
            return (float(x), float(y), float(x + w), float(y + h))
        pts = self.points
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        return (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))

    @cached_property
    def mask(self) -> MaskRaster:
        """The decoded mask, cropped to its pixels (only for segmentation masks)."""
        if self.type is not ItemType.MASK:
            raise TypeError(f"annotation {self.id} is a {self.type.value}, not a mask")
        return MaskRaster.from_rle(self.geometry["rle"])

    @property
    def area(self) -> float:
        """Area used to prefer the smaller of overlapping shapes when clicking."""
        if self.type is ItemType.MASK:
            return float(self.mask.area)
        if self.bbox is None:
            return 0.0
        x0, y0, x1, y1 = self.bbox
        return (x1 - x0) * (y1 - y0)

    @property
    def caption(self) -> str:
        """The text drawn next to the shape: label and, for predictions, confidence."""
        if self.confidence is None:
            return self.label
        return f"{self.label} {self.confidence:.2f}"

    @property
    def is_pending(self) -> bool:
        return self.state is ReviewState.PENDING

    def with_geometry(self, geometry: Mapping[str, Any]) -> CanvasItem:
        """The same annotation with new geometry; a pending suggestion that a person corrects
        becomes ``edited`` (the edit is the acceptance, PRODUCT.md §5)."""
        state = ReviewState.EDITED if self.state is ReviewState.PENDING else self.state
        return replace(self, geometry=geometry, state=state)


def _item_type(item_id: str, type_name: str) -> ItemType:
    try:
        return ItemType(type_name)
    except ValueError:
        raise ValueError(
            f"annotation {item_id}: the 2D canvas cannot show type {type_name!r}"
        ) from None


def box_bounds(geometry: Mapping[str, Any]) -> BBox:
    """(x0, y0, x1, y1) of a canonical bounding-box geometry."""
    try:
        c = geometry["coordinates"]
        x, y, w, h = (float(c[k]) for k in ("x", "y", "width", "height"))
    except (KeyError, TypeError, ValueError):
        raise ValueError(
            f"a bounding box needs coordinates {{x, y, width, height}}, got {geometry!r:.80}"
        ) from None
    if not all(np.isfinite((x, y, w, h))):
        raise ValueError("bounding box coordinates must be finite numbers")
    return (x, y, x + w, y + h)
