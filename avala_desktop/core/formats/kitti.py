"""KITTI object labels for point clouds, in the point cloud's own sensor frame.

Export writes ``<out>/<name without extension>.txt`` per point cloud (e.g. ``lidar/000042.bin``
-> ``lidar/000042.txt``; an empty file for a submitted cloud without boxes), one line per 3D
box, 15 values separated by single spaces, plus a 16th when the box has a confidence:

    type truncated occluded alpha left top right bottom h w l x y z rotation_y [score]

Unlike KITTI's own files, which are in the left camera's frame, everything here is in the
frame of the point cloud the box was drawn on (PRODUCT.md §3: metres, X forward at yaw 0, Z up,
right-handed); no camera calibration is involved:
- ``type``: the label; whitespace, ``%`` and non-ASCII characters in it are percent-encoded
  as UTF-8 (a label ``traffic cone`` is written ``traffic%20cone``) so that every line splits
  into the same fields;
- ``truncated`` 0, ``occluded`` 3 (KITTI's "unknown"): a point cloud has no image to be cut
  off by or hidden in;
- ``alpha``: the observation angle in the sensor frame, ``rotation_y - atan2(y, x)`` wrapped to
  [-pi, pi), the box's heading relative to the ray from the sensor to the box;
- ``left top right bottom``: the 2D box in an image, which a point cloud does not have: ``0 0 0 0``;
- ``h w l``: height (along Z), width (along the box's Y), length (along its heading), metres;
- ``x y z``: the centre of the box's BOTTOM face in the sensor frame, metres, as in KITTI where
  the location is the bottom centre: ``z = centre z - h / 2``;
- ``rotation_y``: the yaw, the box's heading about +Z in radians, counter-clockwise seen from
  above, 0 when its length runs along +X, wrapped to [-pi, pi). (KITTI's camera-frame rotation
  about its downward Y axis is ``-yaw - pi/2`` for a standard lidar-to-camera mounting.)
- ``score``: the model's confidence, only when there is one.
Only yaw survives: a box tilted by pitch or roll is written with its yaw alone, and counted.
Numbers are written with full precision, so a round trip gives the same boxes to within
floating-point rounding. Annotations other than 3D boxes are counted as skipped.

Import reads the same: 15 or 16 fields per line, ``DontCare`` lines skipped and counted.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import quote, unquote

from avala_desktop.core.formats.common import number_text
from avala_desktop.core.formats.export_job import ExportJob
from avala_desktop.core.formats.import_job import ImportJob
from avala_desktop.core.formats.naming import without_extension
from avala_desktop.core.formats.shapes import wrap_angle
from avala_desktop.core.geometry3d import Cuboid
from avala_desktop.core.store import AnnotationRecord

ASSET_TYPES = ("point_cloud",)
# A box whose up axis is off +Z by more than this (radians) was tilted; its tilt is dropped.
_TILT_TOLERANCE = 1e-6
_SAFE = "".join(chr(c) for c in range(33, 127) if chr(c) != "%")


def encode_type(label: str) -> str:
    return quote(label, safe=_SAFE)


def _line(job: ExportJob, record: AnnotationRecord) -> str:
    box = Cuboid.from_geometry(record.geometry)
    up = box.rotation[:, 2]
    if math.acos(min(1.0, max(-1.0, float(up[2])))) > _TILT_TOLERANCE:
        job.note("pitch/roll dropped (KITTI keeps yaw only)")
    yaw = wrap_angle(box.yaw)
    x, y, z = (float(v) for v in box.center)
    length, width, height = (float(v) for v in box.dims)
    alpha = wrap_angle(yaw - math.atan2(y, x))
    values = [
        encode_type(record.label), "0", "3", number_text(alpha), "0", "0", "0", "0",
        number_text(height), number_text(width), number_text(length),
        number_text(x), number_text(y), number_text(z - height / 2), number_text(yaw),
    ]
    if record.confidence is not None:
        values.append(number_text(record.confidence))
    return " ".join(values)


def export_kitti(job: ExportJob) -> None:
    for item in job.items(ASSET_TYPES):
        lines = []
        for record in item.annotations:
            if record.type != "bounding_box_3d":
                job.skip(f"{record.type} (KITTI holds 3D boxes only)")
                continue
            lines.append(_line(job, record))
            job.wrote(record)
        job.write_text(f"{without_extension(item.name)}.txt",
                       "".join(f"{line}\n" for line in lines))


# -- import --------------------------------------------------------------------------------


def _object(fields: list[str]) -> dict[str, Any]:
    """The annotation dict of one line's fields; raises ValueError with the reason."""
    if len(fields) not in (15, 16):
        raise ValueError(f"{len(fields)} fields; a KITTI line has 15, or 16 with a score")
    try:
        numbers = [float(f) for f in fields[1:]]
    except ValueError:
        raise ValueError("every field after the type must be a number") from None
    h, w, length, x, y, z, yaw = numbers[7:14]
    return {
        "type": "bounding_box_3d",
        "label": unquote(fields[0]),
        "confidence": numbers[14] if len(numbers) == 15 else None,
        "center": {"x": x, "y": y, "z": z + h / 2},
        "dimensions": {"l": length, "w": w, "h": h},
        "rotation": {"yaw": yaw},
    }


def import_kitti(job: ImportJob) -> None:
    base, files = job.source_files("*.txt", "KITTI label files (.txt)")
    for asset, file, lines in job.label_lines(base, files):
        for number, fields in lines:
            if fields[0] == "DontCare":
                job.skip("DontCare regions")
                continue
            try:
                obj = _object(fields)
            except ValueError as exc:
                job.problem(file, f"line {number}", str(exc))
                continue
            job.add(asset, obj, file=file, record=f"line {number} ({obj['label']})")
