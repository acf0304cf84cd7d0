"""Builders of small real asset files for discovery and CLI tests (written with OpenCV and
numpy, point cloud formats by hand)."""

from __future__ import annotations

import struct
from pathlib import Path

import cv2
import numpy as np


def write_image(path: Path, width: int, height: int, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), image), path
    return path


def write_pcd_ascii(path: Path, n: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    points = np.random.default_rng(1).normal(size=(n, 3)).astype(np.float32)
    lines = [
        "# .PCD v0.7 - Point Cloud Data file format",
        "VERSION 0.7",
        "FIELDS x y z",
        "SIZE 4 4 4",
        "TYPE F F F",
        "COUNT 1 1 1",
        f"WIDTH {n}",
        "HEIGHT 1",
        "VIEWPOINT 0 0 0 1 0 0 0",
        f"POINTS {n}",
        "DATA ascii",
    ] + [f"{x:.5f} {y:.5f} {z:.5f}" for x, y, z in points]
    path.write_text("\n".join(lines) + "\n")
    return path


def write_pcd_binary(path: Path, n: int, *, truncate: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    header = (
        "VERSION 0.7\nFIELDS x y z intensity\nSIZE 4 4 4 4\nTYPE F F F F\nCOUNT 1 1 1 1\n"
        f"WIDTH {n}\nHEIGHT 1\nVIEWPOINT 0 0 0 1 0 0 0\nPOINTS {n}\nDATA binary\n"
    ).encode()
    body = np.random.default_rng(2).normal(size=(n, 4)).astype("<f4").tobytes()
    path.write_bytes(header + body[: len(body) - truncate])
    return path


def write_ply_binary(path: Path, n: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    header = (
        "ply\nformat binary_little_endian 1.0\n"
        f"element vertex {n}\nproperty float x\nproperty float y\nproperty float z\nend_header\n"
    ).encode()
    body = np.random.default_rng(3).normal(size=(n, 3)).astype("<f4").tobytes()
    path.write_bytes(header + body)
    return path


def write_kitti_bin(path: Path, n: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.random.default_rng(4).normal(size=(n, 4)).astype(np.float32).tofile(path)
    return path


def write_video(path: Path, frames: int, width: int = 64, height: int = 48) -> Path:
    """A short video whose frame i is filled with grey level 8 * i (so frames can be told apart).
    mp4 uses the 'mp4v' codec, avi MJPG."""
    path.parent.mkdir(parents=True, exist_ok=True)
    codec = "mp4v" if path.suffix == ".mp4" else "MJPG"
    fourcc = cv2.VideoWriter_fourcc(*codec)  # type: ignore[attr-defined]
    writer = cv2.VideoWriter(str(path), fourcc, 10.0, (width, height))
    assert writer.isOpened(), f"OpenCV cannot write {path.suffix} here"
    for i in range(frames):
        writer.write(np.full((height, width, 3), min(8 * i, 255), np.uint8))
    writer.release()
    return path


def write_jpeg_with_orientation(path: Path, width: int, height: int, orientation: int) -> Path:
    """A JPEG with an EXIF APP1 block carrying an orientation tag, inserted after SOI."""
    ok, encoded = cv2.imencode(".jpg", np.zeros((height, width, 3), np.uint8))
    assert ok
    data = encoded.tobytes()
    tiff = b"MM\x00*" + struct.pack(">I", 8) + struct.pack(">H", 1)
    tiff += struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack(">I", 0)
    payload = b"Exif\x00\x00" + tiff
    app1 = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    path.write_bytes(data[:2] + app1 + data[2:])
    return path
