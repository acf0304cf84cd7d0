"""The asset browser: thumbnails with a status chip, filters and a search box.

``assetChosen(asset_id)`` when the person picks an asset; ``set_current`` moves the highlight
without echoing the signal (the window calls it when it changes asset by itself, e.g. N).
"""

from __future__ import annotations

from PySide6.QtCore import (
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from avala_desktop.core.store import AssetStatus, Label
from avala_desktop.views.asset_model import (
    STATUS_COLOR,
    STATUS_TEXT,
    TYPE_TEXT,
    AssetFilter,
    AssetListModel,
    AssetRole,
    StatusRole,
    ThumbnailRole,
)
from avala_desktop.views.thumbnails import THUMB_SIDE

ROW_HEIGHT = 64
_THUMB_BOX = 56
SEARCH_DELAY_MS = 200  # typing pauses this long before the list is re-queried


class AssetDelegate(QStyledItemDelegate):
    """Thumbnail on the left, the name and a coloured status chip on the right."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
                 ) -> QSize:
        return QSize(option.rect.width(), ROW_HEIGHT)

    def paint(self, p: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        p.save()
        rect = option.rect
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette = option.palette
        if selected:
            p.fillRect(rect, palette.color(QPalette.ColorRole.Highlight))
        box = QRect(rect.left() + 4, rect.top() + (rect.height() - _THUMB_BOX) // 2,
                    _THUMB_BOX, _THUMB_BOX)
        p.fillRect(box, QColor(30, 32, 36))
        image = index.data(ThumbnailRole)
        if image is not None and not image.isNull():
            scaled = image.size().scaled(box.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRect(0, 0, scaled.width(), scaled.height())
            target.moveCenter(box.center())
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            p.drawImage(target, image)
        text_left = box.right() + 8
        text_rect = QRect(text_left, rect.top() + 6, rect.right() - text_left - 4, 20)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        p.setPen(palette.color(role))
        metrics = QFontMetrics(option.font)
        name = metrics.elidedText(str(index.data()), Qt.TextElideMode.ElideMiddle,
                                  text_rect.width())
        p.drawText(text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)
        # Roles come back through QVariant, which turns the StrEnum into a plain str.
        raw_status = index.data(StatusRole)
        asset = index.data(AssetRole)
        if raw_status in set(AssetStatus):
            status = AssetStatus(raw_status)
            self._chip(p, QRect(text_left, rect.top() + 32, 0, 18), STATUS_TEXT[status],
                       STATUS_COLOR[status], option)
        if asset is not None:
            kind = TYPE_TEXT.get(asset.type, asset.type)
            p.setPen(palette.color(role))
            p.drawText(QRect(text_left, rect.top() + 32, rect.right() - text_left - 4, 18),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, kind)
        p.restore()

    @staticmethod
    def _chip(p: QPainter, rect: QRect, text: str, color: QColor,
              option: QStyleOptionViewItem) -> None:
        metrics = QFontMetrics(option.font)
        rect.setWidth(metrics.horizontalAdvance(text) + 14)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(color)
        p.drawRoundedRect(rect, 9, 9)
        p.setPen(QColor(255, 255, 255) if color.lightness() < 150 else QColor(20, 20, 20))
        p.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)


class AssetBrowser(QWidget):
    assetChosen = Signal(str)

    def __init__(self, model: AssetListModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search assets by name")
        self.search.setClearButtonEnabled(True)
        self.status_filter = QComboBox(self)
        self.status_filter.addItem("Any status", None)
        for status in AssetStatus:
            self.status_filter.addItem(STATUS_TEXT[status].capitalize(), status)
        self.label_filter = QComboBox(self)
        self.provider_filter = QComboBox(self)
        self.set_filter_choices([], {})
        self.count_label = QLabel(self)
        self.list = QListView(self)
        self.list.setModel(model)
        self.list.setItemDelegate(AssetDelegate(self.list))
        self.list.setUniformItemSizes(True)
        self.list.setSelectionMode(QListView.SelectionMode.SingleSelection)
        self.list.setIconSize(QSize(THUMB_SIDE, THUMB_SIDE))
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._apply_filter)
        self._quiet = False
        self._current_id: str | None = None

        filters = QHBoxLayout()
        filters.setSpacing(4)
        filters.addWidget(self.status_filter, 1)
        filters.addWidget(self.label_filter, 1)
        filters.addWidget(self.provider_filter, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addLayout(filters)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.count_label)

        self.search.textChanged.connect(lambda _text: self._search_timer.start())
        for combo in (self.status_filter, self.label_filter, self.provider_filter):
            combo.currentIndexChanged.connect(self._apply_filter)
        self.list.selectionModel().currentChanged.connect(self._current_changed)
        model.modelReset.connect(self._update_count)
        model.modelReset.connect(lambda: self.set_current(self._current_id))
        self._update_count()

    def set_filter_choices(self, labels: list[Label], providers: dict[str, str]) -> None:
        """Refills the label and provider filters, keeping what was chosen if still there."""
        self._refill(self.label_filter, "Any label", [(lb.name, lb.name) for lb in labels])
        self._refill(self.provider_filter, "Any provider",
                     sorted(((name, pid) for pid, name in providers.items()),
                            key=lambda pair: pair[0].lower()))

    def _refill(self, combo: QComboBox, anything: str, items: list[tuple[str, str]]) -> None:
        chosen = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(anything, None)
        for text, value in items:
            combo.addItem(text, value)
        found = combo.findData(chosen) if chosen is not None else 0
        combo.setCurrentIndex(max(0, found))
        combo.blockSignals(False)
        if chosen is not None and found < 0:
            self._apply_filter()

    def set_current(self, asset_id: str | None) -> None:
        self._current_id = asset_id
        row = None if asset_id is None else self.model.row_of(asset_id)
        self._quiet = True
        try:
            selection = self.list.selectionModel()
            if row is None:
                selection.clearSelection()
                selection.setCurrentIndex(QModelIndex(),
                                          QItemSelectionModel.SelectionFlag.NoUpdate)
            else:
                index = self.model.index(row)
                selection.setCurrentIndex(index,
                                          QItemSelectionModel.SelectionFlag.ClearAndSelect)
                self.list.scrollTo(index)
        finally:
            self._quiet = False

    def selected_asset_ids(self) -> list[str]:
        rows = self.list.selectionModel().selectedRows()
        return [a.id for a in (self.model.asset_at(i.row()) for i in rows) if a is not None]

    def _apply_filter(self) -> None:
        self.model.set_filter(AssetFilter(
            status=self.status_filter.currentData(),
            label=self.label_filter.currentData(),
            provider_id=self.provider_filter.currentData(),
            search=self.search.text(),
        ))
        self._update_count()

    def _update_count(self) -> None:
        shown = self.model.rowCount()
        self.count_label.setText(f"{shown} asset{'s' if shown != 1 else ''} shown")

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._quiet or not current.isValid():
            return
        asset = self.model.asset_at(current.row())
        if asset is not None:
            self._current_id = asset.id
            self.assetChosen.emit(asset.id)
