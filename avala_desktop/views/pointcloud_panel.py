"""The numeric panel of the selected cuboid: centre, size and yaw/pitch/roll, and its label.

Editing one field changes only that quantity of the box as it is (not a box rebuilt from the
rounded numbers on screen), and comes out as ``geometryEdited(new_geometry, session)``. Arrow
steps on one field share a session id until Enter or leaving the field, so the review widget
can fold them into one undo step. Programmatic updates (``show_item``) emit nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from avala_desktop.canvas.cuboid_tools import quat_from_ypr, yaw_pitch_roll
from avala_desktop.canvas.scene3d import CuboidItem
from avala_desktop.core.geometry3d import Cuboid

# name, caption, unit, minimum, maximum, step, decimals
_FIELDS: tuple[tuple[str, str, str, float, float, float, int], ...] = (
    ("x", "Centre x", " m", -1e5, 1e5, 0.05, 3),
    ("y", "Centre y", " m", -1e5, 1e5, 0.05, 3),
    ("z", "Centre z", " m", -1e5, 1e5, 0.05, 3),
    ("l", "Length", " m", 0.01, 1e4, 0.05, 3),
    ("w", "Width", " m", 0.01, 1e4, 0.05, 3),
    ("h", "Height", " m", 0.01, 1e4, 0.05, 3),
    ("yaw", "Yaw", "°", -180.0, 180.0, 1.0, 2),
    ("pitch", "Pitch", "°", -90.0, 90.0, 1.0, 2),
    ("roll", "Roll", "°", -180.0, 180.0, 1.0, 2),
)
_CENTER = {"x": 0, "y": 1, "z": 2}
_DIMS = {"l": 0, "w": 1, "h": 2}
_ANGLES = {"yaw": 0, "pitch": 1, "roll": 2}


def box_values(box: Cuboid) -> dict[str, float]:
    """What the panel shows for a box (angles in degrees)."""
    ypr = yaw_pitch_roll(box.quat)
    values = {name: float(box.center[i]) for name, i in _CENTER.items()}
    values.update({name: float(box.dims[i]) for name, i in _DIMS.items()})
    values.update({name: math.degrees(ypr[i]) for name, i in _ANGLES.items()})
    return values


def with_field(box: Cuboid, name: str, value: float) -> Cuboid:
    """The box with one quantity set (angles in degrees), everything else left as it is."""
    if name in _CENTER:
        center = box.center.copy()
        center[_CENTER[name]] = value
        return Cuboid(center, box.dims, box.quat)
    if name in _DIMS:
        dims = box.dims.copy()
        dims[_DIMS[name]] = value
        return Cuboid(box.center, dims, box.quat)
    if name in _ANGLES:
        angles = list(yaw_pitch_roll(box.quat))
        angles[_ANGLES[name]] = math.radians(value)
        return Cuboid(box.center, box.dims, quat_from_ypr(*angles))
    raise KeyError(f"no field {name!r}")


class CuboidPanel(QGroupBox):
    geometryEdited = Signal(dict, int)  # new geometry, edit session
    labelChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Selected box", parent)
        self._item: CuboidItem | None = None
        self._session = 0
        self._last_field = ""
        self._spins: dict[str, QDoubleSpinBox] = {}
        layout = QVBoxLayout(self)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        self._label = QComboBox()
        self._label.activated.connect(self._label_chosen)
        form.addRow("Label", self._label)
        for name, caption, unit, lo, hi, step, decimals in _FIELDS:
            spin = QDoubleSpinBox()
            spin.setRange(lo, hi)
            spin.setSingleStep(step)
            spin.setDecimals(decimals)
            spin.setSuffix(unit)
            spin.setKeyboardTracking(False)  # typed digits apply on Enter, not per keystroke
            spin.setWrapping(name in ("yaw", "roll"))
            spin.setObjectName(f"cuboid-{name}")
            spin.valueChanged.connect(lambda value, n=name: self._field_changed(n, value))
            spin.editingFinished.connect(self._end_session)
            self._spins[name] = spin
            form.addRow(caption, spin)
        layout.addLayout(form)
        self._state = QLabel()
        self._state.setWordWrap(True)
        layout.addWidget(self._state)
        self.show_item(None, [])

    def set_read_only(self, read_only: bool) -> None:
        """Shows the numbers without taking edits (a submitted asset)."""
        for spin in self._spins.values():
            spin.setReadOnly(read_only)
        self._label.setEnabled(not read_only)

    def spin(self, name: str) -> QDoubleSpinBox:
        return self._spins[name]

    def label_box(self) -> QComboBox:
        return self._label

    def show_item(self, item: CuboidItem | None, labels: Sequence[str]) -> None:
        """Shows the box's numbers (None: an empty, disabled panel)."""
        changed_item = item is None or self._item is None or item.id != self._item.id
        self._item = item
        if changed_item:
            self._end_session()
        self.setEnabled(item is not None)
        values = box_values(item.box) if item is not None else {n: 0.0 for n in self._spins}
        for name, spin in self._spins.items():
            if spin.value() == round(values[name], spin.decimals()):
                continue
            spin.blockSignals(True)
            spin.setValue(values[name])
            spin.blockSignals(False)
        self._label.blockSignals(True)
        self._label.clear()
        names = list(labels)
        if item is not None and item.label not in names:
            names.append(item.label)
        self._label.addItems(names)
        if item is not None:
            self._label.setCurrentText(item.label)
        self._label.blockSignals(False)
        if item is None:
            self._state.setText("Select a box to edit its numbers.")
        else:
            conf = "drawn by a person" if item.confidence is None \
                else f"model confidence {item.confidence:.2f}"
            self._state.setText(f"{item.state}, {conf}")

    def _field_changed(self, name: str, value: float) -> None:
        if self._item is None:
            return
        if name != self._last_field:
            self._end_session()  # steps on another field are another undo step
            self._last_field = name
        box = with_field(self._item.box, name, value)
        if np.array_equal(box.center, self._item.box.center) and \
                np.array_equal(box.dims, self._item.box.dims) and \
                np.array_equal(box.quat, self._item.box.quat):
            return
        self._item = self._item.with_box(box)
        self.geometryEdited.emit(box.to_geometry(), self._session)

    def _end_session(self) -> None:
        self._session += 1
        self._last_field = ""

    def _label_chosen(self, index: int) -> None:
        text = self._label.itemText(index)
        if self._item is not None and text and text != self._item.label:
            self.labelChanged.emit(text)
