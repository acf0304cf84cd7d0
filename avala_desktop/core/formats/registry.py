"""Format name -> exporter and importer, with what a user interface needs to offer them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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
    # What an import reads, as a chooser's hint.
    import_hint: str
    # Label-file formats name their files after the asset without its extension.
    ignore_extension: bool = False


FORMATS: dict[str, FormatSpec] = {
    spec.name: spec
    for spec in (
        FormatSpec("coco", "COCO JSON", coco.ASSET_TYPES, coco.export_coco, coco.import_coco,
                   "a COCO .json file"),
        FormatSpec("yolo", "YOLO (Ultralytics)", yolo.ASSET_TYPES, yolo.export_yolo,
                   yolo.import_yolo, "a dataset folder, its data.yaml, or a folder of .txt "
                   "labels", ignore_extension=True),
        FormatSpec("labelme", "labelme JSON", labelme.ASSET_TYPES, labelme.export_labelme,
                   labelme.import_labelme, "a folder of labelme .json files, or one file"),
        FormatSpec("voc", "Pascal VOC XML", voc.ASSET_TYPES, voc.export_voc, voc.import_voc,
                   "a folder of VOC .xml files, or one file"),
        FormatSpec("kitti", "KITTI 3D (sensor frame)", kitti.ASSET_TYPES, kitti.export_kitti,
                   kitti.import_kitti, "a folder of KITTI .txt labels, or one file",
                   ignore_extension=True),
        FormatSpec("avala", "Avala JSON", avala_json.ASSET_TYPES, avala_json.export_avala,
                   avala_json.import_avala, "an export folder with index.json, or a folder "
                   "of <asset>.json responses"),
    )
}
FORMAT_NAMES: tuple[str, ...] = tuple(FORMATS)


def format_spec(name: str) -> FormatSpec:
    spec = FORMATS.get(name.strip().lower())
    if spec is None:
        raise FormatError(f"Unknown format {name!r}; choose one of {', '.join(FORMAT_NAMES)}.")
    return spec
