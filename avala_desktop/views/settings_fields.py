"""The input fields of the two provider forms (PRODUCT.md §1), each with its error line.

A fields widget knows its widgets and how to read them into the dict the provider model
validates; it knows none of the rules. `changed(key)` fires as the person edits a field.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from avala_desktop.inference import providers
from avala_desktop.inference.providers import (
    AuthMode,
    HttpProviderConfig,
    PayloadMode,
    SageMakerProviderConfig,
)
from avala_desktop.views.settings_validation import for_the_form
from avala_desktop.views.settings_widgets import ErrorLabel, SecretField

TOKEN = "token"  # the secret's field key; it is not part of the configuration
SOURCE_KEYRING = "keyring"
SOURCE_ENV = "env"


class ProviderFields(QWidget):
    """Rows of `label: widget / reason`. Subclasses add rows and implement `values()`."""

    changed = Signal(str)  # the key of the field the person edited

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.errors: dict[str, ErrorLabel] = {}
        self.rows: dict[str, QWidget] = {}

    def add_row(self, key: str, label: str, widget: QWidget, hint: str = "") -> QWidget:
        box = QWidget(self)
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(widget)
        if hint:
            note = QLabel(hint, box)
            note.setWordWrap(True)
            note.setStyleSheet("color: palette(mid);")
            column.addWidget(note)
        error = ErrorLabel(box)
        error.setObjectName(f"error_{key}")
        column.addWidget(error)
        self.errors[key] = error
        self.rows[key] = box
        self.form.addRow(label, box)
        return box

    def set_row_visible(self, key: str, visible: bool) -> None:
        self.form.setRowVisible(self.rows[key], visible)

    def show_errors(self, errors: dict[str, str], touched: set[str]) -> None:
        for key, label in self.errors.items():
            label.show_reason(errors.get(key) if key in touched else None)

    def error_text(self, key: str) -> str:
        """The reason shown under the field now ('' when none is shown)."""
        label = self.errors[key]
        return "" if label.isHidden() else label.text()

    def _line(self, key: str, placeholder: str = "") -> QLineEdit:
        edit = QLineEdit(self)
        edit.setObjectName(key)
        edit.setPlaceholderText(placeholder)
        edit.textEdited.connect(lambda _text, k=key: self.changed.emit(k))
        return edit


def _text_or_none(edit: QLineEdit) -> str | None:
    text = edit.text().strip()
    return text or None


class HttpFields(ProviderFields):
    """Custom HTTP endpoint: URL, auth (none / Bearer / header name + value), timeout, CA."""

    def __init__(self, keyring_problem: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.keyring_problem = keyring_problem
        self.name = self._line("name", "e.g. detector-prod")
        self.url = self._line("url", "https://models.example.com/predict")
        self.allow_insecure = QCheckBox("Allow plain http:// to this computer (development)")
        self.allow_insecure.setObjectName("allow_insecure_localhost")
        self.allow_insecure.toggled.connect(lambda _on: self.changed.emit("url"))
        self.auth = QComboBox(self)
        self.auth.setObjectName("auth")
        self.auth.addItem("None", AuthMode.NONE)
        self.auth.addItem("Bearer token", AuthMode.BEARER)
        self.auth.addItem("Custom header", AuthMode.HEADER)
        self.auth.currentIndexChanged.connect(self._on_auth)
        self.header_name = self._line("header_name", "e.g. X-Api-Key")
        self.source = QComboBox(self)
        self.source.setObjectName("token_source")
        self.source.addItem("OS keyring", SOURCE_KEYRING)
        self.source.addItem("Environment variable", SOURCE_ENV)
        self.source.currentIndexChanged.connect(self._on_auth)
        self.token = SecretField("the token or header value", self)
        self.token.setObjectName(TOKEN)
        self.token.textChanged.connect(lambda _text: self.changed.emit(TOKEN))
        self.token_env = self._line("token_env", "e.g. DETECTOR_TOKEN")
        self.timeout = self._line("timeout_s", "seconds")
        self.timeout.setText(f"{HttpProviderConfig.model_fields['timeout_s'].default:g}")
        self.ca_bundle = self._line("ca_bundle", "optional: PEM file of the CA to trust")
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse_ca)
        ca_row = QWidget(self)
        ca_layout = QHBoxLayout(ca_row)
        ca_layout.setContentsMargins(0, 0, 0, 0)
        ca_layout.addWidget(self.ca_bundle, 1)
        ca_layout.addWidget(browse)

        self.add_row("name", "Name", self.name)
        url_box = QWidget(self)
        url_layout = QVBoxLayout(url_box)
        url_layout.setContentsMargins(0, 0, 0, 0)
        url_layout.addWidget(self.url)
        url_layout.addWidget(self.allow_insecure)
        self.add_row(
            "url",
            "Endpoint URL",
            url_box,
            "https:// only: over plain http the token and the asset URLs would travel "
            "readable by anyone on the network.",
        )
        self.add_row("auth", "Authentication", self.auth)
        self.add_row("header_name", "Header name", self.header_name)
        self.add_row("token_source", "Token kept in", self.source)
        self.add_row(TOKEN, "Token / value", self.token)
        self.add_row(
            "token_env",
            "Environment variable",
            self.token_env,
            "The variable's name, not the token: it is read when avala-desktop starts.",
        )
        self.keyring_note = QLabel(for_the_form(keyring_problem or ""), self)
        self.keyring_note.setObjectName("keyring_note")
        self.keyring_note.setWordWrap(True)
        self.add_row("keyring", "", self.keyring_note)
        self.add_row("timeout_s", "Timeout (s)", self.timeout, "1 to 600 seconds per request.")
        self.add_row("ca_bundle", "CA bundle", ca_row)
        if keyring_problem:
            # No keyring: the only safe place left for a token is an environment variable.
            self.source.setCurrentIndex(1)
            model = self.source.model()
            item = model.item(0) if hasattr(model, "item") else None
            if item is not None:
                item.setEnabled(False)
        self._on_auth()

    @property
    def auth_mode(self) -> AuthMode:
        return AuthMode(self.auth.currentData())

    @property
    def token_source(self) -> str:
        return str(self.source.currentData())

    def _on_auth(self, *_args: object) -> None:
        mode = self.auth_mode
        needs_token = mode is not AuthMode.NONE
        use_env = self.token_source == SOURCE_ENV
        self.set_row_visible("header_name", mode is AuthMode.HEADER)
        self.set_row_visible("token_source", needs_token)
        self.set_row_visible(TOKEN, needs_token and not use_env)
        self.set_row_visible("token_env", needs_token and use_env)
        self.set_row_visible("keyring", needs_token and bool(self.keyring_problem))
        self.changed.emit("auth")

    def _browse_ca(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "CA bundle (PEM)", "", "PEM certificates (*.pem *.crt *.cer);;All files (*)"
        )
        if path:
            self.ca_bundle.setText(path)
            self.changed.emit("ca_bundle")

    def values(self) -> dict[str, Any]:
        mode = self.auth_mode
        use_env = mode is not AuthMode.NONE and self.token_source == SOURCE_ENV
        return {
            "name": self.name.text(),
            "url": self.url.text().strip(),
            "allow_insecure_localhost": self.allow_insecure.isChecked(),
            "auth": mode,
            "header_name": _text_or_none(self.header_name) if mode is AuthMode.HEADER else None,
            "token_env": _text_or_none(self.token_env) if use_env else None,
            "timeout_s": self.timeout.text().strip(),
            "ca_bundle": _text_or_none(self.ca_bundle),
        }

    def secret(self) -> str | None:
        """The token typed in (None when none is typed or it is not used)."""
        if self.auth_mode is AuthMode.NONE or self.token_source == SOURCE_ENV:
            return None
        return self.token.text().strip() or None

    def fill(self, config: HttpProviderConfig | SageMakerProviderConfig) -> None:
        assert isinstance(config, HttpProviderConfig)
        self.name.setText(config.name)
        self.url.setText(config.url)
        self.allow_insecure.setChecked(config.allow_insecure_localhost)
        self.auth.setCurrentIndex(self.auth.findData(config.auth))
        self.header_name.setText(config.header_name or "")
        self.source.setCurrentIndex(1 if config.token_env or self.keyring_problem else 0)
        self.token_env.setText(config.token_env or "")
        self.token.setPlaceholderText("stored in the keyring; type a new one to replace it")
        self.timeout.setText(f"{config.timeout_s:g}")
        self.ca_bundle.setText(str(config.ca_bundle) if config.ca_bundle else "")
        self._on_auth()


class SageMakerFields(ProviderFields):
    """Amazon SageMaker: endpoint name, region, IAM role ARN, external id, payload mode."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = self._line("name", "e.g. detector-prod")
        self.endpoint = self._line("endpoint_name", "the endpoint's name, not its ARN")
        self.region = QComboBox(self)
        self.region.setObjectName("region")
        self.region.setEditable(True)
        self.region.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        # The list botocore knows, to pick from; the model still validates what is typed.
        self.region.addItems(sorted(providers.sagemaker_regions()))
        line = QLineEdit(self.region)
        self.region.setLineEdit(line)
        self.region.setCurrentIndex(-1)
        line.setPlaceholderText("e.g. us-east-1")
        line.textEdited.connect(lambda _text: self.changed.emit("region"))
        self.region.activated.connect(lambda _index: self.changed.emit("region"))
        self.role_arn = self._line("role_arn", "arn:aws:iam::123456789012:role/avala-invoker")
        self.external_id = self._line("external_id", "optional: sts:ExternalId of the trust")
        self.payload = QComboBox(self)
        self.payload.setObjectName("payload_mode")
        self.payload.addItem("binary: asset bytes as the body (default)", PayloadMode.BINARY)
        self.payload.addItem("json: request JSON with the asset inline", PayloadMode.JSON)
        self.payload.currentIndexChanged.connect(lambda _i: self.changed.emit("payload_mode"))

        self.add_row("name", "Name", self.name)
        self.add_row("endpoint_name", "Endpoint name", self.endpoint)
        self.add_row("region", "Region", self.region)
        self.add_row(
            "role_arn",
            "IAM role ARN",
            self.role_arn,
            "The role is assumed for each session; it needs sagemaker:InvokeEndpoint on "
            "this endpoint only.",
        )
        self.add_row("external_id", "External ID", self.external_id)
        self.add_row("payload_mode", "Payload mode", self.payload)

    def values(self) -> dict[str, Any]:
        return {
            "name": self.name.text(),
            "endpoint_name": self.endpoint.text().strip(),
            "region": self.region.currentText().strip(),
            "role_arn": self.role_arn.text().strip(),
            "external_id": _text_or_none(self.external_id),
            "payload_mode": PayloadMode(self.payload.currentData()),
        }

    def secret(self) -> str | None:
        return None  # SageMaker authenticates with the role, never with a stored secret

    def fill(self, config: HttpProviderConfig | SageMakerProviderConfig) -> None:
        assert isinstance(config, SageMakerProviderConfig)
        self.name.setText(config.name)
        self.endpoint.setText(config.endpoint_name)
        self.region.setCurrentText(config.region)
        self.role_arn.setText(config.role_arn)
        self.external_id.setText(config.external_id or "")
        self.payload.setCurrentIndex(self.payload.findData(config.payload_mode))
