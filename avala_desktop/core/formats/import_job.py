"""The running state of one import: matching, validation, and the one transaction at the end.

An import happens in two steps. First every file is read and every record is validated through
the wire models (`parse_annotation`), collecting a `RecordProblem` (file, record, reason) for
each bad one. Only when there is no problem at all does the second step write, in ONE store
transaction: a failed import changes nothing in the project.

Imported annotations enter either as a person's (origin human, state accepted: the file holds
finished labels) or, with ``as_suggestions``, as pending suggestions of the provider
``import:<name>`` (origin model) with their confidences, reviewed exactly like those of a live
provider: predictions below the threshold are dropped (an unscored record has nothing to
compare and is kept), and importing from the same provider name again replaces its earlier
pending suggestions on the assets the import covers, never what a person accepted, edited or
drew. Labels not yet in the project's label set are added to it, in the same transaction.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from avala_desktop.core.formats.common import (
    CancelFlag,
    FormatError,
    ImportInvalid,
    Progress,
    ProgressFn,
    RecordProblem,
    check_cancel,
)
from avala_desktop.core.formats.naming import AssetMatcher, export_names
from avala_desktop.core.store import (
    AnnotationRecord,
    Asset,
    AssetStatus,
    Label,
    Origin,
    ProjectStore,
    ReviewState,
    next_label_color,
)
from avala_desktop.core.store.base import new_id, utcnow
from avala_desktop.core.wire import Annotation, AnnotationInvalid, parse_annotation

IMPORT_PROVIDER_PREFIX = "import:"
_IMAGE_TYPES = frozenset({"image", "video_frame"})
_PLANAR = frozenset({"bounding_box", "polygon", "polyline", "segmentation_mask"})


@dataclass
class ImportSummary:
    format: str
    source: Path
    state: str  # "accepted" or "pending"
    provider_id: str | None
    files: int = 0
    records: int = 0
    imported: int = 0
    assets: int = 0
    by_type: Counter[str] = field(default_factory=Counter)
    below_threshold: int = 0
    replaced: int = 0
    labels_added: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    notes: Counter[str] = field(default_factory=Counter)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "source": str(self.source),
            "state": self.state,
            "provider_id": self.provider_id,
            "files": self.files,
            "records": self.records,
            "imported": self.imported,
            "assets": self.assets,
            "by_type": dict(self.by_type),
            "below_threshold": self.below_threshold,
            "replaced": self.replaced,
            "labels_added": list(self.labels_added),
            "unmatched": list(self.unmatched),
            "skipped": dict(self.skipped),
            "notes": dict(self.notes),
        }


@dataclass(frozen=True)
class _Accepted:
    asset: Asset
    annotation: Annotation


def provider_id_for(name: str) -> str:
    return f"{IMPORT_PROVIDER_PREFIX}{name}"


SUBMITTED_SKIP = "annotations for submitted assets (reopen them to import)"


class ImportJob:
    def __init__(
        self,
        store: ProjectStore,
        fmt: str,
        path: Path,
        *,
        asset_types: Sequence[str],
        ignore_extension: bool = False,
        as_suggestions: bool = False,
        provider_name: str | None = None,
        threshold: float | None = None,
        progress: ProgressFn | None = None,
        cancel: CancelFlag | None = None,
    ) -> None:
        if threshold is not None and not (math.isfinite(threshold) and 0 <= threshold <= 1):
            raise FormatError(f"The threshold must be a number from 0 to 1, got {threshold!r}.")
        name = (provider_name or fmt).strip()
        if as_suggestions and not name:
            raise FormatError("The provider name of imported suggestions cannot be empty.")
        self.store = store
        self.path = Path(path).expanduser().absolute()
        if not self.path.exists():
            raise FormatError(f"{self.path} does not exist.")
        self.as_suggestions = as_suggestions
        self.threshold = threshold
        self.cancel = cancel
        self._progress = progress
        self.project_labels = store.label_names()
        all_assets = store.assets()
        self.assets = [a for a in all_assets if a.type in asset_types]
        self.matcher = AssetMatcher(
            self.assets, export_names(all_assets), store.root, ignore_extension=ignore_extension
        )
        self.problems: list[RecordProblem] = []
        self._accepted: list[_Accepted] = []
        self._matched: dict[str, Asset] = {}
        self._references = 0
        self.summary = ImportSummary(
            format=fmt,
            source=self.path,
            state=(ReviewState.PENDING if as_suggestions else ReviewState.ACCEPTED).value,
            provider_id=provider_id_for(name) if as_suggestions else None,
        )

    # -- reading ---------------------------------------------------------------------------

    def report(self, done: int, total: int, message: str) -> None:
        check_cancel(self.cancel)
        if self._progress is not None:
            self._progress(Progress(done, total, message))

    def display(self, path: Path) -> str:
        """How messages name a file: relative to the import folder when inside it."""
        base = self.path if self.path.is_dir() else self.path.parent
        try:
            return path.relative_to(base).as_posix()
        except ValueError:
            return str(path)

    def match(self, reference: str, *, file: str, base_dir: Path | None = None) -> Asset | None:
        """The asset a file's record names; an unmatched one is reported, not an error."""
        self._references += 1
        found = self.matcher.match(reference, base_dir=base_dir)
        if found.asset is None:
            self.summary.unmatched.append(f"{file}: {reference!r}: {found.reason}")
            return None
        self._matched[found.asset.id] = found.asset
        return found.asset

    def found(self, asset: Asset) -> Asset:
        """Record an asset a file names exactly (matched without the matcher)."""
        self._references += 1
        self._matched[asset.id] = asset
        return asset

    def source_files(
        self, pattern: str, what: str, *, folder: Path | None = None
    ) -> tuple[Path, list[Path]]:
        """(the folder names are relative to, the files to read): the import path when it is
        a file, else every file matching ``pattern`` under ``folder`` (default: the path)."""
        if self.path.is_file():
            return self.path.parent, [self.path]
        base = folder or self.path
        files = sorted(p for p in base.rglob(pattern) if p.is_file())
        if not files:
            raise FormatError(f"{base} holds no {what}")
        return base, files

    def label_lines(
        self, base: Path, files: Sequence[Path]
    ) -> Iterator[tuple[Asset, str, list[tuple[int, list[str]]]]]:
        """Per label file that names an asset: the asset, the file as messages name it, and
        its non-empty lines (1-based number, whitespace-separated fields)."""
        self.summary.files = len(files)
        for done, path in enumerate(files):
            file = self.display(path)
            self.report(done, len(files), file)
            asset = self.match(path.relative_to(base).as_posix(), file=file)
            if asset is None:
                continue
            try:
                text = path.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as exc:
                self.problem(file, "file", f"cannot be read as text ({exc})")
                continue
            lines = [(n, line.split()) for n, line in enumerate(text.splitlines(), start=1)]
            yield asset, file, [(n, fields) for n, fields in lines if fields]

    def problem(self, file: str, record: str, reason: str) -> None:
        self.problems.append(RecordProblem(file, record, reason))

    def skip(self, reason: str, n: int = 1) -> None:
        self.summary.skipped[reason] += n

    def note(self, what: str, n: int = 1) -> None:
        self.summary.notes[what] += n

    def add(self, asset: Asset, obj: dict[str, Any], *, file: str, record: str) -> None:
        """Validate one annotation (a wire dict) for ``asset``; keep it, or record why not."""
        self.summary.records += 1
        try:
            annotation = parse_annotation(
                obj,
                width=asset.width if asset.type in _IMAGE_TYPES else None,
                height=asset.height if asset.type in _IMAGE_TYPES else None,
                require_confidence=False,
            )
        except AnnotationInvalid as invalid:
            self.problem(file, record, str(invalid))
            return
        kind = annotation.type.value
        geometry = annotation.geometry_dict()
        if "mask_url" in geometry:
            self.problem(
                file, record, "a mask_url cannot be imported; embed the mask as 'rle'"
            )
            return
        if kind == "bounding_box_3d" and asset.type != "point_cloud":
            self.problem(file, record, f"a 3D box belongs on a point cloud, not on {asset.path}")
            return
        if kind in _PLANAR and asset.type not in _IMAGE_TYPES:
            self.problem(file, record, f"a {kind} belongs on an image, not on the point cloud "
                         f"{asset.path}")
            return
        self._accepted.append(_Accepted(asset, annotation))

    # -- writing ---------------------------------------------------------------------------

    def commit(self) -> ImportSummary:
        """Write everything in one transaction, or raise and write nothing."""
        summary = self.summary
        if self.problems:
            raise ImportInvalid(self.problems)
        if self._references and not self._matched:
            first = summary.unmatched[0] if summary.unmatched else ""
            raise FormatError(
                f"None of the {self._references} files named in {self.path} is an asset of "
                f"this project (first: {first}). Import into the project that holds those "
                "assets, or check the paths in the file."
            )
        check_cancel(self.cancel)
        kept = self._kept()
        new_labels = self._new_labels(kept)
        summary.labels_added = [label.name for label in new_labels]
        records = self._records(kept)
        provider = summary.provider_id
        if provider is not None:
            summary.replaced = self._count_replaced(provider)
        check_cancel(self.cancel)
        self.store.insert_annotations(
            records,
            new_labels=new_labels,
            replace_pending_of=provider,
            replace_on=list(self._matched) if provider is not None else (),
        )
        summary.imported = len(records)
        summary.assets = len(self._matched)
        for record in records:
            summary.by_type[record.type] += 1
        return summary

    def _kept(self) -> list[_Accepted]:
        kept: list[_Accepted] = []
        for item in self._accepted:
            confidence = item.annotation.confidence
            threshold = self.threshold
            if threshold is not None and confidence is not None and confidence < threshold:
                self.summary.below_threshold += 1
                continue
            # A submitted asset is read-only in the app; an import must not change it either.
            if item.asset.status is AssetStatus.SUBMITTED:
                self.skip(SUBMITTED_SKIP)
                continue
            kept.append(item)
        return kept

    def _new_labels(self, kept: list[_Accepted]) -> list[Label]:
        known = set(self.project_labels)
        used = [label.color for label in self.store.labels()]
        added: list[Label] = []
        for item in kept:
            name = item.annotation.label
            if name not in known:
                known.add(name)
                color = next_label_color(used)
                used.append(color)
                added.append(Label(name, color))
        return added

    def _records(self, kept: list[_Accepted]) -> list[AnnotationRecord]:
        now = utcnow()
        origin = Origin.MODEL if self.as_suggestions else Origin.HUMAN
        state = ReviewState.PENDING if self.as_suggestions else ReviewState.ACCEPTED
        records = []
        for i, item in enumerate(kept):
            # A microsecond apart so that the file's order survives `ORDER BY created_at`.
            stamp = now + timedelta(microseconds=i)
            ann = item.annotation
            records.append(
                AnnotationRecord(
                    id=new_id("ann"),
                    asset_id=item.asset.id,
                    type=ann.type.value,
                    label=ann.label,
                    geometry=ann.geometry_dict(),
                    confidence=ann.confidence,
                    origin=origin,
                    provider_id=self.summary.provider_id,
                    run_id=None,
                    state=state,
                    revision=1,
                    created_at=stamp,
                    updated_at=stamp,
                )
            )
        return records

    def _count_replaced(self, provider: str) -> int:
        count = 0
        for asset_id in self._matched:
            for record in self.store.annotations(asset_id, states=[ReviewState.PENDING]):
                if record.provider_id == provider and record.origin is Origin.MODEL:
                    count += 1
        return count
