"""The image-plane annotations without a raster: box, polygon, polyline, classification."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import PlainValidator, model_validator

from avala_desktop.core.wire.base import AnnotationBase, WireModel
from avala_desktop.core.wire.common import (
    AnnotationType,
    Finite,
    PositiveFinite,
    describe,
    fail,
    finite_named,
    merge_alias,
)

Point = tuple[float, float]

# Below this many square pixels a polygon is a line or a dot, whatever its float noise says.
MIN_POLYGON_AREA = 1e-6
MIN_POLYLINE_LENGTH = 1e-9


def read_points(value: Any) -> tuple[Point, ...]:
    if not isinstance(value, list | tuple):
        fail(f"points must be a list of [x, y] pairs, got {describe(value)}")
    points: list[Point] = []
    for index, item in enumerate(value):
        if not isinstance(item, list | tuple) or len(item) != 2:
            fail(f"point {index} must be a pair of numbers [x, y], got {describe(item)}")
        points.append(
            (finite_named(item[0], f"point {index} x"), finite_named(item[1], f"point {index} y"))
        )
    return tuple(points)


def polygon_area(points: tuple[Point, ...]) -> float:
    """Unsigned shoelace area of the implicitly closed polygon."""
    twice = 0.0
    for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1], strict=True):
        twice += x0 * y1 - x1 * y0
    return abs(twice) / 2


def polyline_length(points: tuple[Point, ...]) -> float:
    return sum(math.dist(a, b) for a, b in itertools.pairwise(points))


def _require(
    points: tuple[Point, ...], minimum: int, measure: Callable[[tuple[Point, ...]], float]
) -> float:
    """The count check, then the size; NaN/inf sizes come from coordinates near the limit."""
    if len(points) < minimum:
        fail(f"needs at least {minimum} points, got {len(points)}")
    size = measure(points)
    if not math.isfinite(size):
        fail("points are too far apart to measure the shape they make")
    return size


def _polygon_points(value: Any) -> tuple[Point, ...]:
    points = read_points(value)
    # An explicitly closed ring repeats its first point; the canonical form is implicitly closed.
    while len(points) > 3 and points[-1] == points[0]:
        points = points[:-1]
    if _require(points, 3, polygon_area) < MIN_POLYGON_AREA:
        fail(f"polygon has zero area (its {len(points)} points lie on one line)")
    return points


def _polyline_points(value: Any) -> tuple[Point, ...]:
    points = read_points(value)
    if _require(points, 2, polyline_length) < MIN_POLYLINE_LENGTH:
        fail(f"polyline has zero length (all {len(points)} points are the same)")
    return points


def _point_lists(points: tuple[Point, ...]) -> list[list[float]]:
    return [[x, y] for x, y in points]


class Coordinates(WireModel):
    x: Finite
    y: Finite
    width: PositiveFinite
    height: PositiveFinite


class BoundingBox(AnnotationBase):
    """Axis-aligned box; x, y is the top-left corner in absolute pixels."""

    type: Literal[AnnotationType.BOUNDING_BOX] = AnnotationType.BOUNDING_BOX
    coordinates: Coordinates

    def geometry_dict(self) -> dict[str, Any]:
        c = self.coordinates
        return {"coordinates": {"x": c.x, "y": c.y, "width": c.width, "height": c.height}}


class Polygon(AnnotationBase):
    """Implicitly closed ring of at least 3 points (wire alias `vertices`)."""

    type: Literal[AnnotationType.POLYGON] = AnnotationType.POLYGON
    points: Annotated[tuple[Point, ...], PlainValidator(_polygon_points)]

    @model_validator(mode="before")
    @classmethod
    def _vertices(cls, data: Any) -> Any:
        return (
            merge_alias(data, "points", "vertices", where="polygon")
            if isinstance(data, dict)
            else data
        )

    def geometry_dict(self) -> dict[str, Any]:
        return {"points": _point_lists(self.points)}


class Polyline(AnnotationBase):
    """Open chain of at least 2 points (lanes, edges)."""

    type: Literal[AnnotationType.POLYLINE] = AnnotationType.POLYLINE
    points: Annotated[tuple[Point, ...], PlainValidator(_polyline_points)]

    def geometry_dict(self) -> dict[str, Any]:
        return {"points": _point_lists(self.points)}


class Classification(AnnotationBase):
    """A label for the whole asset (or frame); no geometry."""

    type: Literal[AnnotationType.CLASSIFICATION] = AnnotationType.CLASSIFICATION

    def geometry_dict(self) -> dict[str, Any]:
        return {}
