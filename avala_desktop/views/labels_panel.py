"""The label panel: the project's label set with colours and visibility toggles.

The highlighted label is the one new shapes get (``currentLabelChanged``); unticking a label
hides its annotations on the canvas and in the table (``hiddenLabelsChanged``, display only).
A new label typed at the bottom goes to the store (``addLabelRequested``); "Classify" adds an
asset-level classification with the highlighted label (``classifyRequested``).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from avala_desktop.core.store import Label


def color_icon(color: str, side: int = 14) -> QIcon:
    pixmap = QPixmap(side, side)
    pixmap.fill(Qt.GlobalColor.transparent)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setBrush(QColor(color))
    p.setPen(QColor(0, 0, 0, 120))
    p.drawRoundedRect(1, 1, side - 2, side - 2, 3, 3)
    p.end()
    return QIcon(pixmap)


class LabelsPanel(QWidget):
    currentLabelChanged = Signal(str)
    hiddenLabelsChanged = Signal(list)
    addLabelRequested = Signal(str)
    classifyRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget(self)
        self.list.setToolTip("Tick to show a label's annotations; the highlighted label is the "
                             "one new shapes get")
        self.new_label = QLineEdit(self)
        self.new_label.setPlaceholderText("New label…")
        self.add_button = QPushButton("Add", self)
        self.classify_button = QPushButton("Classify asset", self)
        self.classify_button.setToolTip("Add an asset-level classification with the "
                                        "highlighted label (C picks another)")
        row = QHBoxLayout()
        row.addWidget(self.new_label, 1)
        row.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.list, 1)
        layout.addLayout(row)
        layout.addWidget(self.classify_button)
        self._filling = False
        self.list.currentItemChanged.connect(self._current_changed)
        self.list.itemChanged.connect(self._item_changed)
        self.add_button.clicked.connect(self._add)
        self.new_label.returnPressed.connect(self._add)
        self.classify_button.clicked.connect(self._classify)

    def set_labels(self, labels: Sequence[Label]) -> None:
        """Shows the label set, keeping the highlighted label and the hidden ones."""
        current = self.current_label()
        hidden = set(self.hidden_labels())
        self._filling = True
        try:
            self.list.clear()
            for label in labels:
                item = QListWidgetItem(color_icon(label.color), label.name)
                item.setData(Qt.ItemDataRole.UserRole, label.name)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Unchecked if label.name in hidden
                                   else Qt.CheckState.Checked)
                self.list.addItem(item)
        finally:
            self._filling = False
        names = [label.name for label in labels]
        pick = current if current in names else (names[0] if names else None)
        if pick is not None:
            self.set_current_label(pick)
        self.classify_button.setEnabled(bool(names))
        still_hidden = [name for name in hidden if name in names]
        if len(still_hidden) != len(hidden):
            self.hiddenLabelsChanged.emit(still_hidden)

    def current_label(self) -> str | None:
        item = self.list.currentItem()
        return None if item is None else str(item.data(Qt.ItemDataRole.UserRole))

    def set_current_label(self, name: str) -> None:
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == name:
                self.list.setCurrentItem(item)
                return

    def hidden_labels(self) -> list[str]:
        return [str(self.list.item(i).data(Qt.ItemDataRole.UserRole))
                for i in range(self.list.count())
                if self.list.item(i).checkState() != Qt.CheckState.Checked]

    def set_label_visible(self, name: str, visible: bool) -> None:
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == name:
                item.setCheckState(Qt.CheckState.Checked if visible
                                   else Qt.CheckState.Unchecked)

    def _current_changed(self, current: QListWidgetItem | None, _prev: object) -> None:
        if current is not None:
            self.currentLabelChanged.emit(str(current.data(Qt.ItemDataRole.UserRole)))

    def _item_changed(self, _item: QListWidgetItem) -> None:
        if not self._filling:
            self.hiddenLabelsChanged.emit(self.hidden_labels())

    def _add(self) -> None:
        name = self.new_label.text().strip()
        if name:
            self.new_label.clear()
            self.addLabelRequested.emit(name)

    def _classify(self) -> None:
        label = self.current_label()
        if label is not None:
            self.classifyRequested.emit(label)
