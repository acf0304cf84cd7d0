"""The suggestions panel: the table of the asset's annotations, the confidence slider and
"Accept all shown".

``selectionChangedByUser(list[str])`` when the person selects rows; ``set_selection`` selects
rows quietly (the canvas told the window first). ``thresholdChanged(float)`` carries the
slider's value (0..1, display only). ``acceptAllRequested()`` asks the controller to accept
what is shown, after it has asked for confirmation.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import (
    QAbstractItemModel,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSlider,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from avala_desktop.views.suggestions_model import (
    COLUMNS,
    CONFIDENCE_COL,
    LABEL_COL,
    STATE_COL,
    TYPE_COL,
    SuggestionsModel,
)

Index = QModelIndex | QPersistentModelIndex


class LabelDelegate(QStyledItemDelegate):
    """Edits the Label cell with a drop-down of the project's labels."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.labels: list[str] = []

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem,
                     index: Index) -> QWidget:
        combo = QComboBox(parent)
        combo.addItems(self.labels)
        # One pick is the whole edit: commit as soon as a label is chosen.
        combo.activated.connect(lambda _i: self.commitData.emit(combo))
        combo.activated.connect(lambda _i: self.closeEditor.emit(combo))
        return combo

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        assert isinstance(editor, QComboBox)
        editor.setCurrentText(str(index.data(Qt.ItemDataRole.EditRole)))
        editor.showPopup()

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: Index) -> None:
        assert isinstance(editor, QComboBox)
        model.setData(index, editor.currentText(), Qt.ItemDataRole.EditRole)


class SuggestionsPanel(QWidget):
    selectionChangedByUser = Signal(list)
    thresholdChanged = Signal(float)
    acceptAllRequested = Signal()

    def __init__(self, model: SuggestionsModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.table = QTableView(self)
        self.table.setModel(model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for col, width in ((TYPE_COL, 96), (LABEL_COL, 104), (CONFIDENCE_COL, 80),
                           (STATE_COL, 70)):
            self.table.setColumnWidth(col, width)
        header.setStretchLastSection(True)
        self.label_delegate = LabelDelegate(self.table)
        self.table.setItemDelegateForColumn(LABEL_COL, self.label_delegate)

        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setRange(0, 100)
        self.slider.setPageStep(5)
        self.slider.setToolTip("Hide pending suggestions below this confidence (display only; "
                               "nothing is deleted)")
        self.slider_value = QLabel("≥ 0.00", self)
        self.slider_value.setMinimumWidth(44)
        self.accept_all = QPushButton("Accept all shown…", self)
        self.accept_all.setToolTip("Accept every pending suggestion shown on this asset")
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)

        slider_row = QHBoxLayout()
        slider_row.addWidget(QLabel("Min. confidence", self))
        slider_row.addWidget(self.slider, 1)
        slider_row.addWidget(self.slider_value)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(slider_row)
        layout.addWidget(self.table, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.summary, 1)
        bottom.addWidget(self.accept_all)
        layout.addLayout(bottom)

        self._quiet = False
        self.table.selectionModel().selectionChanged.connect(self._rows_selected)
        self.slider.valueChanged.connect(self._slider_moved)
        self.accept_all.clicked.connect(self.acceptAllRequested)

    # --- public ------------------------------------------------------------------------------

    def set_labels(self, names: list[str]) -> None:
        self.label_delegate.labels = list(names)

    def threshold(self) -> float:
        return self.slider.value() / 100.0

    def set_threshold(self, value: float) -> None:
        self.slider.setValue(round(value * 100))

    def selected_ids(self) -> list[str]:
        rows = sorted(i.row() for i in self.table.selectionModel().selectedRows())
        return [r.id for r in (self.model.record_at(row) for row in rows) if r is not None]

    def set_selection(self, ids: Iterable[str]) -> None:
        """Selects the rows of these annotations without emitting selectionChangedByUser."""
        wanted = [row for row in (self.model.row_of(i) for i in ids) if row is not None]
        selection = QItemSelection()
        last = len(COLUMNS) - 1
        for row in wanted:
            selection.select(self.model.index(row, 0), self.model.index(row, last))
        self._quiet = True
        try:
            model = self.table.selectionModel()
            flags = (QItemSelectionModel.SelectionFlag.ClearAndSelect
                     | QItemSelectionModel.SelectionFlag.Rows)
            model.select(selection, flags)
            if wanted:
                current = self.model.index(wanted[0], 0)
                model.setCurrentIndex(current, QItemSelectionModel.SelectionFlag.NoUpdate)
                self.table.scrollTo(current)
        finally:
            self._quiet = False

    def set_summary(self, text: str) -> None:
        self.summary.setText(text)

    # --- internals ---------------------------------------------------------------------------

    def _rows_selected(self, *_args: object) -> None:
        if not self._quiet:
            self.selectionChangedByUser.emit(self.selected_ids())

    def _slider_moved(self, value: int) -> None:
        self.slider_value.setText(f"≥ {value / 100:.2f}")
        self.thresholdChanged.emit(value / 100.0)
