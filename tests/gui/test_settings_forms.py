"""Provider forms: inline validation as the person types, the keyring, Save = `provider add`."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from avala_desktop.inference import secrets
from avala_desktop.inference.providers import (
    AuthMode,
    HttpProviderConfig,
    PayloadMode,
    ProviderRegistry,
    ProviderType,
    SageMakerProviderConfig,
)
from avala_desktop.views.settings_fields import HttpFields, SageMakerFields
from avala_desktop.views.settings_provider_form import ProviderFormDialog
from avala_desktop.views.settings_validation import check_form
from tests.gui.test_settings_support import type_into
from tests.servers.memory_keyring import MemoryKeyring, installed_keyring

pytestmark = pytest.mark.gui

ROLE = "arn:aws:iam::123456789012:role/avala-invoker"


@pytest.fixture
def registry() -> ProviderRegistry:
    return ProviderRegistry()


def http_form(qtbot: QtBot, registry: ProviderRegistry) -> tuple[ProviderFormDialog, HttpFields]:
    form = ProviderFormDialog(ProviderType.HTTP, registry)
    qtbot.addWidget(form)
    form.show()
    assert isinstance(form.fields, HttpFields)
    return form, form.fields


def sagemaker_form(
    qtbot: QtBot, registry: ProviderRegistry
) -> tuple[ProviderFormDialog, SageMakerFields]:
    form = ProviderFormDialog(ProviderType.SAGEMAKER, registry)
    qtbot.addWidget(form)
    form.show()
    assert isinstance(form.fields, SageMakerFields)
    return form, form.fields


def test_untouched_form_shows_no_reasons_and_cannot_save(
    qtbot: QtBot, registry: ProviderRegistry
) -> None:
    form, fields = http_form(qtbot, registry)
    assert all(label.isHidden() for label in fields.errors.values())
    assert not form.save_button.isEnabled()
    assert not form.panel.button.isEnabled()
    assert fields.timeout.text() == "30"  # PRODUCT.md §1 default


def test_http_url_reasons_appear_while_typing(qtbot: QtBot, registry: ProviderRegistry) -> None:
    form, fields = http_form(qtbot, registry)
    type_into(qtbot, fields.name, "detector")
    type_into(qtbot, fields.url, "http://models.example.com/predict")
    reason = fields.error_text("url")
    assert "must use https://" in reason
    assert "unencrypted" in reason  # says why, not just what
    assert not form.save_button.isEnabled()

    type_into(qtbot, fields.url, "http://127.0.0.1:8080/predict")
    reason = fields.error_text("url")
    assert "'Allow plain http:// to this computer' box" in reason
    assert "--allow" not in reason  # the dialog names its control, not a CLI flag
    fields.allow_insecure.setChecked(True)
    assert fields.error_text("url") == ""
    assert form.save_button.isEnabled()

    type_into(qtbot, fields.url, "https://models.example.com/predict")
    assert fields.error_text("url") == "" and form.save_button.isEnabled()


def test_every_wrong_field_gets_its_reason_at_once(
    qtbot: QtBot, registry: ProviderRegistry
) -> None:
    _form, fields = http_form(qtbot, registry)
    type_into(qtbot, fields.name, "  ")
    type_into(qtbot, fields.url, "http://models.example.com/p")
    type_into(qtbot, fields.timeout, "0")
    # pydantic alone would skip the https rule while the name is wrong; the form does not.
    assert "needs a name" in fields.error_text("name")
    assert "https://" in fields.error_text("url")
    assert fields.error_text("timeout_s") == "give a number from 1 to 600 seconds"
    type_into(qtbot, fields.timeout, "601")
    assert "1 to 600" in fields.error_text("timeout_s")
    type_into(qtbot, fields.timeout, "abc")
    assert "1 to 600" in fields.error_text("timeout_s")
    type_into(qtbot, fields.timeout, "45")
    assert fields.error_text("timeout_s") == ""


def test_header_auth_needs_a_valid_name_and_a_value(
    qtbot: QtBot, registry: ProviderRegistry, ring: MemoryKeyring
) -> None:
    form, fields = http_form(qtbot, registry)
    type_into(qtbot, fields.name, "detector")
    type_into(qtbot, fields.url, "https://models.example.com/predict")
    fields.auth.setCurrentIndex(fields.auth.findData(AuthMode.HEADER))
    assert fields.rows["header_name"].isVisibleTo(form)
    assert fields.token.isVisibleTo(form)
    type_into(qtbot, fields.header_name, "Content-Type")
    assert "the client sets Content-Type itself" in fields.error_text("header_name")
    type_into(qtbot, fields.header_name, "X Api")
    assert "not a valid HTTP header name" in fields.error_text("header_name")
    type_into(qtbot, fields.header_name, "X-Api-Key")
    assert fields.error_text("header_name") == ""
    assert not form.save_button.isEnabled()  # the value is still missing
    qtbot.keyClicks(fields.token.edit, "s3cret-value")
    assert fields.error_text("token") == "" and form.save_button.isEnabled()


def test_secret_is_masked_with_a_show_toggle(
    qtbot: QtBot, registry: ProviderRegistry, ring: MemoryKeyring
) -> None:
    _form, fields = http_form(qtbot, registry)
    fields.auth.setCurrentIndex(fields.auth.findData(AuthMode.BEARER))
    qtbot.keyClicks(fields.token.edit, "tok-123")
    assert fields.token.is_masked()
    assert fields.token.edit.displayText() != "tok-123"
    qtbot.mouseClick(fields.token.toggle, Qt.MouseButton.LeftButton)
    assert not fields.token.is_masked() and fields.token.edit.displayText() == "tok-123"
    qtbot.mouseClick(fields.token.toggle, Qt.MouseButton.LeftButton)
    assert fields.token.is_masked()


def test_ca_bundle_must_exist(
    qtbot: QtBot, registry: ProviderRegistry, tmp_path: Path
) -> None:
    _form, fields = http_form(qtbot, registry)
    type_into(qtbot, fields.ca_bundle, str(tmp_path / "missing.pem"))
    assert "does not exist" in fields.error_text("ca_bundle")
    pem = tmp_path / "ca.pem"
    pem.write_text("-----BEGIN CERTIFICATE-----\n")
    type_into(qtbot, fields.ca_bundle, str(pem))
    assert fields.error_text("ca_bundle") == ""


def test_sagemaker_reasons_for_arn_region_endpoint(
    qtbot: QtBot, registry: ProviderRegistry
) -> None:
    form, fields = sagemaker_form(qtbot, registry)
    type_into(qtbot, fields.name, "sm")
    type_into(qtbot, fields.endpoint, "arn:aws:sagemaker:eu-west-1:1:endpoint/x")
    assert "not its ARN" in fields.error_text("endpoint_name")
    type_into(qtbot, fields.endpoint, "detector-prod")
    type_into(qtbot, fields.role_arn, "arn:aws:iam::12345:role/x")
    assert "arn:aws:iam::<12-digit account id>:role/<role name>" in fields.error_text("role_arn")
    type_into(qtbot, fields.role_arn, ROLE)
    assert fields.error_text("role_arn") == ""
    type_into(qtbot, fields.region.lineEdit(), "mars-north-1")
    assert "not an AWS region" in fields.error_text("region")
    type_into(qtbot, fields.region.lineEdit(), "cn-north-1")
    assert "partition" in fields.error_text("role_arn")  # a model-wide rule, on its field
    type_into(qtbot, fields.region.lineEdit(), "eu-west-1")
    assert fields.error_text("role_arn") == fields.error_text("region") == ""
    assert form.save_button.isEnabled()
    assert fields.payload.currentData() == PayloadMode.BINARY  # the documented default


def test_check_form_uses_the_model_rules_only() -> None:
    check = check_form(HttpProviderConfig, {"name": "x", "url": "ftp://host/x"})
    assert check.config is None and "absolute" in check.errors["url"]
    check = check_form(HttpProviderConfig, {"name": "x", "url": "https://host/x"})
    assert check.ok and isinstance(check.config, HttpProviderConfig)


def test_save_http_with_bearer_token_goes_to_keyring_not_file(
    qtbot: QtBot, registry: ProviderRegistry, ring: MemoryKeyring
) -> None:
    form, fields = http_form(qtbot, registry)
    type_into(qtbot, fields.name, "detector")
    type_into(qtbot, fields.url, "https://models.example.com/predict")
    fields.auth.setCurrentIndex(fields.auth.findData(AuthMode.BEARER))
    qtbot.keyClicks(fields.token.edit, "tok-abcdef123")
    with qtbot.waitSignal(form.saved, timeout=2000) as saved:
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    config = saved.args[0]
    assert isinstance(config, HttpProviderConfig)
    assert registry.get("detector").id == config.id
    assert secrets.load_secret(config.id) == "tok-abcdef123"
    assert "tok-abcdef123" not in registry.path.read_text()


def test_no_keyring_offers_the_environment_variable(
    qtbot: QtBot, registry: ProviderRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    from keyring.backends import fail

    with installed_keyring(fail.Keyring()):
        form, fields = http_form(qtbot, registry)
        type_into(qtbot, fields.name, "detector")
        type_into(qtbot, fields.url, "https://models.example.com/predict")
        fields.auth.setCurrentIndex(fields.auth.findData(AuthMode.BEARER))
        assert fields.keyring_note.isVisibleTo(form)
        assert "no working OS keyring" in fields.keyring_note.text()
        assert "--token-env" not in fields.keyring_note.text()
        assert not fields.token.isVisibleTo(form)
        assert fields.token_env.isVisibleTo(form)
        assert not form.save_button.isEnabled()
        type_into(qtbot, fields.token_env, "DETECTOR_TOKEN")
        assert form.save()
    config = registry.get("detector")
    assert isinstance(config, HttpProviderConfig) and config.token_env == "DETECTOR_TOKEN"


def test_edit_keeps_the_id_and_hidden_settings(
    qtbot: QtBot, registry: ProviderRegistry
) -> None:
    original = registry.add(
        SageMakerProviderConfig(
            name="sm",
            endpoint_name="detector",
            region="eu-west-1",
            role_arn=ROLE,
            profile="ops",
            timeout_s=90,
        )
    )
    form = ProviderFormDialog(ProviderType.SAGEMAKER, registry, original)
    qtbot.addWidget(form)
    fields = form.fields
    assert isinstance(fields, SageMakerFields)
    assert fields.role_arn.text() == ROLE and fields.region.currentText() == "eu-west-1"
    type_into(qtbot, fields.external_id, "ext-42")
    assert form.save()
    [saved] = registry.list()
    assert isinstance(saved, SageMakerProviderConfig)
    assert saved.id == original.id and saved.external_id == "ext-42"
    assert saved.profile == "ops" and saved.timeout_s == 90  # not on the form, kept


def test_duplicate_name_is_reported_on_the_form(
    qtbot: QtBot, registry: ProviderRegistry
) -> None:
    registry.add(HttpProviderConfig(name="detector", url="https://a.example/p"))
    form, fields = http_form(qtbot, registry)
    type_into(qtbot, fields.name, "Detector")
    type_into(qtbot, fields.url, "https://b.example/p")
    assert not form.save()
    assert "already exists" in form.form_error.text() and not form.form_error.isHidden()
    assert len(registry.list()) == 1
