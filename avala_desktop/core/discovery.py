"""Find the assets in a folder: images, point clouds, and frames sampled from videos.

Each file is checked as cheaply as its format allows: an image's size comes from its header
(no pixel decoding; OpenCV only for variants the header reader does not know), a point cloud's
header is checked against the file's length, a video is opened and its sampled frames found.
A file that fails is reported in `problems` with the reason, never dropped in silence; files
of other types are listed in `ignored`.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import cv2

from avala_desktop.core.pointcloud.model import PointCloudError
from avala_desktop.core.pointcloud.other_formats import check_ply
from avala_desktop.core.pointcloud.pcd_header import PcdHeaderError, parse_header
from avala_desktop.core.store.records import AssetSpec

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"})
POINT_CLOUD_SUFFIXES = frozenset({".pcd", ".ply", ".bin"})
VIDEO_SUFFIXES = frozenset({".mp4", ".avi", ".mov"})
DEFAULT_FRAME_STEP = 10
_KITTI_RECORD = 16  # float32 x, y, z, intensity


class Unreadable(Exception):
    """A file of a supported type that cannot be used; the message is the reason."""


@dataclass(frozen=True)
class DiscoveredAsset(AssetSpec):
    path: Path  # absolute
    points: int | None = None  # point clouds: how many points the file declares


@dataclass(frozen=True)
class DiscoveryProblem:
    path: Path
    reason: str


@dataclass
class DiscoveryResult:
    root: Path
    assets: list[DiscoveredAsset] = field(default_factory=list)
    problems: list[DiscoveryProblem] = field(default_factory=list)
    ignored: list[Path] = field(default_factory=list)


def discover_assets(
    folder: Path | str, *, frame_step: int = DEFAULT_FRAME_STEP, recursive: bool = True
) -> DiscoveryResult:
    """Walk `folder` (hidden files and folders such as `.avala` excluded), in name order."""
    if frame_step < 1:
        raise ValueError(f"frame step must be at least 1, got {frame_step}")
    root = Path(folder).expanduser().absolute()
    if not root.is_dir():
        raise NotADirectoryError(f"{root} is not a folder")
    result = DiscoveryResult(root)
    for path in _walk(root, recursive):
        suffix = path.suffix.lower()
        try:
            if suffix in IMAGE_SUFFIXES:
                width, height = image_size(path)
                result.assets.append(DiscoveredAsset(path, "image", width, height))
            elif suffix in POINT_CLOUD_SUFFIXES:
                result.assets.append(
                    DiscoveredAsset(path, "point_cloud", points=point_cloud_points(path))
                )
            elif suffix in VIDEO_SUFFIXES:
                result.assets.extend(video_frames(path, frame_step))
            else:
                result.ignored.append(path)
        except Unreadable as exc:
            result.problems.append(DiscoveryProblem(path, str(exc)))
        except OSError as exc:
            result.problems.append(
                DiscoveryProblem(path, f"it could not be read ({exc.strerror or exc})")
            )
    return result


def _walk(root: Path, recursive: bool) -> list[Path]:
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")) if recursive else []
        found.extend(Path(dirpath) / f for f in sorted(filenames) if not f.startswith("."))
    return found


# -- images ------------------------------------------------------------------------------

def image_size(path: Path) -> tuple[int, int]:
    """(width, height) as the image is displayed (EXIF orientation applied, as OpenCV does)."""
    with path.open("rb") as fh:
        head = fh.read(64)
        if not head:
            raise Unreadable("the file is empty")
        reader = _HEADER_READERS.get(_sniff(head))
        size = reader(fh, head) if reader else None
    if size is not None and size[0] > 0 and size[1] > 0:
        return size
    # A variant the header readers do not know (or a damaged header): let OpenCV decide.
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise Unreadable("it is not a readable image (OpenCV cannot decode it)")
    return int(image.shape[1]), int(image.shape[0])


def _sniff(head: bytes) -> str | None:
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8"):
        return "jpeg"
    if head.startswith(b"BM"):
        return "bmp"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    return None


def image_content_type(head: bytes) -> str | None:
    """The MIME type of image bytes, from their signature (not the file name)."""
    kind = _sniff(head)
    return None if kind is None else f"image/{kind}"


def _png_size(fh: BinaryIO, head: bytes) -> tuple[int, int] | None:
    if head[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def _bmp_size(fh: BinaryIO, head: bytes) -> tuple[int, int] | None:
    (dib,) = struct.unpack("<I", head[14:18])
    if dib == 12:
        width, height = struct.unpack("<HH", head[18:22])
    elif dib >= 40:
        width, height = struct.unpack("<ii", head[18:26])
    else:
        return None
    return abs(width), abs(height)  # negative height: rows stored top-down


def _webp_size(fh: BinaryIO, head: bytes) -> tuple[int, int] | None:
    chunk = head[12:16]
    if chunk == b"VP8 " and head[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", head[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and head[20] == 0x2F:
        (bits,) = struct.unpack("<I", head[21:25])
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":
        width = int.from_bytes(head[24:27], "little") + 1
        height = int.from_bytes(head[27:30], "little") + 1
        return width, height
    return None


def _tiff_tags(data: bytes, wanted: set[int]) -> dict[int, int]:
    """Integer values of some tags of the first IFD of a TIFF structure (also EXIF's)."""
    order = "<" if data[:2] == b"II" else ">"
    (ifd,) = struct.unpack(order + "I", data[4:8])
    (count,) = struct.unpack(order + "H", data[ifd : ifd + 2])
    values: dict[int, int] = {}
    for i in range(count):
        entry = data[ifd + 2 + 12 * i : ifd + 14 + 12 * i]
        tag, typ = struct.unpack(order + "HH", entry[:4])
        if tag in wanted:
            if typ == 3:  # SHORT, left-justified in the value field
                (values[tag],) = struct.unpack(order + "H", entry[8:10])
            elif typ == 4:  # LONG
                (values[tag],) = struct.unpack(order + "I", entry[8:12])
    return values


def _tiff_size(fh: BinaryIO, head: bytes) -> tuple[int, int] | None:
    # Writers often put the first IFD after the pixel data: read just the header and the IFD,
    # and hand them on as one small TIFF structure with the IFD at offset 8.
    order = "<" if head[:2] == b"II" else ">"
    (ifd,) = struct.unpack(order + "I", head[4:8])
    fh.seek(ifd)
    raw_count = fh.read(2)
    if len(raw_count) < 2:
        return None
    (count,) = struct.unpack(order + "H", raw_count)
    entries = fh.read(12 * count)
    data = head[:4] + struct.pack(order + "I", 8) + raw_count + entries
    try:
        tags = _tiff_tags(data, {256, 257})
    except struct.error:
        return None
    if 256 not in tags or 257 not in tags:
        return None
    return tags[256], tags[257]


_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg_size(fh: BinaryIO, head: bytes) -> tuple[int, int] | None:
    fh.seek(2)
    orientation = 1
    while True:
        byte = fh.read(1)
        while byte == b"\xff":  # fill bytes before a marker
            byte = fh.read(1)
        if not byte:
            return None
        marker = byte[0]
        if marker in (0x01, *range(0xD0, 0xD8)):
            continue  # markers without a length
        raw = fh.read(2)
        if len(raw) < 2:
            return None
        (length,) = struct.unpack(">H", raw)
        if length < 2:
            return None
        segment = fh.read(length - 2)
        if len(segment) < length - 2:
            return None
        if marker == 0xE1 and segment.startswith(b"Exif\x00\x00"):
            try:
                orientation = _tiff_tags(segment[6:], {0x0112}).get(0x0112, 1)
            except struct.error:
                orientation = 1  # a damaged EXIF block does not make the image unreadable
        elif marker in _SOF_MARKERS:
            height, width = struct.unpack(">HH", segment[1:5])
            # Orientations 5-8 turn the picture by 90 degrees: OpenCV and viewers swap sides.
            return (height, width) if orientation in (5, 6, 7, 8) else (width, height)
        elif marker in (0xD9, 0xDA):
            return None  # end of image or scan data before any frame header


_HEADER_READERS: dict[str | None, Callable[[BinaryIO, bytes], tuple[int, int] | None]] = {
    "png": _png_size,
    "jpeg": _jpeg_size,
    "bmp": _bmp_size,
    "webp": _webp_size,
    "tiff": _tiff_size,
}


# -- point clouds ------------------------------------------------------------------------

def point_cloud_points(path: Path) -> int:
    """The number of points the file holds, after checking its header against its length."""
    suffix = path.suffix.lower()
    size = path.stat().st_size
    if size == 0:
        raise Unreadable("the file is empty")
    if suffix == ".bin":
        if size % _KITTI_RECORD:
            raise Unreadable(
                f"its size ({size} bytes) is not a multiple of 16; a KITTI .bin holds float32 "
                f"x, y, z, intensity per point"
            )
        return size // _KITTI_RECORD
    if suffix == ".ply":
        try:
            return check_ply(path, f"'{path.name}'")
        except PointCloudError as exc:
            raise Unreadable(exc.reason) from None
    return _pcd_points(path, size)


def _pcd_points(path: Path, size: int) -> int:
    with path.open("rb") as fh:
        head = fh.read(64 * 1024)
        try:
            header = parse_header(head)
        except PcdHeaderError as exc:
            raise Unreadable(f"its PCD header is not valid: {exc}") from None
        if header.field("x") is None or header.field("y") is None or header.field("z") is None:
            raise Unreadable("its FIELDS have no x, y and z")
        body = size - header.data_offset
        if header.data == "binary":
            need = header.points * header.record_size
            if body < need:
                raise Unreadable(
                    f"it is truncated: {header.points} points need {need} bytes of data, "
                    f"the file has {body}"
                )
        elif header.data == "binary_compressed":
            fh.seek(header.data_offset)
            sizes = fh.read(8)
            if len(sizes) < 8:
                raise Unreadable("it is truncated: the compressed data block is missing")
            (compressed, _) = struct.unpack("<II", sizes)
            if body - 8 < compressed:
                raise Unreadable(
                    f"it is truncated: {compressed} compressed bytes declared, "
                    f"{body - 8} present"
                )
        else:
            fh.seek(header.data_offset)
            lines = sum(1 for line in fh if line.strip())
            if lines < header.points:
                raise Unreadable(f"it is truncated: {lines} of {header.points} data lines")
    return header.points


# -- videos ------------------------------------------------------------------------------

def video_frames(path: Path, frame_step: int) -> list[DiscoveredAsset]:
    """One `video_frame` asset every `frame_step` frames, starting with frame 0."""
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise Unreadable("OpenCV cannot open this video (damaged file or unsupported codec)")
        ok, frame = capture.read()
        if not ok or frame is None:
            raise Unreadable("OpenCV opened the video but could not decode its first frame")
        height, width = int(frame.shape[0]), int(frame.shape[1])
        total = _frame_total(capture)
    finally:
        capture.release()
    return [
        DiscoveredAsset(path, "video_frame", width, height, video_source=path, frame_index=i)
        for i in range(0, total, frame_step)
    ]


def _frame_total(capture: cv2.VideoCapture) -> int:
    """Frames that can really be decoded. The container's count is trusted when its last
    frame can be read; otherwise (missing or wrong count) the frames are counted one by one."""
    declared = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    if declared > 0:
        capture.set(cv2.CAP_PROP_POS_FRAMES, declared - 1)
        ok, _ = capture.read()
        if ok:
            return declared
    capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
    total = 0
    while capture.grab():
        total += 1
    return total


def read_video_frame(path: Path, frame_index: int) -> cv2.typing.MatLike:
    """Decode one frame (BGR); raises Unreadable when the video or the frame is not there."""
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise Unreadable("OpenCV cannot open this video (damaged file or unsupported codec)")
        capture.set(cv2.CAP_PROP_POS_FRAMES, frame_index)
        ok, frame = capture.read()
    finally:
        capture.release()
    if not ok or frame is None:
        raise Unreadable(f"frame {frame_index} could not be decoded")
    return frame
