"""KITTI velodyne ``.bin`` (numpy) and ``.ply`` (open3d's tensor reader, which keeps intensity)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from avala_desktop.core.pointcloud.model import PointCloud, PointCloudError
from avala_desktop.core.pointcloud.progress import Progress

Buffer = bytes | bytearray | memoryview
_KITTI_RECORD = 16  # float32 x, y, z, intensity


def decode_kitti_bin(buf: Buffer, progress: Progress) -> PointCloud:
    if len(buf) % _KITTI_RECORD:
        raise PointCloudError(
            progress.source,
            f"its size ({len(buf)} bytes) is not a multiple of 16; a KITTI .bin holds float32 "
            "x, y, z, intensity per point",
        )
    table = np.frombuffer(buf, "<f4").reshape(-1, 4)
    return PointCloud(table[:, :3], table[:, 3])


_PLY_SIZES = {
    "char": 1, "int8": 1, "uchar": 1, "uint8": 1, "short": 2, "int16": 2, "ushort": 2,
    "uint16": 2, "int": 4, "int32": 4, "uint": 4, "uint32": 4, "float": 4, "float32": 4,
    "double": 8, "float64": 8,
}  # fmt: skip


def check_ply(path: Path, source: str) -> int:
    """The vertex count the PLY header declares, after checking the file holds them all.

    open3d reports a cut-short PLY only as a console warning and returns zero-filled points, so
    the header is read here and the file size (binary) or line count (ascii) checked against it.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PointCloudError(
            source, f"the file could not be read ({exc.strerror or exc})"
        ) from None
    if not data.startswith(b"ply"):
        raise PointCloudError(source, "it does not start with 'ply'; this is not a PLY file")
    end = data.find(b"end_header", 0, 64 * 1024)
    if end < 0:
        raise PointCloudError(source, "its header has no end_header line")
    body = data.find(b"\n", end) + 1 or len(data)
    fmt = ""
    names: list[str] = []
    counts: list[int] = []
    # Bytes per row of each element; None once a list property makes the rows variable.
    sizes: list[int | None] = []
    for raw in data[:end].splitlines():
        words = raw.decode("ascii", "replace").split()
        if words[:1] == ["format"] and len(words) >= 2:
            fmt = words[1]
        elif words[:1] == ["element"] and len(words) == 3 and words[2].isdigit():
            names.append(words[1])
            counts.append(int(words[2]))
            sizes.append(0)
        elif words[:1] == ["property"] and sizes and len(words) >= 3:
            row = sizes[-1]
            sizes[-1] = (
                row + _PLY_SIZES[words[1]] if row is not None and words[1] in _PLY_SIZES else None
            )
    if "vertex" not in names:
        raise PointCloudError(source, "its header declares no 'element vertex'")
    last = names.index("vertex") + 1
    expected = counts[last - 1]
    fixed = [size for size in sizes[:last] if size is not None]
    if len(fixed) < last:
        return expected  # variable-size rows before the vertices: leave the check to open3d
    if fmt.startswith("binary"):
        need = sum(c * size for c, size in zip(counts[:last], fixed, strict=True))
        if len(data) - body < need:
            raise PointCloudError(
                source,
                f"it is truncated: {expected} vertices need {need} bytes after the header, "
                f"the file has {len(data) - body}",
            )
    elif fmt == "ascii":
        rows = sum(counts[:last])
        lines = sum(1 for line in data[body:].splitlines() if line.strip())
        if lines < rows:
            raise PointCloudError(source, f"it is truncated: {lines} of {rows} data lines")
    return expected


def read_ply(path: Path, progress: Progress) -> PointCloud:
    import open3d as o3d  # heavy; only PLY needs it

    expected = check_ply(path, progress.source)
    progress.report(0.05)
    try:
        with o3d.utility.VerbosityContextManager(o3d.utility.VerbosityLevel.Error):
            cloud = o3d.t.io.read_point_cloud(path)
    except RuntimeError as exc:
        raise PointCloudError(progress.source, f"open3d could not read it ({exc})") from None
    attrs = cloud.point
    n = int(attrs.positions.shape[0]) if "positions" in attrs else 0
    if n != expected:
        raise PointCloudError(
            progress.source,
            f"only {n} of the {expected} vertices its header declares could be read; "
            "the file is truncated or corrupt",
        )
    points = np.ascontiguousarray(attrs.positions.numpy(), dtype=np.float32)
    intensity = None
    if "intensity" in attrs:
        intensity = np.ascontiguousarray(attrs.intensity.numpy().reshape(n), dtype=np.float32)
    colors = None
    if "colors" in attrs:
        raw = attrs.colors.numpy()
        if raw.dtype == np.uint8:
            colors = np.ascontiguousarray(raw)
        else:
            colors = np.clip(np.rint(raw * 255.0), 0, 255).astype(np.uint8)
    progress.report(1.0)
    return PointCloud(points, intensity, colors)
