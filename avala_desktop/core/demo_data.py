"""Deterministic synthetic assets for the demo project and the tests.

Images: a sky-to-ground gradient with sensor noise, one or two standing person silhouettes
(head, torso, arms, legs: shaped so the HOG people detector answers), coloured shapes and lane
lines. A point cloud: a ground plane with box-shaped cars, a truck and pedestrians on it,
written as binary PCD in the sensor frame (metres, Z up, sensor 1.7 m above the ground). A
short video of a person walking past the shapes (MPEG-4 Part 2, ``mp4v``, the codec
opencv-python-headless can both write and read back). Everything is seeded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

# A label set under which every prediction type of the reference server fires.
DEMO_LABELS: tuple[str, ...] = (
    "pedestrian",
    "car",
    "truck",
    "cyclist",
    "object",
    "lane",
    "day",
    "night",
)
IMAGE_SIZE = (320, 240)
SENSOR_HEIGHT_M = 1.7

Image = npt.NDArray[Any]  # uint8 BGR; cv2 returns loosely typed arrays


@dataclass(frozen=True)
class DemoAssets:
    images: list[Path] = field(default_factory=list)
    point_clouds: list[Path] = field(default_factory=list)
    videos: list[Path] = field(default_factory=list)

    @property
    def all(self) -> list[Path]:
        return [*self.images, *self.point_clouds, *self.videos]


def draw_person(
    img: Image,
    cx: float,
    top: float,
    height: float,
    color: tuple[int, int, int],
    stride: float = 0.0,
) -> None:
    """A standing figure ``height`` px tall; ``stride`` (-1..1) swings the legs for walking."""
    s = height / 100.0

    def p(x: float, y: float) -> tuple[int, int]:
        return round(cx + x * s), round(top + y * s)

    t = max(1, round(7 * s))
    cv2.ellipse(img, p(0, 8), (round(7 * s), round(9 * s)), 0, 0, 360, color, -1, cv2.LINE_AA)
    torso = np.array([p(-10, 18), p(10, 18), p(9, 55), p(-9, 55)], np.int32)
    cv2.fillPoly(img, [torso], color, cv2.LINE_AA)
    cv2.line(img, p(-10, 20), p(-15, 52), color, t, cv2.LINE_AA)
    cv2.line(img, p(10, 20), p(15, 52), color, t, cv2.LINE_AA)
    leg = round(t * 1.3)
    cv2.line(img, p(-5, 54), p(-8 - 4 * stride, 98), color, leg, cv2.LINE_AA)
    cv2.line(img, p(5, 54), p(8 + 4 * stride, 98), color, leg, cv2.LINE_AA)


def _background(rng: np.random.Generator, w: int, h: int, sky: tuple[int, int, int]) -> Image:
    yy = np.linspace(0.0, 1.0, h)[:, None, None]
    base = np.array(sky, dtype=np.float64) * (1.0 - 0.3 * yy)
    img = base + rng.normal(0.0, 5.0, (h, w, 3))
    img[int(h * 0.75) :] = 115 + rng.normal(0.0, 5.0, (h - int(h * 0.75), w, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def _lanes(img: Image) -> None:
    h, w = img.shape[:2]
    horizon = int(h * 0.75)
    cv2.line(
        img, (int(w * 0.05), h - 1), (int(w * 0.30), horizon + 2), (235, 235, 235), 3, cv2.LINE_AA
    )
    cv2.line(
        img, (int(w * 0.95), h - 1), (int(w * 0.70), horizon + 2), (235, 235, 235), 3, cv2.LINE_AA
    )


def _shapes(img: Image, rng: np.random.Generator) -> None:
    w = img.shape[1]
    palette = [(40, 40, 220), (40, 200, 60), (220, 120, 30), (0, 200, 230)]
    cx, cy = int(rng.integers(w // 2 - 20, w // 2 + 20)), int(rng.integers(24, 34))
    cv2.circle(
        img, (cx, cy), int(rng.integers(12, 17)), palette[int(rng.integers(0, 4))], -1, cv2.LINE_AA
    )
    x0, y0 = int(rng.integers(w - 90, w - 60)), int(rng.integers(20, 40))
    cv2.rectangle(img, (x0, y0), (x0 + 40, y0 + 28), palette[int(rng.integers(0, 4))], -1)
    tri = np.array([[20, 60], [60, 60], [40, 25]], np.int32) + np.array(
        [int(rng.integers(0, 15)), 0]
    )
    cv2.fillPoly(img, [tri], palette[int(rng.integers(0, 4))], cv2.LINE_AA)


def demo_image(seed: int = 0, size: tuple[int, int] = IMAGE_SIZE, *, night: bool = False) -> Image:
    """One street-like scene with people, shapes and lane lines."""
    rng = np.random.default_rng(seed)
    w, h = size
    sky = (70, 55, 45) if night else (200, 190, 170)
    img = _background(rng, w, h, sky)
    _lanes(img)
    _shapes(img, rng)
    people = 1 + seed % 2
    for i in range(people):
        height = float(rng.uniform(0.42, 0.5) * h)
        cx = w * (0.25 + 0.5 * i) + float(rng.uniform(-10, 10))
        top = h * 0.8 - height
        shade = int(rng.integers(25, 60))
        draw_person(img, cx, top, height, (shade, shade, shade + 25))
    return img


def write_demo_images(
    folder: Path, count: int = 3, seed: int = 0, size: tuple[int, int] = IMAGE_SIZE
) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"street_{i:02d}.png"
        if not cv2.imwrite(str(path), demo_image(seed + i, size, night=(i % 3 == 2))):
            raise OSError(f"could not write {path}")
        paths.append(path)
    return paths


def _box_surface(
    rng: np.random.Generator,
    center: tuple[float, float],
    dims: tuple[float, float, float],
    yaw: float,
    n: int,
) -> npt.NDArray[np.float32]:
    """``n`` points on the four sides and the top of a box standing on the ground."""
    length, w, h = dims
    faces = [(length * h, 0), (length * h, 1), (w * h, 2), (w * h, 3), (length * w, 4)]
    areas = np.array([a for a, _ in faces])
    which = rng.choice(5, size=n, p=areas / areas.sum())
    u, v = rng.random(n), rng.random(n)
    local = np.zeros((n, 3))
    for face in range(5):
        m = which == face
        if face < 2:
            local[m] = np.c_[(u[m] - 0.5) * length, np.full(m.sum(), (face - 0.5) * w), v[m] * h]
        elif face < 4:
            local[m] = np.c_[np.full(m.sum(), (face - 2.5) * length), (u[m] - 0.5) * w, v[m] * h]
        else:
            local[m] = np.c_[(u[m] - 0.5) * length, (v[m] - 0.5) * w, np.full(m.sum(), h)]
    c, s = math.cos(yaw), math.sin(yaw)
    rot = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    pts = local @ rot.T + np.array([center[0], center[1], -SENSOR_HEIGHT_M])
    return (pts + rng.normal(0.0, 0.01, pts.shape)).astype(np.float32)


# (concept, centre xy, (l, w, h), yaw): what the demo cloud holds, in the sensor frame.
DEMO_OBJECTS: tuple[tuple[str, tuple[float, float], tuple[float, float, float], float], ...] = (
    ("car", (8.0, -3.0), (4.4, 1.8, 1.5), 0.1),
    ("car", (12.0, 4.0), (4.2, 1.7, 1.45), -0.35),
    ("truck", (-10.0, 5.0), (8.5, 2.5, 3.2), 0.6),
    ("person", (4.0, 2.5), (0.6, 0.6, 1.75), 0.0),
    ("person", (-5.0, -4.0), (0.55, 0.5, 1.7), 0.0),
)


def demo_point_cloud(n_points: int = 60_000, seed: int = 0) -> npt.NDArray[np.float32]:
    """(N, 4) float32 x, y, z, intensity: ground plane, the DEMO_OBJECTS, and sparse clutter."""
    rng = np.random.default_rng(seed)
    n_objects = int(n_points * 0.3)
    volumes = np.array([2 * (d[0] + d[1]) * d[2] + d[0] * d[1] for _, _, d, _ in DEMO_OBJECTS])
    counts = np.maximum(60, (n_objects * volumes / volumes.sum()).astype(int))
    parts = [
        _box_surface(rng, c, d, yaw, int(k))
        for (_, c, d, yaw), k in zip(DEMO_OBJECTS, counts, strict=True)
    ]
    n_ground = max(0, n_points - int(counts.sum()) - 50)
    ground = np.c_[
        rng.uniform(-20, 20, (n_ground, 2)), -SENSOR_HEIGHT_M + rng.normal(0, 0.02, n_ground)
    ]
    clutter = np.c_[rng.uniform(-20, 20, (50, 2)), rng.uniform(-SENSOR_HEIGHT_M, 2.0, 50)]
    xyz = np.vstack([ground, *parts, clutter]).astype(np.float32)
    intensity = rng.uniform(0.0, 1.0, len(xyz)).astype(np.float32)
    return np.c_[xyz, intensity].astype(np.float32)


def pcd_bytes(points: npt.NDArray[np.float32]) -> bytes:
    """Binary PCD v0.7 with fields x y z intensity."""
    n = len(points)
    header = (
        "# .PCD v0.7 - Point Cloud Data file format\nVERSION 0.7\nFIELDS x y z intensity\n"
        "SIZE 4 4 4 4\nTYPE F F F F\nCOUNT 1 1 1 1\n"
        f"WIDTH {n}\nHEIGHT 1\nVIEWPOINT 0 0 0 1 0 0 0\nPOINTS {n}\nDATA binary\n"
    )
    return header.encode("ascii") + np.ascontiguousarray(points, dtype="<f4").tobytes()


def write_demo_point_cloud(path: Path, n_points: int = 60_000, seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pcd_bytes(demo_point_cloud(n_points, seed)))
    return path


def write_demo_video(
    path: Path,
    frames: int = 20,
    seed: int = 0,
    fps: float = 10.0,
    size: tuple[int, int] = IMAGE_SIZE,
) -> Path:
    """A person walking left to right past the shapes; ``path`` should end in .mp4."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, size)
    if not writer.isOpened():
        raise OSError(f"OpenCV cannot write an mp4v video at {path}")
    rng = np.random.default_rng(seed)
    w, h = size
    backdrop = _background(rng, w, h, (200, 190, 170))
    _lanes(backdrop)
    _shapes(backdrop, rng)
    try:
        for i in range(frames):
            frame = backdrop.copy()
            height = 0.46 * h
            cx = w * 0.15 + (w * 0.7) * i / max(1, frames - 1)
            draw_person(frame, cx, h * 0.8 - height, height, (45, 40, 60), stride=math.sin(i * 0.9))
            writer.write(frame)
    finally:
        writer.release()
    return path


def write_demo_assets(
    folder: Path,
    *,
    images: int = 3,
    cloud_points: int = 60_000,
    video_frames: int = 20,
    seed: int = 0,
) -> DemoAssets:
    """Everything the demo project needs, under ``folder``."""
    return DemoAssets(
        images=write_demo_images(folder, images, seed),
        point_clouds=[write_demo_point_cloud(folder / "scan_00.pcd", cloud_points, seed)],
        videos=[write_demo_video(folder / "walk.mp4", video_frames, seed)] if video_frames else [],
    )
