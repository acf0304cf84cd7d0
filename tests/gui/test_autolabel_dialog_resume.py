"""A run cut short by closing the app is offered for resuming when the project opens again."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from avala_desktop.core.store import ProjectStore, RunState
from avala_desktop.inference.providers import HttpProviderConfig, ProviderRegistry
from avala_desktop.views.autolabel_dialog import AutoLabelDialog, offer_resume
from avala_desktop.views.autolabel_dialog_resume import RESUME_BOX_NAME
from tests.e2e.autolabel_support import http_provider, image_project
from tests.servers.https_model_server import (
    ModelServer,
    RecordedRequest,
    ScriptHandler,
    ServerCerts,
    ok_json,
)

pytestmark = [pytest.mark.gui, pytest.mark.e2e]

N_ASSETS = 5


@pytest.fixture
def tokens() -> threading.Semaphore:
    """Each answer waits for a token: the test decides how many assets get through."""
    return threading.Semaphore(0)


@pytest.fixture
def server(certs: ServerCerts, tokens: threading.Semaphore) -> Iterator[ModelServer]:
    answer = ok_json()

    def metered(handler: ScriptHandler, request: RecordedRequest) -> None:
        tokens.acquire(timeout=10)
        answer(handler, request)

    with ModelServer(tls=certs.context()) as running:
        running.route("/predict", metered)
        yield running
        tokens.release(100)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    image_project(tmp_path / "project", N_ASSETS).close()
    return tmp_path / "project"


@pytest.fixture
def provider(server: ModelServer, certs: ServerCerts) -> HttpProviderConfig:
    return ProviderRegistry().add(http_provider(server, ca_bundle=certs.ca_pem))


def answer_box(qtbot: QtBot, button_text: str, seen: list[str]) -> None:
    """Click `button_text` in the resume question once it is up (it runs its own loop)."""

    def attempt() -> None:
        for widget in QApplication.topLevelWidgets():
            if (
                isinstance(widget, QMessageBox)
                and widget.objectName() == RESUME_BOX_NAME
                and widget.isVisible()
            ):
                seen.append(f"{widget.text()} {widget.informativeText()}")
                for button in widget.findChildren(QPushButton):
                    if button.text() == button_text:
                        button.click()
                        return
        QTimer.singleShot(20, attempt)

    QTimer.singleShot(0, attempt)


def window(qtbot: QtBot) -> QWidget:
    main = QWidget()
    qtbot.addWidget(main)
    main.show()
    return main


def test_closing_mid_run_then_reopening_offers_and_resumes(
    qtbot: QtBot, project: Path, provider: HttpProviderConfig, server: ModelServer,
    tokens: threading.Semaphore,
) -> None:
    store = ProjectStore.open(project)
    dialog = AutoLabelDialog(store, [])
    qtbot.addWidget(dialog)
    dialog.options.concurrency.setValue(1)
    dialog.show()
    with qtbot.waitSignal(dialog.runStarted, timeout=10000):
        dialog.run_button.click()
    tokens.release(2)
    qtbot.waitUntil(lambda: len(server.requests_to("/predict")) == 3, timeout=10000)
    dialog.close()  # the app closing: the run is cancelled and its thread joined
    assert not dialog.is_running()
    tokens.release(100)  # the abandoned third request may end now; nobody commits it
    [run] = store.runs()
    assert run.state is RunState.CANCELLED
    done_before = len(store.run_assets(run.id))
    assert done_before == 2
    store.close()

    reopened = ProjectStore.open(project)  # the project opened again
    main = window(qtbot)
    seen: list[str] = []
    answer_box(qtbot, "Resume", seen)
    assert offer_resume(main, reopened)
    assert f"was cancelled after {done_before} of {N_ASSETS} assets" in seen[0]
    assert "threshold 0.5, scope unlabeled" in seen[0]
    resumed_dialog = main.findChild(AutoLabelDialog)
    assert resumed_dialog is not None and resumed_dialog.is_running()
    with qtbot.waitSignal(resumed_dialog.runFinished, timeout=30000) as finished:
        pass
    summary = finished.args[0]
    assert summary.run_id == run.id and summary.resumed and summary.state == "completed"
    assert summary.done == N_ASSETS
    qtbot.waitUntil(lambda: not resumed_dialog.is_running(), timeout=10000)
    resumed_dialog.close()
    reopened.close()


def test_a_killed_process_reads_as_interrupted_and_not_now_leaves_it(
    qtbot: QtBot, project: Path, provider: HttpProviderConfig, server: ModelServer
) -> None:
    store = ProjectStore.open(project)
    # What a killed process leaves: a run still marked running, with nobody holding its lock.
    store.create_run(provider.id, provider.name, threshold=0.6, scope="all", concurrency=2)
    main = window(qtbot)
    seen: list[str] = []
    answer_box(qtbot, "Not now", seen)
    assert not offer_resume(main, store)
    assert "was interrupted after 0 of 5 assets" in seen[0]
    assert "threshold 0.6, scope all" in seen[0]
    assert main.findChild(AutoLabelDialog) is None
    assert server.requests == []
    store.close()


def test_nothing_to_offer_asks_nothing(
    qtbot: QtBot, project: Path, provider: HttpProviderConfig
) -> None:
    store = ProjectStore.open(project)
    assert not offer_resume(window(qtbot), store)  # no run at all: no question (no box to click)
    run = store.create_run("inf_0000000000ff", "gone", threshold=0.5, scope="all", concurrency=1)
    store.update_run(run.id, state=RunState.CANCELLED)
    assert not offer_resume(window(qtbot), store)  # its provider was removed: nothing to resume
    store.close()
