"""Settings > Inference: the configured providers, their last test, and add / edit / remove.

Entry point for the main window: `open_inference_settings(parent)`. Everything here is also
`avala-desktop provider list / add-http / add-sagemaker / test / remove`.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from avala_desktop.inference import secrets
from avala_desktop.inference.providers import (
    HttpProviderConfig,
    ProviderError,
    ProviderRegistry,
    ProviderType,
    SageMakerProviderConfig,
)
from avala_desktop.inference.test_connection import ConnectionTestResult
from avala_desktop.views.settings_format import last_test_summary, result_html, when_text
from avala_desktop.views.settings_provider_form import KIND_TITLES, ProviderFormDialog
from avala_desktop.views.settings_test_panel import ConnectionTestPanel, TestRequest
from avala_desktop.views.settings_widgets import FAIL_COLOR, OK_COLOR, ErrorLabel

Config = HttpProviderConfig | SageMakerProviderConfig
COLUMNS = ("Name", "Type", "Endpoint", "Last test", "When")
TYPE_NAMES = {ProviderType.HTTP: "Custom HTTP", ProviderType.SAGEMAKER: "SageMaker"}
DIALOG_NAME = "inferenceSettings"


class InferenceSettingsDialog(QDialog):
    """`providersChanged()` fires after an add, edit, remove or recorded test."""

    providersChanged = Signal()

    def __init__(self, registry: ProviderRegistry, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.registry = registry
        self.configs: list[Config] = []
        self.form: ProviderFormDialog | None = None
        self._shown_id: str | None = None  # the provider whose result the panel shows
        self.setWindowTitle("Settings — Inference")
        self.setObjectName(DIALOG_NAME)

        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("providerTable")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._on_selection)
        self.table.doubleClicked.connect(lambda _index: self.edit_selected())
        self.empty_note = QLabel(
            "No providers yet. Add a custom HTTPS endpoint or an Amazon SageMaker endpoint.",
            self,
        )
        self.load_error = ErrorLabel(self)
        self.load_error.setObjectName("loadError")

        self.add_button = QPushButton("Add…", self)
        menu = QMenu(self.add_button)
        self.add_actions: dict[ProviderType, QAction] = {}
        for kind in (ProviderType.SAGEMAKER, ProviderType.HTTP):
            action = menu.addAction(f"{KIND_TITLES[kind]}…")
            action.triggered.connect(lambda _checked=False, k=kind: self.add_provider(k))
            self.add_actions[kind] = action
        self.add_button.setMenu(menu)
        self.edit_button = QPushButton("Edit…", self)
        self.edit_button.clicked.connect(self.edit_selected)
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.clicked.connect(lambda: self.remove_selected())
        buttons = QHBoxLayout()
        for button in (self.add_button, self.edit_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)

        self.panel = ConnectionTestPanel(self._test_request, self)
        self.panel.testStarted.connect(self._on_test_running)
        self.panel.testFinished.connect(self._on_test_finished)
        self.finished.connect(self.panel.stop)  # no probe thread outlives the dialog
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.load_error)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty_note)
        layout.addLayout(buttons)
        layout.addWidget(self.panel)
        layout.addWidget(close)
        self.resize(820, 460)
        self.refresh()

    # -- the list -----------------------------------------------------------------------------

    def refresh(self) -> None:
        selected = self.selected()
        try:
            self.configs = self.registry.list()
        except ProviderError as exc:
            self.configs = []
            self.load_error.show_reason(str(exc))
        else:
            self.load_error.show_reason(None)
        self.table.setRowCount(len(self.configs))
        for row, config in enumerate(self.configs):
            self._fill_row(row, config)
        self.empty_note.setVisible(not self.configs and self.load_error.isHidden())
        if selected is not None:
            self.select(selected.id)
        elif self.configs and not self.panel.is_running():
            self.table.selectRow(0)
        self._on_selection()
        self.providersChanged.emit()

    def _fill_row(self, row: int, config: Config) -> None:
        last = config.last_test
        cells = (
            config.name,
            TYPE_NAMES[config.type],
            config.target,
            last_test_summary(last),
            when_text(config.last_test_at),
        )
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, config.id)
            if column == 3 and last:
                item.setForeground(QColor(OK_COLOR if last.get("ok") else FAIL_COLOR))
                item.setToolTip(str(last.get("message", "")))
            self.table.setItem(row, column, item)

    def selected(self) -> Config | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows or rows[0].row() >= len(self.configs):
            return None
        return self.configs[rows[0].row()]

    def select(self, provider_id: str) -> bool:
        for row, config in enumerate(self.configs):
            if config.id == provider_id:
                self.table.selectRow(row)
                return True
        return False

    def _on_selection(self) -> None:
        config = self.selected()
        running = self.panel.is_running()
        self.edit_button.setEnabled(config is not None)
        self.remove_button.setEnabled(config is not None and not running)
        self.panel.set_enabled_for_form(config is not None)
        shown = config.id if config is not None else None
        if running or shown == self._shown_id:
            return  # same provider: keep what the panel says (a fresh or cancelled test)
        self._shown_id = shown
        self.panel.show_result(None)
        if config is not None and config.last_test:
            self.panel.result_label.setText(_stored_result_html(config))

    def _on_test_running(self) -> None:
        # The result belongs to the provider under test: keep it selected until it is in.
        self.table.setEnabled(False)
        self._on_selection()

    def _on_test_finished(self, _result: object) -> None:
        self.table.setEnabled(True)
        self.refresh()  # the registry recorded the result as the provider's last test

    # -- actions ------------------------------------------------------------------------------

    def add_provider(self, kind: ProviderType) -> ProviderFormDialog:
        return self._open_form(ProviderFormDialog(kind, self.registry, None, self))

    def edit_selected(self) -> ProviderFormDialog | None:
        config = self.selected()
        if config is None:
            return None
        return self._open_form(ProviderFormDialog(config.type, self.registry, config, self))

    def _open_form(self, form: ProviderFormDialog) -> ProviderFormDialog:
        form.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        form.saved.connect(self._on_saved)
        form.destroyed.connect(lambda *_: setattr(self, "form", None))
        self.form = form
        form.open()  # window-modal, and the event loop keeps running
        return form

    def _on_saved(self, config: Config) -> None:
        self.refresh()
        self.select(config.id)

    def remove_selected(self, *, confirm: bool = True) -> Config | None:
        """Remove the selected provider and its keyring token (`provider remove`)."""
        config = self.selected()
        if config is None:
            return None
        if confirm:
            answer = QMessageBox.question(
                self,
                "Remove provider",
                f"Remove provider {config.name} ({config.target})? Its stored token is "
                "deleted from the keyring too.",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return None
        try:
            removed = self.registry.remove(config.id)
        except ProviderError as exc:
            self.load_error.show_reason(str(exc))
            return None
        if isinstance(removed, HttpProviderConfig):
            secrets.delete_secret(removed.id)
        self.table.clearSelection()
        self.refresh()
        return removed

    def _test_request(self) -> TestRequest | None:
        config = self.selected()
        return TestRequest(config, registry=self.registry) if config is not None else None


def _stored_result_html(config: Config) -> str:
    try:
        result = ConnectionTestResult.model_validate(config.last_test)
    except ValueError:
        return ""
    when = when_text(config.last_test_at)
    return f"<p style='margin:0;color:palette(mid)'>Last test {when}:</p>" + result_html(result)


def show_inference_settings(
    parent: QWidget | None, registry: ProviderRegistry | None = None
) -> InferenceSettingsDialog:
    """The settings dialog, raised if it is already open under `parent`."""
    if parent is not None:
        existing = parent.findChild(InferenceSettingsDialog, DIALOG_NAME)
        if existing is not None and existing.isVisible():
            existing.raise_()
            existing.activateWindow()
            return existing
    dialog = InferenceSettingsDialog(registry or ProviderRegistry(), parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog


def open_inference_settings(parent: QWidget | None) -> None:
    """Settings > Inference, for the main window's menu."""
    show_inference_settings(parent)
