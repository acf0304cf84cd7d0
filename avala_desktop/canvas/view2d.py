"""Canvas2D: the widget that shows an image with its 2D annotations and lets a person edit them.

It is a plain QWidget with one paintEvent (cheaper per frame than a QGraphicsScene with
thousands of items). A frame is:
1. the cached *layer* (layer2d.py), a pixmap of the image plus every shown, unselected shape,
   remade only when the view, the scene's version or the widget size changes;
2. on top, drawn each frame: the selected and hovered shapes with handles, classification
   badges and the active tool's feedback.
While the user zooms, the layer is redrawn from an unfiltered mip level of the image; a pan by
whole pixels scrolls the layer and draws only the uncovered strips. 150 ms after the last step
the layer is redrawn once in full with smooth filtering.

The canvas does not own annotations and never touches the store. User edits come out as
signals (``geometryEdited``, ``shapeCreated``, ``selectionChanged``) and the canvas previews
the edit locally; the main window applies them as undoable commands and answers with
``update_item`` / ``set_items``. Programmatic calls (``set_selection``, ``update_item``...) do not
emit signals, so the two sides cannot loop. Keys the canvas does not use are left to its parent
(A, D, Delete without a chosen vertex, Tab, N ...).

``set_read_only(reason)`` locks the shapes (a submitted asset): selecting, zooming and panning
still work, handles are not drawn, and an attempt to move, reshape or draw starts nothing and
emits ``editRefused(reason)`` instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QWidget

from avala_desktop.canvas import style2d as st
from avala_desktop.canvas.draw_tools import BoxTool, PolyTool
from avala_desktop.canvas.edit2d import SelectTool
from avala_desktop.canvas.image_layer import ImageLayer, MipBuilder, load_image
from avala_desktop.canvas.layer2d import LayerCache
from avala_desktop.canvas.mask_tool import MaskBrushTool
from avala_desktop.canvas.painter2d import PaintStats, ShapePainter
from avala_desktop.canvas.scene2d import SceneModel
from avala_desktop.canvas.shapes2d import CanvasItem, ItemType
from avala_desktop.canvas.tools2d import CanvasTool, Pointer
from avala_desktop.canvas.viewport import ViewTransform

ZOOM_STEP = 1.25  # one wheel notch
SETTLE_MS = 150  # quiet time after zooming/panning before the smooth redraw


class Tool(StrEnum):
    SELECT = "select"
    BOX = ItemType.BOX.value
    POLYGON = ItemType.POLYGON.value
    POLYLINE = ItemType.POLYLINE.value
    MASK = ItemType.MASK.value


class Canvas2D(QWidget):
    zoomChanged = Signal(float)  # screen pixels per image pixel
    cursorMoved = Signal(float, float)  # image pixels under the cursor
    selectionChanged = Signal(list)  # list[str]; user changes only
    geometryEdited = Signal(str, dict, dict, int)  # id, old geometry, new geometry, merge id
    shapeCreated = Signal(str, dict)  # annotation type, canonical geometry
    toolChanged = Signal(str)  # Tool value
    brushSizeChanged = Signal(float)  # brush radius in image pixels
    editRefused = Signal(str)  # an edit was tried while read-only; the reason set with it

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setMinimumSize(64, 64)
        self.scene = SceneModel()
        self.painter2d = ShapePainter()
        self.image_layer = ImageLayer()
        self._mips = MipBuilder(self)
        self._mips.built.connect(self._levels_built)
        self._layer = LayerCache()
        self._view = ViewTransform()
        self._fit_mode = True  # keep fitting on resize until the user zooms or pans
        self._interactive = False
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self._end_interaction)
        self._pan_from: tuple[QPointF, ViewTransform] | None = None
        self._space_down = False
        self._hover: str | None = None
        self._badges: list[tuple[str, QRectF]] = []
        self._merge_ids = 0
        self._new_color = "#00c8ff"
        self._read_only: str | None = None
        self._tools: dict[Tool, CanvasTool] = {
            Tool.SELECT: SelectTool(self),
            Tool.BOX: BoxTool(self),
            Tool.POLYGON: PolyTool(self, closed=True),
            Tool.POLYLINE: PolyTool(self, closed=False),
            Tool.MASK: MaskBrushTool(self),
        }
        self._tool = Tool.SELECT

    # --- public API: content --------------------------------------------------------------

    def set_image(self, image: QImage | str | Path,
                  levels: Sequence[QImage] | None = None) -> None:
        """Shows an image (a QImage or a file path) and fits it; raises ImageLoadError for an
        unreadable file. ``levels``: its mip levels, made off the UI thread with
        ``image_layer.mip_levels``; without them a worker makes them."""
        qimage = image if isinstance(image, QImage) else load_image(image)
        if self.image_layer.set_image(qimage, levels):
            self._mips.request(self.image_layer.image)
        self._invalidate()
        self.fit_to_window()

    def _levels_built(self, key: int, levels: list[QImage]) -> None:
        if self.image_layer.set_levels(key, levels) and self._interactive:
            self._invalidate()  # only the fast, interactive frames draw from the levels

    def image_size(self) -> tuple[int, int] | None:
        return None if self.image_layer.is_null() else self.image_layer.size()

    def set_items(self, items: Iterable[CanvasItem]) -> None:
        """Replaces every item (a new asset, a reload). Abandons a gesture in progress."""
        self._tools[self._tool].cancel()
        self.scene.set_items(items)
        self.painter2d.forget_missing(self.scene)
        if self._hover is not None and self.scene.get(self._hover) is None:
            self._hover = None
        self.update()

    def update_item(self, item: CanvasItem) -> None:
        """Replaces the item with the same id, or adds it on top."""
        self.scene.put(item)
        self.update()

    def remove_item(self, item_id: str) -> None:
        self.scene.remove(item_id)
        self.painter2d.forget_missing(self.scene)
        if self._hover == item_id:
            self._hover = None
        self.update()

    def items(self) -> list[CanvasItem]:
        return self.scene.items

    def item(self, item_id: str) -> CanvasItem | None:
        return self.scene.get(item_id)

    # --- public API: selection, filters ---------------------------------------------------

    def selection(self) -> list[str]:
        return self.scene.selection

    def set_selection(self, ids: Iterable[str]) -> None:
        """Selects items (no selectionChanged: the caller already knows)."""
        if self.scene.set_selection(ids):
            self.update()

    def set_confidence_threshold(self, threshold: float) -> None:
        """Hides pending suggestions below this confidence (display only)."""
        self.scene.set_filters(threshold=threshold)
        self.update()

    def set_hidden_labels(self, labels: Iterable[str]) -> None:
        self.scene.set_filters(hidden_labels=labels)
        self.update()

    def set_show_captions(self, show: bool) -> None:
        """Label and confidence text next to shapes on or off."""
        self.painter2d.show_captions = show
        self._invalidate()

    def set_read_only(self, reason: str | None) -> None:
        """Locks (with the reason a refused edit reports) or unlocks every shape."""
        if reason == self._read_only:
            return
        self._read_only = reason
        if reason is not None:
            self._tools[self._tool].cancel()
        self.update()

    def read_only_reason(self) -> str | None:
        return self._read_only

    def set_new_shape_color(self, color: str) -> None:
        """Colour of shapes being drawn (the label new shapes will get)."""
        self._new_color = color

    def new_shape_color(self) -> str:
        return self._new_color

    # --- public API: tools ----------------------------------------------------------------

    def tool(self) -> Tool:
        return self._tool

    def set_tool(self, tool: Tool | str) -> None:
        tool = Tool(tool)
        if tool == self._tool:
            return
        self._tools[self._tool].cancel()
        self._tool = tool
        self.unsetCursor()
        self.toolChanged.emit(tool.value)
        self.update()

    def brush_radius(self) -> float:
        return self._mask_tool().radius

    def set_brush_radius(self, radius: float) -> None:
        self._mask_tool().set_radius(radius)

    def set_brush_erase(self, erase: bool) -> None:
        """Make the brush erase by default (Shift then paints)."""
        self._mask_tool().erase_mode = erase

    # --- public API: view -----------------------------------------------------------------

    @property
    def view(self) -> ViewTransform:
        return self._view

    def zoom(self) -> float:
        return self._view.scale

    def fit_to_window(self) -> None:
        self._fit_mode = True
        w, h = self.image_size() or (0, 0)
        self._apply_view(ViewTransform.fit(w, h, self.width(), self.height()), interactive=False)

    def set_zoom(self, scale: float, anchor: QPointF | None = None) -> None:
        """Zooms to ``scale`` screen pixels per image pixel around ``anchor`` (widget
        coordinates; the centre by default), keeping the image point there in place."""
        a = anchor if anchor is not None else QPointF(self.width() / 2.0, self.height() / 2.0)
        self.zoom_by(scale / self._view.scale, a)

    def zoom_by(self, factor: float, anchor: QPointF) -> None:
        self._fit_mode = False
        self._apply_view(self._view.zoomed_at(anchor.x(), anchor.y(), factor), interactive=True)

    def pan_by(self, dx: float, dy: float) -> None:
        self._fit_mode = False
        self._apply_view(self._view.panned(dx, dy), interactive=True)

    def center_on(self, item_id: str) -> None:
        """Pans (without zooming) so the item's centre is in the middle of the widget."""
        item = self.scene.get(item_id)
        if item is None or item.bbox is None:
            return
        x0, y0, x1, y1 = item.bbox
        sx, sy = self._view.to_screen((x0 + x1) / 2.0, (y0 + y1) / 2.0)
        self.pan_by(self.width() / 2.0 - sx, self.height() / 2.0 - sy)

    def map_to_image(self, point: QPointF) -> QPointF:
        return QPointF(*self._view.to_image(point.x(), point.y()))

    def map_from_image(self, point: QPointF) -> QPointF:
        return QPointF(*self._view.to_screen(point.x(), point.y()))

    def invalidate_cache(self) -> None:
        """Forces the next paint to redraw the layer (benchmarks use it to time a cold frame)."""
        self._invalidate()

    # --- ToolHost interface (used by the tools) -------------------------------------------

    def hit_tolerance(self) -> float:
        return st.HIT_TOLERANCE_PX / self._view.scale

    def is_read_only(self) -> bool:
        return self._read_only is not None

    def refuse_edit(self) -> None:
        if self._read_only is not None:
            self.editRefused.emit(self._read_only)

    def select_by_user(self, ids: list[str]) -> None:
        if self.scene.set_selection(ids):
            self.selectionChanged.emit(self.scene.selection)
            self.update()

    def preview_item(self, item: CanvasItem) -> None:
        self.scene.put(item)
        self.update()

    def emit_edit(self, item_id: str, old: dict[str, Any], new: dict[str, Any],
                  merge_id: int) -> None:
        self.geometryEdited.emit(item_id, old, new, merge_id)

    def emit_created(self, type_name: str, geometry: dict[str, Any]) -> None:
        self.shapeCreated.emit(type_name, geometry)

    def new_merge_id(self) -> int:
        self._merge_ids += 1
        return self._merge_ids

    def set_hover(self, item_id: str | None) -> None:
        if item_id != self._hover:
            self._hover = item_id
            self.update()

    def set_cursor_shape(self, shape: Qt.CursorShape) -> None:
        if self.cursor().shape() != shape:
            self.setCursor(shape)

    def badge_at(self, sx: float, sy: float) -> str | None:
        for item_id, rect in self._badges:
            if rect.contains(QPointF(sx, sy)):
                return item_id
        return None

    def brush_changed(self, radius: float) -> None:
        self.brushSizeChanged.emit(radius)

    def request_update(self) -> None:
        self.update()

    # --- painting -------------------------------------------------------------------------

    @property
    def paint_stats(self) -> PaintStats:
        """What the last redraw of the cached layer painted."""
        return self._layer.stats

    @property
    def layer_builds(self) -> int:
        return self._layer.builds

    @property
    def layer_scrolls(self) -> int:
        return self._layer.scrolls

    def paintEvent(self, event: QPaintEvent) -> None:
        w, h = self.width(), self.height()
        dpr = self.devicePixelRatioF()
        # Everything the layer depends on except the pan offset, which the layer may absorb by
        # scrolling its old pixels.
        key = (w, h, dpr, self._view.scale, id(self.scene), self.scene.version,
               self._interactive, self.painter2d.show_captions, self.image_layer.image.cacheKey())

        def draw_region(painter: QPainter, region: QRectF) -> PaintStats:
            painter.fillRect(region, st.BACKGROUND)
            self.image_layer.draw(painter, self._view, w, h, interactive=self._interactive,
                                  dpr=dpr)
            return self.painter2d.paint_layer(painter, self.scene, self._view, region,
                                              smooth=not self._interactive)

        layer = self._layer.pixmap(w, h, dpr, self._view, key, draw_region)
        p = QPainter(self)
        p.drawPixmap(0, 0, layer)
        tool = self._tools[self._tool]
        selection = self.scene.selection
        editable = self._read_only is None
        for item_id in selection:
            item = self.scene.get(item_id)
            if item is not None and item.bbox is not None and self.scene.is_shown(item_id):
                active = self._active_vertex(item_id)
                self.painter2d.paint_item(p, item, self._view, selected=True,
                                          active_vertex=active, handles=editable,
                                          mask_override=tool.mask_override(item_id))
        if self._hover is not None and self._hover not in selection:
            item = self.scene.get(self._hover)
            if item is not None and item.bbox is not None and self.scene.is_shown(self._hover):
                self.painter2d.paint_item(p, item, self._view, selected=False)
        self._badges = self.painter2d.paint_badges(p, self.scene.classifications(),
                                                   set(selection))
        tool.paint_overlay(p)
        if not editable:
            self.painter2d.paint_notice(p, "Submitted · read-only", w)
        p.end()

    def _invalidate(self) -> None:
        self._layer.invalidate()
        self.update()

    def _active_vertex(self, item_id: str) -> int | None:
        select = self._tools[Tool.SELECT]
        active = getattr(select, "active_vertex", None)
        return active[1] if active is not None and active[0] == item_id else None

    def _mask_tool(self) -> MaskBrushTool:
        tool = self._tools[Tool.MASK]
        assert isinstance(tool, MaskBrushTool)
        return tool

    # --- view changes ---------------------------------------------------------------------

    def _apply_view(self, view: ViewTransform, *, interactive: bool) -> None:
        old = self._view
        self._view = view
        if interactive:
            self._interactive = True
            self._settle.start()
        if view.scale != old.scale:
            self.zoomChanged.emit(view.scale)
        self.update()

    def _end_interaction(self) -> None:
        if self._interactive:
            self._interactive = False
            self.update()

    def resizeEvent(self, event: QResizeEvent) -> None:
        if self._fit_mode:
            self.fit_to_window()
        super().resizeEvent(event)

    # --- input ----------------------------------------------------------------------------

    def _pointer(self, event: QMouseEvent) -> Pointer:
        pos = event.position()
        x, y = self._view.to_image(pos.x(), pos.y())
        return Pointer(x, y, pos.x(), pos.y(), event.button(), event.buttons(),
                       event.modifiers())

    def _starts_pan(self, event: QMouseEvent) -> bool:
        button = event.button()
        return button in (Qt.MouseButton.MiddleButton, Qt.MouseButton.RightButton) or (
            button == Qt.MouseButton.LeftButton and self._space_down)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        if self._pan_from is None and self._starts_pan(event) and \
                not self._tools[self._tool].busy():
            self._pan_from = (event.position(), self._view)
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            return
        if self._read_only is not None and self._tool is not Tool.SELECT and \
                event.button() == Qt.MouseButton.LeftButton:
            self.refuse_edit()  # no drawing, no painting on a locked asset
            return
        if not self._tools[self._tool].press(self._pointer(event)):
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pointer = self._pointer(event)
        self.cursorMoved.emit(pointer.x, pointer.y)
        if self._pan_from is not None:
            start, view = self._pan_from
            delta = event.position() - start
            self._fit_mode = False
            self._apply_view(view.panned(delta.x(), delta.y()), interactive=True)
            return
        self._tools[self._tool].move(pointer)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None and (self._starts_pan(event) or not event.buttons()):
            self._pan_from = None
            self.unsetCursor()
            return
        if not self._tools[self._tool].release(self._pointer(event)):
            super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if not self._tools[self._tool].double_click(self._pointer(event)):
            super().mouseDoubleClickEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta().y() or event.pixelDelta().y()
        if delta:
            self.zoom_by(ZOOM_STEP ** (delta / 120.0), event.position())
        event.accept()

    def leaveEvent(self, event: Any) -> None:
        self.set_hover(None)
        super().leaveEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_down = True
            self.setCursor(Qt.CursorShape.OpenHandCursor)
            return
        if self._tools[self._tool].key_press(event):
            return
        if event.key() == Qt.Key.Key_F and not event.modifiers():
            self.fit_to_window()
            return
        super().keyPressEvent(event)  # ignored: the main window's shortcuts get it

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_down = False
            self.unsetCursor()
            return
        super().keyReleaseEvent(event)
