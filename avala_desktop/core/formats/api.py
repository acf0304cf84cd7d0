"""The two entry points: export a project to a format, import a format's files into one."""

from __future__ import annotations

from pathlib import Path

from avala_desktop.core.formats.common import (
    CancelFlag,
    FormatError,
    ProgressFn,
    leftover_temp_files,
)
from avala_desktop.core.formats.export_job import ExportJob, ExportSummary
from avala_desktop.core.formats.import_job import ImportJob, ImportSummary
from avala_desktop.core.formats.registry import format_spec
from avala_desktop.core.store import ProjectStore


def export_project(
    store: ProjectStore,
    fmt: str,
    out_dir: Path | str,
    *,
    include_pending: bool = False,
    progress: ProgressFn | None = None,
    cancel: CancelFlag | None = None,
) -> ExportSummary:
    """Write the project's final annotations (plus pending ones with ``include_pending``) in
    format ``fmt`` under ``out_dir``. Raises FormatError (OperationCancelled on cancel)."""
    spec = format_spec(fmt)
    out = Path(out_dir).expanduser().absolute()
    if out.exists() and not out.is_dir():
        raise FormatError(f"{out} is a file; export into a folder.")
    if out.is_relative_to(store.root) or store.root.is_relative_to(out):
        raise FormatError(
            f"Export into a folder outside the project, not {out}: exported files (YOLO "
            "copies images, labelme writes frame images) would mix with the project's assets."
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FormatError(f"Cannot create the folder {out}: {exc.strerror or exc}") from exc
    job = ExportJob(store, spec.name, out, include_pending=include_pending, progress=progress,
                    cancel=cancel)
    try:
        spec.export(job)
    except OSError as exc:
        raise FormatError(
            f"Writing {exc.filename or out} failed: {exc.strerror or exc}. Files written "
            "before the failure are complete; run the export again."
        ) from exc
    return job.summary


def import_annotations(
    store: ProjectStore,
    fmt: str,
    path: Path | str,
    *,
    as_suggestions: bool = False,
    provider_name: str | None = None,
    threshold: float | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelFlag | None = None,
) -> ImportSummary:
    """Read ``path`` in format ``fmt`` and add its annotations to the project, all or none.

    Raises ImportInvalid (every bad record, with file, record and reason) or FormatError;
    either way the project is unchanged.
    """
    spec = format_spec(fmt)
    job = ImportJob(
        store, spec.name, Path(path), asset_types=spec.asset_types,
        ignore_extension=spec.ignore_extension, as_suggestions=as_suggestions,
        provider_name=provider_name, threshold=threshold, progress=progress, cancel=cancel,
    )
    spec.import_(job)
    return job.commit()


__all__ = ["export_project", "import_annotations", "leftover_temp_files"]
