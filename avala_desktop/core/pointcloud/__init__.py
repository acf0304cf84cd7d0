"""Point cloud loading: ``.pcd`` (ascii, binary, binary_compressed), ``.ply``, KITTI ``.bin``.

``load_point_cloud(path, progress, cancel)`` is safe to run on a worker thread: it reports
progress in 0..1 and raises LoadCancelled soon after ``cancel`` is set. Every failure is a
PointCloudError whose message names the file and says what is wrong with it.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

from avala_desktop.core.pointcloud.model import LoadCancelled, PointCloud, PointCloudError
from avala_desktop.core.pointcloud.other_formats import decode_kitti_bin, read_ply
from avala_desktop.core.pointcloud.pcd import decode_pcd
from avala_desktop.core.pointcloud.progress import Progress, ProgressCallback, read_file

__all__ = [
    "SUPPORTED_SUFFIXES",
    "LoadCancelled",
    "PointCloud",
    "PointCloudError",
    "load_point_cloud",
    "load_point_cloud_bytes",
]

SUPPORTED_SUFFIXES = (".pcd", ".ply", ".bin")
# Share of the progress bar spent reading bytes; decoding (ascii parsing, LZF) takes the rest.
_READ_SHARE = 0.6


def _suffix(name: str, source: str) -> str:
    lowered = name.lower()
    suffix = lowered[lowered.rfind(".") :] if "." in lowered else "." + lowered
    if suffix not in SUPPORTED_SUFFIXES:
        raise PointCloudError(
            source, f"the file type {suffix!r} is not supported; use .pcd, .ply or KITTI .bin"
        )
    return suffix


def load_point_cloud(
    path: str | os.PathLike[str],
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> PointCloud:
    """Load a point cloud file; the format follows the suffix."""
    path = Path(path)
    source = f"'{path}'"
    suffix = _suffix(path.name, source)
    prog = Progress(source, progress, cancel)
    prog.report(0.0)
    if suffix == ".ply":
        if not path.is_file():
            raise PointCloudError(source, "the file does not exist")
        return read_ply(path, prog)
    buf = read_file(path, prog, 0.0, _READ_SHARE)
    return _decode(buf, suffix, prog)


def load_point_cloud_bytes(
    data: bytes | bytearray | memoryview,
    suffix: str,
    *,
    name: str | None = None,
    cancel: threading.Event | None = None,
) -> PointCloud:
    """Decode a point cloud held in memory (e.g. a request body); ``suffix`` like '.pcd'."""
    source = f"'{name}'" if name else f"(in-memory {suffix} data)"
    suffix = _suffix(suffix, source)
    prog = Progress(source, None, cancel)
    if suffix == ".ply":
        # open3d only reads PLY from a path.
        fd, tmp = tempfile.mkstemp(suffix=".ply")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            return read_ply(Path(tmp), prog)
        finally:
            os.unlink(tmp)
    return _decode(data, suffix, prog)


def _decode(buf: bytes | bytearray | memoryview, suffix: str, prog: Progress) -> PointCloud:
    cloud = decode_kitti_bin(buf, prog) if suffix == ".bin" else decode_pcd(buf, prog, _READ_SHARE)
    prog.report(1.0)
    return cloud
