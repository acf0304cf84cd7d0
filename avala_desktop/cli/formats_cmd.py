"""`avala-desktop export` and `import`: annotations out to COCO, YOLO, labelme, Pascal VOC,
KITTI or Avala JSON, and in from them (as finished annotations or as suggestions to review).

Progress goes to stderr, the summary to stdout (as JSON with --json). Exit codes: 0 done,
2 the command could not be carried out (bad input, unknown format, not a project), 130
interrupted. A failed import changes nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from avala_desktop.cli.common import EXIT_OK, error, pairs, unit_fraction
from avala_desktop.core.formats import (
    FORMAT_NAMES,
    FormatError,
    Progress,
    export_project,
    import_annotations,
)
from avala_desktop.core.formats.export_job import ExportSummary
from avala_desktop.core.formats.import_job import ImportSummary
from avala_desktop.core.store import ProjectError, ProjectStore

DEFAULT_SUGGESTION_THRESHOLD = 0.5
# How many unmatched files the text summary lists before "and N more".
UNMATCHED_SHOWN = 10
_PROGRESS_STEPS = 20


def register(subparsers: Any) -> None:
    export = subparsers.add_parser(
        "export",
        help="write a project's annotations in another tool's format",
        description="Write the finished annotations (accepted, edited, drawn by a person) of "
        "PROJECT_DIR in FORMAT under DIR. Rejected suggestions are never written, pending ones "
        "only with --include-pending. Every file is written whole or not at all.",
    )
    export.add_argument("project_dir", metavar="PROJECT_DIR", type=Path)
    export.add_argument("--format", required=True, choices=FORMAT_NAMES, dest="fmt")
    export.add_argument("--out", required=True, metavar="DIR", type=Path,
                        help="folder to write into (created if needed)")
    export.add_argument("--include-pending", action="store_true",
                        help="also write suggestions nobody has reviewed yet")
    export.add_argument("--json", action="store_true", help="print the summary as JSON")
    export.set_defaults(func=_export)

    imp = subparsers.add_parser(
        "import",
        help="add annotations or predictions from another tool's files",
        description="Read PATH in FORMAT and add its annotations to PROJECT_DIR, matching "
        "files to the project's assets by name. By default they enter as finished (accepted) "
        "annotations; with --as-suggestions as pending suggestions of the provider "
        "'import:NAME', to be reviewed like a model's. Every record is checked first; if any "
        "is bad, nothing is imported and each problem is listed.",
    )
    imp.add_argument("project_dir", metavar="PROJECT_DIR", type=Path)
    imp.add_argument("--format", required=True, choices=FORMAT_NAMES, dest="fmt")
    imp.add_argument("path", metavar="PATH", type=Path,
                     help="the file or folder to read (a COCO JSON, a YOLO dataset, ...)")
    imp.add_argument("--as-suggestions", action="store_true",
                     help="import as pending suggestions to review")
    imp.add_argument("--provider-name", metavar="NAME",
                     help="name the suggestions' provider import:NAME (default: the format)")
    imp.add_argument("--threshold", metavar="T", type=unit_fraction,
                     help="drop predictions with confidence < T (0..1; default "
                     f"{DEFAULT_SUGGESTION_THRESHOLD} with --as-suggestions, else none)")
    imp.add_argument("--json", action="store_true", help="print the summary as JSON")
    imp.set_defaults(func=_import)


class _ProgressPrinter:
    """About twenty lines per pass, on stderr, so a large project does not flood it."""

    def __init__(self, verb: str) -> None:
        self._verb = verb
        self._last = -1

    def __call__(self, event: Progress) -> None:
        step = event.done * _PROGRESS_STEPS // max(event.total, 1)
        if step == self._last and event.done != event.total:
            return
        self._last = step
        print(f"{self._verb} [{event.done}/{event.total}] {event.message}", file=sys.stderr,
              flush=True)


def _export(args: argparse.Namespace) -> int:
    try:
        with ProjectStore.open(args.project_dir) as store:
            summary = export_project(store, args.fmt, args.out,
                                     include_pending=args.include_pending,
                                     progress=_ProgressPrinter("exporting"))
    except (FormatError, ProjectError) as exc:
        return error(exc.message)
    if args.json:
        print(json.dumps(summary.to_dict(), indent=2))
    else:
        _print_export(summary)
    return EXIT_OK


def _print_export(summary: ExportSummary) -> None:
    files = len(summary.files)
    print(f"Exported {summary.annotations} annotations of {summary.assets} assets as "
          f"{summary.format} to {summary.out_dir} ({files} file{'s' if files != 1 else ''}).")
    if summary.by_type:
        print(f"  by type: {pairs(dict(summary.by_type))}")
    if summary.skipped:
        print(f"  not written: {pairs(dict(summary.skipped))}")
    if summary.notes:
        print(f"  notes: {pairs(dict(summary.notes))}")


def _import(args: argparse.Namespace) -> int:
    if args.provider_name is not None and not args.as_suggestions:
        return error("--provider-name names the provider of suggestions; add --as-suggestions")
    threshold = args.threshold
    if threshold is None and args.as_suggestions:
        threshold = DEFAULT_SUGGESTION_THRESHOLD
    try:
        with ProjectStore.open(args.project_dir) as store:
            summary = import_annotations(
                store, args.fmt, args.path, as_suggestions=args.as_suggestions,
                provider_name=args.provider_name, threshold=threshold,
                progress=_ProgressPrinter("reading"),
            )
    except (FormatError, ProjectError) as exc:
        return error(exc.message)
    if args.json:
        print(json.dumps({**summary.to_dict(), "threshold": threshold}, indent=2))
    else:
        _print_import(summary, threshold)
    return EXIT_OK


def _print_import(summary: ImportSummary, threshold: float | None) -> None:
    how = (f"pending suggestions of {summary.provider_id}" if summary.provider_id
           else "accepted annotations")
    print(f"Imported {summary.imported} annotations into {summary.assets} assets as {how} "
          f"(read {summary.records} records from {summary.files} files in {summary.source}).")
    if summary.by_type:
        print(f"  by type: {pairs(dict(summary.by_type))}")
    if threshold is not None:
        print(f"  below the threshold {threshold}: {summary.below_threshold}")
    if summary.replaced:
        print(f"  replaced {summary.replaced} earlier pending suggestions of "
              f"{summary.provider_id}")
    if summary.labels_added:
        print(f"  labels added to the project: {', '.join(summary.labels_added)}")
    if summary.skipped:
        print(f"  not imported: {pairs(dict(summary.skipped))}")
    if summary.notes:
        print(f"  notes: {pairs(dict(summary.notes))}")
    if summary.unmatched:
        print(f"  not in the project ({len(summary.unmatched)}):")
        for line in summary.unmatched[:UNMATCHED_SHOWN]:
            print(f"    {line}")
        if len(summary.unmatched) > UNMATCHED_SHOWN:
            print(f"    ... and {len(summary.unmatched) - UNMATCHED_SHOWN} more")
