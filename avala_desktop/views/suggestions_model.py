"""The suggestions table's model: one row per shown annotation of the current asset.

The model is a thin view over store records; it never writes. Editing the Label cell emits
``relabelRequested(annotation_id, label)``, which the review controller turns into a
RelabelCommand, and the new record comes back through ``set_records``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtCore import Signal as QtSignal
from PySide6.QtGui import QColor, QFont

from avala_desktop.canvas.shapes2d import label_color
from avala_desktop.core.store import AnnotationRecord, Origin, ReviewState

COLUMNS = ("Type", "Label", "Confidence", "State", "Origin")
TYPE_COL, LABEL_COL, CONFIDENCE_COL, STATE_COL, ORIGIN_COL = range(len(COLUMNS))
RecordRole = Qt.ItemDataRole.UserRole + 1
IdRole = Qt.ItemDataRole.UserRole + 2

TYPE_WORDS = {
    "bounding_box": "box",
    "polygon": "polygon",
    "polyline": "polyline",
    "segmentation_mask": "mask",
    "classification": "classification",
    "bounding_box_3d": "3D box",
}
STATE_COLOR = {
    ReviewState.PENDING: QColor(230, 159, 0),
    ReviewState.ACCEPTED: QColor(0, 158, 115),
    ReviewState.EDITED: QColor(86, 180, 233),
    ReviewState.REJECTED: QColor(150, 150, 150),
}

Index = QModelIndex | QPersistentModelIndex


class SuggestionsModel(QAbstractTableModel):
    relabelRequested = QtSignal(str, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._records: list[AnnotationRecord] = []
        self._rows: dict[str, int] = {}
        self._colors: dict[str, str] = {}
        self._providers: dict[str, str] = {}
        self._bold = QFont()
        self._bold.setBold(True)

    # --- content -----------------------------------------------------------------------------

    def set_records(self, records: Sequence[AnnotationRecord]) -> None:
        new = list(records)
        if [r.id for r in new] == [r.id for r in self._records]:
            for row, (old, fresh) in enumerate(zip(self._records, new, strict=True)):
                if old.revision != fresh.revision or old is not fresh:
                    self._records[row] = fresh
            if self._records:
                self.dataChanged.emit(self.index(0, 0),
                                      self.index(len(self._records) - 1, len(COLUMNS) - 1))
            return
        self.beginResetModel()
        self._records = new
        self._rows = {r.id: i for i, r in enumerate(new)}
        self.endResetModel()

    def set_label_colors(self, colors: Mapping[str, str]) -> None:
        self._colors = dict(colors)
        self._all_changed()

    def set_provider_names(self, names: Mapping[str, str]) -> None:
        self._providers = dict(names)
        self._all_changed()

    def records(self) -> list[AnnotationRecord]:
        return list(self._records)

    def record_at(self, row: int) -> AnnotationRecord | None:
        return self._records[row] if 0 <= row < len(self._records) else None

    def row_of(self, annotation_id: str) -> int | None:
        return self._rows.get(annotation_id)

    def _all_changed(self) -> None:
        if self._records:
            self.dataChanged.emit(self.index(0, 0),
                                  self.index(len(self._records) - 1, len(COLUMNS) - 1))

    # --- Qt model API ------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._records)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        if index.isValid() and index.column() == LABEL_COL:
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        record = self.record_at(index.row()) if index.isValid() else None
        if record is None:
            return None
        col = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return self._text(record, col)
        if role == RecordRole:
            return record
        if role == IdRole:
            return record.id
        if role == Qt.ItemDataRole.DecorationRole and col == LABEL_COL:
            return QColor(self._colors.get(record.label) or label_color(record.label))
        if role == Qt.ItemDataRole.ForegroundRole and col == STATE_COL:
            return STATE_COLOR.get(record.state)
        if role == Qt.ItemDataRole.FontRole and record.state is ReviewState.PENDING:
            return self._bold
        if role == Qt.ItemDataRole.TextAlignmentRole and col == CONFIDENCE_COL:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(record)
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        record = self.record_at(index.row()) if index.isValid() else None
        if record is None or index.column() != LABEL_COL or role != Qt.ItemDataRole.EditRole:
            return False
        label = str(value).strip()
        if label and label != record.label:
            self.relabelRequested.emit(record.id, label)
        # The table changes when the store says so, not before.
        return False

    # --- text --------------------------------------------------------------------------------

    def _text(self, record: AnnotationRecord, col: int) -> str:
        if col == TYPE_COL:
            return TYPE_WORDS.get(record.type, record.type)
        if col == LABEL_COL:
            return record.label
        if col == CONFIDENCE_COL:
            return "—" if record.confidence is None else f"{record.confidence:.2f}"
        if col == STATE_COL:
            return record.state.value
        if record.origin is Origin.HUMAN:
            return "human"
        provider = self._providers.get(record.provider_id or "", record.provider_id or "")
        return f"model · {provider}" if provider else "model"

    def _tooltip(self, record: AnnotationRecord) -> str:
        lines = [f"{TYPE_WORDS.get(record.type, record.type)} “{record.label}”",
                 f"state: {record.state.value}"]
        if record.confidence is not None:
            lines.append(f"model confidence: {record.confidence:.3f}")
        if record.origin is Origin.MODEL:
            provider = self._providers.get(record.provider_id or "", record.provider_id)
            lines.append(f"from: {provider or 'a model'}")
            if record.run_id:
                lines.append(f"run: {record.run_id}")
        else:
            lines.append("drawn by a person")
        lines.append(f"id: {record.id}")
        return "\n".join(lines)
