"""The Test Connection button and its result, shown in place under a provider form or list.

The probe runs `inference.test_connection.test_connection` on a `JobWorker` thread: the dialog
keeps painting and taking input, the button turns into Cancel with the elapsed time, and the
result (or the failure category with its sentence) replaces the previous one when it arrives.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from avala_desktop.inference.providers import (
    HttpProviderConfig,
    ProviderRegistry,
    SageMakerProviderConfig,
)
from avala_desktop.inference.test_connection import ConnectionTestResult, test_connection
from avala_desktop.qt_workers import JobReporter, JobWorker
from avala_desktop.views.settings_format import result_html
from avala_desktop.views.settings_widgets import FAIL_COLOR

TEST_LABEL = "Test Connection"


@dataclass(frozen=True)
class TestRequest:
    """What to probe: the configuration, the secret typed into an unsaved form (None: the
    keyring or environment variable), and the registry to record the result in (None when
    the form differs from what is saved, so the result would describe another config)."""

    __test__ = False  # not a pytest test class

    config: HttpProviderConfig | SageMakerProviderConfig
    secret: str | None = None
    registry: ProviderRegistry | None = None
    timeout_s: float | None = None


class ConnectionTestPanel(QWidget):
    """Button + busy bar + result. `request_test` returns None when the form is not valid."""

    testStarted = Signal()
    testFinished = Signal(object)  # ConnectionTestResult, or None when the test itself broke

    def __init__(
        self, request_test: Callable[[], TestRequest | None], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._request_test = request_test
        self._worker: JobWorker | None = None
        self._started_at = 0.0
        self._form_valid = True
        self.last_result: ConnectionTestResult | None = None

        self.button = QPushButton(TEST_LABEL, self)
        self.button.setObjectName("testConnectionButton")
        self.button.clicked.connect(self._on_clicked)
        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)  # indeterminate: a probe has no measurable progress
        self.busy.setTextVisible(False)
        self.busy.setMaximumHeight(10)
        self.busy.setFixedWidth(160)
        self.busy.hide()
        self.result_label = QLabel(self)
        self.result_label.setObjectName("testResult")
        self.result_label.setWordWrap(True)
        self.result_label.setTextFormat(Qt.TextFormat.RichText)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result_label.setMinimumHeight(40)
        self.result_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.button)
        row.addWidget(self.busy)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.result_label, 1)

        self._ticker = QTimer(self)
        self._ticker.setInterval(100)
        self._ticker.timeout.connect(self._tick)

    # -- public -------------------------------------------------------------------------------

    def is_running(self) -> bool:
        return self._worker is not None

    def start(self) -> bool:
        """Start a test of what the form holds now; False when there is nothing valid."""
        if self._worker is not None:
            return False
        request = self._request_test()
        if request is None:
            return False
        worker = JobWorker(_job(request), self)
        worker.result.connect(self._on_result)
        worker.errored.connect(self._on_error)
        worker.finished.connect(self._on_finished)
        self._worker = worker
        self._started_at = time.monotonic()
        self.last_result = None
        self.busy.show()
        self.result_label.setText(f"Sending a probe image to {request.config.target} …")
        self._tick()
        self._ticker.start()
        worker.start()
        self.testStarted.emit()
        return True

    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            self.button.setEnabled(False)  # until the cancelled result arrives
            self.button.setText("Cancelling…")

    def stop(self) -> None:
        """Cancel and join; for the dialog's close so no probe thread outlives it."""
        if self._worker is not None:
            self._worker.stop()

    def show_result(self, result: ConnectionTestResult | None) -> None:
        self.last_result = result
        self.result_label.setText(result_html(result) if result is not None else "")

    def set_enabled_for_form(self, valid: bool) -> None:
        """The button starts a test only for a valid form; Cancel always stays available."""
        self._form_valid = valid
        if self._worker is None:
            self.button.setEnabled(valid)

    # -- slots --------------------------------------------------------------------------------

    def _on_clicked(self) -> None:
        if self._worker is None:
            self.start()
        else:
            self.cancel()

    def _tick(self) -> None:
        if self._worker is not None and self.button.text() != "Cancelling…":
            elapsed = time.monotonic() - self._started_at
            self.button.setText(f"Cancel ({elapsed:.1f} s)")

    def _on_result(self, result: object) -> None:
        if isinstance(result, ConnectionTestResult):
            self.show_result(result)

    def _on_error(self, error: object) -> None:
        # test_connection reports provider failures as results; reaching here is a bug, and
        # the person still gets to read it rather than wait forever.
        self.last_result = None
        self.result_label.setText(
            f'<b style="color:{FAIL_COLOR}">✗ Internal error</b>: '
            f"{html.escape(type(error).__name__)}: {html.escape(str(error))}"
        )

    def _on_finished(self) -> None:
        """Announced only now, with the thread joined and the button back, so a listener
        sees the panel idle (and may start the next test at once)."""
        self._ticker.stop()
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.deleteLater()
        self.busy.hide()
        self.button.setText(TEST_LABEL)
        self.button.setEnabled(self._form_valid)
        self.testFinished.emit(self.last_result)


def _job(request: TestRequest) -> Callable[[JobReporter], ConnectionTestResult]:
    def run(reporter: JobReporter) -> ConnectionTestResult:
        return test_connection(
            request.config,
            registry=request.registry,
            timeout_s=request.timeout_s,
            cancel=reporter.cancel_event,
            secret=request.secret,
        )

    return run
