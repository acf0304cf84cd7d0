"""The project store: one folder, one SQLite database, Qt-free. See project_store.py."""

from avala_desktop.core.store.database import ANNOTATIONS, ASSETS, LABELS, RUNS
from avala_desktop.core.store.errors import NotFoundError, ProjectError, SubmitRefused
from avala_desktop.core.store.migrations import SCHEMA_VERSION
from avala_desktop.core.store.project_store import (
    LABEL_PALETTE,
    ProjectStore,
    db_path_for,
    next_label_color,
)
from avala_desktop.core.store.records import (
    ANNOTATION_TYPES,
    ASSET_TYPES,
    AnnotationRecord,
    Asset,
    AssetSpec,
    AssetStatus,
    Label,
    Origin,
    Project,
    ReviewState,
    Run,
    RunAssetEntry,
    RunAssetResult,
    RunAssetStatus,
    RunState,
)

__all__ = [
    "ANNOTATIONS",
    "ANNOTATION_TYPES",
    "ASSETS",
    "ASSET_TYPES",
    "LABELS",
    "LABEL_PALETTE",
    "RUNS",
    "SCHEMA_VERSION",
    "AnnotationRecord",
    "Asset",
    "AssetSpec",
    "AssetStatus",
    "Label",
    "NotFoundError",
    "Origin",
    "Project",
    "ProjectError",
    "ProjectStore",
    "ReviewState",
    "Run",
    "RunAssetEntry",
    "RunAssetResult",
    "RunAssetStatus",
    "RunState",
    "SubmitRefused",
    "db_path_for",
    "next_label_color",
]
