"""Import and export: COCO, YOLO, labelme, Pascal VOC, KITTI and Avala JSON (Qt-free).

`export_project(store, fmt, out_dir, ...)` writes what a person finished (accepted, edited,
drawn; pending suggestions only when asked); `import_annotations(store, fmt, path, ...)` adds
a format's records, validated like a model's response, in one transaction, as accepted
annotations or as pending suggestions of `import:<name>`. Each format module's docstring is
its exact convention.
"""

from avala_desktop.core.formats.api import export_project, import_annotations
from avala_desktop.core.formats.common import (
    FormatError,
    ImportInvalid,
    OperationCancelled,
    Progress,
    RecordProblem,
)
from avala_desktop.core.formats.export_job import ExportSummary
from avala_desktop.core.formats.import_job import IMPORT_PROVIDER_PREFIX, ImportSummary
from avala_desktop.core.formats.registry import FORMAT_NAMES, FORMATS, FormatSpec, format_spec

__all__ = [
    "FORMATS",
    "FORMAT_NAMES",
    "IMPORT_PROVIDER_PREFIX",
    "ExportSummary",
    "FormatError",
    "FormatSpec",
    "ImportInvalid",
    "ImportSummary",
    "OperationCancelled",
    "Progress",
    "RecordProblem",
    "export_project",
    "format_spec",
    "import_annotations",
]
