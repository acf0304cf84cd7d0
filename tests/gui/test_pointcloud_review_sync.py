"""The 3D page and the main window together: the suggestions table and the page's own box list
share one selection, and a submitted point cloud is read-only on the page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt

from avala_desktop.canvas import qt_guard  # noqa: F401  (before any widget exists)
from avala_desktop.canvas.cuboid_tools import Handle, handle_pixels
from avala_desktop.core.camera3d import OrthoCamera
from avala_desktop.core.store import ReviewState
from tests.gui.test_canvas_support import Recorder
from tests.gui.test_pointcloud_review_support import (
    Project,
    Session,
    drag,
    make_project,
    open_session,
    open_window,
    settle,
)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return make_project(tmp_path / "cloud", n_points=20_000)


@pytest.fixture
def session(qtbot: Any, project: Project) -> Iterator[Session]:
    yield from open_session(qtbot, project)


def test_table_and_3d_page_share_the_selection(qtbot: Any, project: Project) -> None:
    window, page = open_window(qtbot, project)
    panel = window.suggestions
    first, second, third = project.suggestion_ids[:3]
    announced = Recorder(page.selectionChanged)

    # Table -> page.
    panel.table.selectRow(window.suggestions_model.row_of(second))  # type: ignore[arg-type]
    assert page.selection() == [second]
    assert page.suggestions.selectedItems()[0].data(Qt.ItemDataRole.UserRole) == second
    assert page.panel.spin("x").isEnabled()
    assert announced.calls == []  # set from outside: no echo

    # Page (its box list) -> table.
    page.suggestions.picked.emit(third)
    assert announced.calls[-1] == ([third],)
    assert panel.selected_ids() == [third]

    # Tab on the page moves both; the window's A then acts on that box.
    viewport = page.view.viewport("perspective")
    window.activateWindow()
    viewport.setFocus()
    qtbot.waitUntil(viewport.hasFocus, timeout=2000)
    qtbot.keyClick(viewport, Qt.Key.Key_Tab)
    moved_to = page.selection()
    assert len(moved_to) == 1 and moved_to != [third]
    assert panel.selected_ids() == moved_to
    panel.table.setFocus()
    window.action_set.accept.trigger()  # as A in the table would
    settle(qtbot)
    record = window.store.get_annotation(moved_to[0])  # type: ignore[union-attr]
    assert record is not None and record.state is ReviewState.ACCEPTED
    # Accepting moves on to the next pending suggestion, on both sides.
    assert panel.selected_ids() == page.selection() and page.selection() != moved_to

    # A selection the table cannot show (nothing) clears the page too.
    window.controller.select([])  # type: ignore[union-attr]
    assert page.selection() == [] and first not in panel.selected_ids()
    window.close()


def test_a_submitted_cloud_is_read_only_on_the_page(qtbot: Any, session: Session) -> None:
    review, store = session.review, session.store
    ids = session.project.suggestion_ids
    store.set_states({i: ReviewState.ACCEPTED for i in ids})
    store.submit_asset(session.project.asset.id)
    settle(qtbot)
    assert review.read_only() and review.view.read_only_reason() is not None
    refused = Recorder(review.editRefused)
    session.select(ids[0], qtbot)  # selecting still works
    assert review.selection() == [ids[0]]
    before = {i: session.record(i) for i in ids}

    review.accept_selected()
    review.reject_selected()
    review.fit_selected()
    review.start_draw()
    assert not review.view.draw_mode()
    assert review.panel.spin("yaw").isReadOnly()  # typing and arrows do nothing
    review.panel.spin("yaw").setValue(45.0)  # a value set anyway is refused and put back
    assert review.panel.spin("yaw").value() != 45.0
    # A drag on the rotation handle in the top view changes nothing.
    top = session.viewport("top")
    camera = top.camera()
    assert isinstance(camera, OrthoCamera)
    box = session.box(ids[0])
    handle = handle_pixels(box, [Handle("rotate", (1, 0, 0))], camera, top.width(),
                           top.height())[0]
    drag(top, [tuple(handle), tuple(handle + np.array([40.0, 10.0]))])
    settle(qtbot)
    assert len(refused.calls) == 6
    assert all("is submitted, so it is read-only" in call[0] for call in refused.calls)
    assert {i: session.record(i) for i in ids} == before
    assert session.stack.count() == 0

    store.unsubmit_asset(session.project.asset.id)  # reopened (the window's Reopen does this)
    settle(qtbot)
    assert not review.read_only() and not review.panel.spin("yaw").isReadOnly()
    review.reject_selected()
    settle(qtbot)
    assert session.record(ids[0]).state is ReviewState.REJECTED


def test_submit_and_reopen_a_cloud_from_the_window(qtbot: Any, project: Project) -> None:
    window, page = open_window(qtbot, project)
    assert window.store is not None and window.controller is not None
    ids = project.suggestion_ids
    window.controller.accept_all_shown(confirm=lambda _title, _text: True)
    window.action_set.submit.trigger()
    settle(qtbot)
    assert page.read_only()
    page.set_selection([ids[0]])
    viewport = page.view.viewport("perspective")
    window.activateWindow()
    viewport.setFocus()
    qtbot.waitUntil(viewport.hasFocus, timeout=2000)
    qtbot.keyClick(viewport, Qt.Key.Key_D)  # the page's own Delete key
    banner = window.area.banner
    assert banner.isVisible() and "scan.pcd is submitted" in banner.text.text()
    record = window.store.get_annotation(ids[0])
    assert record is not None and record.state is ReviewState.ACCEPTED

    window.action_set.reopen.trigger()
    settle(qtbot)
    assert not page.read_only()
    qtbot.keyClick(viewport, Qt.Key.Key_D)
    settle(qtbot)
    record = window.store.get_annotation(ids[0])
    assert record is not None and record.state is ReviewState.REJECTED
    window.close()
