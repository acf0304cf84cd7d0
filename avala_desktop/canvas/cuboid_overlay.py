"""Drawing cuboids over a rendered point view: wireframes with a heading mark, captions,
handles of the selected box in the orthographic views, and the rectangle of a box being drawn.

The look follows the 2D canvas (style2d): pending suggestions dashed, accepted and edited
boxes solid, in their label's colour; the selected box wider, lightly filled, with handles.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen, QPolygonF

from avala_desktop.canvas import style2d as st
from avala_desktop.canvas.captions import CaptionAtlas
from avala_desktop.canvas.cuboid_tools import (
    Handle,
    handle_pixels,
    screen_hull,
    view_handles,
)
from avala_desktop.canvas.scene3d import CuboidItem
from avala_desktop.core.camera3d import Camera, OrthoCamera, OrthoView, to_camera_space
from avala_desktop.core.geometry3d import Cuboid, cuboid_segments, project_segments

_NO_BRUSH = QBrush(Qt.BrushStyle.NoBrush)
TITLE_COLOR = QColor(220, 222, 228)
TITLE_BACKGROUND = QColor(0, 0, 0, 210)
HINT_COLOR = QColor(150, 154, 162)
DRAFT_COLOR = "#00c8ff"


class CuboidOverlay:
    def __init__(self) -> None:
        self.palette = st.Palette()
        self.atlas = CaptionAtlas(self.palette.caption_font)
        self.show_captions = True

    def paint_boxes(self, p: QPainter, drawn: Sequence[tuple[CuboidItem, Cuboid]],
                    camera: Camera, width: int, height: int, *, selection: set[str]) -> int:
        """Draws every box in view, the selected ones last (on top); returns how many."""
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        ordered = sorted(drawn, key=lambda pair: pair[0].id in selection)
        count = 0
        for item, box in ordered:
            if not self._in_slab(box, camera):
                continue
            edges, heading = cuboid_segments(box)
            segs, visible = project_segments(np.concatenate([edges, heading]), camera, width,
                                             height)
            segs = segs[visible]
            if not len(segs) or not _meets_screen(segs, width, height):
                continue
            selected = item.id in selection
            if selected:
                hull = screen_hull(box, camera, width, height)
                if hull is not None and len(hull) >= 3:
                    p.setPen(Qt.PenStyle.NoPen)
                    p.setBrush(self.palette.translucent(item.color, st.SELECTED_FILL_ALPHA))
                    p.drawPolygon(QPolygonF([QPointF(x, y) for x, y in hull.tolist()]))
            p.setBrush(_NO_BRUSH)
            p.setPen(self.palette.pen(item.color, dashed=item.is_pending,
                                      width=2.0 if selected else 1.0))
            p.drawLines([QLineF(x0, y0, x1, y1) for (x0, y0), (x1, y1) in segs.tolist()])
            if self.show_captions:
                # Below a selected box in the small views: above it sits the rotation handle.
                below = selected and isinstance(camera, OrthoCamera)
                self._caption(p, item, segs, width, height, below=below,
                              upright=isinstance(camera, OrthoCamera))
            count += 1
        return count

    def paint_handles(self, p: QPainter, item: CuboidItem, box: Cuboid, view: OrthoView,
                      camera: OrthoCamera, width: int, height: int,
                      active: Handle | None = None) -> None:
        handles = view_handles(view)
        pix = handle_pixels(box, handles, camera, width, height)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        pen = self.palette.pen(item.color, dashed=False)
        half = st.HANDLE_PX / 2.0
        for handle, (x, y) in zip(handles, pix.tolist(), strict=True):
            fill = st.ACTIVE_HANDLE_FILL if handle == active else st.HANDLE_FILL
            p.setPen(pen)
            p.setBrush(fill)
            if handle.kind == "rotate":
                front = handle_pixels(box, [Handle("edge", (1, 0, 0))], camera, width, height)[0]
                p.drawLine(QPointF(*front), QPointF(x, y))
                p.drawEllipse(QPointF(x, y), half + 1.5, half + 1.5)
            else:
                p.drawRect(QRectF(x - half, y - half, st.HANDLE_PX, st.HANDLE_PX))

    def paint_draft(self, p: QPainter, rect: QRectF) -> None:
        """The footprint of a box being drawn in the top view."""
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.setPen(self.palette.pen(DRAFT_COLOR, dashed=True, width=1.0))
        p.setBrush(self.palette.translucent(DRAFT_COLOR, st.SELECTED_FILL_ALPHA))
        p.drawRect(rect.normalized())

    def paint_title(self, p: QPainter, text: str) -> None:
        p.setFont(self.palette.caption_font)
        metrics = p.fontMetrics()
        rect = QRectF(0.0, 0.0, metrics.horizontalAdvance(text) + 12.0, metrics.height() + 6.0)
        p.fillRect(rect, TITLE_BACKGROUND)
        p.setPen(QPen(TITLE_COLOR))
        p.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)

    def paint_hint(self, p: QPainter, text: str, width: int, height: int) -> None:
        p.setFont(self.palette.caption_font)
        p.setPen(QPen(HINT_COLOR))
        p.drawText(QRectF(8.0, 0.0, width - 16.0, float(height)),
                   Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, text)

    # --- helpers ------------------------------------------------------------------------------

    def _caption(self, p: QPainter, item: CuboidItem, segs: np.ndarray, width: int,
                 height: int, *, below: bool, upright: bool) -> None:
        sx, sy, sw, sh = self.atlas.sprite(item.caption, self.palette.color(item.color))
        pts = segs.reshape(-1, 2)
        top, bottom = int(np.floor(pts[:, 1].min())), int(np.ceil(pts[:, 1].max()))
        # Hung on the highest (lowest) corner, not the bounding rect's, which for a turned
        # box in perspective can be far from the box itself.
        edge = pts[np.abs(pts[:, 1] - (bottom if below else top)) <= 1.0]
        anchor = float(edge[:, 0].min()) if len(edge) else float(pts[:, 0].min())
        if not upright:
            anchor -= sw / 2.0
        x = int(np.clip(anchor, 0, max(0, width - sw)))
        y = bottom + 4 if below else top - sh - 1
        if y < 0:
            y = top + 1
        elif y + sh > height:
            y = bottom - sh - 1
        p.drawImage(x, y, self.atlas.image, sx, sy, sw, sh)

    @staticmethod
    def _in_slab(box: Cuboid, camera: Camera) -> bool:
        """Orthographic side views show a slab of the scene: boxes outside it are left out."""
        if not isinstance(camera, OrthoCamera) or camera.depth_range is None:
            return True
        depth = float(to_camera_space(box.center[None], camera)[0, 2])
        return abs(depth) <= camera.depth_range + float(np.linalg.norm(box.dims)) / 2.0


def _meets_screen(segs: np.ndarray, width: int, height: int) -> bool:
    pts = segs.reshape(-1, 2)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    return bool(hi[0] >= 0 and hi[1] >= 0 and lo[0] <= width and lo[1] <= height)
