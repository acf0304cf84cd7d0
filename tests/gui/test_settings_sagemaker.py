"""The SageMaker form's Test Connection against moto (IAM-enforced STS) and a loopback runtime.

The app reaches AWS only through botocore's standard settings (AWS_ENDPOINT_URL_STS ...),
so the dialog under test runs exactly the code an admin's machine would.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from avala_desktop.inference.providers import PayloadMode, ProviderRegistry, ProviderType
from avala_desktop.inference.test_connection import ConnectionTestResult
from avala_desktop.views.settings_fields import SageMakerFields
from avala_desktop.views.settings_provider_form import ProviderFormDialog
from tests.gui.test_settings_support import type_into
from tests.servers.moto_server import (
    MotoServer,
    isolate_aws_env,
    statement,
)
from tests.servers.sagemaker_runtime_server import (
    SageMakerRuntimeServer,
    endpoint_not_found,
    json_response,
)

pytestmark = [pytest.mark.gui, pytest.mark.e2e]

REGION = "eu-west-1"
ENDPOINT = "detector-prod"
EXTERNAL_ID = "avala-ext-7f3a"
ANSWER = {
    "annotations": [
        {"type": "classification", "label": "object", "confidence": 0.9},
        {"type": "classification", "label": "object", "confidence": 0.7},
    ]
}


@pytest.fixture
def role_arn(
    moto: MotoServer,
    runtime: SageMakerRuntimeServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> str:
    """An admin allowed to assume a role (trust with an external id) that may invoke."""
    isolate_aws_env(monkeypatch, tmp_path / "aws")
    moto.reset()
    runtime.reset()
    user = moto.create_user("annotator-admin", statement("sts:AssumeRole"))
    arn = moto.create_role(
        "avala-invoker",
        trusted=[user.arn],
        external_id=EXTERNAL_ID,
        statements=[statement("sagemaker:InvokeEndpoint")],
    )
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", user.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", user.secret_access_key)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", moto.url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", runtime.url)
    return arn


def filled_form(qtbot: QtBot, role_arn: str, external_id: str) -> ProviderFormDialog:
    form = ProviderFormDialog(ProviderType.SAGEMAKER, ProviderRegistry())
    qtbot.addWidget(form)
    form.show()
    fields = form.fields
    assert isinstance(fields, SageMakerFields)
    type_into(qtbot, fields.name, "sm-detector")
    type_into(qtbot, fields.endpoint, ENDPOINT)
    type_into(qtbot, fields.region.lineEdit(), REGION)
    type_into(qtbot, fields.role_arn, role_arn)
    type_into(qtbot, fields.external_id, external_id)
    assert form.panel.button.isEnabled(), form.last_check.errors
    return form


def press_test(qtbot: QtBot, form: ProviderFormDialog) -> ConnectionTestResult:
    with qtbot.waitSignal(form.panel.testFinished, timeout=30000) as finished:
        qtbot.mouseClick(form.panel.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not form.panel.is_running(), timeout=5000)
    assert isinstance(finished.args[0], ConnectionTestResult)
    return finished.args[0]


def test_assume_role_denied_names_trust_and_external_id(
    qtbot: QtBot, moto: MotoServer, runtime: SageMakerRuntimeServer, role_arn: str
) -> None:
    form = filled_form(qtbot, role_arn, "someone-elses-id")
    with moto.enforce_iam():
        result = press_test(qtbot, form)
    assert result.category is not None and result.category.value == "assume_role_denied"
    text = form.panel.result_label.text()
    assert "AssumeRole denied" in text and "(assume_role_denied)" in text
    assert "trust" in text and "external id" in text and role_arn in text
    assert runtime.requests == []  # never invoked without the role


def test_success_through_the_role_and_binary_invoke(
    qtbot: QtBot, runtime: SageMakerRuntimeServer, role_arn: str
) -> None:
    runtime.enqueue(json_response(ANSWER))
    form = filled_form(qtbot, role_arn, EXTERNAL_ID)
    assert isinstance(form.fields, SageMakerFields)
    assert form.fields.payload.currentData() == PayloadMode.BINARY
    result = press_test(qtbot, form)
    assert result.ok, result.message
    text = form.panel.result_label.text()
    assert "✓ Connected" in text and "2 annotations parsed" in text
    [sent] = runtime.requests
    assert sent.endpoint_name == ENDPOINT and sent.header("Content-Type") == "image/png"


def test_endpoint_not_found(
    qtbot: QtBot, runtime: SageMakerRuntimeServer, role_arn: str
) -> None:
    runtime.enqueue(endpoint_not_found(ENDPOINT))
    form = filled_form(qtbot, role_arn, EXTERNAL_ID)
    result = press_test(qtbot, form)
    assert result.category is not None and result.category.value == "endpoint_not_found"
    text = form.panel.result_label.text()
    assert "Endpoint not found" in text and "check the endpoint name and region" in text
