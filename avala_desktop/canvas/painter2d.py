"""Drawing 2D annotations with QPainter, fast enough for thousands of shapes per frame.

What makes it fast:
- Qt objects (QRectF, QPolygonF) are made once per item, not per frame; captions are sprites
  of a caption atlas, so drawing one is a small image copy (captions.py); where captions
  would pile up, one per screen cell is drawn.
- A *render list* groups the unselected shapes by kind and pen; it is rebuilt only when the
  scene changes (``SceneModel.version``), so a frame sets each pen once, draws all boxes of a
  colour in one ``drawRects`` call and runs a tight loop over prepared polygons.
- Only what meets the viewport is drawn (grid-index query), shapes smaller than a few screen
  pixels are drawn as their bounding rect, and captions are left off shapes too small to carry
  them (level of detail).
- Masks are cached colour overlays (mask_overlay), drawn under the outlines; zoomed out and at
  rest they are drawn from a copy resampled once per zoom level.
Selected and hovered shapes are not in the render list: the view draws them on top each frame
with ``paint_item``, which keeps the cached layer valid while a shape is dragged. Their
captions get an opaque background, and the layer leaves out the captions of other shapes that
a selected shape's caption would cover (the layer is redrawn when the selection changes), so
two captions are never drawn into each other.

Pending masks carry a light outline (mask_overlay), so a dark-coloured suggestion still shows
its extent on a dark object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QPainter, QPolygonF, QTransform

from avala_desktop.canvas import style2d as st
from avala_desktop.canvas.captions import CaptionAtlas, Sprite
from avala_desktop.canvas.hit2d import box_handles
from avala_desktop.canvas.mask_overlay import MaskOverlayCache
from avala_desktop.canvas.scene2d import SceneModel
from avala_desktop.canvas.shapes2d import CanvasItem, ItemType
from avala_desktop.canvas.viewport import ViewTransform

_NO_BRUSH = QBrush(Qt.BrushStyle.NoBrush)
_KIND_ORDER = {ItemType.MASK: 0, ItemType.BOX: 1, ItemType.POLYGON: 2, ItemType.POLYLINE: 3}


@dataclass
class PaintStats:
    """What the last layer paint drew; tests use it to check culling and level of detail."""

    visible: int = 0  # unselected shown items meeting the viewport
    shapes: int = 0  # outlines drawn as their own shape
    tiny: int = 0  # outlines drawn as a small rect instead
    captions: int = 0
    masks: int = 0

    def add(self, other: PaintStats) -> None:
        self.visible += other.visible
        self.shapes += other.shapes
        self.tiny += other.tiny
        self.captions += other.captions
        self.masks += other.masks


class ItemGraphics:
    """The Qt objects one item is drawn with."""

    __slots__ = ("bbox_rect", "item", "prim", "sprite")

    def __init__(self, item: CanvasItem, sprite: Sprite) -> None:
        self.item = item
        self.sprite = sprite
        self.prim: QRectF | QPolygonF | None = None
        bbox = item.bbox
        self.bbox_rect = QRectF() if bbox is None else QRectF(
            bbox[0], bbox[1], bbox[2] - bbox[0], bbox[3] - bbox[1])
        if item.type is ItemType.BOX:
            self.prim = QRectF(self.bbox_rect)
        elif item.type in (ItemType.POLYGON, ItemType.POLYLINE):
            self.prim = QPolygonF([QPointF(x, y) for x, y in item.points.tolist()])


class _Group:
    """Unselected shapes of one kind drawn with one pen."""

    __slots__ = ("bbox_rects", "extent", "kind", "pen", "prims", "slots")

    def __init__(self, kind: ItemType, pen: Any) -> None:
        self.kind, self.pen = kind, pen
        self.slots: Any = []
        self.prims: list[Any] = []
        self.bbox_rects: list[QRectF] = []
        self.extent: Any = []


class _RenderList:
    def __init__(self) -> None:
        self.groups: list[_Group] = []
        self.masks: list[tuple[int, CanvasItem]] = []
        self.cap_slots: npt.NDArray[np.intp] = np.empty(0, np.intp)
        self.cap_anchor = np.empty((0, 2))
        self.cap_extent = np.empty(0)
        self.cap_sprite = np.empty((0, 4), np.intp)


class ShapePainter:
    def __init__(self) -> None:
        self.palette = st.Palette()
        self.atlas = CaptionAtlas(self.palette.caption_font)
        self.overlays = MaskOverlayCache()
        self.show_captions = True
        self._gfx: dict[str, ItemGraphics] = {}
        self._render: _RenderList | None = None
        self._render_key: tuple[int, int] = (-1, -1)

    def graphics(self, item: CanvasItem) -> ItemGraphics:
        gfx = self._gfx.get(item.id)
        if gfx is None or gfx.item is not item:
            sprite = self.atlas.sprite(item.caption, self.palette.color(item.color))
            gfx = self._gfx[item.id] = ItemGraphics(item, sprite)
        return gfx

    def forget_missing(self, scene: SceneModel) -> None:
        """Drops cached Qt objects of items no longer in the scene."""
        keep = {item.id for item in scene.items}
        for key in [k for k in self._gfx if k not in keep]:
            del self._gfx[key]
        self.overlays.retain(keep)

    # --- the cached layer ---------------------------------------------------------------

    def paint_layer(self, p: QPainter, scene: SceneModel, view: ViewTransform,
                    region: QRectF, *, smooth: bool) -> PaintStats:
        """Draws every shown, unselected item meeting ``region`` (widget coordinates; the
        caller clips to it). ``smooth`` False (while zooming) draws masks unfiltered rather than
        resampling them for a zoom that is about to change again."""
        stats = PaintStats()
        rl = self._render_list(scene)
        # Captions hang above their shapes: look a caption's height beyond the region.
        margin = self.atlas.height
        x0, y0 = view.to_image(region.left() - margin, region.top() - margin)
        x1, y1 = view.to_image(region.right() + margin, region.bottom() + margin)
        visible = scene.static_slots((x0, y0, x1, y1))
        stats.visible = int(visible.size)
        if not visible.size:
            return stats
        flag = np.zeros(len(scene), dtype=bool)
        flag[visible] = True
        s = view.scale
        for slot, item in rl.masks:
            if flag[slot]:
                self._draw_mask(p, item, view, smooth=smooth)
                stats.masks += 1
        p.setTransform(QTransform(s, 0.0, 0.0, s, view.ox, view.oy))
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setBrush(_NO_BRUSH)
        for g in rl.groups:
            self._draw_group(p, g, flag, s, stats)
        if self.show_captions:
            self._draw_captions(p, rl, flag, view, stats, self._selected_caption_rects(scene,
                                                                                     view))
        return stats

    def _selected_caption_rects(self, scene: SceneModel,
                                view: ViewTransform) -> list[tuple[int, int, int, int]]:
        """Where the captions of the shown, selected shapes go (x, y, w, h on screen)."""
        rects = []
        for item_id in scene.selection:
            item = scene.get(item_id)
            if item is not None and item.bbox is not None and scene.is_shown(item_id) and \
                    item.type is not ItemType.CLASSIFICATION:
                rects.append(self._caption_rect(self.graphics(item), view))
        return rects

    def _draw_group(self, p: QPainter, g: _Group, flag: Any, s: float, stats: PaintStats) -> None:
        shown = flag[g.slots]
        if not shown.any():
            return
        p.setPen(g.pen)
        if g.kind is ItemType.BOX:
            prims = g.prims if shown.all() else [g.prims[i] for i in np.flatnonzero(shown)]
            p.drawRects(prims)
            stats.shapes += len(prims)
            return
        tiny = g.extent * s < st.TINY_SHAPE_PX
        full = shown & ~tiny
        draw = p.drawPolygon if g.kind is ItemType.POLYGON else p.drawPolyline
        if full.all():
            for prim in g.prims:
                draw(prim)
            stats.shapes += len(g.prims)
            return
        for i in np.flatnonzero(full).tolist():
            draw(g.prims[i])
        stats.shapes += int(np.count_nonzero(full))
        small = shown & tiny
        if small.any():
            p.drawRects([g.bbox_rects[i] for i in np.flatnonzero(small)])
            stats.tiny += int(np.count_nonzero(small))

    def _draw_captions(self, p: QPainter, rl: _RenderList, flag: Any, view: ViewTransform,
                       stats: PaintStats,
                       avoid: list[tuple[int, int, int, int]] | None = None) -> None:
        s = view.scale
        keep = flag[rl.cap_slots] & (rl.cap_extent * s >= st.CAPTION_MIN_SHAPE_PX)
        idx = np.flatnonzero(keep)
        if not idx.size:
            return
        sprites = rl.cap_sprite[idx]
        h = sprites[:, 3]
        x = np.floor(rl.cap_anchor[idx, 0] * s + view.ox).astype(np.intp)
        y = np.floor(rl.cap_anchor[idx, 1] * s + view.oy).astype(np.intp) - h
        y = np.where(y < 0, y + h + 1, y)  # no room above the shape: inside its top edge
        # Declutter: one caption per screen cell (the topmost shape's), so a dense scene at
        # fit zoom shows readable captions instead of a wall of overlapping text.
        cell = (x // st.CAPTION_CELL_PX) + (y // (2 * self.atlas.height)) * 1_000_000
        _, first_from_top = np.unique(cell[::-1], return_index=True)
        chosen = np.sort(cell.size - 1 - first_from_top)
        x, y, sprites = x[chosen], y[chosen], sprites[chosen]
        if avoid:
            # A selected shape's caption goes on top: leave out the ones it would cover.
            clear = np.ones(x.size, dtype=bool)
            w = sprites[:, 2]
            hh = sprites[:, 3]
            for ax, ay, aw, ah in avoid:
                clear &= (x + w <= ax) | (x >= ax + aw) | (y + hh <= ay) | (y >= ay + ah)
            x, y, sprites = x[clear], y[clear], sprites[clear]
            chosen = chosen[clear]
        p.setTransform(QTransform())
        atlas = self.atlas.image
        draw = p.drawImage
        for xi, yi, (sx, sy, sw, sh) in zip(x.tolist(), y.tolist(), sprites.tolist(),
                                            strict=True):
            draw(xi, yi, atlas, sx, sy, sw, sh)
        stats.captions += int(chosen.size)

    def _render_list(self, scene: SceneModel) -> _RenderList:
        key = (id(scene), scene.version)
        if self._render is not None and self._render_key == key:
            return self._render
        rl = _RenderList()
        groups: dict[tuple[int, str, bool], _Group] = {}
        caps: list[tuple[int, float, float, float, Sprite]] = []
        for slot in scene.static_slots((-np.inf, -np.inf, np.inf, np.inf)).tolist():
            item = scene.at(slot)
            gfx = self.graphics(item)
            x0, y0, x1, y1 = item.bbox  # type: ignore[misc]
            extent = max(x1 - x0, y1 - y0)
            if item.type is ItemType.MASK:
                rl.masks.append((slot, item))
            if item.type is not ItemType.MASK or item.is_pending:
                kind = ItemType.BOX if item.type is ItemType.MASK else item.type
                gkey = (_KIND_ORDER[kind], item.color, item.is_pending)
                g = groups.get(gkey)
                if g is None:
                    g = groups[gkey] = _Group(kind, self.palette.pen(item.color,
                                                                     dashed=item.is_pending))
                g.slots.append(slot)
                g.prims.append(gfx.prim if gfx.prim is not None else gfx.bbox_rect)
                g.bbox_rects.append(gfx.bbox_rect)
                g.extent.append(extent)
            caps.append((slot, x0, y0, extent, gfx.sprite))
        for g in sorted(groups.values(), key=lambda g: _KIND_ORDER[g.kind]):
            g.slots = np.asarray(g.slots, dtype=np.intp)
            g.extent = np.asarray(g.extent, dtype=np.float64)
            rl.groups.append(g)
        if caps:
            cols = list(zip(*caps, strict=True))
            rl.cap_slots = np.asarray(cols[0], dtype=np.intp)
            rl.cap_anchor = np.column_stack([cols[1], cols[2]]).astype(np.float64)
            rl.cap_extent = np.asarray(cols[3], dtype=np.float64)
            rl.cap_sprite = np.asarray(cols[4], dtype=np.intp).reshape(-1, 4)
        self._render, self._render_key = rl, key
        return rl

    # --- single items (selected, hovered, being edited) ---------------------------------

    def paint_item(self, p: QPainter, item: CanvasItem, view: ViewTransform, *,
                   selected: bool, active_vertex: int | None = None, handles: bool = True,
                   mask_override: tuple[Any, int, int] | None = None) -> None:
        """Draws one item emphasised: wider outline, light fill, and when selected (and
        ``handles``: it can be edited) its handles. ``mask_override`` (image, x0, y0) shows a
        mask being painted or dragged."""
        gfx = self.graphics(item)
        s = view.scale
        p.setTransform(QTransform(s, 0.0, 0.0, s, view.ox, view.oy))
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        pen = self.palette.pen(item.color, dashed=item.is_pending, width=2.0)
        if item.type is ItemType.MASK:
            image, x0, y0 = mask_override or self.overlays.overlay(
                item, self.palette.color(item.color), st.MASK_ALPHA_SELECTED,
                self.palette.light(item.color) if item.is_pending else None)
            if not image.isNull():
                p.drawImage(QPointF(x0, y0), image)
            if selected:
                p.setBrush(_NO_BRUSH)
                p.setPen(self.palette.pen(item.color, dashed=True))
                rect = QRectF(x0, y0, image.width(), image.height()) if mask_override \
                    else gfx.bbox_rect
                p.drawRect(rect)
        else:
            fill = self.palette.translucent(item.color, st.SELECTED_FILL_ALPHA)
            p.setPen(pen)
            p.setBrush(fill if selected else _NO_BRUSH)
            prim = gfx.prim
            if isinstance(prim, QRectF):
                p.drawRect(prim)
            elif isinstance(prim, QPolygonF) and item.type is ItemType.POLYGON:
                p.drawPolygon(prim)
            elif isinstance(prim, QPolygonF):
                p.setBrush(_NO_BRUSH)
                p.drawPolyline(prim)
        if self.show_captions and item.bbox is not None:
            self._draw_one_caption(p, gfx, view)
        if selected and handles and item.type is not ItemType.MASK:
            self.paint_handles(p, item, view, active_vertex)

    def paint_handles(self, p: QPainter, item: CanvasItem, view: ViewTransform,
                      active_vertex: int | None) -> None:
        is_box = item.type is ItemType.BOX
        pts = box_handles(*item.bbox) if is_box else item.points  # type: ignore[misc]
        screen = pts * view.scale + np.array([view.ox, view.oy])
        half = st.HANDLE_PX / 2.0
        p.setTransform(QTransform())
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.setPen(self.palette.pen(item.color, dashed=False))
        p.setBrush(st.HANDLE_FILL)
        p.drawRects([QRectF(x - half, y - half, st.HANDLE_PX, st.HANDLE_PX)
                     for x, y in screen.tolist()])
        if active_vertex is not None and 0 <= active_vertex < len(screen):
            x, y = screen[active_vertex]
            p.setBrush(st.ACTIVE_HANDLE_FILL)
            p.drawRect(QRectF(x - half - 1, y - half - 1, st.HANDLE_PX + 2, st.HANDLE_PX + 2))

    def _caption_rect(self, gfx: ItemGraphics, view: ViewTransform) -> tuple[int, int, int, int]:
        """Screen rect of the item's caption: above its top-left corner, or just inside it
        when there is no room above (the same rule as the layer's captions)."""
        x0, y0 = view.to_screen(gfx.bbox_rect.left(), gfx.bbox_rect.top())
        _, _, sw, sh = gfx.sprite
        x, y = int(np.floor(x0)), int(np.floor(y0)) - sh
        if y < 0:
            y += sh + 1
        return x, y, sw, sh

    def _draw_one_caption(self, p: QPainter, gfx: ItemGraphics, view: ViewTransform) -> None:
        x, y, sw, sh = self._caption_rect(gfx, view)
        sx, sy = gfx.sprite[:2]
        p.setTransform(QTransform())
        # Opaque: this caption is drawn over the layer's, which must not show through.
        p.fillRect(x, y, sw, sh, st.CAPTION_BACKGROUND_OPAQUE)
        p.drawImage(x, y, self.atlas.image, sx, sy, sw, sh)

    def paint_notice(self, p: QPainter, text: str, width: float) -> None:
        """A short note in the top-right corner of the view (e.g. that it is read-only)."""
        p.setTransform(QTransform())
        p.setFont(self.palette.caption_font)
        metrics = p.fontMetrics()
        w = metrics.horizontalAdvance(text) + 12
        h = metrics.height() + 6
        rect = QRectF(width - w - st.BADGE_MARGIN_PX, st.BADGE_MARGIN_PX, w, h)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(st.NOTICE_BACKGROUND)
        p.drawRoundedRect(rect, 4.0, 4.0)
        p.setPen(st.NOTICE_TEXT)
        p.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)

    def _draw_mask(self, p: QPainter, item: CanvasItem, view: ViewTransform, *,
                   smooth: bool) -> None:
        alpha = st.MASK_ALPHA_PENDING if item.is_pending else st.MASK_ALPHA_ACCEPTED
        edge = self.palette.light(item.color) if item.is_pending else None
        image, x0, y0 = self.overlays.overlay(item, self.palette.color(item.color), alpha, edge)
        if image.isNull():
            return
        s = view.scale
        dpr = p.device().devicePixelRatioF()
        small = self.overlays.scaled(item.id, image, s * dpr, make=smooth, edge=edge) \
            if s < 1.0 else None
        if small is not None:
            small.setDevicePixelRatio(dpr)
            p.setTransform(QTransform())
            p.drawImage(round(x0 * s + view.ox), round(y0 * s + view.oy), small)
        else:
            p.setTransform(QTransform(s, 0.0, 0.0, s, view.ox, view.oy))
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
            p.drawImage(QPointF(x0, y0), image)

    # --- classification badges (screen space, top-left corner) --------------------------

    def paint_badges(self, p: QPainter, items: list[CanvasItem],
                     selection: set[str]) -> list[tuple[str, QRectF]]:
        """Draws one badge per classification; returns their rects for click testing."""
        p.setTransform(QTransform())
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        rects: list[tuple[str, QRectF]] = []
        y = st.BADGE_MARGIN_PX
        for item in items:
            gfx = self.graphics(item)
            sx, sy, sw, sh = gfx.sprite
            rect = QRectF(st.BADGE_MARGIN_PX, y, sw + 10.0, sh + 8.0)
            chosen = item.id in selection
            p.setPen(self.palette.pen(item.color, dashed=item.is_pending,
                                      width=2.0 if chosen else 1.0))
            p.setBrush(self.palette.translucent(item.color, 90) if chosen
                       else st.CAPTION_BACKGROUND)
            p.drawRoundedRect(rect, 4.0, 4.0)
            p.drawImage(int(rect.left()) + 5, int(rect.top()) + 4, self.atlas.image,
                        sx, sy, sw, sh)
            rects.append((item.id, rect))
            y += rect.height() + 4.0
        return rects
