"""The numpy LZF decoder against the serial one, a byte-at-a-time reference and open3d."""

from __future__ import annotations

import struct
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import open3d as o3d
import pytest

from avala_desktop.core.pointcloud import (
    LoadCancelled,
    load_point_cloud,
    load_point_cloud_bytes,
    lzf,
    lzf_tokens,
)
from avala_desktop.core.pointcloud.lzf import (
    SERIAL_BELOW,
    LzfError,
    lzf_decompress,
    lzf_decompress_numpy,
    lzf_decompress_serial,
)
from avala_desktop.core.pointcloud.lzf_tokens import token_starts
from avala_desktop.core.pointcloud.pcd_header import parse_header
from tests.unit.test_pointcloud_io import HAND_DTYPE, HAND_HEADER, _hand_records

# --- streams made here, with the expected output built one byte at a time -----------------


def _ref_header(length: int, dist: int) -> bytes:
    code, back = length - 2, dist - 1
    if code < 7:
        return bytes([(code << 5) | (back >> 8), back & 0xFF])
    return bytes([0xE0 | (back >> 8), code - 7, back & 0xFF])


def _random_stream(seed: int, profile: str, tokens: int = 3000) -> tuple[bytes, bytes]:
    """A valid LZF stream of random tokens and the bytes it decodes to.

    Profiles: "points" (mostly full 32-byte literal runs, like float coordinates), "chains"
    (short references into recent references, like quantised intensities), "runs" (long
    overlapping references, like zero padding) and "mixed".
    """
    rng = np.random.default_rng(seed)
    p_literal = {"points": 0.85, "chains": 0.3, "runs": 0.4, "mixed": 0.55}[profile]
    comp = bytearray()
    out = bytearray()
    for _ in range(tokens):
        if not out or rng.random() < p_literal:
            run = 32 if rng.random() < 0.6 else int(rng.integers(1, 33))
            alphabet = 256 if profile != "chains" else 4
            payload = rng.integers(0, alphabet, run).astype(np.uint8).tobytes()
            comp.append(run - 1)
            comp += payload
            out += payload
            continue
        if profile == "runs" or (profile == "mixed" and rng.random() < 0.2):
            length = int(rng.integers(3, 265))
            dist = int(rng.integers(1, min(len(out), 4) + 1))
        else:
            length = int(rng.integers(3, 12))
            dist = int(rng.integers(1, min(len(out), 8192 if profile != "chains" else 64) + 1))
        comp += _ref_header(length, dist)
        for _ in range(length):
            out.append(out[-dist])
    return bytes(comp), bytes(out)


def lzf_compress(data: bytes) -> bytes:
    """A greedy LZF compressor (3-byte hash matches, overlapping ones included)."""
    comp = bytearray()
    literal = bytearray()
    last_seen: dict[bytes, int] = {}
    i, n = 0, len(data)

    def flush() -> None:
        for k in range(0, len(literal), 32):
            chunk = literal[k : k + 32]
            comp.append(len(chunk) - 1)
            comp.extend(chunk)
        literal.clear()

    while i < n:
        key = data[i : i + 3]
        candidate = last_seen.get(key) if len(key) == 3 else None
        if len(key) == 3:
            last_seen[key] = i
        if candidate is not None and i - candidate <= 8192:
            length = 3
            while i + length < n and length < 264 and data[candidate + length] == data[i + length]:
                length += 1
            flush()
            comp += _ref_header(length, i - candidate)
            i += length
        else:
            literal.append(data[i])
            i += 1
    flush()
    return bytes(comp)


def _walk_serially(data: bytes) -> tuple[list[int], int]:
    steps = [c + 2 if c < 32 else (2 if c < 0xE0 else 3) for c in range(256)]
    pos, starts = 0, []
    while pos < len(data):
        starts.append(pos)
        pos += steps[data[pos]]
    return starts, pos


# --- the token walk ---------------------------------------------------------------------


