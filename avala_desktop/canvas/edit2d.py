"""The select/edit tool: pick shapes, move them, resize boxes, edit polygon and polyline vertices.

Mouse and keys:
- click: select the smallest shape under the cursor (topmost among equals); Ctrl+click toggles;
  click on empty space clears the selection; double-click on empty space fits the image.
- drag a shape: move it (masks move by whole pixels); drag one of a selected box's 8 handles:
  resize it; drag a selected polygon's or polyline's vertex: move that vertex.
- Alt+click on an edge of a selected polygon/polyline, or double-click on it: insert a vertex
  there (Alt+click and keep dragging to place it in the same step).
- Shift+click on a vertex, or Delete/Backspace with a vertex chosen: delete it, as long as a
  polygon keeps 3 points and a polyline 2.
- arrow keys: nudge the selected shapes by a pixel (Shift: ten).
- Escape: abandon the drag in progress.
While the canvas is read-only (a submitted asset) clicks still select, but nothing moves: a
drag, a vertex insert or delete and a nudge each ask the host to refuse the edit (which says
why) instead.

Signals: a gesture emits ``geometryEdited`` once, on release, with the geometry from before the
gesture and the final one, and a merge id of its own. The canvas shows the drag live by
previewing the item locally. Nudges in a row share one merge id, so an undo stack that merges
commands with equal ids turns a run of arrow presses into one step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QKeyEvent

from avala_desktop.canvas import ops2d
from avala_desktop.canvas.hit2d import box_handles, nearest_edge, nearest_vertex
from avala_desktop.canvas.mask_overlay import colorize
from avala_desktop.canvas.shapes2d import MIN_POINTS, CanvasItem, ItemType
from avala_desktop.canvas.style2d import MASK_ALPHA_SELECTED
from avala_desktop.canvas.tools2d import CanvasTool, Pointer

_HANDLE_CURSORS = (
    Qt.CursorShape.SizeFDiagCursor, Qt.CursorShape.SizeVerCursor, Qt.CursorShape.SizeBDiagCursor,
    Qt.CursorShape.SizeHorCursor, Qt.CursorShape.SizeFDiagCursor, Qt.CursorShape.SizeVerCursor,
    Qt.CursorShape.SizeBDiagCursor, Qt.CursorShape.SizeHorCursor,
)  # fmt: skip


@dataclass
class _Drag:
    kind: str  # "move", "handle" or "vertex"
    start_item: CanvasItem  # the item as it was when the gesture began
    base: CanvasItem  # what the drag applies to (differs from start_item after an insert)
    x: float
    y: float
    index: int = -1  # handle or vertex index
    merge_id: int = 0
    changed: bool = False
    mask_offset: tuple[int, int] = (0, 0)
    refused: bool = False  # read-only: the drag was refused once already


class SelectTool(CanvasTool):
    name = "select"

    def __init__(self, host: Any) -> None:
        super().__init__(host)
        self._drag: _Drag | None = None
        self.active_vertex: tuple[str, int] | None = None
        self._nudge: tuple[str, int] | None = None  # (item id, merge id) of the current run
        self._mask_preview: tuple[str, QImage, int, int] | None = None

    def busy(self) -> bool:
        return self._drag is not None

    # --- press ----------------------------------------------------------------------------

    def press(self, ev: Pointer) -> bool:
        if ev.button != Qt.MouseButton.LeftButton:
            return False
        self._nudge = None
        badge = self.host.badge_at(ev.sx, ev.sy)
        if badge is not None:
            self._select_clicked(badge, ev)
            return True
        tol = self.host.hit_tolerance()
        if self._press_on_selected(ev, tol):
            return True
        hit = self.host.scene.hit(ev.x, ev.y, tol)
        if hit is None:
            if not ev.has(Qt.KeyboardModifier.ControlModifier):
                self.host.select_by_user([])
            self.active_vertex = None
            return True
        self._select_clicked(hit.id, ev)
        if hit.id in self.host.scene.selection:
            self.active_vertex = None
            self._drag = _Drag("move", hit, hit, ev.x, ev.y, merge_id=self.host.new_merge_id())
        return True

    def _select_clicked(self, item_id: str, ev: Pointer) -> None:
        current = self.host.scene.selection
        if ev.has(Qt.KeyboardModifier.ControlModifier):
            chosen = [i for i in current if i != item_id] if item_id in current \
                else [*current, item_id]
        else:
            chosen = current if item_id in current else [item_id]
        if chosen != current:
            self.host.select_by_user(chosen)

    def _press_on_selected(self, ev: Pointer, tol: float) -> bool:
        """Handles, vertices and edges of selected shapes take the click before anything else."""
        scene = self.host.scene
        for item_id in reversed(scene.selection):
            item = scene.get(item_id)
            if item is None or not scene.is_shown(item_id):
                continue
            if item.type is ItemType.BOX:
                i, dist = nearest_vertex(box_handles(*item.bbox), ev.x, ev.y)  # type: ignore[misc]
                if dist <= tol:
                    self._drag = _Drag("handle", item, item, ev.x, ev.y, i,
                                       self.host.new_merge_id())
                    return True
            elif item.type in MIN_POINTS and self._press_on_vertex_or_edge(item, ev, tol):
                return True
        return False

    def _press_on_vertex_or_edge(self, item: CanvasItem, ev: Pointer, tol: float) -> bool:
        i, dist = nearest_vertex(item.points, ev.x, ev.y)
        if dist <= tol:
            if ev.has(Qt.KeyboardModifier.ShiftModifier):
                if self._locked():
                    return True
                self._delete_vertex(item, i)
            else:
                self.active_vertex = (item.id, i)
                self._drag = _Drag("vertex", item, item, ev.x, ev.y, i, self.host.new_merge_id())
            return True
        if ev.has(Qt.KeyboardModifier.AltModifier):
            edge = nearest_edge(item.points, ev.x, ev.y, closed=item.type is ItemType.POLYGON)
            if edge.distance <= tol:
                if self._locked():
                    return True
                inserted = self._insert_vertex(item, edge.start, edge.x, edge.y)
                self._drag = _Drag("vertex", item, inserted, ev.x, ev.y, edge.start + 1,
                                   self.host.new_merge_id(), changed=True)
                return True
        return False

    # --- move / release -------------------------------------------------------------------

    def move(self, ev: Pointer) -> bool:
        drag = self._drag
        if drag is None:
            self._hover(ev)
            return False
        if not ev.buttons & Qt.MouseButton.LeftButton:
            return False
        if self.host.is_read_only():
            # A click with a tremble is still a click; a real drag is refused once.
            moved = max(abs(ev.x - drag.x), abs(ev.y - drag.y)) > self.host.hit_tolerance() / 2
            if moved and not drag.refused:
                drag.refused = True
                self.host.refuse_edit()
            return True
        size = self.host.image_size()
        base = drag.base
        if drag.kind == "move":
            dx, dy = ev.x - drag.x, ev.y - drag.y
            if base.type is ItemType.MASK:
                self._preview_mask_offset(drag, dx, dy, size)
            else:
                self.host.preview_item(base.with_geometry(ops2d.translate(base, dx, dy, size)))
        elif drag.kind == "handle":
            geometry = ops2d.resize_box(base.geometry, drag.index, ev.x, ev.y, size)
            self.host.preview_item(base.with_geometry(geometry))
        else:
            pts = ops2d.move_vertex(base.points, drag.index, ev.x, ev.y, size)
            self.host.preview_item(base.with_geometry(ops2d.points_geometry(pts)))
        drag.changed = True
        return True

    def release(self, ev: Pointer) -> bool:
        drag, self._drag = self._drag, None
        if drag is None or ev.button != Qt.MouseButton.LeftButton:
            self._drag = drag
            return False
        if drag.changed:
            if drag.kind == "move" and drag.base.type is ItemType.MASK:
                self._finish_mask_move(drag)
            current = self.host.scene.get(drag.start_item.id)
            if current is not None and current.geometry != drag.start_item.geometry:
                self.host.emit_edit(current.id, dict(drag.start_item.geometry),
                                    dict(current.geometry), drag.merge_id)
        return True

    def double_click(self, ev: Pointer) -> bool:
        if ev.button != Qt.MouseButton.LeftButton:
            return False
        tol = self.host.hit_tolerance()
        scene = self.host.scene
        for item_id in reversed(scene.selection):
            item = scene.get(item_id)
            if item is None or item.type not in MIN_POINTS:
                continue
            if nearest_vertex(item.points, ev.x, ev.y)[1] <= tol:
                return True
            edge = nearest_edge(item.points, ev.x, ev.y, closed=item.type is ItemType.POLYGON)
            if edge.distance <= tol:
                if self._locked():
                    return True
                inserted = self._insert_vertex(item, edge.start, edge.x, edge.y)
                self.host.emit_edit(item.id, dict(item.geometry), dict(inserted.geometry),
                                    self.host.new_merge_id())
                return True
        if scene.hit(ev.x, ev.y, tol) is None and self.host.badge_at(ev.sx, ev.sy) is None:
            self.host.fit_to_window()
            return True
        return False

    # --- keys -----------------------------------------------------------------------------

    def key_press(self, event: QKeyEvent) -> bool:
        key = event.key()
        if key == Qt.Key.Key_Escape and self._drag is not None:
            self.cancel()
            return True
        vertex = self.active_vertex
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and vertex is not None \
                and vertex[0] in self.host.scene.selection:
            item = self.host.scene.get(vertex[0])
            if item is not None and item.type in MIN_POINTS and vertex[1] < len(item.points):
                if not self._locked():
                    self._delete_vertex(item, vertex[1])
                return True
        steps = {Qt.Key.Key_Left: (-1, 0), Qt.Key.Key_Right: (1, 0), Qt.Key.Key_Up: (0, -1),
                 Qt.Key.Key_Down: (0, 1)}
        if key in steps and self._drag is None and self.host.scene.selection:
            if self._locked():
                return True
            step = 10.0 if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else 1.0
            dx, dy = steps[Qt.Key(key)]
            self._nudge_selection(dx * step, dy * step)
            return True
        return False

    def cancel(self) -> None:
        drag, self._drag = self._drag, None
        self._mask_preview = None
        if drag is not None and drag.changed:
            self.host.preview_item(drag.start_item)

    def mask_override(self, item_id: str) -> tuple[QImage, int, int] | None:
        if self._mask_preview is not None and self._mask_preview[0] == item_id:
            return self._mask_preview[1:]
        return None

    # --- edits ----------------------------------------------------------------------------

    def _locked(self) -> bool:
        """True (after asking the host to say why) when the canvas is read-only."""
        if self.host.is_read_only():
            self.host.refuse_edit()
            return True
        return False

    def _insert_vertex(self, item: CanvasItem, edge: int, x: float, y: float) -> CanvasItem:
        pts = ops2d.insert_vertex(item.points, edge, x, y)
        inserted = item.with_geometry(ops2d.points_geometry(pts))
        self.host.preview_item(inserted)
        self.active_vertex = (item.id, edge + 1)
        return inserted

    def _delete_vertex(self, item: CanvasItem, index: int) -> None:
        pts = ops2d.delete_vertex(item.points, index, item.type)
        if pts is None:
            return  # a polygon keeps 3 points, a polyline 2
        edited = item.with_geometry(ops2d.points_geometry(pts))
        self.host.preview_item(edited)
        self.active_vertex = None
        self.host.emit_edit(item.id, dict(item.geometry), dict(edited.geometry),
                            self.host.new_merge_id())

    def _nudge_selection(self, dx: float, dy: float) -> None:
        size = self.host.image_size()
        for item_id in self.host.scene.selection:
            item = self.host.scene.get(item_id)
            if item is None or item.bbox is None:
                continue
            new = ops2d.translate(item, dx, dy, size)
            if new == item.geometry:
                continue
            if self._nudge is None or self._nudge[0] != item_id:
                self._nudge = (item_id, self.host.new_merge_id())
            self.host.preview_item(item.with_geometry(new))
            self.host.emit_edit(item_id, dict(item.geometry), new, self._nudge[1])

    def _preview_mask_offset(self, drag: _Drag, dx: float, dy: float,
                             size: tuple[int, int] | None) -> None:
        base = drag.base
        dx, dy = ops2d.clamp_translation(base.bbox, dx, dy, size)  # type: ignore[arg-type]
        offset = (round(dx), round(dy))
        if offset == drag.mask_offset and self._mask_preview is not None:
            return
        drag.mask_offset = offset
        raster = base.mask
        color = self.host.painter2d.palette.color(base.color)
        image = self.host.painter2d.overlays.for_raster(base.id, raster, color,
                                                        MASK_ALPHA_SELECTED)
        if image.isNull():
            image = colorize(raster.crop, color, MASK_ALPHA_SELECTED)
        self._mask_preview = (base.id, image, raster.x0 + offset[0], raster.y0 + offset[1])
        self.host.request_update()

    def _finish_mask_move(self, drag: _Drag) -> None:
        self._mask_preview = None
        if drag.mask_offset == (0, 0):
            return
        moved = drag.base.mask.shifted(*drag.mask_offset)
        self.host.preview_item(drag.base.with_geometry({"rle": moved.to_rle()}))

    # --- hover ----------------------------------------------------------------------------

    def _hover(self, ev: Pointer) -> None:
        tol = self.host.hit_tolerance()
        scene = self.host.scene
        locked = self.host.is_read_only()
        for item_id in reversed(scene.selection):
            item = scene.get(item_id)
            if item is None or locked:
                continue
            if item.type is ItemType.BOX:
                i, dist = nearest_vertex(box_handles(*item.bbox), ev.x, ev.y)  # type: ignore[misc]
                if dist <= tol:
                    self.host.set_cursor_shape(_HANDLE_CURSORS[i])
                    return
            elif item.type in MIN_POINTS and nearest_vertex(item.points, ev.x, ev.y)[1] <= tol:
                self.host.set_cursor_shape(Qt.CursorShape.PointingHandCursor)
                return
        hit = scene.hit(ev.x, ev.y, tol)
        self.host.set_hover(None if hit is None else hit.id)
        shape = Qt.CursorShape.ArrowCursor if hit is None else \
            Qt.CursorShape.PointingHandCursor if locked else Qt.CursorShape.SizeAllCursor
        self.host.set_cursor_shape(shape)
