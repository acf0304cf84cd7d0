"""The composition root: ``run_app(project_dir)`` starts the review window.

Used by ``avala-desktop PROJECT_DIR``, ``avala-desktop open PROJECT_DIR`` and
``avala-desktop demo``. It creates the QApplication unless one exists (tests, an embedding
host) and runs its event loop only when it created it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from avala_desktop.canvas import qt_guard

qt_guard.protect_singletons()  # before any QApplication exists (see qt_guard)

from PySide6.QtCore import QTimer  # noqa: E402 - after the guard on purpose
from PySide6.QtWidgets import QApplication  # noqa: E402

from avala_desktop import __version__  # noqa: E402
from avala_desktop.views.main_window import MainWindow  # noqa: E402


def create_window(project_dir: Path | None = None) -> MainWindow:
    """The main window, shown, opening ``project_dir`` once the event loop runs."""
    window = MainWindow()
    window.show()
    if project_dir is not None:
        folder = Path(project_dir)
        QTimer.singleShot(0, lambda: window.open_project(folder))
    return window


def run_app(project_dir: Path | None = None) -> int:
    """Shows the window (opening ``project_dir`` if given) and runs until it closes."""
    owned = QApplication.instance() is None
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("avala-desktop")
    app.setApplicationVersion(__version__)
    app.setOrganizationName("avala")
    window = create_window(project_dir)
    if not owned:
        return 0
    code = app.exec()
    del window
    return int(code)
