"""Shared setup for the main-window tests: a project with two generated images and stored
suggestions of every 2D type, a window opened on it, and input helpers. No tests live here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from avala_desktop.canvas import qt_guard  # noqa: F401  (before any widget exists)
from avala_desktop.core.demo_data import demo_image
from avala_desktop.core.discovery import discover_assets
from avala_desktop.core.masks import rle
from avala_desktop.core.store import AnnotationRecord, ProjectStore
from avala_desktop.views.main_window import MainWindow

IMAGE_SIZE = (400, 300)
LABELS = ["car", "pedestrian", "lane", "road", "day", "night"]
PROVIDER = "prov_test"


@dataclass
class Project:
    root: Path
    first: str  # asset ids, in path order
    second: str
    ids: dict[str, str]  # role -> annotation id on the first asset


def box(x: float, y: float, w: float, h: float) -> dict[str, Any]:
    return {"coordinates": {"x": x, "y": y, "width": w, "height": h}}


def make_project(root: Path) -> Project:
    """Two 400x300 images; the first has a suggestion of every 2D type plus a low-confidence
    box, the second one pending box."""
    root.mkdir(parents=True, exist_ok=True)
    for i in range(2):
        assert cv2.imwrite(str(root / f"street_{i:02d}.png"), demo_image(i, IMAGE_SIZE))
    with ProjectStore.create(root, labels=LABELS) as store:
        store.add_assets(discover_assets(root).assets)
        first, second = (a.id for a in store.assets())
        mask = np.zeros((IMAGE_SIZE[1], IMAGE_SIZE[0]), dtype=np.uint8)
        mask[230:290, 20:140] = 1

        def add(asset_id: str, kind: str, label: str, geometry: dict[str, Any],
                confidence: float) -> str:
            record = store.insert_annotation(asset_id, kind, label, geometry,
                                             confidence=confidence, origin="model",
                                             provider_id=PROVIDER)
            return record.id

        ids = {
            "box": add(first, "bounding_box", "car", box(40, 40, 100, 80), 0.91),
            "polygon": add(first, "polygon", "pedestrian",
                           {"points": [[220, 40], [300, 50], [280, 150], [210, 130]]}, 0.82),
            "polyline": add(first, "polyline", "lane",
                            {"points": [[20, 200], [200, 180], [380, 210]]}, 0.74),
            "mask": add(first, "segmentation_mask", "road", {"rle": rle.encode(mask)}, 0.66),
            "classification": add(first, "classification", "day", {}, 0.95),
            "low": add(first, "bounding_box", "car", box(320, 60, 50, 40), 0.2),
        }
        add(second, "bounding_box", "pedestrian", box(100, 100, 60, 120), 0.88)
    return Project(root, first, second, ids)


def open_window(qtbot: Any, root: Path) -> MainWindow:
    window = MainWindow()
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    window.open_project(root)
    assert window.controller is not None and window.controller.asset is not None
    wait_for_image(qtbot, window)
    return window


def wait_for_image(qtbot: Any, window: MainWindow) -> None:
    controller = window.controller
    assert controller is not None and controller.asset is not None
    asset_id = controller.asset.id
    qtbot.waitUntil(lambda: window.area.loaded_asset() == asset_id, timeout=10_000)
    window.canvas.fit_to_window()


def settle(window: MainWindow) -> None:
    """Delivers the store's queued change notifications (and any other posted event)."""
    QApplication.processEvents()
    if window.bridge is not None:
        window.bridge.flush()


def records(root: Path, asset_id: str) -> dict[str, AnnotationRecord]:
    """The asset's annotations as a fresh store instance reads them (rejected included)."""
    with ProjectStore.open(root) as store:
        return {r.id: r for r in store.annotations(asset_id, include_rejected=True)}


def screen_point(window: MainWindow, x: float, y: float) -> QPointF:
    return window.canvas.map_from_image(QPointF(x, y))


def mouse(window: MainWindow, kind: str, x: float, y: float, *,
          modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    """One left-button mouse event at image point (x, y) on the canvas."""
    canvas = window.canvas
    pos = screen_point(window, x, y)
    types = {"press": QEvent.Type.MouseButtonPress, "release": QEvent.Type.MouseButtonRelease,
             "move": QEvent.Type.MouseMove}
    left = Qt.MouseButton.LeftButton
    buttons = Qt.MouseButton.NoButton if kind == "release" else left
    button = Qt.MouseButton.NoButton if kind == "move" else left
    event = QMouseEvent(types[kind], pos, canvas.mapToGlobal(pos), button, buttons, modifiers)
    QApplication.sendEvent(canvas, event)


def click_image(window: MainWindow, x: float, y: float) -> None:
    mouse(window, "press", x, y)
    mouse(window, "release", x, y)


def drag_image(window: MainWindow, start: tuple[float, float], end: tuple[float, float],
               steps: int = 5) -> None:
    mouse(window, "press", *start)
    for i in range(1, steps + 1):
        t = i / steps
        mouse(window, "move", start[0] + (end[0] - start[0]) * t,
              start[1] + (end[1] - start[1]) * t)
    mouse(window, "release", *end)


def press(window: MainWindow, key: Qt.Key,
          modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    """A key typed while the canvas has the focus: shortcuts first, as with a real keyboard."""
    if not window.isActiveWindow():  # e.g. a message box was just closed
        window.activateWindow()
        QApplication.processEvents()
    assert window.isActiveWindow(), "window shortcuts only work in the active window"
    window.canvas.setFocus()
    QTest.keyClick(window.canvas, key, modifiers)
    settle(window)


def send_key(widget: Any, key: Qt.Key) -> None:
    """A plain key press straight to a widget (no shortcut handling)."""
    QApplication.sendEvent(widget, QKeyEvent(QEvent.Type.KeyPress, key,
                                             Qt.KeyboardModifier.NoModifier))
