"""Test Connection from the dialogs against real loopback servers (HTTPS with a trustme CA).

Each test fills the form, presses the button, waits for the result signal and reads what the
dialog shows: the success facts, or the failure category with its sentence.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from pytestqt.qtbot import QtBot

from avala_desktop.inference.providers import AuthMode, HttpProviderConfig, ProviderRegistry
from avala_desktop.inference.providers import ProviderType as Kind
from avala_desktop.inference.test_connection import ConnectionTestResult
from avala_desktop.views.settings_fields import HttpFields
from avala_desktop.views.settings_inference import InferenceSettingsDialog
from avala_desktop.views.settings_provider_form import ProviderFormDialog
from tests.gui.test_settings_support import type_into
from tests.servers.https_model_server import ModelServer, ServerCerts, slow, status_response
from tests.servers.memory_keyring import MemoryKeyring

pytestmark = [pytest.mark.gui, pytest.mark.e2e, pytest.mark.usefixtures("ring")]

TOKEN = "tok-5d2e8a1c9b"


def filled_form(
    qtbot: QtBot, url: str, ca: Path | None, *, timeout: str = "5"
) -> tuple[ProviderFormDialog, HttpFields]:
    form = ProviderFormDialog(Kind.HTTP, ProviderRegistry())
    qtbot.addWidget(form)
    form.show()
    fields = form.fields
    assert isinstance(fields, HttpFields)
    type_into(qtbot, fields.name, "detector")
    type_into(qtbot, fields.url, url)
    type_into(qtbot, fields.timeout, timeout)
    if ca is not None:
        type_into(qtbot, fields.ca_bundle, str(ca))
    assert form.panel.button.isEnabled(), form.last_check.errors
    return form, fields


def press_test(
    qtbot: QtBot, form: ProviderFormDialog, timeout_ms: int = 15000
) -> ConnectionTestResult:
    with qtbot.waitSignal(form.panel.testFinished, timeout=timeout_ms) as finished:
        qtbot.mouseClick(form.panel.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not form.panel.is_running(), timeout=5000)
    result = finished.args[0]
    assert isinstance(result, ConnectionTestResult)
    return result


def shown(form: ProviderFormDialog) -> str:
    return form.panel.result_label.text()


def test_success_shows_latency_certificate_and_annotations(
    qtbot: QtBot, server: ModelServer, certs: ServerCerts
) -> None:
    form, _ = filled_form(qtbot, server.url("/predict"), certs.ca_pem)
    result = press_test(qtbot, form)
    assert result.ok
    text = shown(form)
    assert "✓ Connected" in text and "HTTP 200" in text
    assert f"{result.latency_ms:.0f} ms latency" in text
    assert "1 annotation parsed" in text
    assert result.tls_not_after is not None
    assert "Certificate:" in text and "Issued by:" in text and "trustme" in text
    assert f"Expires:&nbsp;</td><td>{result.tls_not_after:%Y-%m-%d}" in text
    assert form.panel.button.text() == "Test Connection" and form.panel.busy.isHidden()
    # The unsaved form tested the real path: the server fetched the signed probe URL.
    assert server.requests_to("/predict")[-1].asset_bytes is not None


def test_untrusted_ca_says_to_set_a_ca_bundle(
    qtbot: QtBot, server: ModelServer, tmp_path: Path
) -> None:
    stranger = ServerCerts.create(tmp_path / "other-ca")
    form, _ = filled_form(qtbot, server.url("/predict"), stranger.ca_pem)
    result = press_test(qtbot, form)
    assert result.category is not None and result.category.value == "tls"
    text = shown(form)
    assert "Certificate not trusted" in text and "(tls)" in text
    assert "not signed by an authority this computer trusts" in text
    assert "in the CA bundle field" in text  # the dialog's control, not the CLI flag


@pytest.mark.parametrize(
    ("code", "category", "title", "phrase"),
    [
        (401, "auth", "Credentials refused", "rejected the credentials (401 Unauthorized)"),
        (404, "not_found", "Not found", "check the path in the provider&#x27;s URL"),
    ],
)
def test_http_status_failures(
    qtbot: QtBot,
    server: ModelServer,
    certs: ServerCerts,
    code: int,
    category: str,
    title: str,
    phrase: str,
) -> None:
    server.route("/p", status_response(code))
    form, _ = filled_form(qtbot, server.url("/p"), certs.ca_pem)
    result = press_test(qtbot, form)
    assert result.category is not None and result.category.value == category
    text = shown(form)
    assert title in text and f"({category})" in text and f"HTTP {code}" in text
    assert phrase in text


def test_timeout_while_the_dialog_stays_responsive(
    qtbot: QtBot, server: ModelServer, certs: ServerCerts
) -> None:
    server.route("/slow", slow(10))
    form, _ = filled_form(qtbot, server.url("/slow"), certs.ca_pem, timeout="1")
    ticks: list[int] = []
    labels: set[str] = set()
    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: (ticks.append(1), labels.add(form.panel.button.text())))
    timer.start()
    try:
        result = press_test(qtbot, form)
    finally:
        timer.stop()
    assert result.category is not None and result.category.value == "timeout"
    assert "Timed out" in shown(form) and "did not answer within 1 s" in shown(form)
    # The event loop kept running during the probe: the timer fired and the button counted up.
    assert len(ticks) >= 5
    assert len({t for t in labels if t.startswith("Cancel (")}) >= 2


def test_cancel_returns_at_once_and_records_nothing(
    qtbot: QtBot, server: ModelServer, certs: ServerCerts
) -> None:
    server.route("/slow", slow(10))
    registry = ProviderRegistry()
    config = registry.add(
        HttpProviderConfig(name="slow", url=server.url("/slow"), ca_bundle=certs.ca_pem)
    )
    settings = InferenceSettingsDialog(registry)
    qtbot.addWidget(settings)
    settings.show()
    assert settings.selected() is not None and settings.selected().id == config.id
    with qtbot.waitSignal(settings.panel.testStarted, timeout=2000):
        qtbot.mouseClick(settings.panel.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(server.requests_to("/slow")) == 1, timeout=5000)
    assert settings.panel.button.text().startswith("Cancel (")
    with qtbot.waitSignal(settings.panel.testFinished, timeout=3000) as finished:
        qtbot.mouseClick(settings.panel.button, Qt.MouseButton.LeftButton)
    assert finished.args[0].cancelled
    assert "Test cancelled" in settings.panel.result_label.text()
    assert registry.get("slow").last_test is None


def test_list_test_is_recorded_and_shown_as_last_test(
    qtbot: QtBot, server: ModelServer, certs: ServerCerts
) -> None:
    registry = ProviderRegistry()
    registry.add(HttpProviderConfig(name="det", url=server.url("/predict"), ca_bundle=certs.ca_pem))
    settings = InferenceSettingsDialog(registry)
    qtbot.addWidget(settings)
    settings.show()
    assert settings.table.item(0, 3).text() == "never tested"
    with qtbot.waitSignal(settings.panel.testStarted, timeout=2000):
        qtbot.mouseClick(settings.panel.button, Qt.MouseButton.LeftButton)
    assert not settings.remove_button.isEnabled() and not settings.table.isEnabled()
    with qtbot.waitSignal(settings.panel.testFinished, timeout=15000):
        pass
    assert not settings.panel.is_running()
    assert settings.remove_button.isEnabled() and settings.table.isEnabled()
    stored = registry.get("det")
    assert stored.last_test is not None and stored.last_test["ok"] is True
    assert settings.table.item(0, 3).text().startswith("ok · ")
    assert settings.table.item(0, 4).text() == "just now"


def test_unsaved_form_sends_the_typed_token_and_save_keeps_its_result(
    qtbot: QtBot, server: ModelServer, certs: ServerCerts, ring: MemoryKeyring
) -> None:
    form, fields = filled_form(qtbot, server.url("/predict"), certs.ca_pem)
    fields.auth.setCurrentIndex(fields.auth.findData(AuthMode.BEARER))
    qtbot.keyClicks(fields.token.edit, TOKEN)
    result = press_test(qtbot, form)
    assert result.ok
    assert server.requests_to("/predict")[-1].headers["authorization"] == f"Bearer {TOKEN}"
    assert ProviderRegistry().list() == []  # testing saved nothing
    assert form.save()
    saved = ProviderRegistry().get("detector")
    assert saved.last_test is not None and saved.last_test["ok"] is True
    assert ring.entries[("avala-desktop", f"{saved.id}/token")] == TOKEN
