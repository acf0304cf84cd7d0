"""Avala JSON: per asset, exactly the model response of PRODUCT.md §3, plus an index.

Export writes, for every asset with annotations (and every submitted one):
- ``<out>/annotations/<name>.json``: ``{"annotations": [...]}``, each annotation in the
  canonical form ``{"type", "label", "confidence", ...geometry}`` (docs/CONTRACTS.md), which is
  what a model endpoint answers; an annotation a person drew has ``"confidence": null``;
- ``<out>/index.json`` (written last): ``{"format": "avala-desktop", "version": 1,
  "labels": [...], "assets": [{"name", "path", "type", "frame_index", "width", "height",
  "file"}]}`` mapping each asset (``path`` as the project stores it, relative to the project
  folder) to its file (relative to ``<out>``).
Every annotation type is carried, with its exact geometry and confidence.

Import reads an export folder (or its ``index.json``), or a folder of ``<asset name>.json``
response files without an index; each file must be ``{"annotations": [...]}`` and every
annotation is validated like a model's (a ``mask_url`` is refused: embed masks as ``rle``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from avala_desktop.core.formats.common import FormatError, load_json_file
from avala_desktop.core.formats.export_job import ExportJob
from avala_desktop.core.formats.import_job import ImportJob
from avala_desktop.core.store import Asset

ASSET_TYPES = ("image", "video_frame", "point_cloud")
INDEX_NAME = "index.json"
FORMAT_TAG = "avala-desktop"


def export_avala(job: ExportJob) -> None:
    entries: list[dict[str, Any]] = []
    for item in job.items(ASSET_TYPES):
        asset = item.asset
        relative = f"annotations/{item.name}.json"
        annotations = []
        for record in item.annotations:
            annotations.append(record.canonical())
            job.wrote(record)
        job.write_json(relative, {"annotations": annotations})
        entries.append({
            "name": item.name,
            "path": asset.path,
            "type": asset.type,
            "frame_index": asset.frame_index,
            "width": asset.width,
            "height": asset.height,
            "file": relative,
        })
    job.write_json(INDEX_NAME, {
        "format": FORMAT_TAG, "version": 1, "labels": list(job.labels), "assets": entries,
    })


# -- import --------------------------------------------------------------------------------


def _indexed(job: ImportJob, index_path: Path) -> list[tuple[Asset, Path]]:
    file = job.display(index_path)
    index = load_json_file(index_path)
    if not isinstance(index, dict) or not isinstance(index.get("assets"), list):
        raise FormatError(f"{file}: an index is an object with an 'assets' list")
    by_path = {(asset.path, asset.frame_index): asset for asset in job.assets}
    pairs: list[tuple[Asset, Path]] = []
    for number, entry in enumerate(index["assets"]):
        record = f"assets[{number}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
            job.problem(file, record, "an entry needs 'file', the asset's annotation file")
            continue
        stored, frame = entry.get("path"), entry.get("frame_index")
        asset = by_path.get((stored, frame)) if isinstance(stored, str) else None
        if asset is not None:
            job.found(asset)
        else:
            name = entry.get("name") or entry.get("path")
            if not isinstance(name, str):
                job.problem(file, record, "an entry needs 'name' or 'path'")
                continue
            asset = job.match(name, file=file)
        if asset is not None:
            pairs.append((asset, index_path.parent / entry["file"]))
    return pairs


def _loose(job: ImportJob) -> list[tuple[Asset, Path]]:
    files = sorted(job.path.rglob("*.json"))
    if not files:
        raise FormatError(f"{job.path} holds no {INDEX_NAME} and no annotation files")
    pairs: list[tuple[Asset, Path]] = []
    for path in files:
        name = path.relative_to(job.path).as_posix().removesuffix(".json")
        asset = job.match(name, file=job.display(path))
        if asset is not None:
            pairs.append((asset, path))
    return pairs


def _pairs(job: ImportJob) -> list[tuple[Asset, Path]]:
    if job.path.is_file():
        return _indexed(job, job.path)
    if (job.path / INDEX_NAME).is_file():
        return _indexed(job, job.path / INDEX_NAME)
    return _loose(job)


def import_avala(job: ImportJob) -> None:
    pairs = _pairs(job)
    job.summary.files = len(pairs)
    for done, (asset, path) in enumerate(pairs):
        file = job.display(path)
        job.report(done, len(pairs), file)
        try:
            document = load_json_file(path)
        except FormatError as exc:
            job.problem(file, "file", exc.message.removeprefix(f"{path}: "))
            continue
        items = document.get("annotations") if isinstance(document, dict) else None
        if not isinstance(items, list):
            job.problem(file, "file", 'must be {"annotations": [...]}')
            continue
        for number, obj in enumerate(items):
            kind = obj.get("type") if isinstance(obj, dict) else None
            record = f"annotation {number}" + (f" ({kind})" if isinstance(kind, str) else "")
            job.add(asset, obj, file=file, record=record)
