"""F1: every keyboard shortcut and mouse gesture, grouped by where it works (the whole window,
review on both pages, the 2D canvas, the 3D review page), from the action table."""

from __future__ import annotations

from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from avala_desktop.views.actions import help_rows


class HelpDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("helpDialog")
        self.setWindowTitle("Keyboard shortcuts — avala-desktop")
        rows = help_rows()
        self.table = QTableWidget(0, 2, self)
        self.table.setHorizontalHeaderLabels(["Keys", "What it does"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setShowGrid(False)
        bold = QFont()
        bold.setBold(True)
        section = None
        for name, keys, what in rows:
            if name != section:
                section = name
                r = self.table.rowCount()
                self.table.insertRow(r)
                heading = QTableWidgetItem(name)
                heading.setFont(bold)
                self.table.setItem(r, 0, heading)
                self.table.setSpan(r, 0, 1, 2)
            r = self.table.rowCount()
            self.table.insertRow(r)
            self.table.setItem(r, 0, QTableWidgetItem(keys))
            self.table.setItem(r, 1, QTableWidgetItem(what))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        note = QLabel("Every action is saved at once; there is no Save button. "
                      "Undo works across assets. A submitted asset is read-only until it is "
                      "reopened (Ctrl+Shift+R).", self)
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.resize(640, 720)

    def shown_rows(self) -> list[tuple[str, str, str]]:
        """(heading, keys, what it does) as the table shows them (tests read it)."""
        rows: list[tuple[str, str, str]] = []
        heading = ""
        for r in range(self.table.rowCount()):
            first, second = self.table.item(r, 0), self.table.item(r, 1)
            if first is None:
                continue
            if self.table.columnSpan(r, 0) == 2:
                heading = first.text()
            else:
                rows.append((heading, first.text(), second.text() if second else ""))
        return rows

    def section_titles(self) -> list[str]:
        """The headings, in order, as often as they appear."""
        items = (self.table.item(r, 0) for r in range(self.table.rowCount())
                 if self.table.columnSpan(r, 0) == 2)
        return [item.text() for item in items if item is not None]

    def rows_of(self, section: str) -> list[tuple[str, str]]:
        """(keys, what it does) under one heading."""
        return [(keys, what) for heading, keys, what in self.shown_rows() if heading == section]

    def shortcut_texts(self) -> list[str]:
        """The Keys column as shown."""
        return [keys for _, keys, _ in self.shown_rows()]
