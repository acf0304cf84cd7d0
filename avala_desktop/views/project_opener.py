"""Turning a folder into an open ProjectStore: an existing project opens at once; a plain
folder of assets is made into a project (after asking) on a worker thread, since discovery
reads every file's header and samples videos.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QProgressDialog, QWidget

from avala_desktop.core.discovery import discover_assets
from avala_desktop.core.store import ProjectError, ProjectStore
from avala_desktop.qt_workers import JobReporter, JobWorker


@dataclass(frozen=True)
class InitOutcome:
    folder: Path
    added: int
    problems: int


def init_project(folder: Path, reporter: JobReporter | None = None) -> InitOutcome:
    """Creates a project in ``folder`` with every asset found in it (Qt-free work)."""
    discovery = discover_assets(folder)
    if reporter is not None and reporter.cancelled:
        raise ProjectError(f"Making {folder} a project was cancelled; nothing was created.")
    with ProjectStore.create(folder) as store:
        added = store.add_assets(discovery.assets)
    return InitOutcome(folder, len(added), len(discovery.problems))


def choose_folder(parent: QWidget, start: Path | None = None) -> Path | None:
    chosen = QFileDialog.getExistingDirectory(parent, "Open project folder",
                                              str(start or Path.home()))
    return Path(chosen) if chosen else None


class ProjectOpener(QObject):
    """``opened(ProjectStore)`` when a folder is ready; ``failed(message)`` otherwise.

    ``open(folder)`` opens a project directly; a folder that is not one yet is made into one
    after the person agrees (``ask`` = False skips the question, for the command line's
    explicit ``open``).
    """

    opened = Signal(object)
    failed = Signal(str)

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._window = parent
        self._worker: JobWorker | None = None
        self._progress: QProgressDialog | None = None

    def busy(self) -> bool:
        return self._worker is not None

    def open(self, folder: Path, *, ask: bool = True) -> None:
        folder = Path(folder).expanduser().absolute()
        if not folder.is_dir():
            self.failed.emit(f"{folder} is not a folder (it was moved or deleted?). Choose "
                             f"another one with File > Open Project.")
            return
        if ProjectStore.is_project(folder):
            try:
                store = ProjectStore.open(folder)
            except ProjectError as exc:
                self.failed.emit(exc.message)
                return
            self.opened.emit(store)
            return
        if ask and QMessageBox.question(
            self._window, "Make this folder a project?",
            f"{folder} is not an avala-desktop project yet.\n\nMake it one, with every image, "
            f"point cloud and video found in it? (A .avala folder is added; your files are not "
            f"changed.)",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        ) != QMessageBox.StandardButton.Yes:
            return
        self._start_init(folder)

    def _start_init(self, folder: Path) -> None:
        if self._worker is not None:
            self.failed.emit("A folder is already being made into a project; wait for it "
                             "to finish.")
            return
        self._progress = QProgressDialog(f"Looking for assets in {folder} …", "Cancel", 0, 0,
                                         self._window)
        self._progress.setWindowTitle("New project")
        self._progress.setWindowModality(Qt.WindowModality.WindowModal)
        self._progress.setMinimumDuration(300)
        worker = JobWorker(lambda reporter: init_project(folder, reporter), self)
        self._progress.canceled.connect(worker.cancel)
        worker.result.connect(self._init_done)
        worker.errored.connect(self._init_failed)
        worker.finished.connect(self._init_finished)
        self._worker = worker
        worker.start()

    def _init_done(self, outcome: InitOutcome) -> None:
        self.open(outcome.folder, ask=False)

    def _init_failed(self, exc: BaseException) -> None:
        if isinstance(exc, ProjectError):
            self.failed.emit(exc.message)
        elif isinstance(exc, OSError):
            self.failed.emit(f"The folder could not be read: {exc.strerror or exc} "
                             f"({exc.filename}).")
        else:
            self.failed.emit(f"The folder could not be made a project: "
                             f"{type(exc).__name__}: {exc}")

    def _init_finished(self) -> None:
        if self._progress is not None:
            self._progress.reset()
            self._progress.deleteLater()
            self._progress = None
        if self._worker is not None:
            self._worker.deleteLater()
            self._worker = None

    def shutdown(self) -> None:
        """Cancels and joins a project creation in progress (the window is closing)."""
        if self._worker is not None:
            self._worker.stop()
