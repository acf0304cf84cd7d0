"""Gestures in the orthographic views: move, rotate and resize the selected box; draw a new one.

A gesture freezes the camera of the view it happens in (the view is turned with the box, and
a view that turned along while the box rotates would show the box standing still). Every
step previews the box in all views and queues an edit; the host sends queued edits at most
once per event-loop turn, all with the gesture's merge id, so the whole drag is one undo step
and the store holds each step as it happens. Escape puts the box back as it was: the host
drops what it has not sent and asks for the steps it has sent to be taken back. While the host
is read-only (a submitted asset) a press on a handle starts nothing and asks the host to
refuse the edit instead; clicks still select.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt

from avala_desktop.canvas.cuboid_tools import (
    Handle,
    apply_handle,
    cuboid_from_footprint,
    drag_world_delta,
    hit_handle,
    pick,
    rotate_about_height,
    rotation_angle,
)
from avala_desktop.canvas.scene3d import Scene3D
from avala_desktop.canvas.style2d import HIT_TOLERANCE_PX
from avala_desktop.core.camera3d import Camera, OrthoCamera, unproject_ortho
from avala_desktop.core.geometry3d import Cuboid

MIN_DRAW_PX = 4.0  # a footprint smaller than this on screen is a slip, not a box

_CURSORS: dict[str, Qt.CursorShape] = {
    "body": Qt.CursorShape.SizeAllCursor,
    "rotate": Qt.CursorShape.CrossCursor,
    "corner": Qt.CursorShape.SizeFDiagCursor,
    "edge": Qt.CursorShape.SizeHorCursor,
}


class EditorHost(Protocol):
    scene: Scene3D

    def is_read_only(self) -> bool: ...
    def refuse_edit(self) -> None: ...
    def camera(self, kind: Any, width: int, height: int) -> Camera | None: ...
    def freeze_camera(self, kind: str, camera: OrthoCamera | None) -> None: ...
    def preview_box(self, item_id: str, box: Cuboid | None) -> None: ...
    def queue_edit(self, item_id: str, old: dict[str, Any], new: dict[str, Any],
                   merge_id: int) -> None: ...
    def flush_edits(self) -> None: ...
    def commit_preview(self, item_id: str) -> None: ...
    def cancel_edits(self, item_id: str, merge_id: int, *, sent: bool) -> None: ...
    def new_merge_id(self) -> int: ...
    def select_by_user(self, ids: list[str]) -> None: ...
    def cloud_points(self) -> np.ndarray | None: ...
    def emit_created(self, geometry: dict[str, Any]) -> None: ...
    def end_draw_mode(self) -> None: ...
    def refresh_overlays(self) -> None: ...


@dataclass
class _Gesture:
    view: str
    camera: OrthoCamera
    size: tuple[int, int]
    start: tuple[float, float]
    current: tuple[float, float]
    item_id: str | None = None
    handle: Handle | None = None
    start_box: Cuboid | None = None
    merge_id: int = 0
    old_geometry: dict[str, Any] = field(default_factory=dict)
    changed: bool = False


class CuboidEditor:
    def __init__(self, host: EditorHost) -> None:
        self.host = host
        self.draw_mode = False
        self._gesture: _Gesture | None = None

    @property
    def busy(self) -> bool:
        return self._gesture is not None

    @property
    def active_handle(self) -> Handle | None:
        return None if self._gesture is None else self._gesture.handle

    def draft_rect(self, view: str) -> QRectF | None:
        """The footprint being drawn, in widget pixels of ``view``."""
        g = self._gesture
        if g is None or g.handle is not None or g.view != view:
            return None
        return QRectF(QPointF(*g.start), QPointF(*g.current))

    # --- the gesture --------------------------------------------------------------------------

    def press(self, view: str, width: int, height: int, pos: QPointF) -> bool:
        """A left press in an orthographic view; True when it starts a gesture here."""
        camera = self.host.camera(view, width, height)
        if not isinstance(camera, OrthoCamera):
            return False
        at = (pos.x(), pos.y())
        if self.draw_mode:
            if view != "top":
                return False
            self._gesture = _Gesture(view, camera, (width, height), at, at)
            self.host.freeze_camera(view, camera)
            return True
        primary = self.host.scene.primary
        if primary is not None:
            box = self.host.scene.box_of(primary.id)
            assert box is not None
            handle = hit_handle(box, view, camera, width, height, at[0], at[1],  # type: ignore[arg-type]
                                HIT_TOLERANCE_PX)
            if handle is not None and self.host.is_read_only():
                self.host.refuse_edit()
                return True
            if handle is not None:
                self._gesture = _Gesture(view, camera, (width, height), at, at, primary.id,
                                         handle, box, self.host.new_merge_id(),
                                         primary.geometry)
                self.host.freeze_camera(view, camera)
                self.host.refresh_overlays()
                return True
        others = [(item.id, box) for item, box in self.host.scene.drawn()
                  if primary is None or item.id != primary.id]
        hit = pick(others, camera, width, height, at[0], at[1])
        if hit is not None:
            self.host.select_by_user([hit])
            return True
        return False

    def move(self, pos: QPointF) -> None:
        g = self._gesture
        if g is None:
            return
        at = (pos.x(), pos.y())
        if at == g.current and (g.changed or at == g.start):
            return  # nothing moved: a click on a handle must not turn into an edit
        g.current = at
        if g.handle is None:
            self.host.refresh_overlays()
            return
        assert g.start_box is not None and g.item_id is not None
        box = self._box_at(g)
        g.changed = True
        self.host.preview_box(g.item_id, box)
        self.host.queue_edit(g.item_id, g.old_geometry, box.to_geometry(), g.merge_id)

    def release(self, pos: QPointF) -> None:
        g = self._gesture
        if g is None:
            return
        self.move(pos)
        self._gesture = None
        if g.handle is None:
            self._finish_draw(g)
        elif g.item_id is not None:
            self.host.flush_edits()
            self.host.commit_preview(g.item_id)
        self.host.freeze_camera(g.view, None)
        self.host.refresh_overlays()

    def cancel(self) -> bool:
        """Abandon the gesture: a dragged box goes back to where it was."""
        g = self._gesture
        if g is None:
            if self.draw_mode:
                self.host.end_draw_mode()
                return True
            return False
        self._gesture = None
        if g.handle is not None and g.item_id is not None:
            self.host.cancel_edits(g.item_id, g.merge_id, sent=g.changed)
            self.host.preview_box(g.item_id, None)
        if g.handle is None:
            self.host.end_draw_mode()
        self.host.freeze_camera(g.view, None)
        self.host.refresh_overlays()
        return True

    def abandon(self) -> None:
        """Drop the gesture without sending anything (its box left the scene)."""
        g, self._gesture = self._gesture, None
        if g is not None:
            if g.item_id is not None:
                self.host.preview_box(g.item_id, None)
            self.host.freeze_camera(g.view, None)

    def cursor(self, view: str, width: int, height: int, pos: QPointF) -> Qt.CursorShape | None:
        if self.draw_mode:
            return Qt.CursorShape.CrossCursor if view == "top" else None
        primary = self.host.scene.primary
        camera = self.host.camera(view, width, height)
        if primary is None or not isinstance(camera, OrthoCamera) or self.host.is_read_only():
            return None
        box = self.host.scene.box_of(primary.id)
        assert box is not None
        handle = hit_handle(box, view, camera, width, height, pos.x(), pos.y(),  # type: ignore[arg-type]
                            HIT_TOLERANCE_PX)
        return None if handle is None else _CURSORS[handle.kind]

    # --- helpers ------------------------------------------------------------------------------

    def _box_at(self, g: _Gesture) -> Cuboid:
        assert g.start_box is not None and g.handle is not None
        w, h = g.size
        if g.handle.kind == "rotate":
            a = unproject_ortho(g.start[0], g.start[1], g.camera, w, h)
            b = unproject_ortho(g.current[0], g.current[1], g.camera, w, h)
            return rotate_about_height(g.start_box, rotation_angle(g.start_box, a, b))
        delta = drag_world_delta(g.camera, w, h, g.start, g.current)
        return apply_handle(g.start_box, g.handle, g.view, delta)  # type: ignore[arg-type]

    def _finish_draw(self, g: _Gesture) -> None:
        self.host.end_draw_mode()
        if abs(g.current[0] - g.start[0]) < MIN_DRAW_PX or \
                abs(g.current[1] - g.start[1]) < MIN_DRAW_PX:
            return
        w, h = g.size
        box = cuboid_from_footprint(g.camera, w, h, g.start, g.current, self.host.cloud_points())
        self.host.emit_created(box.to_geometry())
