"""COCO object detection / instance segmentation JSON (https://cocodataset.org/#format-data).

Export writes ``<out>/annotations.json``, one file for the whole project:
- ``images``: ``id`` (1..N), ``file_name`` (the asset's path relative to the project; a video
  frame is ``<video without extension>_frame<index>.png`` with extra ``video`` and
  ``frame_index`` keys), ``width``, ``height``;
- ``categories``: the label set in order, ids 1..K (``supercategory`` empty);
- ``annotations``: ``id``, ``image_id``, ``category_id``, ``bbox`` [x, y, width, height] in
  absolute pixels from the top-left, ``area``, ``iscrowd`` 0, and
  - a polygon: ``segmentation`` [[x1, y1, x2, y2, ...]] (one ring), ``area`` its shoelace area;
  - a segmentation mask: ``segmentation`` {"size": [h, w], "counts": "<compressed RLE>"}
    exactly as pycocotools reads it, ``bbox`` and ``area`` from the mask;
  - a bounding box: no ``segmentation`` key, ``area`` = width * height;
  - ``score``: the model's confidence, when the annotation has one (COCO's results format).
- Extensions (COCO has no place for them; readers that do not know them ignore them):
  ``images[].image_labels`` = [{"label", "category_id", "score"?}] for image-level
  classifications, and ``images[].polylines`` = [{"label", "category_id", "points": [[x, y],
  ...], "score"?}] for polylines.
3D boxes are not written (COCO is 2D); point cloud assets are left out.

Import reads the same, plus what other tools write: ``segmentation`` as uncompressed RLE
(counts as a list) or as several polygons (each becomes its own polygon annotation), and
``iscrowd`` RLE masks. A COCO image whose size differs from its asset's is an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from avala_desktop import __version__
from avala_desktop.core.formats.common import FormatError, check_cancel, load_json_file
from avala_desktop.core.formats.export_job import ExportJob
from avala_desktop.core.formats.import_job import ImportJob
from avala_desktop.core.formats.shapes import points_bbox, polygon_area
from avala_desktop.core.masks import area as rle_area
from avala_desktop.core.masks import to_bbox as rle_bbox
from avala_desktop.core.store import AnnotationRecord, Asset

ASSET_TYPES = ("image", "video_frame")
FILE_NAME = "annotations.json"


# -- export --------------------------------------------------------------------------------


def _with_score(entry: dict[str, Any], record: AnnotationRecord) -> dict[str, Any]:
    if record.confidence is not None:
        entry["score"] = record.confidence
    return entry


def _instance(record: AnnotationRecord, category_id: int) -> dict[str, Any] | None:
    g = record.geometry
    entry: dict[str, Any] = {"category_id": category_id, "iscrowd": 0}
    if record.type == "bounding_box":
        c = g["coordinates"]
        entry["bbox"] = [c["x"], c["y"], c["width"], c["height"]]
        entry["area"] = c["width"] * c["height"]
    elif record.type == "polygon":
        points = g["points"]
        entry["segmentation"] = [[v for point in points for v in point]]
        entry["bbox"] = list(points_bbox(points))
        entry["area"] = polygon_area(points)
    elif record.type == "segmentation_mask":
        rle = g["rle"]
        entry["segmentation"] = {"size": list(rle["size"]), "counts": rle["counts"]}
        entry["bbox"] = list(rle_bbox(rle))
        entry["area"] = rle_area(rle)
    else:
        return None
    return _with_score(entry, record)


def export_coco(job: ExportJob) -> None:
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    for item in job.items(ASSET_TYPES):
        asset = item.asset
        if asset.width is None or asset.height is None:
            job.skip("annotations on images of unknown size", len(item.annotations))
            continue
        image: dict[str, Any] = {
            "id": len(images) + 1,
            "file_name": item.name,
            "width": asset.width,
            "height": asset.height,
        }
        if asset.frame_index is not None:
            image["video"] = asset.path
            image["frame_index"] = asset.frame_index
        for record in item.annotations:
            category_id = job.label_index(record.label) + 1
            if record.type == "classification":
                entry = {"label": record.label, "category_id": category_id}
                image.setdefault("image_labels", []).append(_with_score(entry, record))
            elif record.type == "polyline":
                entry = {"label": record.label, "category_id": category_id,
                         "points": record.geometry["points"]}
                image.setdefault("polylines", []).append(_with_score(entry, record))
            else:
                instance = _instance(record, category_id)
                if instance is None:
                    job.skip(f"{record.type} (COCO is 2D)")
                    continue
                annotations.append(
                    {"id": len(annotations) + 1, "image_id": image["id"], **instance}
                )
            job.wrote(record)
        images.append(image)
    document = {
        "info": {
            "description": f"Exported by avala-desktop {__version__}",
            "version": "1.0",
            "date_created": datetime.now(UTC).isoformat(timespec="seconds"),
        },
        "licenses": [],
        "images": images,
        "annotations": annotations,
        "categories": [
            {"id": i + 1, "name": name, "supercategory": ""} for i, name in enumerate(job.labels)
        ],
    }
    job.write_json(FILE_NAME, document, indent=None)


# -- import --------------------------------------------------------------------------------


def _source_file(path: Path) -> Path:
    if path.is_file():
        return path
    candidate = path / FILE_NAME
    if candidate.is_file():
        return candidate
    found = sorted(path.glob("*.json"))
    if len(found) == 1:
        return found[0]
    raise FormatError(
        f"{path} is a folder without {FILE_NAME}; give the COCO JSON file itself."
    )


def _list_of(document: Mapping[str, Any], key: str, file: str, *, required: bool) -> list[Any]:
    value = document.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list):
        raise FormatError(f"{file}: '{key}' must be a list, got {type(value).__name__}")
    return value


def _categories(document: Mapping[str, Any], file: str) -> dict[int, str]:
    names: dict[int, str] = {}
    for index, category in enumerate(_list_of(document, "categories", file, required=True)):
        if (
            not isinstance(category, dict)
            or not isinstance(category.get("id"), int)
            or not isinstance(category.get("name"), str)
        ):
            raise FormatError(
                f"{file}: categories[{index}] must be an object with an integer 'id' and a "
                "string 'name'"
            )
        names[category["id"]] = category["name"]
    return names


def _confidence(entry: Mapping[str, Any]) -> Any:
    return entry.get("score")


_Images = dict[Any, tuple[Asset, dict[str, Any]]]


def _images(job: ImportJob, document: Mapping[str, Any], file: str) -> _Images:
    matched: _Images = {}
    for index, image in enumerate(_list_of(document, "images", file, required=True)):
        record = f"images[{index}]"
        if not isinstance(image, dict) or "id" not in image:
            job.problem(file, record, "an image must be an object with an 'id'")
            continue
        name = image.get("file_name")
        if not isinstance(name, str) or not name:
            job.problem(file, record, "the image has no 'file_name'")
            continue
        asset = job.match(name, file=file)
        if asset is None:
            continue
        width, height = image.get("width"), image.get("height")
        if (width, height) != (asset.width, asset.height) and width is not None:
            job.problem(
                file, record, f"{name} is {width}x{height} in the file, but the asset "
                f"{asset.path} is {asset.width}x{asset.height}",
            )
            continue
        matched[image["id"]] = (asset, image)
    return matched


def _image_extras(
    job: ImportJob, asset: Asset, image: dict[str, Any], file: str, names: dict[int, str]
) -> None:
    for key, kind in (("image_labels", "classification"), ("polylines", "polyline")):
        entries = image.get(key) or []
        if not isinstance(entries, list):
            job.problem(file, f"image {image['id']} '{key}'", "must be a list")
            continue
        for index, entry in enumerate(entries):
            record = f"image {image['id']} {key}[{index}]"
            if not isinstance(entry, dict):
                job.problem(file, record, "must be an object")
                continue
            label = entry.get("label", names.get(entry.get("category_id", -1)))
            obj = {"type": kind, "label": label, "confidence": _confidence(entry)}
            if kind == "polyline":
                obj["points"] = entry.get("points")
            job.add(asset, obj, file=file, record=record)


def _segmentation_objects(
    segmentation: Any, bbox: Any
) -> tuple[list[dict[str, Any]], str | None]:
    """Geometry dicts of one COCO annotation, or a reason it cannot be read."""
    if isinstance(segmentation, dict):
        return [{"type": "segmentation_mask", "rle": segmentation}], None
    if isinstance(segmentation, list) and segmentation:
        parts: list[dict[str, Any]] = []
        for part in segmentation:
            if not isinstance(part, list) or len(part) % 2:
                return [], "each polygon of 'segmentation' must be a flat list [x1, y1, x2, ...]"
            points = [[part[i], part[i + 1]] for i in range(0, len(part), 2)]
            parts.append({"type": "polygon", "points": points})
        return parts, None
    if not isinstance(bbox, list) or len(bbox) != 4:
        return [], "it has neither a 'segmentation' nor a 'bbox' [x, y, width, height]"
    x, y, w, h = bbox
    box = {"x": x, "y": y, "width": w, "height": h}
    return [{"type": "bounding_box", "coordinates": box}], None


def import_coco(job: ImportJob) -> None:
    source = _source_file(job.path)
    file = job.display(source)
    document = load_json_file(source)
    if not isinstance(document, dict):
        raise FormatError(f"{file}: a COCO file is a JSON object with images, annotations and "
                          "categories")
    job.summary.files = 1
    names = _categories(document, file)
    images = _images(job, document, file)
    for asset, image in images.values():
        _image_extras(job, asset, image, file, names)
    entries = _list_of(document, "annotations", file, required=True)
    for index, entry in enumerate(entries):
        if index % 1000 == 0:
            job.report(index, len(entries), file)
        check_cancel(job.cancel)
        record = f"annotations[{index}]"
        if not isinstance(entry, dict):
            job.problem(file, record, "must be an object")
            continue
        record = f"annotation id {entry.get('id')} (annotations[{index}])"
        if entry.get("image_id") not in images:
            job.skip("annotations of images that are not in the project")
            continue
        asset = images[entry["image_id"]][0]
        category = entry.get("category_id")
        if category not in names:
            job.problem(file, record, f"category_id {category!r} is not among the categories")
            continue
        objects, reason = _segmentation_objects(entry.get("segmentation"), entry.get("bbox"))
        if reason is not None:
            job.problem(file, record, reason)
            continue
        if len(objects) > 1:
            job.note("multi-part COCO polygons split into one polygon per part")
        for obj in objects:
            obj.update(label=names[category], confidence=_confidence(entry))
            job.add(asset, obj, file=file, record=record)
