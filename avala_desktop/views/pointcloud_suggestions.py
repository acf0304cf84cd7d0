"""The list of the cloud's 3D boxes beside the views: label, confidence and review state.

A click selects the box in the views (``picked(id)``); the review widget keeps the list's
highlight in step with the views' selection through ``show``/``set_current`` (no signal).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from avala_desktop.canvas.scene3d import CuboidItem

_STATE_TEXT = {"pending": "suggestion", "accepted": "accepted", "edited": "edited"}
_ID_ROLE = Qt.ItemDataRole.UserRole


class SuggestionList(QListWidget):
    picked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._icons: dict[str, QIcon] = {}
        self.setUniformItemSizes(True)
        self.itemClicked.connect(self._clicked)

    def show_items(self, items: Sequence[CuboidItem], selection: Sequence[str]) -> None:
        self.blockSignals(True)
        self.clear()
        for item in items:
            conf = "" if item.confidence is None else f"  {item.confidence:.2f}"
            state = _STATE_TEXT.get(item.state, item.state)
            row = QListWidgetItem(self._icon(item.color), f"{item.label}{conf}  · {state}")
            row.setData(_ID_ROLE, item.id)
            if item.is_pending:
                font = row.font()
                font.setItalic(True)
                row.setFont(font)
            self.addItem(row)
        self.blockSignals(False)
        self.set_current(selection)

    def set_current(self, selection: Sequence[str]) -> None:
        chosen = set(selection)
        self.blockSignals(True)
        for i in range(self.count()):
            row = self.item(i)
            row.setSelected(row.data(_ID_ROLE) in chosen)
            if row.data(_ID_ROLE) in chosen:
                self.scrollToItem(row)
        self.blockSignals(False)

    def ids(self) -> list[str]:
        return [self.item(i).data(_ID_ROLE) for i in range(self.count())]

    def _clicked(self, row: QListWidgetItem) -> None:
        self.picked.emit(row.data(_ID_ROLE))

    def _icon(self, color: str) -> QIcon:
        icon = self._icons.get(color)
        if icon is None:
            pixmap = QPixmap(12, 12)
            pixmap.fill(QColor(color))
            icon = self._icons[color] = QIcon(pixmap)
        return icon