@pytest.mark.parametrize("block", [64, 128, 1024])
@pytest.mark.parametrize("seed", range(6))
def test_token_starts_match_a_serial_walk_of_any_bytes(
    monkeypatch: pytest.MonkeyPatch, seed: int, block: int
) -> None:
    # Random bytes are a valid token chain too: they exercise walkers that start in garbage.
    monkeypatch.setattr(lzf_tokens, "_TAIL_WALKERS", 4)
    data = np.random.default_rng(seed).bytes(20_000 + 997 * seed)
    expected, end = _walk_serially(data)
    found = token_starts(np.frombuffer(data, np.uint8), block)
    if found is None:
        # Allowed (the caller falls back to the serial decoder), but not for big blocks.
        assert block < 1024
        return
    assert found[1] == end
    np.testing.assert_array_equal(found[0], expected)


@pytest.mark.parametrize("profile", ["points", "chains", "runs", "mixed"])
def test_token_starts_of_real_streams(monkeypatch: pytest.MonkeyPatch, profile: str) -> None:
    monkeypatch.setattr(lzf_tokens, "_TAIL_WALKERS", 4)
    comp, _ = _random_stream(7, profile)
    expected, end = _walk_serially(comp)
    found = token_starts(np.frombuffer(comp, np.uint8), 256)
    assert found is not None
    assert found[1] == end == len(comp)
    np.testing.assert_array_equal(found[0], expected)


def test_walkers_that_never_join_fall_back_to_the_serial_decoder() -> None:
    # A 2-byte literal, then 2-byte references whose offset byte 0 reads as a 1-byte literal:
    # the real chain is on odd offsets, every walker starting on an even one stays there.
    comp = bytes([1, 7, 9]) + bytes([0x20, 0x00]) * 6000
    expected = bytes([7, 9]) + bytes([9]) * 3 * 6000
    assert token_starts(np.frombuffer(comp, np.uint8), 64) is None
    assert lzf_decompress_numpy(comp, len(expected), block=64) == expected


# --- decoding ---------------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["points", "chains", "runs", "mixed"])
@pytest.mark.parametrize("seed", range(3))
def test_numpy_decoder_matches_reference_and_serial(
    monkeypatch: pytest.MonkeyPatch, profile: str, seed: int
) -> None:
    monkeypatch.setattr(lzf_tokens, "_TAIL_WALKERS", 4)
    comp, expected = _random_stream(seed, profile)
    assert lzf_decompress_serial(comp, len(expected)) == expected
    assert token_starts(np.frombuffer(comp, np.uint8), 256) is not None
    assert lzf_decompress_numpy(comp, len(expected), block=256) == expected
    assert lzf_decompress_numpy(comp, len(expected)) == expected


@pytest.mark.parametrize("profile", ["points", "chains", "runs", "mixed"])
def test_decoding_in_small_token_chunks(monkeypatch: pytest.MonkeyPatch, profile: str) -> None:
    """References that reach back into the chunk before are copied from its finished output."""
    monkeypatch.setattr(lzf, "_TOKEN_CHUNK", 97)
    comp, expected = _random_stream(5, profile)
    seen: list[float] = []
    assert lzf_decompress_numpy(comp, len(expected), progress=seen.append) == expected
    assert len(seen) > 20 and seen == sorted(seen) and seen[-1] == 1.0


@pytest.mark.parametrize("size", [0, 1, 31, 32, 33, 100, 5000])
def test_tiny_streams_decode_on_both_paths(size: int) -> None:
    data = np.random.default_rng(size).integers(0, 3, size).astype(np.uint8).tobytes()
    comp = lzf_compress(data)
    assert lzf_decompress(comp, size) == data
    assert lzf_decompress_serial(comp, size) == data
    assert lzf_decompress_numpy(comp, size, block=64) == data


def test_compressor_output_is_read_by_open3d(tmp_path: Path) -> None:
    """The test compressor writes real LZF: open3d (liblzf) reads its files."""
    rec, _ = _hand_records(width=16, height=8, seed=3)
    path = tmp_path / "check.pcd"
    _write_compressed(path, rec, 16, 8)
    reference = np.asarray(o3d.io.read_point_cloud(str(path), remove_nan_points=False).points)
    np.testing.assert_array_equal(
        reference.astype(np.float32), np.stack([rec[a] for a in "xyz"], axis=1)
    )


