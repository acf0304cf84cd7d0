"""File > Export and File > Import: choose a format and a place, then run the job off the UI
thread behind a progress dialog with Cancel.

    run_export_dialog(window, store)   # asks format + folder, exports, reports
    run_import_dialog(window, store)   # asks format + file/folder + how, imports, reports

Both return a `JobOutcome` (None when the user closed the chooser). Passing the choices as
keywords skips the chooser (scripts, tests). The job runs on `JobWorker`; its progress comes
back as `Progress` events; Cancel sets the job's cancel flag, and a cancelled export leaves
only whole files, a cancelled import changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEventLoop, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QWidget,
)

from avala_desktop.core.formats import (
    FORMATS,
    FormatError,
    OperationCancelled,
    Progress,
    export_project,
    import_annotations,
)
from avala_desktop.core.store import ProjectError, ProjectStore
from avala_desktop.qt_workers import JobReporter, JobWorker

DEFAULT_THRESHOLD = 0.5


@dataclass(frozen=True)
class JobOutcome:
    """How a run ended: its summary, or the sentence saying why not, or cancelled."""

    summary: Any = None  # ExportSummary | ImportSummary
    error: str | None = None
    cancelled: bool = False


def _format_combo(parent: QWidget, selected: str | None) -> QComboBox:
    combo = QComboBox(parent)
    for spec in FORMATS.values():
        combo.addItem(spec.title, spec.name)
    if selected is not None:
        combo.setCurrentIndex(max(combo.findData(selected), 0))
    return combo


def _path_row(parent: QWidget, edit: QLineEdit, buttons: list[QPushButton]) -> QWidget:
    row = QWidget(parent)
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(edit, 1)
    for button in buttons:
        layout.addWidget(button)
    return row


class ExportChooser(QDialog):
    """Format, output folder, and whether pending suggestions go along."""

    def __init__(self, parent: QWidget | None, project_root: Path) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export annotations")
        self.format_combo = _format_combo(self, "coco")
        self.folder = QLineEdit(str(project_root.parent / f"{project_root.name}-export"), self)
        browse = QPushButton("Choose…", self)
        browse.clicked.connect(self._browse)
        self.include_pending = QCheckBox("Include pending suggestions (not yet reviewed)", self)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Format:", self.format_combo)
        form.addRow("Into folder:", _path_row(self, self.folder, [browse]))
        form.addRow("", self.include_pending)
        form.addRow(buttons)

    def _browse(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Export into folder", self.folder.text())
        if chosen:
            self.folder.setText(chosen)

    def fmt(self) -> str:
        return str(self.format_combo.currentData())


class ImportChooser(QDialog):
    """Format, the file or folder to read, and whether it enters as suggestions."""

    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import annotations")
        self.format_combo = _format_combo(self, "coco")
        self.path = QLineEdit(self)
        choose_file = QPushButton("File…", self)
        choose_file.clicked.connect(self._browse_file)
        choose_folder = QPushButton("Folder…", self)
        choose_folder.clicked.connect(self._browse_folder)
        self.as_suggestions = QCheckBox("Import as suggestions to review (predictions)", self)
        self.provider_name = QLineEdit(self)
        self.provider_name.setPlaceholderText("the format's name")
        self.threshold = QDoubleSpinBox(self)
        self.threshold.setRange(0.0, 1.0)
        self.threshold.setSingleStep(0.05)
        self.threshold.setDecimals(2)
        self.threshold.setValue(DEFAULT_THRESHOLD)
        self.as_suggestions.toggled.connect(self._sync)
        self.format_combo.currentIndexChanged.connect(self._hint)
        self._buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self._buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Import")
        self._buttons.accepted.connect(self.accept)
        self._buttons.rejected.connect(self.reject)
        self.path.textChanged.connect(self._sync)
        form = QFormLayout(self)
        form.addRow("Format:", self.format_combo)
        form.addRow("Read:", _path_row(self, self.path, [choose_file, choose_folder]))
        form.addRow("", self.as_suggestions)
        form.addRow("Provider name:", self.provider_name)
        form.addRow("Keep confidence ≥", self.threshold)
        form.addRow(self._buttons)
        self._sync()
        self._hint()

    def _hint(self) -> None:
        self.path.setPlaceholderText(FORMATS[self.fmt()].import_hint)

    def _sync(self) -> None:
        on = self.as_suggestions.isChecked()
        self.provider_name.setEnabled(on)
        self.threshold.setEnabled(on)
        ok = self._buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(bool(self.path.text().strip()))

    def _browse_file(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(self, "Import from file", self.path.text())
        if chosen:
            self.path.setText(chosen)

    def _browse_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Import from folder", self.path.text())
        if chosen:
            self.path.setText(chosen)

    def fmt(self) -> str:
        return str(self.format_combo.currentData())


def run_job(
    parent: QWidget | None,
    title: str,
    job: Callable[[JobReporter], Any],
) -> JobOutcome:
    """Run ``job`` on a JobWorker behind a modal progress dialog; wait for it without
    blocking the event loop. Cancel sets the job's cancel flag."""
    dialog = QProgressDialog(title, "Cancel", 0, 0, parent)
    dialog.setWindowTitle(title)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(0)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    worker = JobWorker(job, dialog)
    result: dict[str, Any] = {}
    loop = QEventLoop()

    def on_progress(event: object) -> None:
        if isinstance(event, Progress):
            dialog.setMaximum(max(event.total, 1))
            dialog.setValue(min(event.done, max(event.total, 1)))
            dialog.setLabelText(f"{title}\n{event.message}")

    worker.progress.connect(on_progress)
    worker.result.connect(lambda value: result.update(summary=value))
    worker.errored.connect(lambda exc: result.update(error=exc))
    worker.finished.connect(loop.quit)
    dialog.canceled.connect(worker.cancel)
    dialog.show()
    worker.start()
    loop.exec()
    dialog.close()
    dialog.deleteLater()
    error = result.get("error")
    if isinstance(error, OperationCancelled):
        return JobOutcome(cancelled=True)
    if isinstance(error, FormatError | ProjectError):
        return JobOutcome(error=error.message)
    if error is not None:
        return JobOutcome(error=f"{title} failed unexpectedly: {type(error).__name__}: {error}")
    return JobOutcome(summary=result.get("summary"))


