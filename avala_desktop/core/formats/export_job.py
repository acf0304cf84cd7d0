"""The running state of one export: the assets to go through, the files written, the counts.

Which assets an export lists: every asset of the types the format carries that has at least
one exported annotation, and every submitted one (a submitted asset without annotations is a
reviewed negative, worth keeping in a training set; an unlabeled one may simply be unreviewed).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from avala_desktop.core.formats.common import (
    CancelFlag,
    Progress,
    ProgressFn,
    check_cancel,
    exported_annotations,
    write_bytes_atomic,
    write_json_atomic,
    write_text_atomic,
)
from avala_desktop.core.formats.naming import export_names
from avala_desktop.core.store import AnnotationRecord, Asset, AssetStatus, ProjectStore


@dataclass
class ExportSummary:
    """What an export wrote. ``skipped`` counts annotations (or assets) left out, by reason;
    ``notes`` counts lossy conversions, by what was lost."""

    format: str
    out_dir: Path
    assets: int = 0
    annotations: int = 0
    files: list[Path] = field(default_factory=list)
    by_type: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    notes: Counter[str] = field(default_factory=Counter)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "out_dir": str(self.out_dir),
            "assets": self.assets,
            "annotations": self.annotations,
            "files": len(self.files),
            "by_type": dict(self.by_type),
            "skipped": dict(self.skipped),
            "notes": dict(self.notes),
        }


@dataclass(frozen=True)
class ExportItem:
    asset: Asset
    name: str  # the asset's export name (naming.py)
    annotations: list[AnnotationRecord]


class ExportJob:
    def __init__(
        self,
        store: ProjectStore,
        fmt: str,
        out_dir: Path,
        *,
        include_pending: bool,
        progress: ProgressFn | None,
        cancel: CancelFlag | None,
    ) -> None:
        self.store = store
        self.out_dir = Path(out_dir).expanduser().absolute()
        self.include_pending = include_pending
        self.cancel = cancel
        self._progress = progress
        self.labels = store.label_names()
        self._label_index = {name: i for i, name in enumerate(self.labels)}
        self.summary = ExportSummary(format=fmt, out_dir=self.out_dir)

    def label_index(self, name: str) -> int:
        """0-based class index of a label in the label set. A label no longer in the set but
        still on annotations gets the next index, so nothing is lost."""
        index = self._label_index.get(name)
        if index is None:
            index = self._label_index[name] = len(self.labels)
            self.labels.append(name)
            self.note(f"label {name!r} is not in the label set; added as class {index}")
        return index

    def report(self, done: int, total: int, message: str) -> None:
        if self._progress is not None:
            self._progress(Progress(done, total, message))

    def items(self, types: Sequence[str]) -> Iterator[ExportItem]:
        """The assets to export, with their exported annotations, reporting progress.

        Annotations on assets of other types are counted as skipped by the format."""
        all_assets = self.store.assets()
        names = export_names(all_assets)
        wanted = [a for a in all_assets if a.type in types]
        for other in (a for a in all_assets if a.type not in types):
            check_cancel(self.cancel)
            records = exported_annotations(
                self.store, other.id, include_pending=self.include_pending
            )
            if records:
                self.skip(f"annotations on {other.type.replace('_', ' ')}s", len(records))
        total = len(wanted)
        for done, asset in enumerate(wanted):
            check_cancel(self.cancel)
            self.report(done, total, names[asset.id])
            records = exported_annotations(
                self.store, asset.id, include_pending=self.include_pending
            )
            if records or asset.status is AssetStatus.SUBMITTED:
                self.summary.assets += 1
                yield ExportItem(asset, names[asset.id], records)
        check_cancel(self.cancel)
        self.report(total, total, "writing index")

    def wrote(self, record: AnnotationRecord) -> None:
        self.summary.annotations += 1
        self.summary.by_type[record.type] += 1

    def skip(self, reason: str, n: int = 1) -> None:
        self.summary.skipped[reason] += n

    def note(self, what: str, n: int = 1) -> None:
        self.summary.notes[what] += n

    def path(self, relative: str) -> Path:
        return self.out_dir / relative

    def write_text(self, relative: str, text: str) -> Path:
        path = self.path(relative)
        write_text_atomic(path, text, cancel=self.cancel)
        self.summary.files.append(path)
        return path

    def write_bytes(self, relative: str, data: bytes) -> Path:
        path = self.path(relative)
        write_bytes_atomic(path, data, cancel=self.cancel)
        self.summary.files.append(path)
        return path

    def write_json(self, relative: str, value: Any, *, indent: int | None = 1) -> Path:
        path = self.path(relative)
        write_json_atomic(path, value, cancel=self.cancel, indent=indent)
        self.summary.files.append(path)
        return path
