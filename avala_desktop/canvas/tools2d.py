"""What every canvas tool gets and implements: a pointer event in both coordinate systems and a
small host interface to the canvas (the tools never see the store, only the canvas's signals)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QKeyEvent, QPainter

from avala_desktop.canvas import qt_guard  # noqa: F401  (PySide6 refcount workaround)

if TYPE_CHECKING:
    from avala_desktop.canvas.painter2d import ShapePainter
    from avala_desktop.canvas.scene2d import SceneModel
    from avala_desktop.canvas.shapes2d import CanvasItem
    from avala_desktop.canvas.viewport import ViewTransform


@dataclass(frozen=True)
class Pointer:
    x: float  # image pixels
    y: float
    sx: float  # widget pixels
    sy: float
    button: Qt.MouseButton
    buttons: Qt.MouseButton
    modifiers: Qt.KeyboardModifier

    def has(self, modifier: Qt.KeyboardModifier) -> bool:
        return bool(self.modifiers & modifier)


class ToolHost(Protocol):
    """The part of Canvas2D that tools use."""

    scene: SceneModel
    painter2d: ShapePainter

    @property
    def view(self) -> ViewTransform: ...
    def image_size(self) -> tuple[int, int] | None: ...
    def hit_tolerance(self) -> float: ...
    def is_read_only(self) -> bool: ...
    def refuse_edit(self) -> None: ...
    def new_shape_color(self) -> str: ...
    def select_by_user(self, ids: list[str]) -> None: ...
    def preview_item(self, item: CanvasItem) -> None: ...
    def emit_edit(self, item_id: str, old: dict[str, Any], new: dict[str, Any],
                  merge_id: int) -> None: ...
    def emit_created(self, type_name: str, geometry: dict[str, Any]) -> None: ...
    def new_merge_id(self) -> int: ...
    def set_hover(self, item_id: str | None) -> None: ...
    def set_cursor_shape(self, shape: Qt.CursorShape) -> None: ...
    def badge_at(self, sx: float, sy: float) -> str | None: ...
    def fit_to_window(self) -> None: ...
    def brush_changed(self, radius: float) -> None: ...
    def request_update(self) -> None: ...


class CanvasTool:
    """Default behaviour: nothing handled, so the canvas (or the main window) gets the event."""

    name = "tool"

    def __init__(self, host: ToolHost) -> None:
        self.host = host

    def press(self, ev: Pointer) -> bool:
        return False

    def move(self, ev: Pointer) -> bool:
        return False

    def release(self, ev: Pointer) -> bool:
        return False

    def double_click(self, ev: Pointer) -> bool:
        return False

    def key_press(self, event: QKeyEvent) -> bool:
        return False

    def cancel(self) -> None:
        """Abandons a gesture in progress, restoring whatever it previewed."""

    def busy(self) -> bool:
        """True while a gesture (a drag, a shape being drawn) is in progress."""
        return False

    def paint_overlay(self, p: QPainter) -> None:
        """Draws the tool's own feedback (a shape being drawn, the brush) over everything."""

    def mask_override(self, item_id: str) -> tuple[QImage, int, int] | None:
        """(overlay, x0, y0) to show instead of a mask's cached overlay while it is edited."""
        return None
