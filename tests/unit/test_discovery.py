"""Asset discovery on real files: sizes from headers, point cloud checks, video frames,
problems reported with reasons."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from avala_desktop.core.assets import load_asset_bytes
from avala_desktop.core.discovery import discover_assets, image_size, read_video_frame
from avala_desktop.core.errors import FailureCategory, InferenceFailure
from avala_desktop.core.store import AssetSpec, ProjectStore
from tests.unit.discovery_samples import (
    write_image,
    write_jpeg_with_orientation,
    write_kitti_bin,
    write_pcd_ascii,
    write_pcd_binary,
    write_ply_binary,
    write_video,
)


@pytest.mark.parametrize("suffix", [".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"])
def test_image_size_from_header_matches_decoder(tmp_path: Path, suffix: str) -> None:
    path = write_image(tmp_path / f"img{suffix}", 123, 45)
    assert image_size(path) == (123, 45)
    decoded = cv2.imread(str(path))
    assert decoded is not None and decoded.shape[:2] == (45, 123)


def test_image_size_never_decodes_pixels_of_known_formats(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = []
    for i, suffix in enumerate([".jpg", ".png", ".bmp", ".tif", ".webp"]):
        paths.append(tmp_path / f"i{suffix}")
        assert cv2.imwrite(str(paths[-1]), np.full((3000 - i, 4000, 3), 90, np.uint8))

    def no_decoding(*args: object) -> None:
        raise AssertionError("the header should have been enough")

    monkeypatch.setattr(cv2, "imread", no_decoding)
    assert [image_size(p) for p in paths] == [(4000, 3000 - i) for i in range(5)]


def test_lossless_webp_and_grey_png(tmp_path: Path) -> None:
    lossless = tmp_path / "l.webp"
    cv2.imwrite(str(lossless), np.zeros((17, 29, 3), np.uint8), [cv2.IMWRITE_WEBP_QUALITY, 101])
    assert image_size(lossless) == (29, 17)
    grey = tmp_path / "g.png"
    cv2.imwrite(str(grey), np.zeros((5, 300), np.uint8))
    assert image_size(grey) == (300, 5)


@pytest.mark.parametrize(("orientation", "expected"), [(1, (40, 20)), (6, (20, 40)),
                                                       (8, (20, 40)), (3, (40, 20))])
def test_jpeg_exif_orientation_swaps_sides_like_opencv(
    tmp_path: Path, orientation: int, expected: tuple[int, int]
) -> None:
    path = write_jpeg_with_orientation(tmp_path / "o.jpg", 40, 20, orientation)
    assert image_size(path) == expected
    decoded = cv2.imread(str(path))  # OpenCV applies the orientation too
    assert decoded is not None
    assert (decoded.shape[1], decoded.shape[0]) == expected


def test_discovery_of_a_mixed_folder(tmp_path: Path) -> None:
    write_image(tmp_path / "cam" / "a.jpg", 64, 32)
    write_image(tmp_path / "cam" / "b.png", 20, 10)
    (tmp_path / "lidar").mkdir()
    write_pcd_ascii(tmp_path / "lidar" / "s1.pcd", 50)
    write_pcd_binary(tmp_path / "lidar" / "s2.pcd", 70)
    write_ply_binary(tmp_path / "lidar" / "s3.ply", 30)
    write_kitti_bin(tmp_path / "lidar" / "000001.bin", 100)
    write_video(tmp_path / "clip.mp4", 25)
    (tmp_path / "notes.txt").write_text("not an asset")
    (tmp_path / ".avala").mkdir()
    write_image(tmp_path / ".avala" / "thumb.png", 4, 4)  # hidden folders are skipped

    result = discover_assets(tmp_path, frame_step=10)
    found = {(a.path.relative_to(tmp_path).as_posix(), a.frame_index): a for a in result.assets}
    assert result.problems == []
    assert result.ignored == [tmp_path / "notes.txt"]
    assert {k: (a.type, a.width, a.height, a.points) for k, a in found.items()} == {
        ("cam/a.jpg", None): ("image", 64, 32, None),
        ("cam/b.png", None): ("image", 20, 10, None),
        ("clip.mp4", 0): ("video_frame", 64, 48, None),
        ("clip.mp4", 10): ("video_frame", 64, 48, None),
        ("clip.mp4", 20): ("video_frame", 64, 48, None),
        ("lidar/000001.bin", None): ("point_cloud", None, None, 100),
        ("lidar/s1.pcd", None): ("point_cloud", None, None, 50),
        ("lidar/s2.pcd", None): ("point_cloud", None, None, 70),
        ("lidar/s3.ply", None): ("point_cloud", None, None, 30),
    }
    assert found[("clip.mp4", 10)].video_source == tmp_path / "clip.mp4"


def test_frame_step_and_avi(tmp_path: Path) -> None:
    write_video(tmp_path / "v.avi", 7)
    frames = discover_assets(tmp_path, frame_step=3).assets
    assert [f.frame_index for f in frames] == [0, 3, 6]
    assert [f.frame_index for f in discover_assets(tmp_path, frame_step=1).assets] == list(
        range(7)
    )
    with pytest.raises(ValueError, match="frame step"):
        discover_assets(tmp_path, frame_step=0)


def test_read_video_frame_is_the_right_frame(tmp_path: Path) -> None:
    path = write_video(tmp_path / "v.mp4", 25)
    for index in (0, 10, 20, 24):
        frame = read_video_frame(path, index)
        assert abs(float(frame.mean()) - 8 * index) < 4, index


def test_problems_are_reported_with_reasons(tmp_path: Path) -> None:
    (tmp_path / "garbage.jpg").write_bytes(b"definitely not a jpeg" * 10)
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "odd.bin").write_bytes(b"\x00" * 17)
    write_pcd_binary(tmp_path / "cut.pcd", 100, truncate=40)
    (tmp_path / "nohdr.pcd").write_text("hello\nworld\n")
    (tmp_path / "bad.ply").write_bytes(b"not a ply")
    (tmp_path / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 50)
    write_image(tmp_path / "fine.png", 3, 3)
    result = discover_assets(tmp_path)
    reasons = {p.path.name: p.reason for p in result.problems}
    assert [a.path.name for a in result.assets] == ["fine.png"]
    assert set(reasons) == {"garbage.jpg", "empty.png", "odd.bin", "cut.pcd", "nohdr.pcd",
                            "bad.ply", "broken.mp4"}
    assert "not a readable image" in reasons["garbage.jpg"]
    assert "empty" in reasons["empty.png"]
    assert "multiple of 16" in reasons["odd.bin"]
    assert "truncated" in reasons["cut.pcd"]
    assert "PCD header" in reasons["nohdr.pcd"]
    assert "ply" in reasons["bad.ply"].lower()
    assert "video" in reasons["broken.mp4"]


def test_load_asset_bytes(tmp_path: Path) -> None:
    jpg = write_image(tmp_path / "a.jpg", 16, 8)
    png_named_jpg = tmp_path / "b.jpg"
    png_named_jpg.write_bytes(write_image(tmp_path / "src.png", 4, 4).read_bytes())
    cloud = write_kitti_bin(tmp_path / "c.bin", 10)
    write_video(tmp_path / "v.mp4", 25)
    with ProjectStore.create(tmp_path) as store:
        store.add_assets(discover_assets(tmp_path).assets)
        by_name = {(a.path, a.frame_index): a for a in store.assets()}
        data, ctype = load_asset_bytes(store, by_name[("a.jpg", None)])
        assert (data, ctype) == (jpg.read_bytes(), "image/jpeg")
        assert load_asset_bytes(store, by_name[("b.jpg", None)])[1] == "image/png"
        assert load_asset_bytes(store, by_name[("c.bin", None)]) == (
            cloud.read_bytes(), "application/octet-stream")
        frame_png, ctype = load_asset_bytes(store, by_name[("v.mp4", 20)])
        assert ctype == "image/png"
        frame = cv2.imdecode(np.frombuffer(frame_png, np.uint8), cv2.IMREAD_COLOR)
        assert frame is not None
        assert frame.shape == (48, 64, 3) and abs(float(frame.mean()) - 160) < 4

        jpg.unlink()
        with pytest.raises(InferenceFailure) as info:
            load_asset_bytes(store, by_name[("a.jpg", None)])
        assert info.value.category is FailureCategory.ASSET_UNREADABLE
        assert "a.jpg" in info.value.message
        (missing_frame,) = store.add_assets(
            [AssetSpec(tmp_path / "v.mp4", "video_frame", 64, 48, tmp_path / "v.mp4", 500)]
        )
        with pytest.raises(InferenceFailure, match="frame 500"):
            load_asset_bytes(store, missing_frame)
