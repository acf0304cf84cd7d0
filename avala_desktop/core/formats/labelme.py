"""labelme JSON, one file per image, as labelme 5.x reads and writes it.

Export writes ``<out>/<name without extension>.json``:
``{"version": "5.5.0", "flags": {...}, "shapes": [...], "imagePath": ..., "imageData": null,
"imageHeight": h, "imageWidth": w}`` where ``imagePath`` is the image relative to the JSON
file (labelme opens the image from there; a video frame is decoded into a PNG next to the
JSON). Each shape has ``label``, ``points``, ``shape_type``, ``group_id`` null,
``description`` "", ``flags`` {} and ``mask``:
- bounding box: ``rectangle``, points [[x, y], [x + width, y + height]];
- polygon: ``polygon``; polyline: ``linestrip``;
- segmentation mask: ``mask``, points = [[x1, y1], [x2, y2]] the first and last pixel
  (inclusive) of the mask's bounding box, ``mask`` = base64 PNG of that crop (0/1 values), as
  labelme's own ``shapes_to_label`` reads it (``mask[y1:y2 + 1, x1:x2 + 1]``).
A model's confidence is an extra ``confidence`` key on the shape (labelme keeps unknown shape
keys when it saves). Image-level classifications set ``flags[label] = true`` and are listed
with their confidences in an extra top-level ``classifications`` list. 3D boxes are not
written.

Import reads the same, taking classifications from ``classifications`` or else from the true
``flags``; labelme's ``line`` (two points) is read as a polyline; ``circle``, ``point`` and
``points`` shapes have no counterpart here and are counted as skipped.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path
from typing import Any

import numpy as np

from avala_desktop.core.assets import load_asset_bytes
from avala_desktop.core.errors import InferenceFailure
from avala_desktop.core.formats.common import FormatError, load_json_file
from avala_desktop.core.formats.export_job import ExportItem, ExportJob
from avala_desktop.core.formats.import_job import ImportJob
from avala_desktop.core.formats.naming import without_extension
from avala_desktop.core.formats.shapes import mask_crop, points_bbox
from avala_desktop.core.masks import MaskCodecError, decode_png_mask, encode
from avala_desktop.core.store import AnnotationRecord, Asset

ASSET_TYPES = ("image", "video_frame")
LABELME_VERSION = "5.5.0"


# -- export --------------------------------------------------------------------------------


def _shape(label: str, points: list[Any], shape_type: str, record: AnnotationRecord,
           mask: str | None = None) -> dict[str, Any]:
    shape: dict[str, Any] = {
        "label": label,
        "points": points,
        "group_id": None,
        "description": "",
        "shape_type": shape_type,
        "flags": {},
        "mask": mask,
    }
    if record.confidence is not None:
        shape["confidence"] = record.confidence
    return shape


def _shape_of(job: ExportJob, record: AnnotationRecord) -> dict[str, Any] | None:
    g = record.geometry
    if record.type == "bounding_box":
        c = g["coordinates"]
        corners = [[c["x"], c["y"]], [c["x"] + c["width"], c["y"] + c["height"]]]
        return _shape(record.label, corners, "rectangle", record)
    if record.type == "polygon":
        return _shape(record.label, g["points"], "polygon", record)
    if record.type == "polyline":
        return _shape(record.label, g["points"], "linestrip", record)
    if record.type == "segmentation_mask":
        crop = mask_crop(g["rle"])
        if crop is None:
            job.skip("empty masks (labelme cannot hold them)")
            return None
        corners = [[crop.x1, crop.y1], [crop.x2, crop.y2]]
        return _shape(record.label, corners, "mask", record, crop.png_base64)
    job.skip(f"{record.type} (labelme is 2D)")
    return None


def _image_path(job: ExportJob, item: ExportItem, json_path: Path) -> str:
    asset = item.asset
    if asset.type == "video_frame":
        png = json_path.with_suffix(".png")
        try:
            data, _ = load_asset_bytes(job.store, asset)
        except InferenceFailure:
            job.skip("video frames that could not be decoded (their labels are written)")
        else:
            job.write_bytes(png.relative_to(job.out_dir).as_posix(), data)
        return png.name
    image = job.store.asset_abspath(asset)
    try:
        return Path(os.path.relpath(image, json_path.parent)).as_posix()
    except ValueError:  # another drive (Windows): no relative path exists
        return image.as_posix()


def export_labelme(job: ExportJob) -> None:
    for item in job.items(ASSET_TYPES):
        shapes: list[dict[str, Any]] = []
        classifications: list[dict[str, Any]] = []
        for record in item.annotations:
            if record.type == "classification":
                classifications.append({"label": record.label, "confidence": record.confidence})
                job.wrote(record)
                continue
            shape = _shape_of(job, record)
            if shape is not None:
                shapes.append(shape)
                job.wrote(record)
        relative = f"{without_extension(item.name)}.json"
        document: dict[str, Any] = {
            "version": LABELME_VERSION,
            "flags": {c["label"]: True for c in classifications},
            "shapes": shapes,
            "imagePath": _image_path(job, item, job.path(relative)),
            "imageData": None,
            "imageHeight": item.asset.height,
            "imageWidth": item.asset.width,
        }
        if classifications:
            document["classifications"] = classifications
        job.write_json(relative, document)


# -- import --------------------------------------------------------------------------------


def _mask_object(shape: dict[str, Any], asset: Asset) -> tuple[dict[str, Any] | None, str]:
    if asset.width is None or asset.height is None:
        return None, f"the size of {asset.path} is unknown, so the mask cannot be placed"
    points, data = shape.get("points"), shape.get("mask")
    if not isinstance(data, str):
        return None, "a mask shape needs 'mask', a base64 PNG"
    try:
        (x1, y1), (x2, y2) = [(int(p[0]), int(p[1])) for p in points]  # type: ignore[union-attr]
    except (TypeError, ValueError, IndexError):
        return None, "a mask shape needs points [[x1, y1], [x2, y2]]"
    try:
        crop = decode_png_mask(base64.b64decode(data, validate=True),
                               expected_size=(y2 - y1 + 1, x2 - x1 + 1))
    except (binascii.Error, ValueError, MaskCodecError) as exc:
        return None, f"mask: {exc}"
    if x1 < 0 or y1 < 0 or x2 >= asset.width or y2 >= asset.height:
        return None, f"the mask box ({x1}, {y1})-({x2}, {y2}) reaches outside the " \
                     f"{asset.width}x{asset.height} image"
    full = np.zeros((asset.height, asset.width), dtype=np.uint8)
    full[y1 : y2 + 1, x1 : x2 + 1] = crop
    return {"type": "segmentation_mask", "rle": encode(full)}, ""


def _shape_object(shape: Any, asset: Asset) -> tuple[dict[str, Any] | None, str]:
    """(annotation dict, "") or (None, reason to fail) or (None, "skip:<what>")."""
    if not isinstance(shape, dict):
        return None, "a shape must be an object"
    kind = shape.get("shape_type") or "polygon"
    points = shape.get("points")
    if kind == "mask":
        obj, reason = _mask_object(shape, asset)
    elif kind == "rectangle":
        if not isinstance(points, list) or len(points) < 2:
            return None, "a rectangle needs 2 points"
        try:
            x, y, w, h = points_bbox(points)
        except (TypeError, ValueError, IndexError):
            return None, "rectangle points must be [x, y] pairs of numbers"
        obj, reason = {"type": "bounding_box",
                       "coordinates": {"x": x, "y": y, "width": w, "height": h}}, ""
    elif kind == "polygon":
        obj, reason = {"type": "polygon", "points": points}, ""
    elif kind in ("linestrip", "line"):
        obj, reason = {"type": "polyline", "points": points}, ""
    else:
        return None, f"skip:labelme '{kind}' shapes (no counterpart here)"
    if obj is not None:
        obj.update(label=shape.get("label"),
                   confidence=shape.get("confidence", shape.get("score")))
    return obj, reason


def _classifications(document: dict[str, Any]) -> list[tuple[Any, Any]]:
    listed = document.get("classifications")
    if isinstance(listed, list):
        return [(c.get("label"), c.get("confidence")) if isinstance(c, dict) else (c, None)
                for c in listed]
    flags = document.get("flags") or {}
    if not isinstance(flags, dict):
        return []
    return [(label, None) for label, on in flags.items() if on is True]


def import_labelme(job: ImportJob) -> None:
    _, files = job.source_files("*.json", "labelme JSON files")
    for done, path in enumerate(files):
        file = job.display(path)
        job.report(done, len(files), file)
        document = load_json_file(path)
        if not isinstance(document, dict) or not isinstance(document.get("shapes"), list):
            if job.path.is_file():
                raise FormatError(f"{file}: not a labelme file (it has no 'shapes' list)")
            job.skip("JSON files that are not labelme files")
            continue
        job.summary.files += 1
        image_path = document.get("imagePath")
        if not isinstance(image_path, str) or not image_path:
            job.problem(file, "imagePath", "missing; labelme files name their image")
            continue
        asset = job.match(image_path, file=file, base_dir=path.parent)
        if asset is None:
            continue
        size = (document.get("imageWidth"), document.get("imageHeight"))
        if None not in size and size != (asset.width, asset.height):
            job.problem(file, "imageWidth/imageHeight", f"{size[0]}x{size[1]} in the file, but "
                        f"{asset.path} is {asset.width}x{asset.height}")
            continue
        for index, (label, confidence) in enumerate(_classifications(document)):
            job.add(asset, {"type": "classification", "label": label, "confidence": confidence},
                    file=file, record=f"classification {index}")
        for index, shape in enumerate(document["shapes"]):
            obj, reason = _shape_object(shape, asset)
            if obj is None and reason.startswith("skip:"):
                job.skip(reason.removeprefix("skip:"))
            elif obj is None:
                job.problem(file, f"shape {index}", reason)
            else:
                job.add(asset, obj, file=file, record=f"shape {index} ({obj['type']})")
