"""Point cloud loading: PCD (3 encodings), PLY, KITTI .bin, compared with open3d's readers."""

from __future__ import annotations

import struct
import threading
from pathlib import Path

import numpy as np
import open3d as o3d
import pytest

from avala_desktop.core.pointcloud import (
    LoadCancelled,
    PointCloud,
    PointCloudError,
    load_point_cloud,
    load_point_cloud_bytes,
)
from avala_desktop.core.pointcloud import progress as progress_module
from avala_desktop.core.pointcloud.lzf import LzfError, lzf_decompress

ENCODINGS = ("ascii", "binary", "binary_compressed")


def _legacy_write(path: Path, points: np.ndarray, colors: np.ndarray | None, encoding: str) -> None:
    cloud = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(points.astype(np.float64)))
    if colors is not None:
        cloud.colors = o3d.utility.Vector3dVector(colors.astype(np.float64) / 255.0)
    ok = o3d.io.write_point_cloud(
        str(path),
        cloud,
        write_ascii=encoding == "ascii",
        compressed=encoding == "binary_compressed",
    )
    assert ok


def _tensor_write(path: Path, points: np.ndarray, intensity: np.ndarray, encoding: str) -> None:
    cloud = o3d.t.geometry.PointCloud()
    cloud.point.positions = o3d.core.Tensor(points.astype(np.float32))
    cloud.point.intensity = o3d.core.Tensor(intensity.astype(np.float32)[:, None])
    ok = o3d.t.io.write_point_cloud(
        str(path),
        cloud,
        write_ascii=encoding == "ascii",
        compressed=encoding == "binary_compressed",
    )
    assert ok


def _lzf_literals(data: bytes) -> bytes:
    """A valid LZF stream made of literal runs only (enough to write test files)."""
    out = bytearray()
    for i in range(0, len(data), 32):
        chunk = data[i : i + 32]
        out.append(len(chunk) - 1)
        out += chunk
    return bytes(out)


# x y z, a padding field, intensity, PCL-packed rgb in a float, a ring number, a float64
# timestamp and a 3-vector: the shape of real driver output.
HAND_DTYPE = np.dtype(
    [
        ("x", "<f4"), ("y", "<f4"), ("z", "<f4"), ("_", "<f4"), ("intensity", "<f4"),
        ("rgb", "<f4"), ("ring", "<u2"), ("t", "<f8"), ("normal", "<f4", (3,)),
    ]
)  # fmt: skip
HAND_HEADER = """# .PCD v0.7 - written by hand
VERSION 0.7
FIELDS x y z _ intensity rgb ring t normal
SIZE 4 4 4 4 4 4 2 8 4
TYPE F F F F F F U F F
COUNT 1 1 1 1 1 1 1 1 3
WIDTH {w}
HEIGHT {h}
VIEWPOINT 0 0 0 1 0 0 0
POINTS {n}
DATA {data}
"""


