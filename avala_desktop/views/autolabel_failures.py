"""The Auto-Label dialog's list of assets that failed, each with its reason, and "Retry failed".

Rows come in batches (the dialog hands over what arrived in the last UI tick), so a run with
many failures costs one table update per tick, not one per asset.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from avala_desktop.views.settings_format import category_title

COLUMNS = ("Asset", "Problem", "What to do")


@dataclass(frozen=True)
class FailedAsset:
    asset_id: str
    asset_name: str
    category: str | None
    message: str


class FailureList(QWidget):
    """`retryRequested(list[str])`: the ids of every listed asset, for a run scoped to them."""

    retryRequested = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: dict[str, int] = {}
        self._retry_allowed = True
        self.title = QLabel("Failed assets", self)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("failureTable")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(0, 180)
        self.retry_button = QPushButton("Retry failed", self)
        self.retry_button.setObjectName("retryFailed")
        self.retry_button.setToolTip("Start a new run over exactly these assets")
        self.retry_button.clicked.connect(lambda: self.retryRequested.emit(self.failed_ids()))
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.retry_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        self._update_title()

    def clear(self) -> None:
        self._rows.clear()
        self.table.setRowCount(0)
        self._update_title()

    def add(self, failures: Iterable[FailedAsset]) -> None:
        """Append (or, for an asset already listed, replace) rows, in one table update."""
        items = list(failures)
        if not items:
            return
        self.table.setUpdatesEnabled(False)
        try:
            for failure in items:
                row = self._rows.get(failure.asset_id)
                if row is None:
                    row = self.table.rowCount()
                    self.table.insertRow(row)
                    self._rows[failure.asset_id] = row
                cells = (failure.asset_name, category_title(failure.category), failure.message)
                for column, text in enumerate(cells):
                    item = QTableWidgetItem(text)
                    item.setToolTip(text)
                    item.setData(Qt.ItemDataRole.UserRole, failure.asset_id)
                    self.table.setItem(row, column, item)
        finally:
            self.table.setUpdatesEnabled(True)
        self._update_title()

    def failed_ids(self) -> list[str]:
        return list(self._rows)

    def row_texts(self, row: int) -> tuple[str, str, str]:
        cells = [self.table.item(row, c) for c in range(len(COLUMNS))]
        a, b, c = (cell.text() if cell is not None else "" for cell in cells)
        return a, b, c

    def set_retry_allowed(self, allowed: bool) -> None:
        """Retry needs the dialog idle (one run at a time) and something to retry."""
        self._retry_allowed = allowed
        self.retry_button.setEnabled(allowed and bool(self._rows))

    def _update_title(self) -> None:
        count = len(self._rows)
        self.title.setText(f"Failed assets ({count})" if count else "No failed assets")
        self.retry_button.setEnabled(self._retry_allowed and bool(count))
