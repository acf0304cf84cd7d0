"""Reading asset pixels off the UI thread: EXIF orientation, scaled reads for thumbnails,
video frames, paint-ready formats, and what a missing file reports."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from PySide6.QtGui import QColor, QImage

from avala_desktop.core.demo_data import write_demo_video
from avala_desktop.core.store import Asset, AssetStatus
from avala_desktop.views.image_loader import AssetImageError, ImageLoader, read_asset_image
from avala_desktop.views.thumbnails import ThumbnailCache


def asset(path: str, kind: str = "image", frame: int | None = None) -> Asset:
    return Asset(id=f"ast_{Path(path).stem}_{frame}", path=path, type=kind, width=None,
                 height=None, video_source=path if frame is not None else None,
                 frame_index=frame, status=AssetStatus.UNLABELED)


def rotated_jpeg(path: Path, width: int = 40, height: int = 20) -> None:
    """A width x height JPEG whose EXIF says "rotate 90° clockwise" (orientation 6)."""
    ok, data = cv2.imencode(".jpg", np.full((height, width, 3), 200, np.uint8))
    assert ok
    tiff = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 1) \
        + struct.pack("<HHII", 0x0112, 3, 1, 6) + struct.pack("<I", 0)
    app1 = b"Exif\x00\x00" + tiff
    segment = b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1
    raw = data.tobytes()
    path.write_bytes(raw[:2] + segment + raw[2:])


def test_exif_orientation_is_applied_at_full_size_and_in_thumbnails(tmp_path: Path) -> None:
    path = tmp_path / "turned.jpg"
    rotated_jpeg(path, 400, 200)
    full = read_asset_image(path, asset(str(path)))
    assert (full.width(), full.height()) == (200, 400)
    small = read_asset_image(path, asset(str(path)), max_side=96)
    assert (small.width(), small.height()) == (48, 96)


def test_images_come_back_in_the_format_the_canvas_paints(tmp_path: Path) -> None:
    rgba = np.zeros((10, 12, 4), np.uint8)
    rgba[..., 3] = 128
    cv2.imwrite(str(tmp_path / "alpha.png"), rgba)
    cv2.imwrite(str(tmp_path / "plain.png"), np.zeros((10, 12, 3), np.uint8))
    alpha = read_asset_image(tmp_path / "alpha.png", asset("alpha.png"))
    plain = read_asset_image(tmp_path / "plain.png", asset("plain.png"))
    assert alpha.format() == QImage.Format.Format_ARGB32_Premultiplied
    assert plain.format() == QImage.Format.Format_RGB32


def test_video_frames_are_decoded_from_the_video(tmp_path: Path) -> None:
    video = write_demo_video(tmp_path / "walk.mp4", frames=6)
    frame = read_asset_image(video, asset(str(video), "video_frame", 3))
    assert (frame.width(), frame.height()) == (320, 240)
    assert frame.format() == QImage.Format.Format_RGB32
    with pytest.raises(AssetImageError, match="frame 60"):
        read_asset_image(video, asset(str(video), "video_frame", 60))


def test_the_loader_answers_on_the_ui_thread_and_reports_failures(
        qtbot: Any, tmp_path: Path) -> None:
    cv2.imwrite(str(tmp_path / "ok.png"), np.zeros((8, 8, 3), np.uint8))
    loader = ImageLoader()
    got: list[tuple[int, str, int]] = []
    failed: list[tuple[int, str, str]] = []
    loader.loaded.connect(lambda req, asset_id, image, _levels: got.append((req, asset_id,
                                                                            image.width())))
    loader.failed.connect(lambda req, asset_id, message: failed.append((req, asset_id,
                                                                        message)))
    first = loader.request(tmp_path / "ok.png", asset("ok.png"))
    second = loader.request(tmp_path / "missing.png", asset("missing.png"))
    qtbot.waitUntil(lambda: bool(got) and bool(failed))
    assert got == [(first, "ast_ok_None", 8)]
    assert failed[0][0] == second and "missing.png" in failed[0][2]
    loader.shutdown()
    assert loader.active_threads() == 0


def test_thumbnails_are_cached_on_disk_and_reused(qtbot: Any, tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    cv2.imwrite(str(path), np.full((300, 600, 3), 90, np.uint8))
    cache_dir = tmp_path / "thumbs"
    first = ThumbnailCache(folder=cache_dir)
    item = asset(str(path))
    first.request(item, path)
    qtbot.waitUntil(lambda: first.get(item) is not None)
    image = first.get(item)
    assert image is not None and (image.width(), image.height()) == (96, 48)
    cached = list(cache_dir.glob("*.png"))
    assert len(cached) == 1
    first.shutdown()

    marker = QImage(96, 48, QImage.Format.Format_RGB32)
    marker.fill(QColor(255, 0, 0))
    assert marker.save(str(cached[0]))
    reused = ThumbnailCache(folder=cache_dir)
    reused.request(item, path)
    qtbot.waitUntil(lambda: reused.get(item) is not None)
    assert reused.get(item).pixelColor(5, 5) == QColor(255, 0, 0)  # type: ignore[union-attr]
    reused.shutdown()

    path.write_bytes(b"not an image any more")  # the same file changed: a new key
    again = ThumbnailCache(folder=cache_dir)
    again.request(item, path)
    qtbot.waitUntil(lambda: again.error(item.id) is not None)
    assert again.get(item) is None
    again.shutdown()
