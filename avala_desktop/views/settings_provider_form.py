"""Add / edit one provider: the form, its inline validation, Test Connection and Save.

Every rule comes from the provider models (`settings_validation.check_form`); saving does what
`avala-desktop provider add-http / add-sagemaker` does: the configuration goes to the
registry, the token to the keyring (never to the file), and a keyring that refuses the token
undoes the add.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from avala_desktop.inference import secrets
from avala_desktop.inference.providers import (
    AuthMode,
    HttpProviderConfig,
    ProviderError,
    ProviderRegistry,
    ProviderType,
    SageMakerProviderConfig,
    new_provider_id,
    same_connection,
)
from avala_desktop.inference.test_connection import ConnectionTestResult
from avala_desktop.views.settings_fields import (
    SOURCE_ENV,
    TOKEN,
    HttpFields,
    SageMakerFields,
)
from avala_desktop.views.settings_test_panel import ConnectionTestPanel, TestRequest
from avala_desktop.views.settings_validation import FORM, FormCheck, check_form, for_the_form
from avala_desktop.views.settings_widgets import ErrorLabel

Config = HttpProviderConfig | SageMakerProviderConfig
KIND_TITLES = {
    ProviderType.HTTP: "Custom HTTP Endpoint",
    ProviderType.SAGEMAKER: "Amazon SageMaker",
}


class ProviderFormDialog(QDialog):
    """`saved(config)` fires after the registry (and keyring) hold the provider."""

    saved = Signal(object)
    validated = Signal(object)  # FormCheck, after every edit

    def __init__(
        self,
        kind: ProviderType,
        registry: ProviderRegistry,
        existing: Config | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.kind = kind
        self.registry = registry
        self.existing = existing
        self.model: type[HttpProviderConfig] | type[SageMakerProviderConfig] = (
            HttpProviderConfig if kind is ProviderType.HTTP else SageMakerProviderConfig
        )
        # One id for the whole form, so a test of the unsaved form and the save agree.
        self.provider_id = existing.id if existing is not None else new_provider_id()
        self.fields: HttpFields | SageMakerFields = (
            HttpFields(secrets.keyring_problem(), self)
            if kind is ProviderType.HTTP
            else SageMakerFields(self)
        )
        title = KIND_TITLES[kind]
        self.setWindowTitle(
            f"Edit provider {existing.name}" if existing is not None else f"Add {title}"
        )
        self.setObjectName("providerForm")
        self.touched: set[str] = set()
        self.last_check = FormCheck(None)
        self._tested: tuple[Config, str | None, ConnectionTestResult] | None = None
        self._pending: tuple[Config, str | None] | None = None

        heading = QLabel(f"<b>{title}</b>", self)
        self.form_error = ErrorLabel(self)
        self.form_error.setObjectName("formError")
        line = QFrame(self)
        line.setFrameShape(QFrame.Shape.HLine)
        self.panel = ConnectionTestPanel(self._test_request, self)
        self.panel.testFinished.connect(self._on_tested)
        self.finished.connect(self.panel.stop)  # no probe thread outlives the dialog
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.fields)
        layout.addWidget(self.form_error)
        layout.addWidget(line)
        layout.addWidget(self.panel)
        layout.addWidget(self.buttons)
        self.resize(620, self.sizeHint().height())

        if existing is not None:
            self.fields.fill(existing)
            # What was saved is the person's own input: judge all of it from the start.
            self.touched = set(self.fields.errors)
        self.fields.changed.connect(self._on_changed)
        self._revalidate()

    # -- validation ---------------------------------------------------------------------------

    def values(self) -> dict[str, Any]:
        """The model's input: what the form shows over what it does not (kept on edit)."""
        base: dict[str, Any] = {}
        if self.existing is not None:
            base = self.existing.model_dump()
        base["id"] = self.provider_id
        base.update(self.fields.values())
        return base

    def check(self) -> FormCheck:
        result = check_form(self.model, self.values())
        if isinstance(self.fields, HttpFields):
            self._check_token(result)
        return result

    def _check_token(self, result: FormCheck) -> None:
        """auth bearer/header needs a token somewhere, as `provider add-http` insists."""
        fields = self.fields
        assert isinstance(fields, HttpFields)
        if fields.auth_mode is AuthMode.NONE:
            return
        if fields.token_source == SOURCE_ENV:
            if not fields.token_env.text().strip():
                result.errors.setdefault(
                    "token_env", "name the environment variable that holds the token"
                )
            return
        if fields.secret() is None and not self._has_stored_token():
            word = "token" if fields.auth_mode is AuthMode.BEARER else "header value"
            result.errors.setdefault(
                TOKEN,
                f"{fields.auth_mode.value} auth needs a {word}: type it here (it goes to the OS "
                "keyring), or keep it in an environment variable",
            )

    def _has_stored_token(self) -> bool:
        old = self.existing
        return (
            isinstance(old, HttpProviderConfig)
            and old.auth is not AuthMode.NONE
            and old.token_env is None
        )

    def _on_changed(self, key: str) -> None:
        if key != "auth":  # switching auth is not yet an answer to the fields it reveals
            self.touched.add(key)
        self._revalidate()

    def _revalidate(self) -> None:
        self.last_check = self.check()
        self.fields.show_errors(self.last_check.errors, self.touched)
        form_error = self.last_check.errors.get(FORM) if self.touched else None
        self.form_error.show_reason(form_error)
        self.save_button.setEnabled(self.last_check.ok)
        self.panel.set_enabled_for_form(self.last_check.ok)
        self.validated.emit(self.last_check)
        QTimer.singleShot(0, self._fit_height)

    def _fit_height(self) -> None:
        """Grow to fit the reasons shown under the fields. Wrapped labels only know their
        height for a given width, which Qt's minimum-size rules ignore, so without this the
        rows of a long reason are squeezed on top of each other."""
        needed = self.heightForWidth(self.width())
        if needed > 0:
            self.setMinimumHeight(needed)
            if self.height() < needed:
                self.resize(self.width(), needed)

    # -- test connection ----------------------------------------------------------------------

    def _test_request(self) -> TestRequest | None:
        self.touched |= set(self.fields.errors)
        self._revalidate()
        config = self.last_check.config
        if config is None or not self.last_check.ok:
            return None
        secret = self.fields.secret()
        # Recorded as the provider's last test only when it tests the saved connection.
        record = (
            self.existing is not None and secret is None and same_connection(config, self.existing)
        )
        self._pending = (config, secret)
        return TestRequest(config, secret=secret, registry=self.registry if record else None)

    def _on_tested(self, result: object) -> None:
        if isinstance(result, ConnectionTestResult) and self._pending and not result.cancelled:
            self._tested = (*self._pending, result)

    # -- save ---------------------------------------------------------------------------------

    def save(self) -> bool:
        self.touched |= set(self.fields.errors)
        self._revalidate()
        config = self.last_check.config
        if config is None or not self.last_check.ok:
            return False
        secret = self.fields.secret()
        config = self._with_last_test(config, secret)
        try:
            if self.existing is None:
                self.registry.add(config)
            else:
                self.registry.update(config)
        except ProviderError as exc:
            self.form_error.show_reason(str(exc))
            return False
        if not self._store_token(config, secret):
            return False
        self.existing = config
        self.saved.emit(config)
        self.accept()
        return True

    def _with_last_test(self, config: Config, secret: str | None) -> Config:
        """Keep the test run in this form when it tested these settings; drop a stale one."""
        if self._tested is not None:
            tested, tested_secret, result = self._tested
            if tested_secret == secret and same_connection(tested, config):
                return config.model_copy(
                    update={
                        "last_test": result.model_dump(mode="json"),
                        "last_test_at": result.tested_at,
                    }
                )
        if self.existing is not None and (secret or not same_connection(config, self.existing)):
            return config.model_copy(update={"last_test": None, "last_test_at": None})
        return config

    def _store_token(self, config: Config, secret: str | None) -> bool:
        if not isinstance(config, HttpProviderConfig):
            return True
        if secret:
            try:
                secrets.store_secret(config.id, secrets.TOKEN_FIELD, secret)
            except secrets.SecretStoreUnavailable as exc:
                if self.existing is None:
                    self.registry.remove(config.id)  # no provider without its token
                self.fields.errors[TOKEN].show_reason(for_the_form(str(exc)))
                return False
        elif self.existing is not None and (config.auth is AuthMode.NONE or config.token_env):
            # A token left behind in the keyring would outlive the setting that used it.
            secrets.delete_secret(config.id)
        return True