@pytest.mark.parametrize(
    ("comp", "out_len", "message"),
    [
        (bytes([5, 1, 2]), 6, "past the end"),
        (bytes([0, 1, 0x20]), 4, "cut off"),
        (bytes([0, 1, 0xE0, 3]), 14, "cut off"),
        (bytes([0, 1, 0x20, 5]), 4, "before the start"),
        (bytes([1, 1, 2]), 3, "announced"),
        (bytes([1, 1, 2, 0x20, 0]), 4, "larger than the size"),
    ],
)
def test_both_decoders_reject_damaged_streams(comp: bytes, out_len: int, message: str) -> None:
    with pytest.raises(LzfError, match=message):
        lzf_decompress_serial(comp, out_len)
    with pytest.raises(LzfError, match=message):
        lzf_decompress_numpy(comp, out_len, block=64)


def test_damage_deep_in_a_large_stream_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lzf_tokens, "_TAIL_WALKERS", 4)
    comp, expected = _random_stream(3, "points")
    last_token = _walk_serially(comp)[0][-1]
    with pytest.raises(LzfError, match=r"past the end|cut off"):
        lzf_decompress_numpy(comp[: last_token + 1], len(expected), block=256)
    with pytest.raises(LzfError, match="announced"):
        lzf_decompress_numpy(comp, len(expected) + 1, block=256)


# --- cancel and progress ----------------------------------------------------------------


def test_progress_reaches_one_and_cancel_stops_each_stage() -> None:
    comp, expected = _random_stream(1, "chains", tokens=20_000)
    seen: list[float] = []
    assert lzf_decompress_numpy(comp, len(expected), progress=seen.append) == expected
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) >= 2
    for stop_at in seen[:-1]:
        cancel = threading.Event()
        with pytest.raises(InterruptedError):
            lzf_decompress_numpy(comp, len(expected), cancel, _cancel_at(stop_at, cancel))


def _cancel_at(stop_at: float, cancel: threading.Event) -> Callable[[float], None]:
    def on_progress(fraction: float) -> None:
        if fraction >= stop_at:
            cancel.set()

    return on_progress


def test_cancel_during_the_reference_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """A cancel set while references are copied one by one stops the copy."""
    monkeypatch.setattr(lzf, "_SERIAL_CHUNK", 64)
    comp, expected = _random_stream(2, "chains", tokens=20_000)
    cancel = threading.Event()
    calls: list[int] = []
    original = lzf._copy_in_order

    def copy_then_cancel(*args: object) -> None:
        calls.append(1)
        original(*args)  # type: ignore[arg-type]
        cancel.set()

    monkeypatch.setattr(lzf, "_copy_in_order", copy_then_cancel)
    with pytest.raises(InterruptedError):
        lzf_decompress_numpy(comp, len(expected), cancel)
    assert len(calls) == 1


def test_cancel_while_loading_a_big_compressed_file(tmp_path: Path) -> None:
    path = tmp_path / "big.pcd"
    rng = np.random.default_rng(5)
    _tensor_intensity_write(path, rng.normal(size=(60_000, 3)), np.round(rng.gamma(2, 9, 60_000)))
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(LoadCancelled):
        load_point_cloud(path, cancel=cancel)
    with pytest.raises(LoadCancelled):
        load_point_cloud_bytes(path.read_bytes(), ".pcd", cancel=cancel)


# --- whole files: open3d-written and hand-made, through both decoders -------------------


def _tensor_intensity_write(path: Path, points: np.ndarray, intensity: np.ndarray) -> None:
    cloud = o3d.t.geometry.PointCloud()
    cloud.point.positions = o3d.core.Tensor(points.astype(np.float32))
    cloud.point.intensity = o3d.core.Tensor(intensity.astype(np.float32)[:, None])
    n = points.shape[0]
    cloud.point.ring = o3d.core.Tensor((np.arange(n) % 32).astype(np.uint16)[:, None])
    cloud.point.timestamp = o3d.core.Tensor(np.linspace(0.0, 0.1, n)[:, None])
    assert o3d.t.io.write_point_cloud(str(path), cloud, compressed=True)


