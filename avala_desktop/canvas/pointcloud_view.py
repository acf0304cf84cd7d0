"""PointCloudView: the 3D review layout - a big perspective view beside top, side and front
views of the selected cuboid - with its cuboids drawn over the points.

The view never owns annotations and never touches the store. User edits come out as signals
and are previewed locally; the review widget turns them into undoable commands and answers
with ``set_items`` / ``update_item``. Programmatic calls do not emit signals.

- ``cuboidEdited(id, old_geometry, new_geometry, merge_id)``: a drag sends one per event-loop
  turn while it runs, all with the same merge id (one undo step), the last one on release;
- ``cuboidEditCancelled(id, merge_id)``: Escape abandoned a drag whose steps were already
  sent; the receiver takes that undo step back;
- ``cuboidCreated(geometry)``: a box drawn in the top view (C, then drag its footprint);
- ``selectionChanged(ids)``: the user picked boxes (click in any view);
- ``editRefused(reason)``: the view is read-only (``set_read_only(reason)``, a submitted
  asset) and someone tried to drag a handle or draw a box; nothing changed.

The orthographic views follow the selected box (turned with it: its heading points up in the
top view and to the right in the side view); with nothing selected the top view shows the
whole cloud from above and the side and front views wait for a selection.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QPainter, QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QSplitter, QVBoxLayout, QWidget

from avala_desktop.canvas import qt_guard  # noqa: F401  (PySide6 refcount workaround)
from avala_desktop.canvas.cloud3d import ColorMode, PreparedCloud
from avala_desktop.canvas.cuboid_overlay import CuboidOverlay
from avala_desktop.canvas.cuboid_tools import pick
from avala_desktop.canvas.edit3d import CuboidEditor
from avala_desktop.canvas.ortho_framing import OrthoAdjust, box_camera, overview_camera
from avala_desktop.canvas.pointcloud_render import RenderCloud
from avala_desktop.canvas.scene3d import CuboidItem, Scene3D
from avala_desktop.canvas.viewport3d import ORTHO_KINDS, CloudViewport, ViewKind
from avala_desktop.core.camera3d import Camera, OrbitCamera, OrthoCamera, unproject_ortho
from avala_desktop.core.geometry3d import Cuboid

_TITLES = {"perspective": "", "top": "Top", "side": "Side", "front": "Front"}
_HINTS = {
    "side": "Select a box to see it from the side",
    "front": "Select a box to see it from the front",
}
SMALL_CLOUD_POINTS = 300_000  # up to this many points, 2 px splats fill the view better


class PointCloudView(QWidget):
    cuboidEdited = Signal(str, dict, dict, int)  # id, old geometry, new geometry, merge id
    cuboidEditCancelled = Signal(str, int)  # id, merge id of a drag abandoned with Escape
    cuboidCreated = Signal(dict)  # canonical bounding_box_3d geometry
    selectionChanged = Signal(list)  # list[str]; user changes only
    drawModeChanged = Signal(bool)
    editRefused = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scene = Scene3D()
        self.overlay = CuboidOverlay()
        self.editor = CuboidEditor(self)
        self._cloud: PreparedCloud | None = None
        self._orbit = OrbitCamera()
        self._ortho: dict[str, OrthoAdjust] = {k: OrthoAdjust() for k in ORTHO_KINDS}
        self._overview = OrthoAdjust()
        self._fit_dims: np.ndarray | None = None  # the selected box's size when it was chosen
        self._frozen: dict[str, OrthoCamera] = {}
        self._interacting = False
        self._merge_ids = 0
        self._primary_id: str | None = None
        self._message = ""
        self._read_only: str | None = None
        self._sized = False
        self._pending_edit: tuple[str, dict[str, Any], dict[str, Any], int] | None = None
        self._flush = QTimer(self)
        self._flush.setSingleShot(True)
        self._flush.setInterval(0)
        self._flush.timeout.connect(self.flush_edits)

        self._views: dict[str, CloudViewport] = {
            kind: CloudViewport(self, kind) for kind in ("perspective", *ORTHO_KINDS)
        }
        self._views["perspective"].setMinimumSize(320, 240)
        column = QWidget()
        col_layout = QVBoxLayout(column)
        col_layout.setContentsMargins(0, 0, 0, 0)
        col_layout.setSpacing(3)
        for kind in ORTHO_KINDS:
            col_layout.addWidget(self._views[kind], 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self._views["perspective"])
        splitter.addWidget(column)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self._splitter = splitter

    def showEvent(self, event: QShowEvent) -> None:
        if not self._sized:
            # Stretch factors only share out extra room; give the small views a fair column.
            self._sized = True
            total = max(self.width(), 400)
            self._splitter.setSizes([total * 7 // 10, total - total * 7 // 10])
        super().showEvent(event)

    # --- public API: content ----------------------------------------------------------------

    def set_cloud(self, cloud: PreparedCloud | None) -> None:
        """Shows a prepared cloud (None: nothing) and frames it."""
        self.editor.abandon()
        self._cloud = cloud
        self.reset_views()

    def set_message(self, text: str) -> None:
        """What the perspective view says while it has no cloud (loading, an error)."""
        self._message = text
        self._views["perspective"].update()

    def cloud(self) -> PreparedCloud | None:
        return self._cloud

    def cloud_points(self) -> np.ndarray | None:
        return None if self._cloud is None else self._cloud.points

    def set_color_mode(self, mode: ColorMode) -> bool:
        """Colours points by height or intensity; False when the cloud has no intensity."""
        if self._cloud is None or not self._cloud.set_color_mode(mode):
            return False
        self._request_renders()
        return True

    def set_items(self, items: Iterable[CuboidItem]) -> None:
        """Replaces every box (a new asset, a reload after a command)."""
        self.scene.set_items(items)
        g_item = self._primary_id
        if self.editor.busy and (g_item is None or self.scene.get(g_item) is None):
            self.editor.abandon()
        self._after_content_change()

    def update_item(self, item: CuboidItem) -> None:
        self.scene.put(item)
        self._after_content_change()

    def remove_item(self, item_id: str) -> None:
        self.scene.remove(item_id)
        self._after_content_change()

    def items(self) -> list[CuboidItem]:
        return self.scene.items

    def item(self, item_id: str) -> CuboidItem | None:
        return self.scene.get(item_id)

    def set_show_captions(self, show: bool) -> None:
        self.overlay.show_captions = show
        self.refresh_overlays()

    # --- public API: selection, tools, views -------------------------------------------------

    def selection(self) -> list[str]:
        return self.scene.selection

    def set_selection(self, ids: Iterable[str]) -> None:
        """Selects boxes (no selectionChanged: the caller already knows)."""
        if self.scene.set_selection(ids):
            self._after_selection_change()

    def set_read_only(self, reason: str | None) -> None:
        """Locks (with the reason a refused edit reports) or unlocks every box."""
        if reason == self._read_only:
            return
        self._read_only = reason
        if reason is not None:
            self.editor.cancel()  # a drag in progress, or draw mode
        self.refresh_overlays()

    def read_only_reason(self) -> str | None:
        return self._read_only

    def is_read_only(self) -> bool:
        return self._read_only is not None

    def refuse_edit(self) -> None:
        if self._read_only is not None:
            self.editRefused.emit(self._read_only)

    def start_draw(self) -> None:
        """Next drag in the top view draws a new box (Escape cancels)."""
        if self._read_only is not None:
            self.refuse_edit()
            return
        if self.editor.busy or self._cloud is None:
            return
        self.editor.draw_mode = True
        self.drawModeChanged.emit(True)
        self.refresh_overlays()

    def draw_mode(self) -> bool:
        return self.editor.draw_mode

    def viewport(self, kind: ViewKind) -> CloudViewport:
        return self._views[kind]

    def orbit_camera(self) -> OrbitCamera:
        return self._orbit

    def reset_views(self) -> None:
        """Frames the whole cloud in the perspective view and refits the orthographic ones."""
        points = self.cloud_points()
        self._orbit = OrbitCamera() if points is None else OrbitCamera.framing(points)
        self._overview = OrthoAdjust()
        self._ortho = {k: OrthoAdjust() for k in ORTHO_KINDS}
        self._request_renders()

    def focus_on(self, item_id: str) -> None:
        """Orbits around the box, close enough to see it well."""
        box = self.scene.box_of(item_id)
        if box is None:
            return
        distance = max(3.0 * float(np.linalg.norm(box.dims)), 6.0)
        self.set_orbit(OrbitCamera(target=box.center, distance=distance,
                                   azimuth=self._orbit.azimuth, elevation=self._orbit.elevation,
                                   fov_y=self._orbit.fov_y))

    # --- host interface for the viewports and the editor -------------------------------------

    def camera(self, kind: ViewKind, width: int, height: int) -> Camera | None:
        if kind == "perspective":
            return self._orbit
        frozen = self._frozen.get(kind)
        if frozen is not None:
            return frozen
        primary = self.scene.primary
        if primary is None:
            if kind == "top" and self._cloud is not None:
                return overview_camera(self._cloud.bounds, self._overview, width, height)
            return None
        box = self.scene.box_of(primary.id)
        assert box is not None
        return box_camera(kind, box, self._fit_dims, self._ortho[kind], width, height)

    def render_source(self, kind: ViewKind, camera: Camera, width: int,
                      height: int) -> tuple[RenderCloud | None, int, tuple[Any, ...]]:
        cloud = self._cloud
        if cloud is None:
            return None, 1, ("none",)
        if kind == "perspective":
            fast = self._interacting
            source = cloud.fast() if fast else cloud.full
        else:
            assert isinstance(camera, OrthoCamera)
            radius = math.hypot(width, height) / 2.0 / camera.scale + 1.0
            source = cloud.around(camera.center, radius)
        size = 2 if len(source) <= SMALL_CLOUD_POINTS or kind != "perspective" else 1
        return source, size, (source, cloud.version)

    def paint_overlay(self, viewport: CloudViewport, p: QPainter, camera: Camera | None) -> None:
        kind, w, h = viewport.kind, viewport.width(), viewport.height()
        if self._cloud is None:
            if kind == "perspective":
                self.overlay.paint_hint(p, self._message or "No point cloud", w, h)
        elif camera is None:
            self.overlay.paint_hint(p, _HINTS[kind], w, h)
        if camera is not None:
            self.overlay.paint_boxes(p, self.scene.drawn(), camera, w, h,
                                     selection=set(self.scene.selection))
            primary = self.scene.primary
            if kind != "perspective" and primary is not None and not self.editor.draw_mode \
                    and self._read_only is None:
                box = self.scene.box_of(primary.id)
                assert box is not None and isinstance(camera, OrthoCamera)
                self.overlay.paint_handles(p, primary, box, kind, camera, w, h,
                                           self.editor.active_handle)
            draft = self.editor.draft_rect(kind)
            if draft is not None:
                self.overlay.paint_draft(p, draft)
        title = _TITLES[kind]
        if kind == "perspective" and self.editor.draw_mode:
            title = "Drawing a box: drag its footprint in the top view (Esc cancels)"
        elif kind == "perspective" and self._read_only is not None:
            title = "Submitted · read-only"
        if title:
            self.overlay.paint_title(p, title)

    def view_press(self, viewport: CloudViewport, pos: QPointF,
                   modifiers: Qt.KeyboardModifier) -> bool:
        return self.editor.press(viewport.kind, viewport.width(), viewport.height(), pos)

    def view_move(self, viewport: CloudViewport, pos: QPointF) -> bool:
        self.editor.move(pos)
        return True

    def view_release(self, viewport: CloudViewport, pos: QPointF) -> bool:
        self.editor.release(pos)
        return True

    def view_hover(self, viewport: CloudViewport, pos: QPointF) -> Qt.CursorShape | None:
        if viewport.kind == "perspective":
            return None
        return self.editor.cursor(viewport.kind, viewport.width(), viewport.height(), pos)

    def view_click(self, viewport: CloudViewport, pos: QPointF,
                   modifiers: Qt.KeyboardModifier) -> None:
        if viewport.kind != "perspective":
            return
        hit = self._pick(viewport, pos)
        current = self.scene.selection
        if modifiers & Qt.KeyboardModifier.ControlModifier:
            if hit is None:
                return
            chosen = [i for i in current if i != hit] if hit in current else [*current, hit]
        else:
            chosen = [] if hit is None else [hit]
        self.select_by_user(chosen)

    def view_double_click(self, viewport: CloudViewport, pos: QPointF) -> None:
        hit = self._pick(viewport, pos)
        if hit is not None:
            self.select_by_user([hit])
            self.focus_on(hit)

    def view_key(self, event: QKeyEvent) -> bool:
        key, mods = event.key(), event.modifiers()
        if mods & ~Qt.KeyboardModifier.KeypadModifier:
            return False
        if key == Qt.Key.Key_Escape:
            return self.editor.cancel()
        if key == Qt.Key.Key_R:
            self.reset_views()
        elif key == Qt.Key.Key_F and self.scene.primary is not None:
            self.focus_on(self.scene.primary.id)
        elif key in (Qt.Key.Key_C, Qt.Key.Key_B):  # B: the 2D canvas's box tool key
            self.start_draw()
        else:
            return False
        return True

    def set_orbit(self, camera: OrbitCamera) -> None:
        self._orbit = camera
        self._views["perspective"].request_render()

    def pan_ortho(self, kind: ViewKind, dx: float, dy: float) -> None:
        viewport = self._views[kind]
        camera = self.camera(kind, viewport.width(), viewport.height())
        if not isinstance(camera, OrthoCamera):
            return
        self._adjust(kind).pan_by(camera, dx, dy)
        viewport.request_render()

    def zoom_ortho(self, kind: ViewKind, factor: float, pos: QPointF) -> None:
        viewport = self._views[kind]
        w, h = viewport.width(), viewport.height()
        camera = self.camera(kind, w, h)
        if not isinstance(camera, OrthoCamera) or kind in self._frozen:
            return
        anchor = unproject_ortho(pos.x(), pos.y(), camera, w, h)
        self._adjust(kind).zoom_by(camera, factor, anchor)
        viewport.request_render()

    def set_interacting(self, on: bool) -> None:
        if on != self._interacting:
            self._interacting = on
            if not on:
                self._views["perspective"].request_render()

    def freeze_camera(self, kind: str, camera: OrthoCamera | None) -> None:
        if camera is None:
            self._frozen.pop(kind, None)
            self._views[kind].request_render()
        else:
            self._frozen[kind] = camera

    def preview_box(self, item_id: str, box: Cuboid | None) -> None:
        if box is None:
            self.scene.clear_preview()
        else:
            self.scene.set_preview(item_id, box)
        self._after_content_change()

    def commit_preview(self, item_id: str) -> None:
        """End of a drag: the item keeps the dragged box until the store's version arrives."""
        box = self.scene.box_of(item_id)
        item = self.scene.get(item_id)
        self.scene.clear_preview()
        if item is not None and box is not None and box is not item.box:
            self.scene.put(item.with_box(box))
        self._after_content_change()

    def queue_edit(self, item_id: str, old: dict[str, Any], new: dict[str, Any],
                   merge_id: int) -> None:
        pending = self._pending_edit
        if pending is not None and (pending[0], pending[3]) != (item_id, merge_id):
            self.flush_edits()
        self._pending_edit = (item_id, old, new, merge_id)
        if not self._flush.isActive():
            self._flush.start()

    def flush_edits(self) -> None:
        """Sends the queued edit now (a drag's last step is sent on release)."""
        self._flush.stop()
        pending, self._pending_edit = self._pending_edit, None
        if pending is not None:
            self.cuboidEdited.emit(*pending)

    def cancel_edits(self, item_id: str, merge_id: int, *, sent: bool) -> None:
        """Escape during a drag: forget its unsent step; if steps went out, say so."""
        pending = self._pending_edit
        if pending is not None and (pending[0], pending[3]) == (item_id, merge_id):
            self._flush.stop()
            self._pending_edit = None
        if sent:
            self.cuboidEditCancelled.emit(item_id, merge_id)

    def new_merge_id(self) -> int:
        self._merge_ids += 1
        return self._merge_ids

    def select_by_user(self, ids: list[str]) -> None:
        if self.scene.set_selection(ids):
            self._after_selection_change()
            self.selectionChanged.emit(self.scene.selection)

    def emit_created(self, geometry: dict[str, Any]) -> None:
        self.cuboidCreated.emit(geometry)

    def end_draw_mode(self) -> None:
        if self.editor.draw_mode:
            self.editor.draw_mode = False
            self.drawModeChanged.emit(False)
            self.refresh_overlays()

    def refresh_overlays(self) -> None:
        for viewport in self._views.values():
            viewport.update()

    # --- internals ----------------------------------------------------------------------------

    def _adjust(self, kind: str) -> OrthoAdjust:
        return self._overview if self.scene.primary is None else self._ortho[kind]

    def _pick(self, viewport: CloudViewport, pos: QPointF) -> str | None:
        camera = viewport.camera()
        if camera is None:
            return None
        boxes = [(item.id, box) for item, box in self.scene.drawn()]
        return pick(boxes, camera, viewport.width(), viewport.height(), pos.x(), pos.y())

    def _after_selection_change(self) -> None:
        primary = self.scene.primary
        new_id = None if primary is None else primary.id
        if new_id != self._primary_id:
            self._primary_id = new_id
            self._ortho = {k: OrthoAdjust() for k in ORTHO_KINDS}
            self._fit_dims = None if primary is None else primary.box.dims.copy()
        self._after_content_change()

    def _after_content_change(self) -> None:
        primary = self.scene.primary
        if (None if primary is None else primary.id) != self._primary_id:
            self._after_selection_change()
            return
        for kind in ORTHO_KINDS:
            self._views[kind].request_render()
        self.refresh_overlays()

    def _request_renders(self) -> None:
        for viewport in self._views.values():
            viewport.request_render()
        self.refresh_overlays()