def _hand_records(width: int, height: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = width * height
    rec = np.zeros(n, HAND_DTYPE)
    for axis in "xyz":
        rec[axis] = rng.normal(scale=10.0, size=n)
    # An organised cloud keeps its missing returns as NaN points.
    for axis in "xyz":
        rec[axis][[1, n - 2]] = np.nan
    rec["intensity"] = rng.uniform(0, 255, n)
    rgb = rng.integers(0, 256, (n, 3)).astype(np.uint32)
    rec["rgb"] = ((rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]).view(np.float32)
    rec["ring"] = np.arange(n) % 16
    rec["t"] = np.linspace(0.0, 0.1, n)
    rec["normal"] = rng.normal(size=(n, 3))
    return rec, rgb.astype(np.uint8)


def _hand_write(path: Path, rec: np.ndarray, width: int, height: int, encoding: str) -> None:
    header = HAND_HEADER.format(w=width, h=height, n=len(rec), data=encoding).encode()
    if encoding == "binary":
        body = rec.tobytes()
    elif encoding == "binary_compressed":
        columns = b"".join(np.ascontiguousarray(rec[name]).tobytes() for name in HAND_DTYPE.names)
        packed = _lzf_literals(columns)
        body = struct.pack("<II", len(packed), len(columns)) + packed
    else:
        lines = []
        for r in rec:
            rgb_bits = int(np.float32(r["rgb"]).view(np.uint32))
            # PCL writes a packed-float rgb in ascii as the float; repr keeps every bit.
            rgb_text = repr(float(np.uint32(rgb_bits).view(np.float32)))
            values = [r["x"], r["y"], r["z"], 0.0, r["intensity"]]
            text = [repr(float(v)) for v in values]
            text += [rgb_text, str(int(r["ring"])), repr(float(r["t"]))]
            text += [repr(float(v)) for v in r["normal"]]
            lines.append(" ".join(text))
        body = ("\n".join(lines) + "\n").encode()
    path.write_bytes(header + body)


def _same_points(ours: PointCloud, path: Path) -> None:
    reference = np.asarray(o3d.io.read_point_cloud(str(path)).points)
    assert ours.points.dtype == np.float32
    assert ours.points.shape == reference.shape
    np.testing.assert_array_equal(ours.points, reference.astype(np.float32))


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_open3d_written_pcd_matches_open3d_reader(tmp_path: Path, encoding: str) -> None:
    rng = np.random.default_rng(0)
    points = rng.uniform(-40, 40, (5000, 3))
    colors = rng.integers(0, 256, (5000, 3)).astype(np.uint8)
    path = tmp_path / f"cloud_{encoding}.pcd"
    _legacy_write(path, points, colors, encoding)

    cloud = load_point_cloud(path)

    _same_points(cloud, path)
    reference = np.asarray(o3d.io.read_point_cloud(str(path)).colors)
    assert cloud.colors is not None
    np.testing.assert_array_equal(cloud.colors, np.rint(reference * 255).astype(np.uint8))
    assert (cloud.width, cloud.height) == (5000, 1)


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_intensity_written_by_open3d_tensor_io(tmp_path: Path, encoding: str) -> None:
    rng = np.random.default_rng(2)
    points = rng.uniform(-40, 40, (3000, 3)).astype(np.float32)
    intensity = rng.uniform(0, 1, 3000).astype(np.float32)
    intensity[:500] = 0.0  # long runs: LZF encodes them as overlapping back-references
    path = tmp_path / f"intensity_{encoding}.pcd"
    _tensor_write(path, points, intensity, encoding)

    cloud = load_point_cloud(path)

    _same_points(cloud, path)
    reference = o3d.t.io.read_point_cloud(str(path)).point.intensity.numpy()[:, 0]
    assert cloud.intensity is not None
    np.testing.assert_array_equal(cloud.intensity, reference)
    np.testing.assert_allclose(cloud.intensity, intensity, rtol=1e-6)


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_hand_written_organised_pcd_with_extra_fields(tmp_path: Path, encoding: str) -> None:
    rec, rgb = _hand_records(width=8, height=5)
    path = tmp_path / f"organised_{encoding}.pcd"
    _hand_write(path, rec, 8, 5, encoding)

    cloud = load_point_cloud(path)

    _same_points(cloud, path)
    assert (cloud.width, cloud.height, len(cloud)) == (8, 5, 40)
    assert np.isnan(cloud.points[1]).all() and np.isnan(cloud.points[38]).all()
    assert cloud.intensity is not None
    np.testing.assert_array_equal(cloud.intensity, rec["intensity"])
    assert cloud.colors is not None
    np.testing.assert_array_equal(cloud.colors, rgb)
    reference = np.asarray(o3d.io.read_point_cloud(str(path)).colors)
    np.testing.assert_array_equal(cloud.colors, np.rint(reference * 255).astype(np.uint8))


def test_binary_points_are_a_view_of_the_file_buffer(tmp_path: Path) -> None:
    rec, _ = _hand_records(width=10, height=1)
    path = tmp_path / "view.pcd"
    _hand_write(path, rec, 10, 1, "binary")
    cloud = load_point_cloud(path)
    # No copy: points and intensity are interleaved views of the same record buffer.
    assert cloud.intensity is not None
    assert not cloud.points.flags.owndata
    assert np.may_share_memory(cloud.points, cloud.intensity)
    assert cloud.points.strides == (HAND_DTYPE.itemsize, 4)


def test_kitti_bin(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    table = rng.uniform(-50, 50, (1234, 4)).astype(np.float32)
    path = tmp_path / "000001.bin"
    table.tofile(path)

    cloud = load_point_cloud(path)

    np.testing.assert_array_equal(cloud.points, table[:, :3])
    assert cloud.intensity is not None
    np.testing.assert_array_equal(cloud.intensity, table[:, 3])
    assert cloud.colors is None


def test_ply_with_intensity_and_colors(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    tcloud = o3d.t.geometry.PointCloud()
    points = rng.uniform(-5, 5, (700, 3)).astype(np.float32)
    tcloud.point.positions = o3d.core.Tensor(points)
    tcloud.point.intensity = o3d.core.Tensor(rng.uniform(0, 1, (700, 1)).astype(np.float32))
    tcloud.point.colors = o3d.core.Tensor(rng.integers(0, 256, (700, 3)).astype(np.uint8))
    path = tmp_path / "scan.ply"
    assert o3d.t.io.write_point_cloud(str(path), tcloud)

    cloud = load_point_cloud(path)

    np.testing.assert_array_equal(cloud.points, points)
    np.testing.assert_array_equal(
        cloud.points, np.asarray(o3d.io.read_point_cloud(str(path)).points, np.float32)
    )
    assert cloud.intensity is not None
    np.testing.assert_array_equal(cloud.intensity, tcloud.point.intensity.numpy()[:, 0])
    assert cloud.colors is not None
    np.testing.assert_array_equal(cloud.colors, tcloud.point.colors.numpy())


@pytest.mark.parametrize("suffix", [".pcd", ".bin", ".ply"])
def test_bytes_loader_matches_file_loader(tmp_path: Path, suffix: str) -> None:
    rng = np.random.default_rng(5)
    points = rng.uniform(-5, 5, (300, 3)).astype(np.float32)
    path = tmp_path / f"c{suffix}"
    if suffix == ".bin":
        np.hstack([points, np.ones((300, 1), np.float32)]).tofile(path)
    elif suffix == ".pcd":
        _tensor_write(path, points, np.ones(300, np.float32), "binary_compressed")
    else:
        _legacy_write(path, points, None, "binary")
    from_file = load_point_cloud(path)
    from_bytes = load_point_cloud_bytes(path.read_bytes(), suffix, name="upload")
    np.testing.assert_array_equal(from_bytes.points, from_file.points)


# --- failures name the file and say why -------------------------------------------------


def _error(path: Path) -> PointCloudError:
    with pytest.raises(PointCloudError) as info:
        load_point_cloud(path)
    assert str(path) in str(info.value)
    return info.value


def test_truncated_binary_pcd(tmp_path: Path) -> None:
    path = tmp_path / "cut.pcd"
    _legacy_write(path, np.random.default_rng(0).normal(size=(1000, 3)), None, "binary")
    path.write_bytes(path.read_bytes()[:-500])
    assert "truncated" in _error(path).reason


def test_truncated_ascii_pcd(tmp_path: Path) -> None:
    path = tmp_path / "cut.pcd"
    _legacy_write(path, np.random.default_rng(0).normal(size=(100, 3)), None, "ascii")
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:-10]))
    assert "90 of 100" in _error(path).reason


