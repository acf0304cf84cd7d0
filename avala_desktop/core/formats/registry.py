"""Format name -> exporter and importer, with what a user interface needs to offer them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from avala_desktop.core.formats import avala_json, coco, kitti, labelme, voc, yolo
from avala_desktop.core.formats.common import FormatError
from avala_desktop.core.formats.export_job import ExportJob
from avala_desktop.core.formats.import_job import ImportJob


@dataclass(frozen=True)
class FormatSpec:
    name: str  # as the CLI spells it
    title: str  # as a menu shows it
    asset_types: tuple[str, ...]
    export: Callable[[ExportJob], None]
    import_: Callable[[ImportJob], None]
    # What to choose when importing: one file (a folder is also read) or a folder of files.
    import_path: Literal["file", "folder"]
    # Label-file formats name their files after the asset without its extension.
    ignore_extension: bool = False


FORMATS: dict[str, FormatSpec] = {
    spec.name: spec
    for spec in (
        FormatSpec("coco", "COCO JSON", coco.ASSET_TYPES, coco.export_coco, coco.import_coco,
                   "file"),
        FormatSpec("yolo", "YOLO (Ultralytics)", yolo.ASSET_TYPES, yolo.export_yolo,
                   yolo.import_yolo, "folder", ignore_extension=True),
        FormatSpec("labelme", "labelme JSON", labelme.ASSET_TYPES, labelme.export_labelme,
                   labelme.import_labelme, "folder"),
        FormatSpec("voc", "Pascal VOC XML", voc.ASSET_TYPES, voc.export_voc, voc.import_voc,
                   "folder"),
        FormatSpec("kitti", "KITTI 3D (sensor frame)", kitti.ASSET_TYPES, kitti.export_kitti,
                   kitti.import_kitti, "folder", ignore_extension=True),
        FormatSpec("avala", "Avala JSON", avala_json.ASSET_TYPES, avala_json.export_avala,
                   avala_json.import_avala, "folder"),
    )
}
FORMAT_NAMES: tuple[str, ...] = tuple(FORMATS)


def format_spec(name: str) -> FormatSpec:
    spec = FORMATS.get(name.strip().lower())
    if spec is None:
        raise FormatError(f"Unknown format {name!r}; choose one of {', '.join(FORMAT_NAMES)}.")
    return spec
