"""Settings > Inference: the provider list, add through the menu, edit, remove."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from avala_desktop.inference import secrets
from avala_desktop.inference.providers import (
    AuthMode,
    HttpProviderConfig,
    ProviderRegistry,
    ProviderType,
    SageMakerProviderConfig,
)
from avala_desktop.views.settings_fields import HttpFields, SageMakerFields
from avala_desktop.views.settings_inference import (
    InferenceSettingsDialog,
    open_inference_settings,
)
from tests.gui.test_settings_support import type_into
from tests.servers.memory_keyring import MemoryKeyring

pytestmark = [pytest.mark.gui, pytest.mark.usefixtures("ring")]

ROLE = "arn:aws:iam::123456789012:role/avala-invoker"


def settings_dialog(qtbot: QtBot, registry: ProviderRegistry) -> InferenceSettingsDialog:
    dialog = InferenceSettingsDialog(registry)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def row_texts(dialog: InferenceSettingsDialog, row: int) -> list[str]:
    return [dialog.table.item(row, c).text() for c in range(dialog.table.columnCount())]


def test_list_shows_name_type_endpoint_and_last_test(qtbot: QtBot) -> None:
    registry = ProviderRegistry()
    http = registry.add(HttpProviderConfig(name="det", url="https://models.example/p"))
    registry.add(
        SageMakerProviderConfig(
            name="sm", endpoint_name="detector", region="eu-west-1", role_arn=ROLE
        )
    )
    registry.record_test_result(
        http.id,
        {"ok": False, "category": "tls", "message": "set a CA bundle"},
        tested_at=datetime.now(UTC) - timedelta(minutes=5),
    )
    dialog = settings_dialog(qtbot, registry)
    assert row_texts(dialog, 0) == [
        "det",
        "Custom HTTP",
        "https://models.example/p",
        "failed: Certificate not trusted",
        "5 min ago",
    ]
    assert row_texts(dialog, 1)[:4] == ["sm", "SageMaker", "detector (eu-west-1)", "never tested"]
    assert dialog.empty_note.isHidden()


def test_add_through_the_menu_then_edit_then_remove(qtbot: QtBot, ring: MemoryKeyring) -> None:
    registry = ProviderRegistry()
    dialog = settings_dialog(qtbot, registry)
    assert not dialog.empty_note.isHidden()
    dialog.add_actions[ProviderType.HTTP].trigger()
    form = dialog.form
    assert form is not None and isinstance(form.fields, HttpFields)
    assert form.windowTitle() == "Add Custom HTTP Endpoint"
    type_into(qtbot, form.fields.name, "det")
    type_into(qtbot, form.fields.url, "https://models.example/p")
    form.fields.auth.setCurrentIndex(form.fields.auth.findData(AuthMode.BEARER))
    qtbot.keyClicks(form.fields.token.edit, "tok-1")
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert dialog.table.rowCount() == 1 and row_texts(dialog, 0)[0] == "det"
    provider_id = registry.get("det").id
    assert secrets.load_secret(provider_id) == "tok-1"

    edit = dialog.edit_selected()
    assert edit is not None and isinstance(edit.fields, HttpFields)
    assert edit.fields.token.text() == ""  # the stored token is never read back into the form
    assert edit.save_button.isEnabled()  # ... and need not be: it stays in the keyring
    type_into(qtbot, edit.fields.url, "https://models2.example/p")
    qtbot.mouseClick(edit.save_button, Qt.MouseButton.LeftButton)
    assert row_texts(dialog, 0)[2] == "https://models2.example/p"
    assert secrets.load_secret(provider_id) == "tok-1"

    removed = dialog.remove_selected(confirm=False)
    assert removed is not None and removed.id == provider_id
    assert dialog.table.rowCount() == 0 and registry.list() == []
    assert ring.entries == {}  # the token went with it, as `provider remove` does


def test_add_sagemaker_through_the_menu(qtbot: QtBot) -> None:
    registry = ProviderRegistry()
    dialog = settings_dialog(qtbot, registry)
    dialog.add_actions[ProviderType.SAGEMAKER].trigger()
    form = dialog.form
    assert form is not None and isinstance(form.fields, SageMakerFields)
    type_into(qtbot, form.fields.name, "sm")
    type_into(qtbot, form.fields.endpoint, "detector")
    form.fields.region.setCurrentText("us-west-2")
    form.fields.changed.emit("region")
    type_into(qtbot, form.fields.role_arn, ROLE)
    assert form.save()
    assert row_texts(dialog, 0)[:3] == ["sm", "SageMaker", "detector (us-west-2)"]


def test_broken_provider_file_is_explained(qtbot: QtBot) -> None:
    registry = ProviderRegistry()
    registry.path.parent.mkdir(parents=True, exist_ok=True)
    registry.path.write_text("{not json")
    dialog = settings_dialog(qtbot, registry)
    assert not dialog.load_error.isHidden()
    assert "is not a valid provider file" in dialog.load_error.text()
    assert dialog.table.rowCount() == 0


def test_entry_point_opens_once_per_window(qtbot: QtBot) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    window.show()
    open_inference_settings(window)
    open_inference_settings(window)
    dialogs = window.findChildren(InferenceSettingsDialog)
    assert len(dialogs) == 1 and dialogs[0].isVisible()
    dialogs[0].close()
