"""Point cloud bytes -> (N, 3) float32 for the server, via the app's own loader.

The format comes from the file name when the URL has one, else from the first bytes (PCD and
PLY have headers; KITTI ``.bin`` has none, so it is what is left). Non-finite points (invalid
returns of organised clouds) are dropped: the clustering has no use for them.
"""

from __future__ import annotations

import os

import numpy as np
import numpy.typing as npt

from avala_desktop.core.pointcloud import PointCloudError, load_point_cloud_bytes

# A point cloud beyond this is not something the reference server should hold in memory.
MAX_POINTS = 20_000_000


class PointCloudDecodeError(ValueError):
    """The bytes are not a point cloud this server can read; the message says why."""


def guess_suffix(data: bytes, filename: str | None) -> str:
    if filename:
        ext = os.path.splitext(filename)[1].lower()
        if ext in (".pcd", ".ply", ".bin"):
            return ext
    head = data[:64]
    if head.startswith((b"ply\n", b"ply\r\n")):
        return ".ply"
    if head.startswith((b"# .PCD", b"VERSION", b"FIELDS")):
        return ".pcd"
    return ".bin"


def read_point_cloud(data: bytes, *, filename: str | None = None) -> npt.NDArray[np.float32]:
    """Decode PCD, PLY or KITTI .bin bytes; raises PointCloudDecodeError with a reason."""
    if not data:
        raise PointCloudDecodeError("the point cloud is empty (0 bytes)")
    try:
        cloud = load_point_cloud_bytes(data, guess_suffix(data, filename), name=filename)
    except PointCloudError as exc:
        raise PointCloudDecodeError(exc.reason) from exc
    points = cloud.points
    if points.shape[0] > MAX_POINTS:
        raise PointCloudDecodeError(
            f"the cloud has {points.shape[0]} points, more than this server accepts ({MAX_POINTS})"
        )
    finite = np.isfinite(points).all(axis=1)
    return np.ascontiguousarray(points[finite], dtype=np.float32)
