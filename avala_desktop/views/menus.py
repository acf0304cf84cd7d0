"""Menus and the toolbar, laid out from the window's ActionSet."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QActionGroup
from PySide6.QtWidgets import QMainWindow, QMenu, QToolBar

from avala_desktop.views.actions import ActionSet

TOOL_ACTIONS = ("tool_select", "tool_box", "tool_polygon", "tool_polyline", "tool_mask")


def build_menus(window: QMainWindow, actions: ActionSet) -> QMenu:
    """Creates the menu bar; returns the (empty) Open Recent submenu for the window to fill."""
    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    file_menu.addAction(actions.open)
    recent = file_menu.addMenu("Open &Recent")
    recent.setObjectName("recentMenu")
    file_menu.addAction(actions.close_project)
    file_menu.addSeparator()
    file_menu.addAction(actions.import_annotations)
    file_menu.addAction(actions.export)
    file_menu.addSeparator()
    file_menu.addAction(actions.quit)

    edit = bar.addMenu("&Edit")
    for name in ("undo", "redo"):
        edit.addAction(actions[name])
    edit.addSeparator()
    edit.addAction(actions.relabel)

    review = bar.addMenu("&Review")
    review_items: tuple[str | None, ...] = (
        "accept", "delete", "accept_all", None, "next_suggestion", "prev_suggestion", None,
        "classify", None, "next_asset", "prev_asset", None, "submit", "reopen")
    for item in review_items:
        if item is None:
            review.addSeparator()
        else:
            review.addAction(actions[item])

    tools = bar.addMenu("&Tools")
    for name in TOOL_ACTIONS:
        tools.addAction(actions[name])
    tools.addSeparator()
    tools.addAction(actions.brush_erase)

    view = bar.addMenu("&View")
    view.addAction(actions.fit)
    view.addAction(actions.captions)
    view.setObjectName("viewMenu")

    project = bar.addMenu("&Project")
    project.addAction(actions.auto_label)
    project.addSeparator()
    project.addAction(actions.inference_settings)

    help_menu = bar.addMenu("&Help")
    help_menu.addAction(actions.help)
    return recent


def build_toolbar(window: QMainWindow, actions: ActionSet) -> QToolBar:
    bar = QToolBar("Tools", window)
    bar.setObjectName("toolsToolbar")
    bar.setMovable(False)
    bar.setIconSize(QSize(16, 16))
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    group = QActionGroup(window)
    group.setExclusive(True)
    for name in TOOL_ACTIONS:
        group.addAction(actions[name])
        bar.addAction(actions[name])
    actions.tool_select.setChecked(True)
    bar.addAction(actions.brush_erase)
    bar.addSeparator()
    for name in ("accept", "delete", "accept_all", "submit"):
        bar.addAction(actions[name])
    bar.addSeparator()
    for name in ("undo", "redo", "fit"):
        bar.addAction(actions[name])
    window.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
    return bar