def test_ascii_line_with_wrong_value_count(tmp_path: Path) -> None:
    path = tmp_path / "bad.pcd"
    _legacy_write(path, np.random.default_rng(0).normal(size=(10, 3)), None, "ascii")
    path.write_bytes(path.read_bytes().rstrip(b"\n") + b" 7\n")
    assert "malformed" in _error(path).reason


@pytest.mark.parametrize("damage", ["truncate", "bad_reference", "size_mismatch"])
def test_corrupt_compressed_pcd(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "cut.pcd"
    _tensor_write(
        path, np.random.default_rng(0).normal(size=(2000, 3)), np.zeros(2000), "binary_compressed"
    )
    data = bytearray(path.read_bytes())
    start = data.index(b"DATA binary_compressed\n") + len(b"DATA binary_compressed\n")
    if damage == "truncate":
        data = data[:-100]
    elif damage == "bad_reference":
        # A back-reference as the very first token points before the start of the output.
        data[start + 8] = 0xE0
    else:
        struct.pack_into("<I", data, start + 4, 12345)
    path.write_bytes(bytes(data))
    reason = _error(path).reason
    assert ("truncated" in reason) or ("corrupt" in reason)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (b"VERSION 0.7\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 1\nPOINTS 1\n", "no DATA"),
        (b"FIELDS x y\nSIZE 4 4\nTYPE F F\nWIDTH 1\nPOINTS 1\nDATA ascii\n1 2\n", "no z field"),
        (b"FIELDS x y z\nSIZE 4 4\nTYPE F F F\nWIDTH 1\nDATA ascii\n", "SIZE lists 2"),
        (b"FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 2\nPOINTS 3\nDATA ascii\n", "POINTS 3"),
        (b"FIELDS x y z\nSIZE 4 4 3\nTYPE F F F\nWIDTH 1\nDATA ascii\n", "unsupported type F3"),
        (b"FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 1\nDATA zip\n", "DATA 'zip'"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "not a PCD"),
    ],
)
def test_bad_pcd_header(tmp_path: Path, header: bytes, expected: str) -> None:
    path = tmp_path / "bad.pcd"
    path.write_bytes(header)
    assert expected in _error(path).reason