def _write_compressed(path: Path, rec: np.ndarray, width: int, height: int) -> None:
    header = HAND_HEADER.format(w=width, h=height, n=len(rec), data="binary_compressed")
    names = HAND_DTYPE.names or ()
    columns = b"".join(np.ascontiguousarray(rec[name]).tobytes() for name in names)
    packed = lzf_compress(columns)
    body = struct.pack("<II", len(packed), len(columns)) + packed
    path.write_bytes(header.encode() + body)


def _block(path: Path) -> tuple[bytes, int]:
    data = path.read_bytes()
    offset = parse_header(data).data_offset
    compressed, uncompressed = struct.unpack_from("<II", data, offset)
    return data[offset + 8 : offset + 8 + compressed], uncompressed


def _assert_same_decoding(path: Path) -> None:
    comp, size = _block(path)
    assert len(comp) >= SERIAL_BELOW  # the loaders take the numpy path
    assert token_starts(np.frombuffer(comp, np.uint8)) is not None
    assert lzf_decompress(comp, size) == lzf_decompress_serial(comp, size)


@pytest.mark.parametrize("kind", ["uniform", "quantised"])
def test_open3d_written_files(tmp_path: Path, kind: str) -> None:
    rng = np.random.default_rng(11)
    n = 150_000
    points = rng.uniform(-50, 50, (n, 3))
    points[rng.random(n) < 0.02] = np.nan
    intensity = rng.uniform(0, 1, n) if kind == "uniform" else np.round(rng.gamma(2, 9, n))
    path = tmp_path / f"{kind}.pcd"
    _tensor_intensity_write(path, points, intensity)

    _assert_same_decoding(path)
    cloud = load_point_cloud(path)
    reference = o3d.t.io.read_point_cloud(str(path))
    np.testing.assert_array_equal(cloud.points, reference.point.positions.numpy())
    assert cloud.intensity is not None
    np.testing.assert_array_equal(cloud.intensity, reference.point.intensity.numpy()[:, 0])
    assert np.isnan(cloud.points).any(axis=1).sum() == np.isnan(points).any(axis=1).sum()
    from_bytes = load_point_cloud_bytes(path.read_bytes(), ".pcd")
    np.testing.assert_array_equal(from_bytes.points, cloud.points)


def test_open3d_written_legacy_file_with_colours(tmp_path: Path) -> None:
    rng = np.random.default_rng(12)
    legacy = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(rng.uniform(-9, 9, (80_000, 3))))
    legacy.colors = o3d.utility.Vector3dVector(rng.integers(0, 256, (80_000, 3)) / 255.0)
    path = tmp_path / "legacy.pcd"
    assert o3d.io.write_point_cloud(str(path), legacy, compressed=True)

    _assert_same_decoding(path)
    cloud = load_point_cloud(path)
    reference = o3d.io.read_point_cloud(str(path))
    np.testing.assert_array_equal(cloud.points, np.asarray(reference.points, np.float32))
    assert cloud.colors is not None
    expected = np.rint(np.asarray(reference.colors) * 255).astype(np.uint8)
    np.testing.assert_array_equal(cloud.colors, expected)


def test_hand_made_organised_cloud_with_extra_fields(tmp_path: Path) -> None:
    rec, rgb = _hand_records(width=64, height=24, seed=4)
    rec["intensity"] = np.round(rec["intensity"] / 16)  # repeats: chained references
    path = tmp_path / "organised.pcd"
    _write_compressed(path, rec, 64, 24)

    _assert_same_decoding(path)
    cloud = load_point_cloud(path)
    assert (cloud.width, cloud.height, len(cloud)) == (64, 24, 64 * 24)
    np.testing.assert_array_equal(cloud.points, np.stack([rec[a] for a in "xyz"], axis=1))
    assert np.isnan(cloud.points[1]).all() and np.isnan(cloud.points[-2]).all()
    assert cloud.intensity is not None
    np.testing.assert_array_equal(cloud.intensity, rec["intensity"])
    assert cloud.colors is not None
    np.testing.assert_array_equal(cloud.colors, rgb)
