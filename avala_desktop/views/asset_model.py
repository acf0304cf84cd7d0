"""The asset browser's list model: the project's assets, filtered in SQL by the store.

Filters (status, label, provider, search text) become one ``ProjectStore.assets`` query. A
refresh that leaves the same rows in the same order only signals ``dataChanged`` for rows
whose status changed, so the view keeps its selection and scroll position while a run or a
review changes statuses underneath it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from avala_desktop.core.store import Asset, AssetStatus, ProjectStore
from avala_desktop.views.thumbnails import ThumbnailCache

AssetRole = Qt.ItemDataRole.UserRole + 1
StatusRole = Qt.ItemDataRole.UserRole + 2
ThumbnailRole = Qt.ItemDataRole.UserRole + 3

STATUS_TEXT: dict[AssetStatus, str] = {
    AssetStatus.UNLABELED: "unlabeled",
    AssetStatus.PENDING_REVIEW: "pending review",
    AssetStatus.REVIEWED: "reviewed",
    AssetStatus.SUBMITTED: "submitted",
}
STATUS_COLOR: dict[AssetStatus, QColor] = {
    AssetStatus.UNLABELED: QColor(120, 124, 132),
    AssetStatus.PENDING_REVIEW: QColor(230, 159, 0),
    AssetStatus.REVIEWED: QColor(0, 158, 115),
    AssetStatus.SUBMITTED: QColor(86, 180, 233),
}
TYPE_TEXT = {"image": "image", "point_cloud": "point cloud", "video_frame": "video frame"}

Index = QModelIndex | QPersistentModelIndex
PATCH_LIMIT = 100  # more changed assets than this: one query for the whole list


@dataclass(frozen=True)
class AssetFilter:
    status: AssetStatus | None = None
    label: str | None = None
    provider_id: str | None = None
    search: str = ""


class AssetListModel(QAbstractListModel):
    def __init__(self, store: ProjectStore, thumbnails: ThumbnailCache,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._thumbs = thumbnails
        self._assets: list[Asset] = []
        self._rows: dict[str, int] = {}
        self._filter = AssetFilter()
        thumbnails.ready.connect(self._thumbnail_ready)
        thumbnails.failed.connect(self._thumbnail_failed)

    # --- Qt model API ------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._assets)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._assets):
            return None
        asset = self._assets[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return asset.display_name
        if role == AssetRole:
            return asset
        if role == StatusRole:
            return asset.status
        if role == ThumbnailRole:
            image = self._thumbs.get(asset)
            if image is None:
                self._thumbs.request(asset, self._store.asset_abspath(asset))
            return image
        if role == Qt.ItemDataRole.ToolTipRole:
            size = f", {asset.width}x{asset.height}" if asset.width and asset.height else ""
            tip = (f"{asset.display_name}\n{TYPE_TEXT.get(asset.type, asset.type)}{size}, "
                   f"{STATUS_TEXT[asset.status]}")
            problem = self._thumbs.error(asset.id)
            return f"{tip}\n{problem}" if problem else tip
        return None

    # --- content -----------------------------------------------------------------------------

    @property
    def filter(self) -> AssetFilter:
        return self._filter

    def set_filter(self, new: AssetFilter) -> None:
        if new != self._filter:
            self._filter = new
            self.refresh()

    def assets(self) -> list[Asset]:
        return list(self._assets)

    def asset_at(self, row: int) -> Asset | None:
        return self._assets[row] if 0 <= row < len(self._assets) else None

    def row_of(self, asset_id: str) -> int | None:
        return self._rows.get(asset_id)

    def refresh(self, changed: Collection[str] | None = None) -> None:
        """Re-reads the assets under the current filter. With ``changed`` (asset ids whose
        status may have changed) only those rows are re-read, when the filter cannot make
        them appear or disappear and they are few."""
        f = self._filter
        if (changed is not None and len(changed) <= PATCH_LIMIT and f.status is None
                and f.label is None and f.provider_id is None
                and all(asset_id in self._rows for asset_id in changed)):
            for asset_id in changed:
                row = self._rows[asset_id]
                fresh_one = self._store.asset(asset_id)
                if fresh_one is not None and fresh_one != self._assets[row]:
                    self._assets[row] = fresh_one
                    index = self.index(row)
                    self.dataChanged.emit(index, index)
            return
        fresh = self._store.assets(
            statuses=[f.status] if f.status is not None else None,
            label=f.label,
            provider_id=f.provider_id,
            search=f.search.strip() or None,
        )
        if [a.id for a in fresh] == [a.id for a in self._assets]:
            for row, (old, new) in enumerate(zip(self._assets, fresh, strict=True)):
                if old != new:
                    self._assets[row] = new
                    index = self.index(row)
                    self.dataChanged.emit(index, index)
            return
        self.beginResetModel()
        self._assets = fresh
        self._rows = {a.id: i for i, a in enumerate(fresh)}
        self.endResetModel()

    def _thumbnail_failed(self, asset_id: str, _why: str) -> None:
        self._thumbnail_ready(asset_id)  # the tooltip now carries the reason

    def _thumbnail_ready(self, asset_id: str) -> None:
        row = self._rows.get(asset_id)
        if row is not None:
            index = self.index(row)
            self.dataChanged.emit(index, index, [ThumbnailRole])
