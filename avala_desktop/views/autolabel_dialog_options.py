"""What a run is asked to do: provider, confidence threshold, scope, concurrency.

The same choices as `avala-desktop auto-label PROJECT --provider --threshold --scope
--concurrency`; the defaults are the run's own (threshold 0.5, unlabeled assets only).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QRadioButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from avala_desktop.inference.providers import HttpProviderConfig, SageMakerProviderConfig
from avala_desktop.jobs.autolabel import DEFAULT_CONCURRENCY, MAX_CONCURRENCY
from avala_desktop.jobs.planning import Scope

Config = HttpProviderConfig | SageMakerProviderConfig
DEFAULT_THRESHOLD = 0.5
SLIDER_STEPS = 100  # the slider moves in hundredths, like the spin box
SCOPE_UNLABELED = "unlabeled"
SCOPE_ALL = "all"
SCOPE_SELECTED = "selected"


@dataclass(frozen=True)
class RunOptions:
    provider_id: str
    threshold: float
    scope: Scope
    concurrency: int


class RunOptionsPanel(QWidget):
    """`changed()` fires on any edit; `options()` is None while no provider is chosen."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._selected: list[str] = []

        self.provider = QComboBox(self)
        self.provider.setObjectName("provider")
        self.provider.setMinimumContentsLength(28)
        self.provider.currentIndexChanged.connect(lambda _i: self.changed.emit())

        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setObjectName("thresholdSlider")
        self.slider.setRange(0, SLIDER_STEPS)
        self.slider.setPageStep(5)
        self.spin = QDoubleSpinBox(self)
        self.spin.setObjectName("thresholdSpin")
        self.spin.setRange(0.0, 1.0)
        self.spin.setDecimals(2)
        self.spin.setSingleStep(0.05)
        self.spin.setToolTip("Predictions with a confidence at or above this are kept")
        self.slider.valueChanged.connect(self._slider_moved)
        self.spin.valueChanged.connect(self._spin_changed)
        threshold_row = QWidget(self)
        row = QHBoxLayout(threshold_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.slider, 1)
        row.addWidget(self.spin)

        self.scope_unlabeled = QRadioButton("Unlabeled assets only", self)
        self.scope_all = QRadioButton("All assets (replaces pending suggestions)", self)
        self.scope_selected = QRadioButton("Selected assets", self)
        self.scope_group = QButtonGroup(self)
        for button, key in (
            (self.scope_unlabeled, SCOPE_UNLABELED),
            (self.scope_all, SCOPE_ALL),
            (self.scope_selected, SCOPE_SELECTED),
        ):
            button.setObjectName(f"scope_{key}")
            self.scope_group.addButton(button)
            button.toggled.connect(self._scope_toggled)
        self.scope_unlabeled.setChecked(True)
        scope_box = QWidget(self)
        scope_layout = QVBoxLayout(scope_box)
        scope_layout.setContentsMargins(0, 0, 0, 0)
        scope_layout.setSpacing(2)
        for button in (self.scope_unlabeled, self.scope_all, self.scope_selected):
            scope_layout.addWidget(button)

        self.concurrency = QSpinBox(self)
        self.concurrency.setObjectName("concurrency")
        self.concurrency.setRange(1, MAX_CONCURRENCY)
        self.concurrency.setValue(DEFAULT_CONCURRENCY)
        self.concurrency.setToolTip("How many requests may be out at once")

        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Provider", self.provider)
        form.addRow("Confidence threshold", threshold_row)
        form.addRow("Assets", scope_box)
        form.addRow("Parallel requests", self.concurrency)
        self.set_threshold(DEFAULT_THRESHOLD)
        self.set_selected([])

    # -- providers ----------------------------------------------------------------------------

    def set_providers(self, configs: list[Config], keep: str | None = None) -> None:
        keep = keep or self.provider_id()
        self.provider.blockSignals(True)
        self.provider.clear()
        for config in configs:
            last = config.last_test or {}
            mark = "" if not last else ("  ✓ tested" if last.get("ok") else "  ✗ last test failed")
            self.provider.addItem(f"{config.name} — {config.target}{mark}", config.id)
        index = self.provider.findData(keep) if keep else -1
        self.provider.setCurrentIndex(index if index >= 0 else (0 if configs else -1))
        self.provider.blockSignals(False)
        self.changed.emit()

    def provider_id(self) -> str | None:
        data = self.provider.currentData()
        return str(data) if data else None

    def select_provider(self, provider_id: str) -> bool:
        index = self.provider.findData(provider_id)
        if index >= 0:
            self.provider.setCurrentIndex(index)
        return index >= 0

    # -- threshold ----------------------------------------------------------------------------

    def threshold(self) -> float:
        return round(self.spin.value(), 2)

    def set_threshold(self, value: float) -> None:
        self.spin.setValue(value)  # the spin box drives the slider

    def _slider_moved(self, steps: int) -> None:
        value = steps / SLIDER_STEPS
        if abs(self.spin.value() - value) > 1e-9:
            self.spin.blockSignals(True)
            self.spin.setValue(value)
            self.spin.blockSignals(False)
            self.changed.emit()

    def _spin_changed(self, value: float) -> None:
        steps = round(value * SLIDER_STEPS)
        if self.slider.value() != steps:
            self.slider.blockSignals(True)
            self.slider.setValue(steps)
            self.slider.blockSignals(False)
        self.changed.emit()

    # -- scope --------------------------------------------------------------------------------

    def _scope_toggled(self, checked: bool) -> None:
        if checked:  # one radio turns off as another turns on: announce the change once
            self.changed.emit()

    def set_selected(self, asset_ids: list[str]) -> None:
        self._selected = list(dict.fromkeys(asset_ids))
        count = len(self._selected)
        self.scope_selected.setText(f"Selected assets ({count})")
        self.scope_selected.setEnabled(bool(count))
        if not count and self.scope_selected.isChecked():
            self.scope_unlabeled.setChecked(True)

    def set_counts(self, unlabeled: int, total: int) -> None:
        self.scope_unlabeled.setText(f"Unlabeled assets only ({unlabeled})")
        self.scope_all.setText(f"All assets ({total}; replaces pending suggestions)")

    def scope(self) -> Scope:
        if self.scope_selected.isChecked() and self._selected:
            return list(self._selected)
        return SCOPE_ALL if self.scope_all.isChecked() else SCOPE_UNLABELED

    def set_scope(self, scope: str | list[str]) -> None:
        if isinstance(scope, list):
            self.set_selected(scope)
            self.scope_selected.setChecked(True)
        elif scope == SCOPE_ALL:
            self.scope_all.setChecked(True)
        else:
            self.scope_unlabeled.setChecked(True)

    # -- all of it ----------------------------------------------------------------------------

    def options(self) -> RunOptions | None:
        provider_id = self.provider_id()
        if provider_id is None:
            return None
        return RunOptions(provider_id, self.threshold(), self.scope(), self.concurrency.value())
