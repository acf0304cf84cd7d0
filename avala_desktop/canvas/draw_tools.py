"""Tools that draw new boxes, polygons and polylines; each ends in one ``shapeCreated`` signal.

- Box: press, drag, release. A box smaller than two pixels a side is taken for a stray click.
- Polygon / polyline: click each vertex; finish with a double-click or Enter (a polygon also by
  clicking its first vertex again); Backspace removes the last vertex; Escape abandons it.
Points are kept inside the image. The canvas does not add the shape itself: the main window
turns the signal into a command, and the store's record comes back through ``update_item``.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QKeyEvent, QPainter, QPolygonF, QTransform

from avala_desktop.canvas import ops2d
from avala_desktop.canvas.shapes2d import ItemType
from avala_desktop.canvas.style2d import HANDLE_PX, HIT_TOLERANCE_PX
from avala_desktop.canvas.tools2d import CanvasTool, Pointer

MIN_NEW_BOX = 2.0


class BoxTool(CanvasTool):
    name = ItemType.BOX.value

    def __init__(self, host: object) -> None:
        super().__init__(host)  # type: ignore[arg-type]
        self._start: tuple[float, float] | None = None
        self._end: tuple[float, float] | None = None

    def busy(self) -> bool:
        return self._start is not None

    def press(self, ev: Pointer) -> bool:
        if ev.button != Qt.MouseButton.LeftButton:
            return False
        self._start = self._end = ops2d.clamp_point(ev.x, ev.y, self.host.image_size())
        return True

    def move(self, ev: Pointer) -> bool:
        self.host.set_cursor_shape(Qt.CursorShape.CrossCursor)
        if self._start is None:
            return False
        self._end = ops2d.clamp_point(ev.x, ev.y, self.host.image_size())
        self.host.request_update()
        return True

    def release(self, ev: Pointer) -> bool:
        if ev.button != Qt.MouseButton.LeftButton or self._start is None:
            return False
        self._end = ops2d.clamp_point(ev.x, ev.y, self.host.image_size())
        (x0, y0), (x1, y1) = self._start, self._end
        self.cancel()
        if abs(x1 - x0) >= MIN_NEW_BOX and abs(y1 - y0) >= MIN_NEW_BOX:
            self.host.emit_created(ItemType.BOX.value, ops2d.box_geometry(x0, y0, x1, y1))
        return True

    def key_press(self, event: QKeyEvent) -> bool:
        if event.key() == Qt.Key.Key_Escape and self._start is not None:
            self.cancel()
            return True
        return False

    def cancel(self) -> None:
        self._start = self._end = None
        self.host.request_update()

    def paint_overlay(self, p: QPainter) -> None:
        if self._start is None or self._end is None:
            return
        view = self.host.view
        x0, y0 = view.to_screen(*self._start)
        x1, y1 = view.to_screen(*self._end)
        p.setTransform(QTransform())
        p.setBrush(QBrush(Qt.BrushStyle.NoBrush))
        p.setPen(self.host.painter2d.palette.pen(self.host.new_shape_color(), dashed=False,
                                                 width=2.0))
        p.drawRect(QRectF(QPointF(x0, y0), QPointF(x1, y1)).normalized())


class PolyTool(CanvasTool):
    """Draws a polygon (closed) or a polyline (open), vertex by vertex."""

    def __init__(self, host: object, *, closed: bool) -> None:
        super().__init__(host)  # type: ignore[arg-type]
        self.closed = closed
        self.name = (ItemType.POLYGON if closed else ItemType.POLYLINE).value
        self._points: list[tuple[float, float]] = []
        self._cursor: tuple[float, float] | None = None

    @property
    def min_points(self) -> int:
        return 3 if self.closed else 2

    def busy(self) -> bool:
        return bool(self._points)

    def press(self, ev: Pointer) -> bool:
        if ev.button != Qt.MouseButton.LeftButton:
            return False
        point = ops2d.clamp_point(ev.x, ev.y, self.host.image_size())
        if self.closed and len(self._points) >= self.min_points and self._near_first(ev):
            self._finish()
            return True
        if not self._points or point != self._points[-1]:
            self._points.append(point)
        self.host.request_update()
        return True

    def move(self, ev: Pointer) -> bool:
        self.host.set_cursor_shape(Qt.CursorShape.CrossCursor)
        self._cursor = ops2d.clamp_point(ev.x, ev.y, self.host.image_size())
        if self._points:
            self.host.request_update()
        return bool(self._points)

    def double_click(self, ev: Pointer) -> bool:
        if ev.button != Qt.MouseButton.LeftButton or not self._points:
            return False
        self._finish()
        return True

    def key_press(self, event: QKeyEvent) -> bool:
        key = event.key()
        if not self._points:
            return False
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._finish()
        elif key == Qt.Key.Key_Backspace:
            self._points.pop()
            self.host.request_update()
        elif key == Qt.Key.Key_Escape:
            self.cancel()
        else:
            return False
        return True

    def cancel(self) -> None:
        self._points = []
        self.host.request_update()

    def _near_first(self, ev: Pointer) -> bool:
        fx, fy = self.host.view.to_screen(*self._points[0])
        return math.hypot(ev.sx - fx, ev.sy - fy) <= HIT_TOLERANCE_PX

    def _finish(self) -> None:
        points, self._points = self._points, []
        self.host.request_update()
        if len(points) >= self.min_points:
            geometry = ops2d.points_geometry(points)  # type: ignore[arg-type]
            self.host.emit_created(self.name, geometry)

    def paint_overlay(self, p: QPainter) -> None:
        if not self._points:
            return
        view = self.host.view
        screen = [QPointF(*view.to_screen(x, y)) for x, y in self._points]
        if self._cursor is not None:
            screen.append(QPointF(*view.to_screen(*self._cursor)))
        palette = self.host.painter2d.palette
        color = self.host.new_shape_color()
        p.setTransform(QTransform())
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setBrush(QBrush(Qt.BrushStyle.NoBrush))
        p.setPen(palette.pen(color, dashed=False, width=2.0))
        p.drawPolyline(QPolygonF(screen))
        if self.closed and len(screen) >= 3:
            p.setPen(palette.pen(color, dashed=True))
            p.drawLine(screen[-1], screen[0])
        half = HANDLE_PX / 2.0
        p.setPen(palette.pen(color, dashed=False))
        p.setBrush(palette.translucent(color, 255))
        p.drawRects([QRectF(pt.x() - half, pt.y() - half, HANDLE_PX, HANDLE_PX)
                     for pt in screen[: len(self._points)]])
