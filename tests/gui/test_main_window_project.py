"""Opening projects (dialog-free paths, drag and drop, the command line, a plain folder),
the asset browser (thumbnails, statuses, filters, search), video frames, point clouds, and
what closing the window takes down."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from avala_desktop.cli.main import main as cli_main
from avala_desktop.core.demo_data import write_demo_images, write_demo_video
from avala_desktop.core.store import AssetStatus, ProjectStore
from avala_desktop.views import recent
from avala_desktop.views.asset_model import ThumbnailRole
from avala_desktop.views.main_window import MainWindow
from tests.gui.test_main_window_support import (
    PROVIDER,
    make_project,
    open_window,
    press,
    settle,
    wait_for_image,
)


def browser_names(window: MainWindow) -> list[str]:
    assert window.asset_model is not None
    return [a.path for a in window.asset_model.assets()]


def test_browser_shows_thumbnails_and_statuses(qtbot: Any, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    with ProjectStore.open(project.root) as store:
        store.set_states({r.id: "accepted" for r in store.annotations(project.second)})
    window = open_window(qtbot, project.root)
    model = window.asset_model
    assert model is not None
    for row in range(model.rowCount()):
        model.index(row).data(ThumbnailRole)  # what painting the row asks for
    qtbot.waitUntil(lambda: all(model.index(r).data(ThumbnailRole) is not None
                                for r in range(model.rowCount())), timeout=10_000)
    thumb = model.index(0).data(ThumbnailRole)
    assert max(thumb.width(), thumb.height()) == 96
    statuses = [a.status for a in model.assets()]
    assert statuses == [AssetStatus.PENDING_REVIEW, AssetStatus.REVIEWED]
    assert any(Path(p).suffix == ".png" for p in (window.thumbnails._folder.iterdir()))


def test_browser_filters_by_status_label_provider_and_search(qtbot: Any, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    with ProjectStore.open(project.root) as store:
        store.create_run(PROVIDER, "test model")
    window = open_window(qtbot, project.root)
    browser = window.browser
    assert browser is not None
    assert browser_names(window) == ["street_00.png", "street_01.png"]

    browser.label_filter.setCurrentIndex(browser.label_filter.findData("lane"))
    assert browser_names(window) == ["street_00.png"]
    browser.label_filter.setCurrentIndex(0)
    assert browser.provider_filter.findText("test model") > 0
    browser.provider_filter.setCurrentIndex(browser.provider_filter.findData(PROVIDER))
    assert browser_names(window) == ["street_00.png", "street_01.png"]
    browser.provider_filter.setCurrentIndex(0)

    browser.search.setText("01")
    qtbot.waitUntil(lambda: browser_names(window) == ["street_01.png"])
    assert browser.count_label.text() == "1 asset shown"
    browser.search.clear()
    qtbot.waitUntil(lambda: len(browser_names(window)) == 2)

    assert window.controller is not None
    window.controller.accept_all_shown(confirm=lambda _t, _x: True)
    settle(window)
    browser.status_filter.setCurrentIndex(browser.status_filter.findData(AssetStatus.REVIEWED))
    assert browser_names(window) == ["street_00.png"]


def test_choosing_an_asset_in_the_browser_shows_it(qtbot: Any, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    window = open_window(qtbot, project.root)
    browser = window.browser
    assert browser is not None and window.asset_model is not None
    browser.list.setCurrentIndex(window.asset_model.index(1))
    assert window.controller is not None and window.controller.asset is not None
    assert window.controller.asset.id == project.second
    wait_for_image(qtbot, window)
    assert [i.label for i in window.canvas.items()] == ["pedestrian"]
    assert "street_01.png" in window.status.asset_label.text()


def test_video_frames_are_read_from_their_video(qtbot: Any, tmp_path: Path) -> None:
    folder = tmp_path / "video"
    write_demo_video(folder / "walk.mp4", frames=12)
    with ProjectStore.create(folder, labels=["pedestrian"]) as store:
        from avala_desktop.core.discovery import discover_assets

        store.add_assets(discover_assets(folder, frame_step=5).assets)
        frames = store.assets()
    assert [a.frame_index for a in frames] == [0, 5, 10]
    window = open_window(qtbot, folder)
    assert window.canvas.image_size() == (320, 240)
    press(window, Qt.Key.Key_N, Qt.KeyboardModifier.ShiftModifier)  # previous asset, wrapping
    assert window.controller is not None and window.controller.asset is not None
    assert window.controller.asset.frame_index == 10
    wait_for_image(qtbot, window)
    image = window.canvas.image_layer.image
    assert not image.isNull() and image.pixelColor(160, 20).value() > 60  # real pixels


def test_point_cloud_assets_show_the_3d_review_page(qtbot: Any, tmp_path: Path) -> None:
    from avala_desktop.core.demo_data import write_demo_point_cloud
    from avala_desktop.core.discovery import discover_assets

    folder = tmp_path / "cloud"
    write_demo_point_cloud(folder / "scan.pcd", n_points=2_000)
    with ProjectStore.create(folder, labels=["car"]) as store:
        store.add_assets(discover_assets(folder).assets)
        asset = store.assets()[0]
        store.insert_annotation(asset.id, "bounding_box_3d", "car", {
            "center": {"x": 8, "y": -3, "z": -1}, "dimensions": {"l": 4.4, "w": 1.8, "h": 1.5},
            "rotation": {"w": 1, "x": 0, "y": 0, "z": 0}}, confidence=0.8, origin="model")
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    window.open_project(folder)
    area = window.area
    assert area.cloud_view is not None and area.stack.currentWidget() is area.cloud_view
    assert [i.label for i in area.cloud_view.view.items()] == ["car"]
    assert window.suggestions_model.rowCount() == 1  # listed in the table as well
    assert window.canvas.items() == []
    assert not window.action_set.tool_box.isEnabled()  # 2D tools are off for a cloud
    assert window.action_set.next_asset.isEnabled()
    window.close()  # stops the 3D view's loader with the rest


def test_a_folder_dropped_on_the_window_opens(qtbot: Any, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(project.root))])
    enter = QDragEnterEvent(QPoint(200, 200), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    drop = QDropEvent(QPointF(200, 200), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    # QApplication only routes drag events that come from a real drag; call the handlers.
    window.dragEnterEvent(enter)
    assert enter.isAccepted()
    window.dropEvent(drop)
    assert window.store is not None and window.store.root == project.root.absolute()
    assert recent.recent_projects()[0] == project.root.absolute()
    assert window.recent_menu.actions()[0].text() == str(project.root.absolute())


def test_a_plain_folder_is_made_a_project_in_the_background(qtbot: Any, tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    write_demo_images(folder, count=2)
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    window.open_project(folder, ask=False)
    qtbot.waitUntil(lambda: window.store is not None, timeout=20_000)
    assert ProjectStore.is_project(folder)
    assert len(browser_names(window)) == 2
    qtbot.waitUntil(lambda: not window.opener.busy())


def test_the_command_line_opens_a_folder_argument(qtbot: Any, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    before = set(QApplication.topLevelWidgets())
    # With a QApplication already running, run_app shows the window and returns at once.
    assert cli_main([str(project.root)]) == 0
    windows = [w for w in QApplication.topLevelWidgets()
               if isinstance(w, MainWindow) and w not in before]
    assert len(windows) == 1
    window = windows[0]
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.store is not None)
    assert window.store is not None and window.store.root == project.root.absolute()
    assert cli_main(["open", str(tmp_path / "missing")]) == 2


def test_closing_joins_workers_and_unsubscribes(qtbot: Any, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    window = open_window(qtbot, project.root)
    bridge, store = window.bridge, window.store
    assert bridge is not None and store is not None and bridge.is_listening()
    model = window.asset_model
    assert model is not None
    for row in range(model.rowCount()):
        model.index(row).data(ThumbnailRole)
    window.area.show_asset(store.asset(project.second), store, window.undo_stack)  # type: ignore[arg-type]
    window.close()
    assert not bridge.is_listening()
    assert window.thumbnails.active_threads() == 0
    assert window.area.loader.active_threads() == 0
    assert window.store is None and window.controller is None
    # The store is closed: the window holds no connection to the database any more.
    with ProjectStore.open(project.root) as again:
        assert again.asset(project.first) is not None


def test_help_dialog_opens_without_a_project(qtbot: Any) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    window.action_set.help.trigger()
    assert window.help_dialog is not None and window.help_dialog.isVisible()
    assert not window.action_set.accept.isEnabled()  # nothing to review yet
    assert window.area.stack.currentWidget() is window.area.welcome


def test_a_missing_image_is_reported_and_its_annotations_stay_reviewable(
        qtbot: Any, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    (project.root / "street_00.png").unlink()
    window = open_window(qtbot, project.root)
    banner = window.area.banner
    assert banner.isVisible() and banner.level == "error"
    assert "street_00.png" in banner.text.text()
    assert window.canvas.image_size() == (400, 300)  # a blank frame of the stored size
    assert len(window.canvas.items()) == 6
    press(window, Qt.Key.Key_Tab)
    press(window, Qt.Key.Key_A)
    with ProjectStore.open(project.root) as store:
        assert sum(r.state == "accepted" for r in store.annotations(project.first)) == 1
