"""A small pop-up menu to pick a label (L: relabel the selection, C: add a classification).

Opens without blocking (``popup``); the first nine labels answer to the keys 1-9 as well as to
the arrows and Enter. ``picked(label)`` carries the choice.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPoint, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

from avala_desktop.core.store import Label
from avala_desktop.views.labels_panel import color_icon


class LabelPicker(QMenu):
    picked = Signal(str)

    def __init__(self, title: str, labels: Sequence[Label], current: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.setObjectName("labelPicker")
        header = self.addAction(title)
        header.setEnabled(False)
        self.addSeparator()
        chosen = None
        for i, label in enumerate(labels):
            # "&1" makes 1 a mnemonic: pressing it picks the label at once.
            text = f"&{i + 1}  {label.name}" if i < 9 else f"    {label.name}"
            action = self.addAction(color_icon(label.color), text)
            action.setData(label.name)
            action.setCheckable(True)
            action.setChecked(label.name == current)
            if label.name == current:
                chosen = action
        if not labels:
            empty = self.addAction("No labels yet: add one in the Labels panel")
            empty.setEnabled(False)
        if chosen is not None:
            self.setActiveAction(chosen)
        self.triggered.connect(self._triggered)

    def open_at(self, pos: QPoint) -> None:
        self.popup(pos)

    def _triggered(self, action: QAction) -> None:
        name = action.data()
        if isinstance(name, str):
            self.picked.emit(name)