def _report(parent: QWidget | None, title: str, outcome: JobOutcome, text: str) -> None:
    if outcome.cancelled:
        QMessageBox.information(parent, title, f"{title} cancelled.")
    elif outcome.error is not None:
        QMessageBox.warning(parent, title, outcome.error)
    else:
        QMessageBox.information(parent, title, text)


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{key}: {value}" for key, value in counts.items())


def run_export_dialog(
    parent: QWidget | None,
    store: ProjectStore,
    *,
    fmt: str | None = None,
    out_dir: Path | str | None = None,
    include_pending: bool = False,
    notify: bool = True,
) -> JobOutcome | None:
    """File > Export. Returns None when the user closes the chooser."""
    if fmt is None or out_dir is None:
        chooser = ExportChooser(parent, store.root)
        if chooser.exec() != QDialog.DialogCode.Accepted:
            return None
        fmt, out_dir = chooser.fmt(), chooser.folder.text().strip()
        include_pending = chooser.include_pending.isChecked()
    target = Path(out_dir)
    chosen_fmt = fmt

    def job(reporter: JobReporter) -> Any:
        return export_project(store, chosen_fmt, target, include_pending=include_pending,
                              progress=reporter.progress, cancel=reporter.cancel_event)

    outcome = run_job(parent, "Export", job)
    if notify:
        summary = outcome.summary
        text = "" if summary is None else (
            f"Exported {summary.annotations} annotations of {summary.assets} assets to "
            f"{summary.out_dir}."
            + (f"\n\nNot written: {_counts(dict(summary.skipped))}" if summary.skipped else "")
            + (f"\n\nNotes: {_counts(dict(summary.notes))}" if summary.notes else "")
        )
        _report(parent, "Export", outcome, text)
    return outcome


def run_import_dialog(
    parent: QWidget | None,
    store: ProjectStore,
    *,
    fmt: str | None = None,
    path: Path | str | None = None,
    as_suggestions: bool = False,
    provider_name: str | None = None,
    threshold: float | None = None,
    notify: bool = True,
) -> JobOutcome | None:
    """File > Import. Returns None when the user closes the chooser."""
    if fmt is None or path is None:
        chooser = ImportChooser(parent)
        if chooser.exec() != QDialog.DialogCode.Accepted:
            return None
        fmt, path = chooser.fmt(), chooser.path.text().strip()
        as_suggestions = chooser.as_suggestions.isChecked()
        provider_name = chooser.provider_name.text().strip() or None
        threshold = chooser.threshold.value() if as_suggestions else None
    source = Path(path)
    chosen_fmt = fmt

    def job(reporter: JobReporter) -> Any:
        return import_annotations(
            store, chosen_fmt, source, as_suggestions=as_suggestions,
            provider_name=provider_name, threshold=threshold,
            progress=reporter.progress, cancel=reporter.cancel_event,
        )

    outcome = run_job(parent, "Import", job)
    if notify:
        summary = outcome.summary
        text = "" if summary is None else (
            f"Imported {summary.imported} annotations into {summary.assets} assets"
            + (f" as suggestions of {summary.provider_id}." if summary.provider_id else ".")
            + (f"\n\nBelow the threshold: {summary.below_threshold}"
               if summary.below_threshold else "")
            + (f"\n\nLabels added: {', '.join(summary.labels_added)}"
               if summary.labels_added else "")
            + (f"\n\nNot in the project: {len(summary.unmatched)} file(s), e.g. "
               f"{summary.unmatched[0]}" if summary.unmatched else "")
        )
        _report(parent, "Import", outcome, text)
    return outcome
