"""Ultralytics YOLO detection and segmentation datasets (https://docs.ultralytics.com/datasets/).

Export writes one dataset under ``<out>``:
- ``images/<name>``: each image, hard-linked from the project when the filesystem allows and
  copied otherwise (a video frame is decoded and written as PNG);
- ``labels/<name without extension>.txt``: one line per object, values separated by spaces,
  coordinates normalised by the image's width and height to [0, 1]:
  - detection (the project has only boxes): ``class cx cy w h`` (box centre and size);
  - segmentation (the project has any polygon or mask): ``class x1 y1 x2 y2 ... xn yn``;
    boxes are then written as their 4 corners, because Ultralytics cannot mix the two kinds
    in one dataset, and masks as the outlines ``cv2.findContours`` traces (lossy: holes
    dropped, one line per separate region);
  ``class`` is the 0-based index of the label in the label set;
- ``data.yaml``: ``path`` (the dataset folder), ``train`` and ``val`` (both ``images``), ``nc``
  and ``names`` (index -> label).
Shapes reaching outside the image are clipped to it. Training labels carry no confidence, so
none is written; polylines, classifications and 3D boxes have no place in YOLO and are
counted as skipped.

Import reads a dataset folder (or its ``data.yaml``) or a folder of label files such as
``yolo predict --save-txt --save-conf`` writes: lines of 5 values are boxes, 6 boxes with a
trailing confidence; an odd count of 7 or more is a polygon, an even count of 8 or more a
polygon with a trailing confidence. Class names come from ``data.yaml`` (or ``classes.txt``),
else the project's label set in order stands for them.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml

from avala_desktop.core.assets import load_asset_bytes
from avala_desktop.core.errors import InferenceFailure
from avala_desktop.core.formats.common import FormatError, link_or_copy_atomic, write_text_atomic
from avala_desktop.core.formats.export_job import ExportItem, ExportJob
from avala_desktop.core.formats.import_job import ImportJob
from avala_desktop.core.formats.naming import without_extension
from avala_desktop.core.formats.shapes import mask_polygons, rectangle_corners
from avala_desktop.core.store import AnnotationRecord, Asset

ASSET_TYPES = ("image", "video_frame")
_SEGMENT_TYPES = frozenset({"polygon", "segmentation_mask"})
_UNSUPPORTED = {
    "polyline": "polylines (YOLO has none)",
    "classification": "classifications (YOLO detection and segmentation have none)",
    "bounding_box_3d": "3D boxes (YOLO is 2D)",
}


def _norm(value: float) -> str:
    # Fixed point, no exponent: 12 decimals keep a 10k-pixel image exact to 1e-8 px.
    text = f"{min(max(value, 0.0), 1.0):.12f}".rstrip("0").rstrip(".")
    return text or "0"


def _clipped(value: float, limit: float) -> float:
    return min(max(value, 0.0), limit)


# -- export --------------------------------------------------------------------------------


def _box_line(job: ExportJob, record: AnnotationRecord, asset: Asset) -> str | None:
    w_img, h_img = float(asset.width or 0), float(asset.height or 0)
    c = record.geometry["coordinates"]
    x0, y0 = _clipped(c["x"], w_img), _clipped(c["y"], h_img)
    x1, y1 = _clipped(c["x"] + c["width"], w_img), _clipped(c["y"] + c["height"], h_img)
    if (x0, y0, x1, y1) != (c["x"], c["y"], c["x"] + c["width"], c["y"] + c["height"]):
        job.note("shapes clipped to the image")
    if x1 <= x0 or y1 <= y0:
        job.skip("boxes wholly outside the image")
        return None
    cls = job.label_index(record.label)
    values = ((x0 + x1) / 2 / w_img, (y0 + y1) / 2 / h_img, (x1 - x0) / w_img, (y1 - y0) / h_img)
    return " ".join([str(cls), *map(_norm, values)])


def _segment_line(job: ExportJob, label: str, points: list[Any], asset: Asset) -> str:
    w_img, h_img = float(asset.width or 0), float(asset.height or 0)
    if any(not (0 <= x <= w_img and 0 <= y <= h_img) for x, y in points):
        job.note("shapes clipped to the image")
    coords = [_norm(v) for x, y in points for v in (x / w_img, y / h_img)]
    return " ".join([str(job.label_index(label)), *coords])


def _lines(job: ExportJob, item: ExportItem, segment: bool) -> list[str]:
    lines: list[str] = []
    asset = item.asset
    for record in item.annotations:
        kind = record.type
        if kind in _UNSUPPORTED:
            job.skip(_UNSUPPORTED[kind])
            continue
        if kind == "bounding_box" and not segment:
            line = _box_line(job, record, asset)
            if line is not None:
                lines.append(line)
                job.wrote(record)
            continue
        if kind == "bounding_box":
            c = record.geometry["coordinates"]
            job.note("boxes written as 4-corner polygons (segmentation dataset)")
            polygons = [rectangle_corners(c["x"], c["y"], c["width"], c["height"])]
        elif kind == "polygon":
            polygons = [record.geometry["points"]]
        else:
            traced = mask_polygons(record.geometry["rle"])
            job.note("masks converted to polygons (lossy)")
            if traced.holes:
                job.note("mask holes dropped", traced.holes)
            if not traced.polygons:
                job.skip("masks too thin to trace as polygons")
                continue
            polygons = traced.polygons
        lines.extend(_segment_line(job, record.label, list(p), asset) for p in polygons)
        job.wrote(record)
    return lines


def _write_image(job: ExportJob, item: ExportItem) -> None:
    target = job.path(f"images/{item.name}")
    asset = item.asset
    try:
        if asset.type == "video_frame":
            data, _ = load_asset_bytes(job.store, asset)
            job.write_bytes(f"images/{item.name}", data)
            job.note("video frames written as PNG images")
            return
        linked = link_or_copy_atomic(job.store.asset_abspath(asset), target, cancel=job.cancel)
    except (OSError, InferenceFailure):
        job.skip("images missing from the project folder (their labels are written)")
        return
    job.summary.files.append(target)
    job.note("images hard-linked" if linked else "images copied")


def export_yolo(job: ExportJob) -> None:
    items = [
        item for item in job.items(ASSET_TYPES)
        if item.asset.width is not None and item.asset.height is not None
    ]
    segment = any(r.type in _SEGMENT_TYPES for item in items for r in item.annotations)
    for done, item in enumerate(items):
        job.report(done, len(items), f"labels/{item.name}")
        lines = _lines(job, item, segment)
        job.write_text(f"labels/{without_extension(item.name)}.txt",
                       "".join(f"{line}\n" for line in lines))
        _write_image(job, item)
    # data.yaml goes last: a dataset without it is visibly unfinished.
    data = {
        "path": str(job.out_dir),
        "train": "images",
        "val": "images",
        "nc": len(job.labels),
        "names": dict(enumerate(job.labels)),
    }
    header = f"# Ultralytics YOLO {'segmentation' if segment else 'detection'} dataset " \
             "exported by avala-desktop\n"
    path = job.path("data.yaml")
    write_text_atomic(path, header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
                      cancel=job.cancel)
    job.summary.files.append(path)


# -- import --------------------------------------------------------------------------------


def _names_from_yaml(path: Path) -> list[str]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise FormatError(f"{path}: cannot be read as YAML ({exc})") from exc
    names = data.get("names") if isinstance(data, dict) else None
    if isinstance(names, list):
        return [str(n) for n in names]
    if isinstance(names, dict) and all(isinstance(k, int) for k in names):
        if sorted(names) != list(range(len(names))):
            raise FormatError(f"{path}: 'names' must number the classes 0, 1, 2, ... without gaps")
        return [str(names[i]) for i in range(len(names))]
    raise FormatError(f"{path}: has no 'names' list or mapping of class index to name")


def _layout(job: ImportJob) -> tuple[Path, list[str] | None]:
    """(the folder holding the label files, the class names when the dataset gives them)."""
    path = job.path
    if path.is_file() and path.suffix.lower() in (".yaml", ".yml"):
        root, data_yaml = path.parent, path
    elif path.is_file():
        raise FormatError(f"{path}: give a YOLO dataset folder, its data.yaml, or a folder of "
                          "label .txt files")
    else:
        root, data_yaml = path, path / "data.yaml"
    labels_dir = root / "labels" if (root / "labels").is_dir() else root
    if data_yaml.is_file():
        return labels_dir, _names_from_yaml(data_yaml)
    for classes in (labels_dir / "classes.txt", root / "classes.txt"):
        if classes.is_file():
            text = classes.read_text(encoding="utf-8-sig")
            return labels_dir, [line.strip() for line in text.splitlines() if line.strip()]
    return labels_dir, None


def _numbers(fields: list[str]) -> list[float] | None:
    try:
        values = [float(f) for f in fields]
    except ValueError:
        return None
    return values if all(math.isfinite(v) for v in values) else None


def _line_object(
    fields: list[str], names: list[str], asset: Asset
) -> tuple[dict[str, Any] | None, str]:
    """The annotation dict of one label line, or the reason it is not one."""
    if not fields[0].isdigit():
        return None, f"the class must be a whole number, got {fields[0]!r}"
    cls = int(fields[0])
    if cls >= len(names):
        return None, f"class {cls} is not among the {len(names)} class names"
    values = _numbers(fields[1:])
    if values is None:
        return None, "every value after the class must be a finite number"
    n = len(values)
    confidence: float | None = None
    if n in (4, 5):
        if n == 5:
            confidence = values.pop()
        cx, cy, w, h = values
        kind = "box"
    elif n >= 6 and n % 2 == 0:
        kind = "polygon"
    elif n >= 7:
        confidence = values.pop()
        kind = "polygon"
    else:
        return None, (f"{n + 1} values: a box has 5 (6 with a confidence), a polygon 1 + 2 per "
                      "point (3 points or more, plus 1 for a confidence)")
    if any(not 0 <= v <= 1 for v in values):
        return None, "coordinates must be normalised to 0..1"
    w_img, h_img = float(asset.width or 0), float(asset.height or 0)
    label = names[cls]
    if kind == "box":
        geometry: dict[str, Any] = {"coordinates": {
            "x": (cx - w / 2) * w_img, "y": (cy - h / 2) * h_img,
            "width": w * w_img, "height": h * h_img,
        }}
        return {"type": "bounding_box", "label": label, "confidence": confidence, **geometry}, ""
    points = [[values[i] * w_img, values[i + 1] * h_img] for i in range(0, len(values), 2)]
    return {"type": "polygon", "label": label, "confidence": confidence, "points": points}, ""


def import_yolo(job: ImportJob) -> None:
    labels_dir, names = _layout(job)
    if names is None:
        names = list(job.project_labels)
        job.note("no data.yaml or classes.txt: class i read as the project's i-th label")
    files = sorted(p for p in labels_dir.rglob("*.txt") if p.name != "classes.txt")
    if not files:
        raise FormatError(f"{labels_dir} holds no YOLO label files (.txt)")
    for asset, file, lines in job.label_lines(labels_dir, files):
        if asset.width is None or asset.height is None:
            job.problem(file, "file", f"the size of {asset.path} is unknown, so normalised "
                        "coordinates cannot be placed")
            continue
        for number, fields in lines:
            obj, reason = _line_object(fields, names, asset)
            if obj is None:
                job.problem(file, f"line {number}", reason)
                continue
            job.add(asset, obj, file=file, record=f"line {number}")
