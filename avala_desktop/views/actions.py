"""Every window command as a QAction, with its shortcuts, in one table.

The same table feeds the menus, the toolbar and the F1 help dialog, so a shortcut cannot be
documented differently from how it works. Keys the canvas handles itself (drags, arrows,
brush size ...) are listed in ``CANVAS_KEYS`` for the help dialog only.

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


ACTION_SPECS: tuple[ActionSpec, ...] = (
    ActionSpec("open", "&Open Project…", ("Ctrl+O",), "Project", "Open a project folder"),
    ActionSpec("close_project", "&Close Project", ("Ctrl+W",), "Project",
               "Close the project (everything is already saved)"),
    ActionSpec("quit", "&Quit", ("Ctrl+Q",), "Project", "Quit"),
    ActionSpec("auto_label", "&Auto-Label…", ("Ctrl+L",), "Project",
               "Run a model over the project's assets"),
    ActionSpec("inference_settings", "&Inference Providers…", (), "Project",
               "Add, edit and test model providers"),
    ActionSpec("accept", "&Accept", ("A",), "Review", "Accept the selected suggestion as it is"),
    ActionSpec("delete", "&Delete", ("D",), "Review", "Delete (reject) the selected annotation",
               extra_keys_text="Del"),
    ActionSpec("next_suggestion", "&Next Suggestion", ("Tab",), "Review",
               "Select the next annotation in the table"),
    ActionSpec("prev_suggestion", "&Previous Suggestion", ("Shift+Tab", "Backtab"), "Review",
               "Select the previous annotation in the table"),
    ActionSpec("relabel", "&Change Label…", ("L",), "Review",
               "Pick another label for the selection (also: double-click its Label cell)"),
    ActionSpec("classify", "Add &Classification…", ("C",), "Review",
               "Classify the whole asset with a label"),
    ActionSpec("accept_all", "Accept All &Shown…", ("Ctrl+Shift+A",), "Review",
               "Accept every pending suggestion shown on this asset (asks first)"),
    ActionSpec("next_asset", "Next Asset Needing &Review", ("N",), "Review",
               "Go to the next asset with pending suggestions"),
    ActionSpec("prev_asset", "Previous Asset", ("Shift+N",), "Review",
               "Go to the previous asset in the browser"),
    ActionSpec("submit", "&Submit Asset", ("Ctrl+Return", "Ctrl+Enter"), "Review",
               "Submit the asset (refused while a suggestion is pending)"),
    ActionSpec("undo", "&Undo", ("Ctrl+Z",), "Edit", "Undo the last action"),
    ActionSpec("redo", "&Redo", ("Ctrl+Shift+Z", "Ctrl+Y"), "Edit", "Redo"),
    ActionSpec("tool_select", "&Select / Edit", ("V",), "Tools",
               "Select, move, resize and edit vertices", checkable=True),
    ActionSpec("tool_box", "Draw &Box", ("B",), "Tools", "Draw bounding boxes", checkable=True),
    ActionSpec("tool_polygon", "Draw &Polygon", ("P",), "Tools",
               "Draw polygons: click vertices, Enter or double-click to finish", checkable=True),
    ActionSpec("tool_polyline", "Draw Poly&line", ("I",), "Tools",
               "Draw polylines: click points, Enter or double-click to finish", checkable=True),
    ActionSpec("tool_mask", "&Mask Brush", ("M",), "Tools",
               "Paint the selected mask, or a new one when none is selected", checkable=True),
    ActionSpec("brush_erase", "&Erase With Brush", ("X",), "Tools",
               "Make the brush erase (Shift inverts while painting)", checkable=True),
    ActionSpec("fit", "&Fit Image", ("F",), "View", "Fit the image to the window"),
    ActionSpec("captions", "Show &Captions", ("Shift+C",), "View",
               "Label and confidence next to each shape", checkable=True),
    ActionSpec("help", "&Keyboard Shortcuts", ("F1",), "Help", "This list"),
)

# Keys and gestures the canvas handles itself: listed in the help, not registered here.
CANVAS_KEYS: tuple[tuple[str, str, str], ...] = (
    ("Canvas", "Click / Ctrl+click", "Select the smallest shape under the cursor / toggle it"),
    ("Canvas", "Drag a shape", "Move it (a suggestion becomes edited, i.e. accepted)"),
    ("Canvas", "Drag a box handle", "Resize the box"),
    ("Canvas", "Drag a vertex", "Move a polygon or polyline vertex"),
    ("Canvas", "Alt+click / double-click an edge", "Insert a vertex"),
    ("Canvas", "Shift+click a vertex, Del", "Delete the vertex"),
    ("Canvas", "Arrow keys (Shift: ×10)", "Nudge the selection by a pixel"),
    ("Canvas", "Wheel", "Zoom at the cursor"),
    ("Canvas", "Right/middle drag, Space+drag", "Pan"),
    ("Canvas", "Double-click empty space", "Fit the image"),
    ("Canvas", "[ / ]", "Shrink / grow the mask brush"),
    ("Canvas", "Esc", "Abandon the drag or the shape being drawn; then back to Select"),
    ("Canvas", "Enter / Backspace", "Finish the polygon or polyline / remove its last point"),
)


def key_text(spec: ActionSpec) -> str:
    """The keys as a person reads them, e.g. ``Ctrl+Shift+Z, Ctrl+Y``."""
    shown = [QKeySequence(k).toString(QKeySequence.SequenceFormat.NativeText)
             for k in spec.keys if k != "Backtab"]
    if spec.extra_keys_text:
        shown.append(spec.extra_keys_text)
    return ", ".join(shown)


def help_rows() -> list[tuple[str, str, str]]:
    """(section, keys, what it does) for every shortcut, window actions first."""
    rows = [(s.section, key_text(s), s.help) for s in ACTION_SPECS if s.keys]
    return rows + list(CANVAS_KEYS)


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
