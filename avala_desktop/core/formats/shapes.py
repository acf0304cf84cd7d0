"""Geometry conversions the formats share: boxes of points, polygon areas, masks to polygons."""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import cv2

from avala_desktop.core.masks import decode, to_bbox

Point = tuple[float, float]


def points_bbox(points: Sequence[Sequence[float]]) -> tuple[float, float, float, float]:
    """(x, y, width, height) of the tightest box around the points."""
    xs = [float(p[0]) for p in points]
    ys = [float(p[1]) for p in points]
    return min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)


def polygon_area(points: Sequence[Sequence[float]]) -> float:
    """Unsigned shoelace area of an implicitly closed polygon."""
    twice = 0.0
    n = len(points)
    for i in range(n):
        x0, y0 = points[i][0], points[i][1]
        x1, y1 = points[(i + 1) % n][0], points[(i + 1) % n][1]
        twice += x0 * y1 - x1 * y0
    return abs(twice) / 2


@dataclass(frozen=True)
class MaskPolygons:
    polygons: list[list[Point]]  # outer boundaries, in pixel coordinates
    holes: int  # holes dropped (a polygon cannot carry them)
    dropped: int  # specks too thin to make a polygon (fewer than 3 corners or no area)


def mask_polygons(rle: Mapping[str, Any]) -> MaskPolygons:
    """The outer boundaries of a mask's regions, traced with ``cv2.findContours``.

    Lossy by nature: holes are dropped, boundaries run through the centres of the outermost
    pixels (as Ultralytics' own mask converter traces them), and regions thinner than a
    pixel's width vanish.
    """
    mask = decode(rle)
    contours, hierarchy = cv2.findContours(mask, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    polygons: list[list[Point]] = []
    holes = dropped = 0
    for index, contour in enumerate(contours):
        if hierarchy[0][index][3] != -1:
            holes += 1
            continue
        points = [(float(x), float(y)) for x, y in contour.reshape(-1, 2)]
        if len(points) < 3 or polygon_area(points) <= 0:
            dropped += 1
            continue
        polygons.append(points)
    return MaskPolygons(polygons, holes, dropped)


@dataclass(frozen=True)
class MaskCrop:
    """A mask as labelme keeps it: the inclusive pixel box and the crop inside it."""

    x1: int
    y1: int
    x2: int
    y2: int
    png_base64: str


def mask_crop(rle: Mapping[str, Any]) -> MaskCrop | None:
    """The tightest crop of a mask as a base64 PNG of 0/1 values; None for an empty mask."""
    x, y, w, h = to_bbox(rle)
    if w == 0 or h == 0:
        return None
    crop = decode(rle)[y : y + h, x : x + w]
    ok, encoded = cv2.imencode(".png", crop)
    if not ok:
        raise ValueError("OpenCV could not encode the mask as PNG")
    return MaskCrop(x, y, x + w - 1, y + h - 1, base64.b64encode(encoded.tobytes()).decode("ascii"))


def rectangle_corners(x: float, y: float, w: float, h: float) -> list[Point]:
    return [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]


def wrap_angle(angle: float) -> float:
    """The same angle in [-pi, pi)."""
    return (angle + math.pi) % (2 * math.pi) - math.pi
