"""One panel of the 3D layout: the perspective view or a top / side / front view.

A viewport draws a cached frame of the point cloud (numpy rasterizer -> QImage) and the
cuboids over it. The frame is re-rendered only when its camera, size or the cloud's colours
change; camera drags ask for a render through a 0-ms single-shot timer, so however many mouse
moves arrive in one event-loop turn, there is one render. Overlay-only changes (a box being
dragged, a new selection) repaint without re-rendering the points.

Mouse: perspective - left drag orbits, middle / Shift+left / right drag pans, wheel zooms,
click selects, double-click centres the orbit on the box clicked. Orthographic - left drag on
the selected box's handles edits it (see edit3d), elsewhere pans; a click on another box
selects it; the wheel zooms about the cursor. Keys: R resets the views, F centres the orbit on
the selected box, C (or B, the 2D box tool's key) draws a new box, Escape abandons a drag or
drawing.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any, Literal, Protocol

import numpy as np
from PySide6.QtCore import QPointF, Qt, QTimer
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QWidget

from avala_desktop.canvas import qt_guard  # noqa: F401  (PySide6 refcount workaround)
from avala_desktop.canvas.pointcloud_render import BACKGROUND, RenderCloud, render, to_qimage
from avala_desktop.core.camera3d import Camera, OrbitCamera, OrthoCamera

ViewKind = Literal["perspective", "top", "side", "front"]
ORTHO_KINDS: tuple[ViewKind, ...] = ("top", "side", "front")
ZOOM_STEP = 1.2  # one wheel notch
ORBIT_RAD_PER_PX = 0.006
CLICK_SLOP_PX = 4.0  # a press that moves less than this is a click, not a drag


class ViewportHost(Protocol):
    def camera(self, kind: ViewKind, width: int, height: int) -> Camera | None: ...
    def render_source(self, kind: ViewKind, camera: Camera, width: int,
                      height: int) -> tuple[RenderCloud | None, int, tuple[Any, ...]]: ...
    def paint_overlay(self, viewport: CloudViewport, p: QPainter,
                      camera: Camera | None) -> None: ...
    def view_press(self, viewport: CloudViewport, pos: QPointF,
                   modifiers: Qt.KeyboardModifier) -> bool: ...
    def view_move(self, viewport: CloudViewport, pos: QPointF) -> bool: ...
    def view_release(self, viewport: CloudViewport, pos: QPointF) -> bool: ...
    def view_hover(self, viewport: CloudViewport, pos: QPointF) -> Qt.CursorShape | None: ...
    def view_click(self, viewport: CloudViewport, pos: QPointF,
                   modifiers: Qt.KeyboardModifier) -> None: ...
    def view_double_click(self, viewport: CloudViewport, pos: QPointF) -> None: ...
    def view_key(self, event: QKeyEvent) -> bool: ...
    def set_orbit(self, camera: OrbitCamera) -> None: ...
    def pan_ortho(self, kind: ViewKind, dx: float, dy: float) -> None: ...
    def zoom_ortho(self, kind: ViewKind, factor: float, pos: QPointF) -> None: ...
    def set_interacting(self, on: bool) -> None: ...


class CloudViewport(QWidget):
    def __init__(self, host: ViewportHost, kind: ViewKind, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind: ViewKind = kind
        self._host = host
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setMinimumSize(120, 90)
        self._image: QImage | None = None
        self._image_key: tuple[Any, ...] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._render_if_stale)
        self.renders = 0  # frames rendered (tests check the coalescing)
        self.last_render_ms = 0.0
        # (press position, button, modifiers, camera at press) of a navigation drag
        self._nav: tuple[QPointF, Qt.MouseButton, Qt.KeyboardModifier, Camera | None] | None = None
        self._nav_moved = False
        self._editing = False

    # --- rendering ------------------------------------------------------------------------------

    def request_render(self) -> None:
        """Re-render at the next event-loop turn (many requests in one turn: one render)."""
        if not self._timer.isActive():
            self._timer.start()

    def camera(self) -> Camera | None:
        return self._host.camera(self.kind, self.width(), self.height())

    def frame_image(self) -> QImage | None:
        """The last rendered frame of points (without the cuboids)."""
        return self._image

    def _render_if_stale(self) -> None:
        # A hidden view renders when it is next painted, not for nobody now.
        if self.isVisible() and self._ensure_frame():
            self.update()

    def _ensure_frame(self) -> bool:
        """Renders when the camera, size or cloud changed; True when a new frame was made."""
        w, h = max(1, self.width()), max(1, self.height())
        camera = self.camera()
        if camera is None:
            key: tuple[Any, ...] = ("empty", w, h)
            if key != self._image_key:
                self._image, self._image_key = None, key
                return True
            return False
        cloud, point_size, source_key = self._host.render_source(self.kind, camera, w, h)
        dpr = self.devicePixelRatioF()
        key = (w, h, dpr, camera_key(camera), point_size, *source_key)
        if key == self._image_key:
            return False
        if cloud is None:
            self._image = None
        else:
            start = time.perf_counter()
            # On a high-density screen, render device pixels: an upscaled frame looks blurred.
            pw, ph = max(1, round(w * dpr)), max(1, round(h * dpr))
            if isinstance(camera, OrthoCamera) and dpr != 1.0:
                camera = replace(camera, scale=camera.scale * dpr)
            size = min(3, point_size * max(1, round(dpr)))
            self._image = to_qimage(render(cloud, None, camera, pw, ph, point_size=size))
            self._image.setDevicePixelRatio(dpr)
            self.last_render_ms = (time.perf_counter() - start) * 1e3
            self.renders += 1
        self._image_key = key
        return True

    def paintEvent(self, event: QPaintEvent) -> None:
        self._ensure_frame()  # a paint before the timer (first show, grab) must not be stale
        p = QPainter(self)
        if self._image is not None:
            p.drawImage(0, 0, self._image)
        else:
            p.fillRect(self.rect(), _BACKGROUND)
        self._host.paint_overlay(self, p, self.camera())
        if self.hasFocus():
            p.setPen(_FOCUS_PEN)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(self.rect().adjusted(0, 0, -1, -1))
        p.end()

    def focusInEvent(self, event: QFocusEvent) -> None:
        self.update()  # the focus frame
        super().focusInEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        self.update()
        super().focusOutEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        self.request_render()
        super().resizeEvent(event)

    # --- input ----------------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        if self._nav is not None or self._editing:
            return
        pos, button, mods = event.position(), event.button(), event.modifiers()
        if button == Qt.MouseButton.LeftButton and not mods & Qt.KeyboardModifier.ShiftModifier \
                and self.kind != "perspective" and self._host.view_press(self, pos, mods):
            self._editing = True
            return
        self._nav = (pos, button, mods, self.camera())
        self._nav_moved = False

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        if self._editing:
            self._host.view_move(self, pos)
            return
        if self._nav is None:
            shape = self._host.view_hover(self, pos)
            if shape is None:
                self.unsetCursor()
            elif self.cursor().shape() != shape:
                self.setCursor(shape)
            return
        start, button, mods, camera = self._nav
        dx, dy = pos.x() - start.x(), pos.y() - start.y()
        if not self._nav_moved and abs(dx) + abs(dy) < CLICK_SLOP_PX:
            return
        if not self._nav_moved:
            self._nav_moved = True
            self._host.set_interacting(True)
        if self.kind == "perspective" and isinstance(camera, OrbitCamera):
            if _pans(button, mods):
                self._host.set_orbit(camera.panned(dx, dy, self.height()))
            else:
                self._host.set_orbit(camera.orbited(-dx * ORBIT_RAD_PER_PX, dy * ORBIT_RAD_PER_PX))
        elif camera is not None:
            # Pans are relative to the camera at the press: re-apply the whole delta.
            self._host.pan_ortho(self.kind, dx, dy)
            self._nav = (pos, button, mods, self.camera())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        if self._editing:
            self._editing = False
            self._host.view_release(self, pos)
            return
        if self._nav is None:
            return
        _, button, mods, _ = self._nav
        moved = self._nav_moved
        self._nav = None
        if moved:
            self._host.set_interacting(False)
        elif button == Qt.MouseButton.LeftButton:
            self._host.view_click(self, pos, mods)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.kind == "perspective":
            self._host.view_double_click(self, event.position())
            return
        super().mouseDoubleClickEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta().y() or event.pixelDelta().y()
        if delta:
            factor = ZOOM_STEP ** (delta / 120.0)
            camera = self.camera()
            if self.kind == "perspective" and isinstance(camera, OrbitCamera):
                self._host.set_orbit(camera.zoomed(factor))
            elif camera is not None:
                self._host.zoom_ortho(self.kind, factor, event.position())
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not self._host.view_key(event):
            super().keyPressEvent(event)  # ignored: the parent's review keys get it


def _pans(button: Qt.MouseButton, mods: Qt.KeyboardModifier) -> bool:
    return button in (Qt.MouseButton.MiddleButton, Qt.MouseButton.RightButton) or bool(
        mods & Qt.KeyboardModifier.ShiftModifier)


def camera_key(camera: Camera) -> tuple[Any, ...]:
    """A value that is equal for two cameras exactly when they give the same frame."""
    if isinstance(camera, OrbitCamera):
        return ("orbit", *camera.target.tolist(), camera.distance, camera.azimuth,
                camera.elevation, camera.fov_y, camera.near)
    return ("ortho", camera.view, *camera.center.tolist(), camera.scale,
            *np.asarray(camera.frame).ravel().tolist(), camera.depth_range)


_BACKGROUND = QColor(*BACKGROUND)
_FOCUS_PEN = QColor(90, 140, 220)
