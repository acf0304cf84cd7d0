"""PCD data sections (ascii, binary, binary_compressed) to a PointCloud.

Binary records are read in place with a structured dtype: x, y and z come back as a strided
float32 view into the file buffer, so a 1 M-point file costs little more than reading it.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping

import numpy as np

from avala_desktop.core.pointcloud.lzf import LzfError, lzf_decompress
from avala_desktop.core.pointcloud.model import LoadCancelled, PointCloud, PointCloudError
from avala_desktop.core.pointcloud.pcd_header import PcdHeader, PcdHeaderError, parse_header
from avala_desktop.core.pointcloud.progress import Progress

Buffer = bytes | bytearray | memoryview
INTENSITY_FIELDS = ("intensity", "i", "reflectance", "remission")
_ASCII_CHUNK_LINES = 100_000


def decode_pcd(buf: Buffer, progress: Progress, start: float = 0.0) -> PointCloud:
    """Decode a whole PCD file held in ``buf``; progress runs from ``start`` to 1."""
    try:
        header = parse_header(buf)
    except PcdHeaderError as exc:
        raise PointCloudError(progress.source, str(exc)) from None
    for axis in "xyz":
        if header.field(axis) is None:
            names = " ".join(f.name for f in header.fields)
            raise PointCloudError(progress.source, f"it has no {axis} field (FIELDS {names})")
    stage = progress.stage(start, 1.0)
    if header.data == "binary":
        columns, points = _binary_columns(buf, header, progress)
    elif header.data == "binary_compressed":
        columns = _compressed_columns(buf, header, progress, stage)
        points = None
    else:
        columns = _ascii_columns(buf, header, progress, stage)
        points = None
    cloud = assemble(columns, header.points, points, header.width, header.height)
    stage(1.0)
    return cloud


def assemble(
    columns: Mapping[str, np.ndarray],
    n: int,
    points: np.ndarray | None = None,
    width: int = 0,
    height: int = 1,
) -> PointCloud:
    """Pick x/y/z, intensity and colour out of named columns."""
    if points is None:
        points = np.empty((n, 3), np.float32)
        for i, axis in enumerate("xyz"):
            points[:, i] = columns[axis]
    intensity = None
    for name in INTENSITY_FIELDS:
        col = columns.get(name)
        if col is not None and col.ndim == 1:
            intensity = col if col.dtype == np.float32 else col.astype(np.float32)
            break
    return PointCloud(points, intensity, _colors(columns), width or n, height)


def _colors(columns: Mapping[str, np.ndarray]) -> np.ndarray | None:
    packed = columns.get("rgb")
    if packed is None:
        packed = columns.get("rgba")
    if packed is not None and packed.ndim == 1 and packed.dtype.itemsize == 4:
        # PCL packs 0x00RRGGBB into the bits of a float or an unsigned int.
        bits = np.ascontiguousarray(packed).view(np.uint32)
        rgb = np.empty((bits.shape[0], 3), np.uint8)
        rgb[:, 0] = bits >> 16
        rgb[:, 1] = bits >> 8
        rgb[:, 2] = bits
        return rgb
    if all(c in columns for c in "rgb"):
        return np.stack([columns[c] for c in "rgb"], axis=1).astype(np.uint8)
    return None


def _binary_columns(
    buf: Buffer, header: PcdHeader, progress: Progress
) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
    need = header.points * header.record_size
    have = len(buf) - header.data_offset
    if have < need:
        raise PointCloudError(
            progress.source,
            f"it is truncated: {header.points} points need {need} bytes of binary data, "
            f"the file has {have}",
        )
    records = np.frombuffer(
        buf, header.record_dtype, count=header.points, offset=header.data_offset
    )
    columns = {f.name: records[f.name] for f in header.fields}
    return columns, _xyz_view(records, header)


def _xyz_view(records: np.ndarray, header: PcdHeader) -> np.ndarray | None:
    """x, y, z as one (N, 3) view when they are adjacent float32 fields, else None."""
    fields = header.record_dtype.fields
    assert fields is not None
    offsets = []
    for axis in "xyz":
        f = header.field(axis)
        if f is None or f.type != "F" or f.size != 4 or f.count != 1:
            return None
        offsets.append(fields[axis][1])
    if offsets[1] != offsets[0] + 4 or offsets[2] != offsets[0] + 8:
        return None
    return np.lib.stride_tricks.as_strided(
        records["x"], shape=(header.points, 3), strides=(records.strides[0], 4), writeable=False
    )


def _compressed_columns(
    buf: Buffer, header: PcdHeader, progress: Progress, stage: Callable[[float], None]
) -> dict[str, np.ndarray]:
    off = header.data_offset
    if len(buf) - off < 8:
        raise PointCloudError(
            progress.source, "it is truncated: the compressed block header is missing"
        )
    compressed, uncompressed = struct.unpack_from("<II", buf, off)
    need = header.points * header.record_size
    if uncompressed != need:
        raise PointCloudError(
            progress.source,
            f"it is corrupt: the compressed block unpacks to {uncompressed} bytes, "
            f"{header.points} points need {need}",
        )
    if len(buf) - off - 8 < compressed:
        raise PointCloudError(
            progress.source,
            f"it is truncated: the compressed block has {len(buf) - off - 8} of {compressed} bytes",
        )
    try:
        block = memoryview(buf)[off + 8 : off + 8 + compressed]
        raw = lzf_decompress(block, need, progress.cancel_event, stage)
    except InterruptedError:
        raise LoadCancelled(progress.source) from None
    except LzfError as exc:
        raise PointCloudError(progress.source, f"its compressed data is corrupt ({exc})") from None
    # binary_compressed stores the file column by column: all x, then all y, ...
    columns: dict[str, np.ndarray] = {}
    pos = 0
    for f in header.fields:
        col = np.frombuffer(raw, f.dtype, count=header.points * f.count, offset=pos)
        columns[f.name] = col if f.count == 1 else col.reshape(header.points, f.count)
        pos += header.points * f.size * f.count
    return columns


def _ascii_columns(
    buf: Buffer, header: PcdHeader, progress: Progress, stage: Callable[[float], None]
) -> dict[str, np.ndarray]:
    n = header.points
    width = sum(f.count for f in header.fields)
    try:
        text = bytes(buf[header.data_offset :]).decode("ascii")
    except UnicodeDecodeError as exc:
        raise PointCloudError(
            progress.source, f"its ascii data has a non-text byte at {exc.start}"
        ) from None
    lines = text.splitlines()
    table = np.empty((n, width), np.float64)
    rows = 0
    pos = 0
    while rows < n and pos < len(lines):
        chunk = lines[pos : pos + _ASCII_CHUNK_LINES]
        try:
            values = np.loadtxt(chunk, dtype=np.float64, ndmin=2, comments="#")
        except ValueError as exc:
            raise PointCloudError(
                progress.source, f"its ascii data near line {pos + 1} is malformed ({exc})"
            ) from None
        if values.size and values.shape[1] != width:
            raise PointCloudError(
                progress.source,
                f"its ascii data near line {pos + 1} has {values.shape[1]} values per point, "
                f"FIELDS/COUNT declare {width}",
            )
        take = min(len(values), n - rows)
        table[rows : rows + take] = values[:take]
        rows += take
        pos += len(chunk)
        stage(rows / max(n, 1))
    if rows < n:
        raise PointCloudError(
            progress.source, f"it is truncated: {rows} of {n} points in the ascii data"
        )
    columns: dict[str, np.ndarray] = {}
    col = 0
    for f in header.fields:
        block = table[:, col : col + f.count]
        # Integer fields pass through float64 exactly up to 2**53; rgb floats keep their bits.
        arr = block.astype(f.dtype)
        columns[f.name] = arr[:, 0] if f.count == 1 else arr
        col += f.count
    return columns
