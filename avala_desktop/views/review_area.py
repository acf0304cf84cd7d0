"""The window's centre: a message banner over the welcome page, the 2D canvas, or the 3D view.

Images and video frames go to the 2D canvas, read on a background thread (the UI never waits
for a decode). Point clouds go to the 3D review page (``views.pointcloud_review``), made when
a point cloud is first shown: its module is imported then, which keeps start-up fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from avala_desktop.canvas.view2d import Canvas2D
from avala_desktop.core.store import Asset, ProjectStore
from avala_desktop.views.image_loader import ImageLoader

if TYPE_CHECKING:
    from avala_desktop.views.pointcloud_review import PointCloudReview

# A stand-in canvas image for an unreadable file is only made up to this many pixels.
_PLACEHOLDER_MAX_PIXELS = 40_000_000

_REFUSAL_TIMEOUT_MS = 6000
_BANNER_COLORS = {"info": "#1f4e79", "warning": "#7a5200", "error": "#7a1f1f"}


class Banner(QFrame):
    """A one-line message across the top of the view, e.g. why Submit was refused."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.text = QLabel(self)
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton(self)
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.text, 1)
        layout.addWidget(close)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.hide)
        self.level = "info"
        self.hide()

    def show_message(self, text: str, level: str = "info", timeout_ms: int = 0) -> None:
        self.level = level
        color = _BANNER_COLORS.get(level, _BANNER_COLORS["info"])
        self.setStyleSheet(f"#banner {{ background: {color}; }} #banner QLabel, "
                           f"#banner QToolButton {{ color: white; }}")
        self.text.setText(text)
        self.show()
        if timeout_ms:
            self._timer.start(timeout_ms)
        else:
            self._timer.stop()


class WelcomePage(QWidget):
    """Shown with no project open: open a folder, pick a recent project, or drop one here."""

    openRequested = Signal(str)  # a folder, or "" to ask with a dialog

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = QLabel("<h2>avala-desktop</h2>Review model pre-annotations: accept, correct or "
                       "delete each one.", self)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        open_button = QPushButton("Open Project Folder…", self)
        open_button.clicked.connect(lambda: self.openRequested.emit(""))
        hint = QLabel("…or drop a folder anywhere in this window. A folder of images that is "
                      "not a project yet is made into one.", self)
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setWordWrap(True)
        self.recent = QListWidget(self)
        self.recent.setMaximumWidth(560)
        self.recent.itemActivated.connect(
            lambda item: self.openRequested.emit(item.data(Qt.ItemDataRole.UserRole)))
        self.recent_title = QLabel("<b>Recent projects</b>", self)
        column = QVBoxLayout()
        column.addStretch(1)
        column.addWidget(title)
        column.addSpacing(12)
        column.addWidget(open_button, 0, Qt.AlignmentFlag.AlignHCenter)
        column.addWidget(hint)
        column.addSpacing(16)
        column.addWidget(self.recent_title, 0, Qt.AlignmentFlag.AlignHCenter)
        column.addWidget(self.recent, 0, Qt.AlignmentFlag.AlignHCenter)
        column.addStretch(2)
        layout = QHBoxLayout(self)
        layout.addStretch(1)
        layout.addLayout(column, 3)
        layout.addStretch(1)

    def set_recent(self, folders: list[Path]) -> None:
        self.recent.clear()
        for folder in folders:
            item = QListWidgetItem(f"{folder.name}    —    {folder}")
            item.setData(Qt.ItemDataRole.UserRole, str(folder))
            self.recent.addItem(item)
        self.recent.setVisible(bool(folders))
        self.recent_title.setVisible(bool(folders))


