"""Every window command as a QAction, with its shortcuts, in one table.

The same table feeds the menus, the toolbar and the F1 help dialog, so a shortcut cannot be
documented differently from how it works. Keys the 2D canvas and the 3D review page handle
themselves (drags, arrows, brush size, orbit ...) are listed in ``CANVAS_KEYS`` and
``POINTCLOUD_KEYS`` for the help dialog only. The help groups everything by where it works
(``SECTIONS``).

Delete has two keys: ``D`` is a window shortcut; ``Del`` is not registered as one, because the
canvas uses Del to delete a chosen polygon vertex and a window shortcut would take the key
before the canvas sees it. The canvas passes Del on when it has no vertex chosen, and the
window handles it then (``MainWindow.keyPressEvent``).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget


@dataclass(frozen=True)
class ActionSpec:
    name: str
    text: str
    keys: tuple[str, ...]
    section: str
    help: str
    checkable: bool = False
    extra_keys_text: str = ""  # keys handled outside the shortcut system, for the help list


# Help sections, in the order the F1 list shows them: everywhere, then per page.
PROJECT, EDIT, REVIEW = "Project and files", "Undo and redo", "Review (images and point clouds)"
TOOLS, VIEW_2D, CANVAS = "2D canvas: tools", "2D canvas: view", "2D canvas: mouse and keys"
CLOUD, HELP = "3D review (point clouds)", "Help"
SECTIONS: tuple[str, ...] = (PROJECT, EDIT, REVIEW, TOOLS, VIEW_2D, CANVAS, CLOUD, HELP)

ACTION_SPECS: tuple[ActionSpec, ...] = (
    ActionSpec("open", "&Open Project…", ("Ctrl+O",), PROJECT, "Open a project folder"),
    ActionSpec("close_project", "&Close Project", ("Ctrl+W",), PROJECT,
               "Close the project (everything is already saved)"),
    ActionSpec("export", "&Export…", ("Ctrl+E",), PROJECT,
               "Export the reviewed annotations (COCO, YOLO, labelme, VOC, KITTI, Avala JSON)"),
    ActionSpec("import_annotations", "&Import…", ("Ctrl+I",), PROJECT,
               "Import annotations, or predictions made elsewhere as suggestions to review"),
    ActionSpec("quit", "&Quit", ("Ctrl+Q",), PROJECT, "Quit"),
    ActionSpec("auto_label", "&Auto-Label…", ("Ctrl+L",), PROJECT,
               "Run a model over the project's assets"),
    ActionSpec("inference_settings", "&Inference Providers…", (), PROJECT,
               "Add, edit and test model providers"),
    ActionSpec("accept", "&Accept", ("A",), REVIEW, "Accept the selected suggestion as it is"),
    ActionSpec("delete", "&Delete", ("D",), REVIEW, "Delete (reject) the selected annotation",
               extra_keys_text="Del"),
    ActionSpec("next_suggestion", "&Next Suggestion", ("Tab",), REVIEW,
               "Select the next annotation in the table"),
    ActionSpec("prev_suggestion", "&Previous Suggestion", ("Shift+Tab", "Backtab"), REVIEW,
               "Select the previous annotation in the table"),
    ActionSpec("relabel", "&Change Label…", ("L",), REVIEW,
               "Pick another label for the selection (also: double-click its Label cell)"),
    ActionSpec("classify", "Add &Classification…", ("C",), REVIEW,
               "Classify the whole asset with a label (in a 3D view C draws a box)"),
    ActionSpec("accept_all", "Accept All &Shown…", ("Ctrl+Shift+A",), REVIEW,
               "Accept every pending suggestion shown on this asset (asks first)"),
    ActionSpec("next_asset", "Next Asset Needing &Review", ("N",), REVIEW,
               "Go to the next asset with pending suggestions"),
    ActionSpec("prev_asset", "Previous Asset", ("Shift+N",), REVIEW,
               "Go to the previous asset in the browser"),
    ActionSpec("submit", "&Submit Asset", ("Ctrl+Return", "Ctrl+Enter"), REVIEW,
               "Submit the asset (refused while a suggestion is pending); it becomes read-only"),
    ActionSpec("reopen", "Re&open Asset", ("Ctrl+Shift+R",), REVIEW,
               "Take a submitted asset back into review, so it can be changed again"),
    ActionSpec("undo", "&Undo", ("Ctrl+Z",), EDIT, "Undo the last action"),
    ActionSpec("redo", "&Redo", ("Ctrl+Shift+Z", "Ctrl+Y"), EDIT, "Redo"),
    ActionSpec("tool_select", "&Select / Edit", ("V",), TOOLS,
               "Select, move, resize and edit vertices", checkable=True),
    ActionSpec("tool_box", "Draw &Box", ("B",), TOOLS, "Draw bounding boxes", checkable=True),
    ActionSpec("tool_polygon", "Draw &Polygon", ("P",), TOOLS,
               "Draw polygons: click vertices, Enter or double-click to finish", checkable=True),
    ActionSpec("tool_polyline", "Draw Poly&line", ("I",), TOOLS,
               "Draw polylines: click points, Enter or double-click to finish", checkable=True),
    ActionSpec("tool_mask", "&Mask Brush", ("M",), TOOLS,
               "Paint the selected mask, or a new one when none is selected", checkable=True),
    ActionSpec("brush_erase", "&Erase With Brush", ("X",), TOOLS,
               "Make the brush erase (Shift inverts while painting)", checkable=True),
    ActionSpec("fit", "&Fit Image", ("F",), VIEW_2D, "Fit the image to the window"),
    ActionSpec("captions", "Show &Captions", ("Shift+C",), VIEW_2D,
               "Label and confidence next to each shape", checkable=True),
    ActionSpec("help", "&Keyboard Shortcuts", ("F1",), HELP, "This list"),
)

# Keys and gestures the canvas handles itself: listed in the help, not registered here.
CANVAS_KEYS: tuple[tuple[str, str, str], ...] = (
    (CANVAS, "Click / Ctrl+click", "Select the smallest shape under the cursor / toggle it"),
    (CANVAS, "Drag a shape", "Move it (a suggestion becomes edited, i.e. accepted)"),
    (CANVAS, "Drag a box handle", "Resize the box"),
    (CANVAS, "Drag a vertex", "Move a polygon or polyline vertex"),
    (CANVAS, "Alt+click / double-click an edge", "Insert a vertex"),
    (CANVAS, "Shift+click a vertex, Del", "Delete the vertex"),
    (CANVAS, "Arrow keys (Shift: ×10)", "Nudge the selection by a pixel"),
    (CANVAS, "Wheel", "Zoom at the cursor"),
    (CANVAS, "Right/middle drag, Space+drag", "Pan"),
    (CANVAS, "Double-click empty space", "Fit the image"),
    (CANVAS, "[ / ]", "Shrink / grow the mask brush"),
    (CANVAS, "Esc", "Abandon the drag or the shape being drawn; then back to Select"),
    (CANVAS, "Enter / Backspace", "Finish the polygon or polyline / remove its last point"),
)

# The 3D review page's own mouse and keys (views/pointcloud_review.py, canvas/viewport3d.py).
# Its review keys are taken before the window's while a 3D view or its box list has the focus.
POINTCLOUD_KEYS: tuple[tuple[str, str, str], ...] = (
    (CLOUD, "Left drag (perspective view)", "Orbit around the centre of the view"),
    (CLOUD, "Right/middle drag, Shift+drag", "Pan (in the top, side and front views also a "
                                             "left drag away from the box)"),
    (CLOUD, "Wheel", "Zoom (at the cursor in the top, side and front views)"),
    (CLOUD, "Click / Ctrl+click a box", "Select it / add it to or take it from the selection"),
    (CLOUD, "Double-click a box", "Select it and orbit around it"),
    (CLOUD, "Drag a handle (top, side, front)", "Move, turn or resize the selected box; in the "
                                                "side and front views its height and z"),
    (CLOUD, "R", "Reset the views to the whole cloud"),
    (CLOUD, "F", "Orbit around the selected box"),
    (CLOUD, "C or B, then drag in the top view", "Draw a new box (its height comes from the "
                                                 "points)"),
    (CLOUD, "Esc", "Cancel the drag (the box goes back as it was) or the drawing"),
    (CLOUD, "A / D, Del", "Accept / delete the selected box, as in 2D"),
    (CLOUD, "Tab / Shift+Tab", "Next / previous suggestion, as in 2D"),
)


def key_text(spec: ActionSpec) -> str:
    """The keys as a person reads them, e.g. ``Ctrl+Shift+Z, Ctrl+Y``."""
    shown = [QKeySequence(k).toString(QKeySequence.SequenceFormat.NativeText)
             for k in spec.keys if k != "Backtab"]
    if spec.extra_keys_text:
        shown.append(spec.extra_keys_text)
    return ", ".join(shown)


def help_rows() -> list[tuple[str, str, str]]:
    """(section, keys, what it does) for every shortcut and gesture, grouped by section in
    ``SECTIONS`` order (within a section: window actions first, in table order)."""
    rows = [(s.section, key_text(s), s.help) for s in ACTION_SPECS if s.keys]
    rows += [*CANVAS_KEYS, *POINTCLOUD_KEYS]
    order = {name: i for i, name in enumerate(SECTIONS)}
    return sorted(rows, key=lambda row: order[row[0]])  # stable: table order kept


class ActionSet(QObject):
    """The window's QActions by name: ``actions.accept``, ``actions["undo"]`` ..."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._actions: dict[str, QAction] = {}
        for spec in ACTION_SPECS:
            action = QAction(spec.text, window)
            action.setObjectName(f"action_{spec.name}")
            action.setShortcuts([QKeySequence(k) for k in spec.keys])
            # Window-wide: the keys work whether the canvas or a panel has the focus.
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.setCheckable(spec.checkable)
            tip = spec.help
            keys = key_text(spec)
            action.setToolTip(f"{tip} ({keys})" if keys else tip)
            action.setStatusTip(tip)
            window.addAction(action)
            self._actions[spec.name] = action

    def __getitem__(self, name: str) -> QAction:
        return self._actions[name]

    def __getattr__(self, name: str) -> QAction:
        actions = self.__dict__.get("_actions")
        if actions is not None and name in actions:
            return actions[name]
        raise AttributeError(name)

    def names(self) -> list[str]:
        return list(self._actions)
