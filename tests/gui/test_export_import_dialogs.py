"""File > Export / Import dialogs: the job runs on a worker behind a progress dialog, Cancel
reaches it, errors come back as sentences, and the choosers hand over what was chosen."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QProgressDialog, QPushButton
from pytestqt.qtbot import QtBot

from avala_desktop.core.formats import OperationCancelled, Progress
from avala_desktop.core.store import ReviewState
from avala_desktop.qt_workers import JobReporter
from avala_desktop.views.export_import_dialogs import (
    ExportChooser,
    ImportChooser,
    run_export_dialog,
    run_import_dialog,
    run_job,
)
from tests.unit.formats_compare import annotations_by_asset
from tests.unit.formats_samples import new_project, populate

pytestmark = pytest.mark.gui


def test_export_then_import_as_suggestions(qtbot: QtBot, tmp_path: Path) -> None:
    store = new_project(tmp_path / "src")
    populate(store)
    outcome = run_export_dialog(None, store, fmt="avala", out_dir=tmp_path / "out",
                                notify=False)
    assert outcome is not None and outcome.error is None and not outcome.cancelled
    assert outcome.summary.annotations == 9
    assert (tmp_path / "out" / "index.json").is_file()

    fresh = new_project(tmp_path / "fresh")
    outcome = run_import_dialog(None, fresh, fmt="avala", path=tmp_path / "out",
                                as_suggestions=True, provider_name="gui", threshold=0.6,
                                notify=False)
    assert outcome is not None and outcome.error is None
    assert outcome.summary.provider_id == "import:gui"
    # 9 exported: 3 without a confidence are kept, 0.55 is below 0.6.
    assert outcome.summary.imported == 8 and outcome.summary.below_threshold == 1
    states = {r.state for a in fresh.assets() for r in fresh.annotations(a.id)}
    assert states == {ReviewState.PENDING}


def test_import_error_is_a_sentence_and_changes_nothing(qtbot: QtBot, tmp_path: Path) -> None:
    store = new_project(tmp_path / "p")
    populate(store)
    before = annotations_by_asset(store)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"images": [{"id": 1, "file_name": "cam/front.jpg"}],
                               "annotations": [{"id": 5, "image_id": 1, "category_id": 3}],
                               "categories": [{"id": 1, "name": "car"}]}))
    outcome = run_import_dialog(None, store, fmt="coco", path=bad, notify=False)
    assert outcome is not None and outcome.summary is None
    assert outcome.error is not None
    assert "bad.json: annotation id 5 (annotations[0]): category_id 3" in outcome.error
    assert annotations_by_asset(store) == before


def test_cancel_in_the_progress_dialog_reaches_the_job(qtbot: QtBot) -> None:
    seen_cancel: list[bool] = []

    def job(reporter: JobReporter) -> None:
        reporter.progress(Progress(0, 3, "first"))
        seen_cancel.append(reporter.cancel_event.wait(10))
        raise OperationCancelled("Cancelled.")

    def press_cancel() -> None:
        dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, QProgressDialog)]
        if dialogs and dialogs[0].maximum() == 3:
            dialogs[0].findChild(QPushButton).click()  # the user presses Cancel
        else:
            QTimer.singleShot(10, press_cancel)

    QTimer.singleShot(10, press_cancel)
    outcome = run_job(None, "Export", job)
    assert outcome.cancelled and seen_cancel == [True]


def test_unexpected_failure_is_reported_not_swallowed(qtbot: QtBot) -> None:
    def job(reporter: JobReporter) -> None:
        raise RuntimeError("disk on fire")

    outcome = run_job(None, "Export", job)
    assert outcome.error == "Export failed unexpectedly: RuntimeError: disk on fire"


def test_choosers_hand_over_the_choices(qtbot: QtBot, tmp_path: Path) -> None:
    export = ExportChooser(None, tmp_path / "proj")
    qtbot.addWidget(export)
    assert export.folder.text() == str(tmp_path / "proj-export")
    export.format_combo.setCurrentIndex(export.format_combo.findData("kitti"))
    assert export.fmt() == "kitti"

    chooser = ImportChooser(None)
    qtbot.addWidget(chooser)
    ok = chooser.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled() and not chooser.threshold.isEnabled()
    assert chooser.path.placeholderText() == "a COCO .json file"
    chooser.format_combo.setCurrentIndex(chooser.format_combo.findData("yolo"))
    assert "data.yaml" in chooser.path.placeholderText()
    chooser.path.setText(str(tmp_path))
    chooser.as_suggestions.setChecked(True)
    assert ok.isEnabled() and chooser.threshold.isEnabled() and chooser.provider_name.isEnabled()
    assert chooser.threshold.value() == 0.5
