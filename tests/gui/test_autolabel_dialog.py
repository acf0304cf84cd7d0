"""Project > Auto-Label against a real loopback HTTPS model server (trustme CA).

Runs start from the dialog's own buttons; the tests watch the suggestions arrive in the store
and through `assetsUpdated`, then cancel, resume and retry what failed.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from avala_desktop.core.store import ProjectStore, ReviewState, RunState
from avala_desktop.inference.providers import AuthMode, HttpProviderConfig, ProviderRegistry
from avala_desktop.jobs.events import RunSummary
from avala_desktop.views.autolabel_dialog import AutoLabelDialog
from tests.e2e.autolabel_support import by_name, http_provider, image_project
from tests.servers.https_model_server import (
    ModelServer,
    RecordedRequest,
    Responder,
    ScriptHandler,
    ServerCerts,
)

pytestmark = [pytest.mark.gui, pytest.mark.e2e]

N_ASSETS = 6


def two_boxes(confidences: tuple[float, float] = (0.9, 0.3)) -> Responder:
    """Every asset gets a box at each confidence; the threshold decides which are kept."""
    body = json.dumps(
        {
            "annotations": [
                {
                    "type": "bounding_box",
                    "label": "object",
                    "confidence": c,
                    "coordinates": {"x": 2, "y": 2, "width": 10, "height": 10},
                }
                for c in confidences
            ]
        }
    ).encode()

    def respond(handler: ScriptHandler, request: RecordedRequest) -> None:
        handler.send_body(200, body, "application/json")

    return respond


class Switchable:
    """Answers 404 for the asset ids in `failing`, two boxes otherwise. After `meter()`, each
    answer waits for a token from `allow(n)`, so a test decides how many assets get through."""

    def __init__(self) -> None:
        self.failing: set[str] = set()
        self.tokens: threading.Semaphore | None = None
        self.ok = two_boxes()

    def meter(self) -> None:
        self.tokens = threading.Semaphore(0)

    def allow(self, n: int = 1) -> None:
        assert self.tokens is not None
        self.tokens.release(n)

    def open(self) -> None:
        tokens, self.tokens = self.tokens, None
        if tokens is not None:
            tokens.release(100)

    def __call__(self, handler: ScriptHandler, request: RecordedRequest) -> None:
        tokens = self.tokens
        if tokens is not None:
            tokens.acquire(timeout=10)
        asset_id = (request.json or {}).get("asset_id")
        if asset_id in self.failing:
            handler.send_body(404, b"no such model", "text/plain")
        else:
            self.ok(handler, request)


@pytest.fixture
def model() -> Switchable:
    return Switchable()


@pytest.fixture
def server(certs: ServerCerts, model: Switchable) -> Iterator[ModelServer]:
    with ModelServer(tls=certs.context(), fetch_assets=True) as running:
        running.route("/predict", model)
        yield running
        model.open()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ProjectStore]:
    project = image_project(tmp_path / "project", N_ASSETS)
    yield project
    project.close()


@pytest.fixture
def provider(server: ModelServer, certs: ServerCerts) -> HttpProviderConfig:
    config = http_provider(server, ca_bundle=certs.ca_pem)
    ProviderRegistry().add(config)
    return config


def open_dialog(qtbot: QtBot, store: ProjectStore, selected: list[str] | None = None
                ) -> AutoLabelDialog:
    dialog = AutoLabelDialog(store, selected or [])
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def run_to_end(qtbot: QtBot, dialog: AutoLabelDialog, button: Any) -> RunSummary:
    with qtbot.waitSignal(dialog.runFinished, timeout=30000) as finished:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=10000)
    summary = finished.args[0]
    assert isinstance(summary, RunSummary)
    return summary


def pending_suggestions(store: ProjectStore) -> dict[str, int]:
    return {
        asset.id: sum(1 for a in store.annotations(asset.id) if a.state is ReviewState.PENDING)
        for asset in store.assets()
    }


def test_defaults_and_threshold_controls_in_sync(
    qtbot: QtBot, store: ProjectStore, provider: HttpProviderConfig
) -> None:
    dialog = open_dialog(qtbot, store)
    options = dialog.options
    assert options.threshold() == 0.5 and options.slider.value() == 50
    assert options.scope() == "unlabeled"
    assert options.scope_unlabeled.text() == f"Unlabeled assets only ({N_ASSETS})"
    assert not options.scope_selected.isEnabled()
    assert options.provider_id() == provider.id and dialog.run_button.isEnabled()
    options.slider.setValue(73)
    assert options.spin.value() == pytest.approx(0.73)
    options.spin.setValue(0.25)
    assert options.slider.value() == 25 and options.threshold() == 0.25
    ids = [a.id for a in store.assets()][:2]
    dialog.set_selected_assets(ids)
    assert options.scope_selected.isEnabled() and options.scope_selected.text().endswith("(2)")
    options.scope_selected.setChecked(True)
    assert options.scope() == ids


def test_no_provider_explains_where_to_add_one(qtbot: QtBot, store: ProjectStore) -> None:
    dialog = open_dialog(qtbot, store)
    assert not dialog.run_button.isEnabled()
    assert "Providers…" in dialog.progress.status.text()


def test_run_keeps_what_clears_the_threshold_and_reports_each_asset(
    qtbot: QtBot, store: ProjectStore, provider: HttpProviderConfig, server: ModelServer
) -> None:
    dialog = open_dialog(qtbot, store)
    updated: list[list[str]] = []
    dialog.assetsUpdated.connect(updated.append)
    summary = run_to_end(qtbot, dialog, dialog.run_button)
    assert summary.state == "completed" and summary.ok == N_ASSETS and summary.kept == N_ASSETS
    # Every asset was announced (in batches) and holds one pending suggestion: the 0.9 box.
    assert sorted(i for batch in updated for i in batch) == sorted(a.id for a in store.assets())
    assert set(pending_suggestions(store).values()) == {1}
    [ann] = store.annotations(store.assets()[0].id)
    assert ann.confidence == pytest.approx(0.9) and ann.provider_id == provider.id
    assert dialog.progress.bar.value() == N_ASSETS == dialog.progress.bar.maximum()
    assert dialog.progress.counts.text() == (
        f"Done {N_ASSETS} of {N_ASSETS} · kept {N_ASSETS} suggestions · failed 0"
    )
    assert "✓ Completed" in dialog.progress.status.text()
    assert dialog.failures.failed_ids() == []
    assert len(server.requests_to("/predict")) == N_ASSETS
    # The scope counts follow the store: nothing is unlabeled any more.
    assert dialog.options.scope_unlabeled.text() == "Unlabeled assets only (0)"


def test_lower_threshold_on_all_assets_replaces_pending_suggestions(
    qtbot: QtBot, store: ProjectStore, provider: HttpProviderConfig
) -> None:
    dialog = open_dialog(qtbot, store)
    run_to_end(qtbot, dialog, dialog.run_button)
    dialog.options.slider.setValue(20)
    dialog.options.scope_all.setChecked(True)
    summary = run_to_end(qtbot, dialog, dialog.run_button)
    assert summary.threshold == pytest.approx(0.2) and summary.kept == 2 * N_ASSETS
    assert set(pending_suggestions(store).values()) == {2}  # replaced, not added to


def test_failures_listed_with_reason_then_retry_failed(
    qtbot: QtBot, store: ProjectStore, provider: HttpProviderConfig, model: Switchable,
    server: ModelServer,
) -> None:
    assets = by_name(store)
    bad = [assets["img_0001.png"].id, assets["img_0004.png"].id]
    model.failing = set(bad)
    dialog = open_dialog(qtbot, store)
    summary = run_to_end(qtbot, dialog, dialog.run_button)
    assert summary.failed == 2 and summary.ok == N_ASSETS - 2
    assert sorted(dialog.failures.failed_ids()) == sorted(bad)
    name, problem, reason = dialog.failures.row_texts(0)
    assert name.startswith("images/img_000") and problem == "Not found"
    assert "check the path in the provider's URL" in reason
    assert "Not found 2" in dialog.progress.status.text()
    assert dialog.failures.retry_button.isEnabled()

    model.failing = set()
    before = len(server.requests_to("/predict"))
    summary = run_to_end(qtbot, dialog, dialog.failures.retry_button)
    assert summary.scope == bad and summary.state == "completed" and summary.ok == 2
    assert len(server.requests_to("/predict")) == before + 2  # only the failed ones again
    assert dialog.failures.failed_ids() == []
    assert all(n == 1 for n in pending_suggestions(store).values())


def test_cancel_then_resume_finishes_the_same_run(
    qtbot: QtBot, store: ProjectStore, provider: HttpProviderConfig, model: Switchable,
    server: ModelServer,
) -> None:
    dialog = open_dialog(qtbot, store)
    dialog.options.concurrency.setValue(1)
    updated: list[str] = []
    dialog.assetsUpdated.connect(updated.extend)
    model.meter()
    with qtbot.waitSignal(dialog.runStarted, timeout=10000):
        qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    assert not dialog.run_button.isEnabled() and not dialog.options.isEnabled()
    assert dialog.cancel_button.isEnabled()
    # Let two assets through, one at a time, and watch each arrive.
    for expected in (1, 2):
        model.allow(1)
        qtbot.waitUntil(lambda n=expected: len(updated) == n, timeout=10000)
        # The counts move with the announced assets, never ahead of or behind them.
        assert dialog.progress.counts.text().startswith(f"Done {expected} of {N_ASSETS} ·")
    assert sum(pending_suggestions(store).values()) == 2
    qtbot.waitUntil(lambda: len(server.requests_to("/predict")) == 3, timeout=10000)
    with qtbot.waitSignal(dialog.runFinished, timeout=15000) as finished:
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
        model.open()  # the request that was out finishes within the grace and is kept
    cancelled = finished.args[0]
    assert cancelled.state == "cancelled" and cancelled.done == 3
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=10000)
    assert "Resume continues where the run stopped" in dialog.progress.status.text()
    assert dialog.resume_button.isVisible() and dialog.resume_note.isVisible()
    assert f"{cancelled.done} of {N_ASSETS} done" in dialog.resume_note.text()

    requests_before = len(server.requests_to("/predict"))
    resumed = run_to_end(qtbot, dialog, dialog.resume_button)
    assert resumed.run_id == cancelled.run_id and resumed.resumed
    assert resumed.state == "completed" and resumed.done == N_ASSETS
    # Only what was left went to the model again.
    assert len(server.requests_to("/predict")) - requests_before == N_ASSETS - cancelled.done
    assert set(pending_suggestions(store).values()) == {1}
    run = store.get_run(resumed.run_id)
    assert run is not None and run.state is RunState.COMPLETED
    assert not dialog.resume_button.isVisible()


def test_missing_token_is_reported_without_sending_anything(
    qtbot: QtBot, store: ProjectStore, server: ModelServer, certs: ServerCerts,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NOT_SET_TOKEN", raising=False)
    config = http_provider(
        server, ca_bundle=certs.ca_pem, auth=AuthMode.BEARER, token_env="NOT_SET_TOKEN"
    )
    ProviderRegistry().add(config)
    dialog = open_dialog(qtbot, store)
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=10000)
    status = dialog.progress.status.text()
    assert "Configuration problem" in status and "NOT_SET_TOKEN" in status
    assert server.requests == []
    assert dialog.run_button.isEnabled()
