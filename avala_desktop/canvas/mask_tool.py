"""The mask brush: paint into or erase from the selected mask, or paint a new one.

- Drag with the left button paints (Shift, or erase mode, erases) every pixel whose centre is
  within the brush radius of the stroke; ``[`` and ``]`` shrink and grow the brush.
- With exactly one mask selected the stroke edits it and, on release, emits ``geometryEdited``
  with the new RLE; with none selected it paints a new mask and emits ``shapeCreated``.
The stroke works on a full-size boolean array (8 MB for a 4K frame, only while painting) and
redraws just the overlay of the mask's region while the button is down.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QBrush, QImage, QKeyEvent, QPainter, QTransform

from avala_desktop.canvas.mask_overlay import colorize
from avala_desktop.canvas.mask_raster import paint_stroke
from avala_desktop.canvas.shapes2d import CanvasItem, ItemType
from avala_desktop.canvas.style2d import MASK_ALPHA_SELECTED
from avala_desktop.canvas.tools2d import CanvasTool, Pointer
from avala_desktop.core.masks import rle

MIN_RADIUS = 1.0
MAX_RADIUS = 512.0
_STEP = 1.25  # each [ or ] changes the radius by a quarter


class _Stroke:
    def __init__(self, target: CanvasItem | None, full: Any, value: bool) -> None:
        self.target = target
        self.full = full
        self.value = value
        self.last: tuple[float, float] | None = None
        self.region: tuple[int, int, int, int] | None = None  # x0, y0, x1, y1 to redraw
        self.overlay: tuple[QImage, int, int] | None = None

    def grow(self, rect: tuple[int, int, int, int] | None) -> None:
        if rect is None:
            return
        if self.region is None:
            self.region = rect
        else:
            a = self.region
            self.region = (min(a[0], rect[0]), min(a[1], rect[1]),
                           max(a[2], rect[2]), max(a[3], rect[3]))


class MaskBrushTool(CanvasTool):
    name = ItemType.MASK.value

    def __init__(self, host: Any, radius: float = 12.0) -> None:
        super().__init__(host)
        self.radius = radius
        self.erase_mode = False
        self._stroke: _Stroke | None = None
        self._cursor: tuple[float, float] | None = None

    def busy(self) -> bool:
        return self._stroke is not None

    def set_radius(self, radius: float) -> None:
        self.radius = min(max(float(radius), MIN_RADIUS), MAX_RADIUS)
        self.host.brush_changed(self.radius)
        self.host.request_update()

    def press(self, ev: Pointer) -> bool:
        size = self.host.image_size()
        if ev.button != Qt.MouseButton.LeftButton or size is None:
            return False
        target = self._target()
        full = target.mask.to_full() if target is not None \
            else np.zeros((size[1], size[0]), dtype=bool)
        value = not (self.erase_mode ^ ev.has(Qt.KeyboardModifier.ShiftModifier))
        self._stroke = _Stroke(target, full, value)
        if target is not None and target.mask.area:
            self._stroke.grow(target.mask.bounds)
        self._paint_to(ev)
        return True

    def move(self, ev: Pointer) -> bool:
        self.host.set_cursor_shape(Qt.CursorShape.CrossCursor)
        self._cursor = (ev.x, ev.y)
        if self._stroke is not None and ev.buttons & Qt.MouseButton.LeftButton:
            self._paint_to(ev)
        self.host.request_update()
        return self._stroke is not None

    def release(self, ev: Pointer) -> bool:
        stroke, self._stroke = self._stroke, None
        if stroke is None or ev.button != Qt.MouseButton.LeftButton:
            self._stroke = stroke
            return False
        encoded = rle.encode(stroke.full)
        if stroke.target is None:
            if np.any(stroke.full):
                self.host.emit_created(ItemType.MASK.value, {"rle": encoded})
        else:
            target = stroke.target
            if not np.array_equal(stroke.full, target.mask.to_full()):
                edited = target.with_geometry({"rle": encoded})
                self.host.preview_item(edited)
                self.host.emit_edit(target.id, dict(target.geometry), {"rle": encoded},
                                    self.host.new_merge_id())
        self.host.request_update()
        return True

    def key_press(self, event: QKeyEvent) -> bool:
        key = event.key()
        if key == Qt.Key.Key_BracketRight:
            self.set_radius(math.ceil(self.radius * _STEP))
        elif key == Qt.Key.Key_BracketLeft:
            self.set_radius(math.floor(self.radius / _STEP))
        elif key == Qt.Key.Key_Escape and self._stroke is not None:
            self.cancel()
        else:
            return False
        return True

    def cancel(self) -> None:
        self._stroke = None
        self.host.request_update()

    def mask_override(self, item_id: str) -> tuple[QImage, int, int] | None:
        stroke = self._stroke
        if stroke is not None and stroke.target is not None and stroke.target.id == item_id:
            return stroke.overlay or (QImage(), 0, 0)
        return None

    def _target(self) -> CanvasItem | None:
        masks = [item for item in (self.host.scene.get(i) for i in self.host.scene.selection)
                 if item is not None and item.type is ItemType.MASK]
        return masks[0] if len(masks) == 1 else None

    def _paint_to(self, ev: Pointer) -> None:
        stroke = self._stroke
        assert stroke is not None
        start = stroke.last or (ev.x, ev.y)
        stroke.grow(paint_stroke(stroke.full, start, (ev.x, ev.y), self.radius, stroke.value))
        stroke.last = (ev.x, ev.y)
        if stroke.region is not None:
            x0, y0, x1, y1 = stroke.region
            color_name = stroke.target.color if stroke.target else self.host.new_shape_color()
            color = self.host.painter2d.palette.color(color_name)
            image = colorize(stroke.full[y0:y1, x0:x1], color, MASK_ALPHA_SELECTED)
            stroke.overlay = (image, x0, y0)
        self.host.request_update()

    def paint_overlay(self, p: QPainter) -> None:
        view = self.host.view
        stroke = self._stroke
        if stroke is not None and stroke.target is None and stroke.overlay is not None:
            image, x0, y0 = stroke.overlay
            s = view.scale
            p.setTransform(QTransform(s, 0.0, 0.0, s, view.ox, view.oy))
            if not image.isNull():
                p.drawImage(QPointF(x0, y0), image)
        if self._cursor is not None:
            cx, cy = view.to_screen(*self._cursor)
            r = self.radius * view.scale
            p.setTransform(QTransform())
            p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            p.setBrush(QBrush(Qt.BrushStyle.NoBrush))
            p.setPen(self.host.painter2d.palette.pen("#ffffff", dashed=not stroke or
                                                     not stroke.value))
            p.drawEllipse(QPointF(cx, cy), r, r)

