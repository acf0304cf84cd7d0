"""Pascal VOC XML, one file per image, bounding boxes only.

Export writes ``<out>/<name without extension>.xml``: ``annotation`` with ``folder``,
``filename``, ``path``, ``source/database``, ``size`` (width, height, depth 3), ``segmented``
0, and one ``object`` per box: ``name``, ``pose`` Unspecified, ``truncated`` 0, ``difficult``
0, ``bndbox`` and, when the annotation has one, the model's ``confidence`` (an extra element;
VOC readers ignore elements they do not know).

Coordinates follow VOC's 1-based, inclusive pixel convention: the top-left pixel of an image
is (1, 1), and a box covering pixel columns i..j (0-based) has xmin = i + 1, xmax = j + 1. Our
boxes are continuous, with pixel i spanning [i, i + 1), so
``xmin = x + 1, ymin = y + 1, xmax = x + width, ymax = y + height``, and back
``x = xmin - 1, width = xmax - xmin + 1``. A box on whole pixels round-trips exactly, in
integers; a sub-pixel box is written with full float precision and comes back to within
floating-point rounding (1e-9 px). Polygons, masks, polylines and classifications are not
boxes and are counted as skipped.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import PurePosixPath
from typing import Any

from avala_desktop.core.formats.common import number_text
from avala_desktop.core.formats.export_job import ExportItem, ExportJob
from avala_desktop.core.formats.import_job import ImportJob
from avala_desktop.core.formats.naming import without_extension

ASSET_TYPES = ("image", "video_frame")


def _element(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    child = ET.SubElement(parent, tag)
    if text is not None:
        child.text = text
    return child


def _document(job: ExportJob, item: ExportItem) -> ET.Element:
    asset = item.asset
    name = PurePosixPath(item.name)
    root = ET.Element("annotation")
    _element(root, "folder", "" if str(name.parent) == "." else name.parent.as_posix())
    _element(root, "filename", name.name)
    path = item.name if asset.type == "video_frame" else job.store.asset_abspath(asset).as_posix()
    _element(root, "path", path)
    _element(_element(root, "source"), "database", "avala-desktop")
    size = _element(root, "size")
    _element(size, "width", str(asset.width or 0))
    _element(size, "height", str(asset.height or 0))
    _element(size, "depth", "3")
    _element(root, "segmented", "0")
    for record in item.annotations:
        if record.type != "bounding_box":
            job.skip(f"{record.type} (Pascal VOC holds boxes only)")
            continue
        c = record.geometry["coordinates"]
        obj = _element(root, "object")
        _element(obj, "name", record.label)
        _element(obj, "pose", "Unspecified")
        _element(obj, "truncated", "0")
        _element(obj, "difficult", "0")
        box = _element(obj, "bndbox")
        _element(box, "xmin", number_text(c["x"] + 1))
        _element(box, "ymin", number_text(c["y"] + 1))
        _element(box, "xmax", number_text(c["x"] + c["width"]))
        _element(box, "ymax", number_text(c["y"] + c["height"]))
        if record.confidence is not None:
            _element(obj, "confidence", repr(record.confidence))
        job.wrote(record)
    ET.indent(root)
    return root


def export_voc(job: ExportJob) -> None:
    for item in job.items(ASSET_TYPES):
        text = ET.tostring(_document(job, item), encoding="unicode")
        job.write_text(f"{without_extension(item.name)}.xml", text + "\n")


# -- import --------------------------------------------------------------------------------


def _text(element: ET.Element, path: str) -> str | None:
    found = element.find(path)
    return None if found is None or found.text is None else found.text.strip()


def _float(element: ET.Element, path: str) -> float:
    text = _text(element, path)
    if text is None:
        raise ValueError(f"'{path}' is missing")
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"'{path}' must be a number, got {text!r}") from None


def _size(root: ET.Element) -> tuple[float, float] | None:
    """(width, height) the file declares; None when it leaves them out or at 0, as some
    tools do."""
    try:
        width, height = _float(root, "size/width"), _float(root, "size/height")
    except ValueError:
        return None
    return None if width == 0 or height == 0 else (width, height)


def _object(element: ET.Element) -> dict[str, Any]:
    """The annotation dict of one ``object``; raises ValueError with the reason."""
    name = _text(element, "name")
    if not name:
        raise ValueError("'name' is missing")
    if element.find("bndbox") is None:
        raise ValueError("'bndbox' is missing (only boxes are read)")
    xmin, ymin = _float(element, "bndbox/xmin"), _float(element, "bndbox/ymin")
    xmax, ymax = _float(element, "bndbox/xmax"), _float(element, "bndbox/ymax")
    if xmax < xmin or ymax < ymin:
        raise ValueError(f"the box is inverted (xmin {xmin}, xmax {xmax}, ymin {ymin}, "
                         f"ymax {ymax})")
    score = _text(element, "confidence") or _text(element, "score")
    return {
        "type": "bounding_box",
        "label": name,
        "confidence": score,
        "coordinates": {"x": xmin - 1, "y": ymin - 1,
                        "width": xmax - xmin + 1, "height": ymax - ymin + 1},
    }


def import_voc(job: ImportJob) -> None:
    base, files = job.source_files("*.xml", "Pascal VOC .xml files")
    for done, path in enumerate(files):
        file = job.display(path)
        job.report(done, len(files), file)
        try:
            root = ET.parse(path).getroot()
        except (ET.ParseError, OSError) as exc:
            job.problem(file, "file", f"not readable XML ({exc})")
            continue
        if root.tag != "annotation":
            job.problem(file, "file", f"the root element is <{root.tag}>, not <annotation>")
            continue
        job.summary.files += 1
        filename = _text(root, "filename") or f"{path.stem}"
        folder = path.parent.relative_to(base).as_posix()
        reference = filename if folder == "." else f"{folder}/{filename}"
        asset = job.match(reference, file=file)
        if asset is None:
            continue
        size = _size(root)
        if size is not None and size != (asset.width, asset.height):
            declared = "x".join(number_text(v) for v in size)
            job.problem(file, "size", f"{declared} in the file, but {asset.path} is "
                        f"{asset.width}x{asset.height}")
            continue
        for index, element in enumerate(root.iter("object")):
            record = f"object {index}"
            try:
                obj = _object(element)
            except ValueError as exc:
                job.problem(file, record, str(exc))
                continue
            job.add(asset, obj, file=file, record=f"{record} ({obj['label']})")