def test_kitti_bin_with_a_partial_record(tmp_path: Path) -> None:
    path = tmp_path / "000002.bin"
    path.write_bytes(np.zeros(10, np.float32).tobytes()[:38])
    assert "multiple of 16" in _error(path).reason


@pytest.mark.parametrize("ascii_ply", [False, True])
def test_truncated_ply(tmp_path: Path, ascii_ply: bool) -> None:
    # open3d itself only prints a warning and returns zero-filled points for these.
    path = tmp_path / "cut.ply"
    cloud = o3d.geometry.PointCloud(
        o3d.utility.Vector3dVector(np.random.default_rng(0).normal(size=(500, 3)))
    )
    assert o3d.io.write_point_cloud(str(path), cloud, write_ascii=ascii_ply)
    path.write_bytes(path.read_bytes()[:-3000])
    reason = _error(path).reason
    assert "truncated" in reason and "500" in reason


def test_not_a_ply(tmp_path: Path) -> None:
    path = tmp_path / "fake.ply"
    path.write_bytes(b"solid cube\nfacet normal 0 0 1\n")
    assert "not a PLY" in _error(path).reason


def test_missing_file_and_unknown_suffix(tmp_path: Path) -> None:
    assert "does not exist" in _error(tmp_path / "nowhere.pcd").reason
    assert "does not exist" in _error(tmp_path / "nowhere.ply").reason
    path = tmp_path / "cloud.xyz"
    path.write_bytes(b"1 2 3\n")
    assert "not supported" in _error(path).reason


# --- progress and cancel ---------------------------------------------------------------


def test_progress_is_monotonic_and_ends_at_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(progress_module, "CHUNK_BYTES", 4096)
    path = tmp_path / "p.pcd"
    _legacy_write(path, np.random.default_rng(0).normal(size=(20_000, 3)), None, "binary")
    seen: list[float] = []
    load_point_cloud(path, progress=seen.append)
    assert len(seen) > 10
    assert seen == sorted(seen)
    assert seen[0] == 0.0 and seen[-1] == 1.0


@pytest.mark.parametrize("encoding", ["binary", "ascii"])
def test_cancel_during_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, encoding: str) -> None:
    monkeypatch.setattr(progress_module, "CHUNK_BYTES", 4096)
    path = tmp_path / "c.pcd"
    _legacy_write(path, np.random.default_rng(0).normal(size=(20_000, 3)), None, encoding)
    cancel = threading.Event()
    seen: list[float] = []

    def on_progress(fraction: float) -> None:
        seen.append(fraction)
        if fraction > 0.2:
            cancel.set()

    with pytest.raises(LoadCancelled):
        load_point_cloud(path, progress=on_progress, cancel=cancel)
    assert seen[-1] < 1.0


def test_cancel_during_lzf_decompression(tmp_path: Path) -> None:
    path = tmp_path / "big.pcd"
    # > 1 MiB decompressed, so the decoder reaches a cancel check.
    _tensor_write(
        path,
        np.random.default_rng(0).normal(size=(120_000, 3)),
        np.zeros(120_000),
        "binary_compressed",
    )
    cancel = threading.Event()

    def on_progress(fraction: float) -> None:
        if fraction > 0.6:
            cancel.set()

    with pytest.raises(LoadCancelled):
        load_point_cloud(path, progress=on_progress, cancel=cancel)


def test_lzf_rejects_damaged_streams() -> None:
    assert lzf_decompress(bytes([2, 65, 66, 67, 0x20, 2]), 6) == bytearray(b"ABCABC")
    # A run of one byte repeated: an overlapping back-reference (distance 1, length 8).
    assert lzf_decompress(bytes([0, 7, 0xC0, 0]), 9) == bytearray(b"\x07" * 9)
    with pytest.raises(LzfError, match="past the end"):
        lzf_decompress(bytes([5, 1, 2]), 6)
    with pytest.raises(LzfError, match="before the start"):
        lzf_decompress(bytes([0, 1, 0x20, 5]), 4)
    with pytest.raises(LzfError, match="announced"):
        lzf_decompress(bytes([1, 1, 2]), 3)