class ReviewArea(QWidget):
    """``imageShown(asset_id)`` once an asset's pixels are on the canvas;
    ``imageFailed(asset_id, message)`` when they cannot be read; ``cloudMessage(text)``
    relays the 3D page's status messages and ``cloudSelectionChanged(ids)`` its selection
    when the user changes it; the 3D page's refusals (a submitted asset) go to the banner."""

    imageShown = Signal(str)
    imageFailed = Signal(str, str)
    cloudMessage = Signal(str)  # the 3D view's own status messages
    cloudSelectionChanged = Signal(list)  # the 3D page's selection, changed by the user

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.banner = Banner(self)
        self.stack = QStackedWidget(self)
        self.welcome = WelcomePage(self)
        self.canvas = Canvas2D(self)
        for page in (self.welcome, self.canvas):
            self.stack.addWidget(page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        layout.addWidget(self.stack, 1)
        self.loader = ImageLoader(threads=1, parent=self)
        self.loader.loaded.connect(self._image_loaded)
        self.loader.failed.connect(self._image_failed)
        self._request: int | None = None
        self._loaded_asset: str | None = None
        self.cloud_view: PointCloudReview | None = None
        self._asset: Asset | None = None

    # --- pages -------------------------------------------------------------------------------

    def show_welcome(self) -> None:
        self._asset = None
        self._request = None
        self.stack.setCurrentWidget(self.welcome)

    def loaded_asset(self) -> str | None:
        """The asset whose pixels the canvas shows now (None while loading)."""
        return self._loaded_asset

    def show_asset(self, asset: Asset, store: ProjectStore, undo_stack: Any) -> None:
        self._asset = asset
        if asset.type == "point_cloud":
            self._request = None
            self._show_cloud(asset, store, undo_stack)
            return
        self.stack.setCurrentWidget(self.canvas)
        if self._loaded_asset == asset.id:
            return
        self._loaded_asset = None
        self.loader.clear_queue()  # a newer asset makes queued reads pointless
        self._request = self.loader.request(store.asset_abspath(asset), asset)

    def shutdown(self) -> None:
        """Joins the image thread and closes the 3D view (which stops its own workers)."""
        self._request = None
        self.loader.shutdown()
        if self.cloud_view is not None:
            self.cloud_view.shutdown()
            self.cloud_view.close()

    def reset_project(self) -> None:
        """Forget the previous project's 3D view and pixels (a new store, a new stack)."""
        self._loaded_asset = None
        self._request = None
        if self.cloud_view is not None:
            self.cloud_view.shutdown()
            self.cloud_view.close()
            self.stack.removeWidget(self.cloud_view)
            self.cloud_view.deleteLater()
            self.cloud_view = None

    # --- 3D ----------------------------------------------------------------------------------

    def _show_cloud(self, asset: Asset, store: ProjectStore, undo_stack: Any) -> None:
        if self.cloud_view is None:
            from avala_desktop.views.pointcloud_review import make_pointcloud_review

            self.cloud_view = make_pointcloud_review(store, undo_stack, self)
            self.stack.addWidget(self.cloud_view)
            self.cloud_view.statusMessage.connect(self.cloudMessage)
            self.cloud_view.editRefused.connect(
                lambda text: self.banner.show_message(text, "warning", _REFUSAL_TIMEOUT_MS))
            self.cloud_view.selectionChanged.connect(self.cloudSelectionChanged)
        self.stack.setCurrentWidget(self.cloud_view)
        self.cloud_view.show_asset(asset)

    def set_cloud_selection(self, ids: Sequence[str]) -> None:
        """Selects boxes on the 3D page (no cloudSelectionChanged back)."""
        if self.cloud_view is not None:
            self.cloud_view.set_selection(ids)

    def cloud_selection(self) -> list[str]:
        return [] if self.cloud_view is None else self.cloud_view.selection()

    # --- image loading -------------------------------------------------------------------------

    def _image_loaded(self, request: int, asset_id: str, image: QImage,
                      levels: list[QImage]) -> None:
        if request != self._request:
            return  # the person moved on to another asset meanwhile
        self._request = None
        self.canvas.set_image(image, levels)
        self._loaded_asset = asset_id
        self.imageShown.emit(asset_id)

    def _image_failed(self, request: int, asset_id: str, message: str) -> None:
        if request != self._request:
            return
        self._request = None
        asset = self._asset
        # Keep the annotations reviewable on a blank frame of the right size.
        w, h = (asset.width, asset.height) if asset is not None else (None, None)
        blank = QImage()
        if w and h and w * h <= _PLACEHOLDER_MAX_PIXELS:
            blank = QImage(w, h, QImage.Format.Format_RGB32)
            blank.fill(QColor(60, 60, 64))
        self.canvas.set_image(blank)
        self._loaded_asset = asset_id
        self.banner.show_message(f"The image cannot be shown: {message}. Its annotations are "
                                 f"drawn on a blank frame.", "error")
        self.imageFailed.emit(asset_id, message)

