"""Point cloud -> ``bounding_box_3d``.

open3d does the geometry: a voxel downsample, RANSAC ground-plane removal (``segment_plane``,
accepted only when the plane is roughly horizontal), and DBSCAN clustering
(``cluster_dbscan``) of what stands on it. Each cluster gets a yaw-only box in the sensor frame
(Z up): the minimum-area rectangle of its footprint gives the heading, length runs along it,
height spans the cluster's z. The class comes from the box's size (pedestrian, cyclist, car,
truck prototypes); confidence blends how well the size fits that prototype with how densely
the cluster is sampled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt
import open3d as o3d

from avala_desktop.inference.reference_server.asset import LoadedAsset
from avala_desktop.inference.reference_server.base import CLOUD_KINDS, Prediction, confidence
from avala_desktop.inference.reference_server.labels import LabelMapper

VOXEL_M = 0.08
PLANE_DISTANCE_M = 0.15
PLANE_ITERATIONS = 300
MIN_UP_COMPONENT = 0.85  # |normal . z| for the plane to count as ground
DBSCAN_EPS_M = 0.45
DBSCAN_MIN_POINTS = 8
MIN_CLUSTER_POINTS = 15
MAX_EXTENT_M = 20.0
MAX_BOXES = 100
DENSITY_SCALE = 60.0  # points at which the density half of the score reaches 1 - 1/e
SEED = 7

# (l, w, h) prototypes in metres and how far from them a member may be (one sigma).
PROTOTYPES: dict[str, tuple[tuple[float, float, float], tuple[float, float, float]]] = {
    "person": ((0.6, 0.6, 1.75), (0.35, 0.35, 0.3)),
    "cyclist": ((1.75, 0.6, 1.7), (0.4, 0.3, 0.3)),
    "car": ((4.4, 1.8, 1.55), (0.9, 0.3, 0.3)),
    "truck": ((8.0, 2.5, 3.2), (3.0, 0.5, 0.8)),
}


@dataclass(frozen=True)
class Box3D:
    center: tuple[float, float, float]
    length: float
    width: float
    height: float
    yaw: float
    points: int

    def quaternion(self) -> dict[str, float]:
        return {"w": math.cos(self.yaw / 2), "x": 0.0, "y": 0.0, "z": math.sin(self.yaw / 2)}


def remove_ground(cloud: o3d.geometry.PointCloud) -> o3d.geometry.PointCloud:
    if len(cloud.points) < 3:
        return cloud
    plane, inliers = cloud.segment_plane(
        distance_threshold=PLANE_DISTANCE_M, ransac_n=3, num_iterations=PLANE_ITERATIONS
    )
    normal = np.asarray(plane[:3], dtype=np.float64)
    norm = float(np.linalg.norm(normal))
    if norm == 0 or abs(normal[2]) / norm < MIN_UP_COMPONENT:
        return cloud  # the biggest plane is a wall, not the ground
    return cloud.select_by_index(inliers, invert=True)


def fit_box(points: npt.NDArray[np.float64]) -> Box3D:
    """Yaw-only box: footprint rectangle in XY, z from the extremes; length along heading."""
    (cx, cy), (a, b), angle_deg = cv2.minAreaRect(points[:, :2].astype(np.float32))
    yaw = math.radians(angle_deg)
    length, width = a, b
    if b > a:
        length, width = b, a
        yaw += math.pi / 2
    # A box is symmetric under a half turn; keep yaw in (-pi/2, pi/2].
    yaw = (yaw + math.pi / 2) % math.pi - math.pi / 2
    if yaw <= -math.pi / 2:
        yaw += math.pi
    z0, z1 = float(points[:, 2].min()), float(points[:, 2].max())
    return Box3D(
        center=(float(cx), float(cy), (z0 + z1) / 2),
        length=max(float(length), 0.05),
        width=max(float(width), 0.05),
        height=max(z1 - z0, 0.05),
        yaw=yaw,
        points=len(points),
    )


def classify_box(box: Box3D) -> tuple[str, float]:
    """The best-fitting size prototype and how well it fits (0..1)."""
    dims = np.array([box.length, box.width, box.height])
    best, best_fit = "object", 0.0
    for concept, (proto, sigma) in PROTOTYPES.items():
        z = (dims - np.array(proto)) / np.array(sigma)
        fit = math.exp(-0.5 * float(np.dot(z, z)) / 3.0)
        if fit > best_fit:
            best, best_fit = concept, fit
    return best, best_fit


def detect_boxes(points: npt.NDArray[np.float32]) -> list[Box3D]:
    o3d.utility.random.seed(SEED)
    cloud = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(points.astype(np.float64)))
    cloud = cloud.voxel_down_sample(VOXEL_M)
    objects = remove_ground(cloud)
    if len(objects.points) < MIN_CLUSTER_POINTS:
        return []
    with o3d.utility.VerbosityContextManager(o3d.utility.VerbosityLevel.Error):
        labels = np.asarray(
            objects.cluster_dbscan(
                eps=DBSCAN_EPS_M, min_points=DBSCAN_MIN_POINTS, print_progress=False
            )
        )
    xyz = np.asarray(objects.points)
    boxes = []
    for cluster in range(int(labels.max()) + 1 if labels.size else 0):
        member = xyz[labels == cluster]
        if len(member) < MIN_CLUSTER_POINTS:
            continue
        box = fit_box(member)
        if max(box.length, box.width, box.height) > MAX_EXTENT_M:
            continue
        boxes.append(box)
    boxes.sort(key=lambda b: b.points, reverse=True)
    return boxes[:MAX_BOXES]


class ObjectBoxer:
    name = "pointcloud"
    kinds = CLOUD_KINDS

    def predict(self, asset: LoadedAsset, labels: list[str]) -> list[Prediction]:
        mapper = LabelMapper(labels)
        out = []
        for box in detect_boxes(asset.require_points()):
            concept, fit = classify_box(box)
            label = mapper.resolve(concept) or mapper.resolve("object")
            if label is None:
                continue
            density = 1.0 - math.exp(-box.points / DENSITY_SCALE)
            out.append(
                {
                    "type": "bounding_box_3d",
                    "label": label,
                    "confidence": confidence(0.6 * fit + 0.4 * density),
                    "center": dict(zip("xyz", (round(c, 4) for c in box.center), strict=True)),
                    "dimensions": {
                        "l": round(box.length, 4),
                        "w": round(box.width, 4),
                        "h": round(box.height, 4),
                    },
                    "rotation": {k: round(v, 6) for k, v in box.quaternion().items()},
                }
            )
        return out


def predict(asset: LoadedAsset, labels: list[str]) -> list[Prediction]:
    return ObjectBoxer().predict(asset, labels)
