"""A small real project for the format tests: two images, a video's frames and two point
clouds on disk, and annotations of every type and review state on them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from avala_desktop.core.discovery import discover_assets
from avala_desktop.core.masks import encode
from avala_desktop.core.store import AnnotationRecord, Asset, Origin, ProjectStore, ReviewState
from avala_desktop.core.wire import quaternion_from_yaw_pitch_roll
from tests.unit.discovery_samples import write_image, write_kitti_bin, write_pcd_binary, write_video

LABELS = ("car", "pedestrian", "cyclist")
FRONT = "cam/front.jpg"  # 64 x 48
REAR = "cam/rear.png"  # 40 x 30
SWEEP = "lidar/000042.bin"
OTHER_CLOUD = "lidar/sweep.pcd"


def write_assets(root: Path) -> Path:
    """The same files every time, so a second project can hold "the same assets"."""
    write_image(root / "cam" / "front.jpg", 64, 48, seed=1)
    write_image(root / "cam" / "rear.png", 40, 30, seed=2)
    write_kitti_bin(root / "lidar" / "000042.bin", 128)
    write_pcd_binary(root / "lidar" / "sweep.pcd", 64)
    write_video(root / "drive.mp4", 6, 32, 24)
    return root


def new_project(root: Path, labels: tuple[str, ...] = LABELS) -> ProjectStore:
    write_assets(root)
    store = ProjectStore.create(root, labels=list(labels))
    store.add_assets(discover_assets(root, frame_step=3).assets)
    return store


def asset(store: ProjectStore, path: str, frame_index: int | None = None) -> Asset:
    for found in store.assets():
        if found.path == path and found.frame_index == frame_index:
            return found
    raise AssertionError(f"no asset {path} [{frame_index}]")


def blob_mask(height: int, width: int) -> dict[str, Any]:
    """A mask with two regions, one of them with a hole."""
    mask = np.zeros((height, width), dtype=np.uint8)
    mask[5:20, 30:50] = 1
    mask[10:14, 36:42] = 0  # a hole
    mask[30:40, 5:12] = 1
    return encode(mask)


def box3d(x: float, y: float, z: float, yaw: float, pitch: float = 0.0) -> dict[str, Any]:
    w, qx, qy, qz = quaternion_from_yaw_pitch_roll(yaw, pitch, 0.0)
    return {
        "center": {"x": x, "y": y, "z": z},
        "dimensions": {"l": 4.2, "w": 1.8, "h": 1.5},
        "rotation": {"w": w, "x": qx, "y": qy, "z": qz},
    }


@dataclass
class Populated:
    final: list[AnnotationRecord]  # what a default export writes
    pending: list[AnnotationRecord]
    rejected: list[AnnotationRecord]


def populate(store: ProjectStore) -> Populated:
    """Annotations of every type and state. Sub-pixel coordinates on purpose: a round trip
    must keep floats, not only whole pixels."""
    front, rear = asset(store, FRONT), asset(store, REAR)
    frame = asset(store, "drive.mp4", 3)
    cloud = asset(store, SWEEP)
    ins = store.insert_annotation
    final = [
        ins(front.id, "bounding_box", "car",
            {"coordinates": {"x": 3.0, "y": 4.0, "width": 20.5, "height": 10.25}}),
        ins(front.id, "polygon", "pedestrian",
            {"points": [[40.5, 2.0], [60.0, 10.0], [50.25, 30.0], [41.0, 25.5]]},
            confidence=0.82, origin=Origin.MODEL, provider_id="prov", state=ReviewState.EDITED),
        ins(front.id, "segmentation_mask", "cyclist", {"rle": blob_mask(48, 64)},
            confidence=0.9, origin=Origin.MODEL, provider_id="prov",
            state=ReviewState.ACCEPTED),
        ins(front.id, "polyline", "car", {"points": [[0.5, 47.0], [30.0, 20.0], [63.0, 40.0]]},
            confidence=0.55, origin=Origin.MODEL, provider_id="prov",
            state=ReviewState.ACCEPTED),
        ins(front.id, "classification", "car", {}, confidence=0.7, origin=Origin.MODEL,
            provider_id="prov", state=ReviewState.ACCEPTED),
        ins(rear.id, "bounding_box", "pedestrian",
            {"coordinates": {"x": 10.0, "y": 5.0, "width": 12.0, "height": 20.0}},
            confidence=0.66, origin=Origin.MODEL, provider_id="prov",
            state=ReviewState.ACCEPTED),
        ins(frame.id, "bounding_box", "cyclist",
            {"coordinates": {"x": 1.0, "y": 2.0, "width": 8.0, "height": 6.0}}),
        ins(cloud.id, "bounding_box_3d", "car", box3d(10.5, -3.25, 0.75, math.radians(30)),
            confidence=0.95, origin=Origin.MODEL, provider_id="prov",
            state=ReviewState.ACCEPTED),
        ins(cloud.id, "bounding_box_3d", "pedestrian", box3d(-4.0, 6.0, 0.9, -2.5)),
    ]
    pending = [
        ins(front.id, "bounding_box", "pedestrian",
            {"coordinates": {"x": 30.0, "y": 30.0, "width": 5.0, "height": 5.0}},
            confidence=0.61, origin=Origin.MODEL, provider_id="prov"),
        ins(cloud.id, "bounding_box_3d", "cyclist", box3d(1.0, 1.0, 0.5, 0.3),
            confidence=0.58, origin=Origin.MODEL, provider_id="prov"),
    ]
    rejected = [
        ins(front.id, "bounding_box", "car",
            {"coordinates": {"x": 50.0, "y": 40.0, "width": 4.0, "height": 4.0}},
            confidence=0.51, origin=Origin.MODEL, provider_id="prov",
            state=ReviewState.REJECTED),
    ]
    return Populated(final, pending, rejected)


def all_annotations(store: ProjectStore) -> list[tuple[str, int | None, AnnotationRecord]]:
    out = []
    for found in store.assets():
        for record in store.annotations(found.id, include_rejected=True):
            out.append((found.path, found.frame_index, record))
    return out
