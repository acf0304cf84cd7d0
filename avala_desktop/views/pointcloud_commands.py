"""The 3D review page's actions: each review key, button, drag and panel edit becomes a core
command pushed on the window's undo stack (written to the store as it happens), and a
submitted asset refuses them all.

A mixin of PointCloudReview, kept apart so that the page's layout, keys and selection and what
it does to the store stay in files of a readable size.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QUndoStack

from avala_desktop.core.geometry3d import fit_cuboid_to_points
from avala_desktop.core.review import (
    AcceptAllCommand,
    AcceptCommand,
    Command,
    CreateAnnotationCommand,
    EditGeometryCommand,
    RejectCommand,
    RelabelCommand,
    read_only_message,
)
from avala_desktop.core.store import ProjectError
from avala_desktop.views.undo import QtCommand

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance
    from PySide6.QtWidgets import QComboBox

    from avala_desktop.canvas.pointcloud_view import PointCloudView
    from avala_desktop.core.store import Asset, ProjectStore
    from avala_desktop.views.pointcloud_panel import CuboidPanel

BOX_TYPE = "bounding_box_3d"
# Fitting: points this close above the lowest one in a box are ground; they set only its bottom.
GROUND_CLEARANCE_M = 0.2


class PointCloudCommands:
    """Actions; ``self`` is always a PointCloudReview, which provides what is declared here."""

    if TYPE_CHECKING:
        _store: ProjectStore
        _undo: QUndoStack
        _asset: Asset | None
        _labels: list[str]
        _select_after: str | None
        _new_label: QComboBox
        view: PointCloudView
        panel: CuboidPanel
        editRefused: SignalInstance

        def _tell(self, message: str) -> None: ...
        def _reload(self) -> None: ...
        def _sync_panel(self) -> None: ...
        def _select(self, ids: list[str], *, focus: bool) -> None: ...
        def _neighbour(self, ids: list[str], step: int) -> str | None: ...

    def read_only(self) -> bool:
        return self._asset is not None and self._asset.submitted_at is not None

    def accept_selected(self) -> None:
        if self._locked():
            return
        ids = [i for i in self.view.selection()
               if (item := self.view.item(i)) is not None and item.is_pending]
        if not ids:
            self._tell("Select a suggestion to accept (Tab goes to the next one).")
            return
        command: Command
        if len(ids) == 1:
            command = self._make(lambda: AcceptCommand(self._store, ids[0]))
        else:
            command = self._make(lambda: AcceptAllCommand(self._store, ids))
        self._push(command)

    def reject_selected(self) -> None:
        if self._locked():
            return
        ids = self.view.selection()
        if not ids:
            self._tell("Select a box to delete.")
            return
        after = self._neighbour(ids, 1)
        commands = [self._make(partial(RejectCommand, self._store, i)) for i in ids]
        if len(commands) > 1:
            self._undo.beginMacro(f"Delete {len(commands)} 3D boxes")
        for command in commands:
            if command is not None:
                self._push(command, reload=False)
        if len(commands) > 1:
            self._undo.endMacro()
        self._reload()
        self._select([] if after is None else [after], focus=False)

    def fit_selected(self) -> None:
        if self._locked():
            return
        primary = self.view.scene.primary
        cloud = self.view.cloud()
        if primary is None or cloud is None:
            self._tell("Select a box (and wait for the cloud) to fit it to its points.")
            return
        fitted = fit_cuboid_to_points(cloud.points, primary.box,
                                      ground_clearance=GROUND_CLEARANCE_M)
        if fitted is None:
            self._tell("There are no points inside the selected box to fit it to.")
            return
        self._push(self._make(lambda: EditGeometryCommand(
            self._store, primary.id, fitted.to_geometry(), text="Fit 3D box to points")))

    def _apply_lock(self) -> None:
        reason = read_only_message(self._asset.display_name) \
            if self._asset is not None and self.read_only() else None
        self.view.set_read_only(reason)
        self.panel.set_read_only(reason is not None)

    def _locked(self) -> bool:
        """True, after saying why, when the asset is submitted."""
        if not self.read_only():
            return False
        assert self._asset is not None
        self._refuse(read_only_message(self._asset.display_name))
        return True

    def _refuse(self, message: str) -> None:
        self._tell(message)
        self.editRefused.emit(message)

    def _make(self, build: Callable[[], Any]) -> Any:
        """Builds a command; None (and a message) when its annotation is already gone."""
        try:
            return build()
        except ProjectError as exc:
            self._tell(exc.message)
            self._reload()
            return None

    def _push(self, command: Command | None, *, reload: bool = True) -> bool:
        if command is None:
            return False
        wrapped = QtCommand(command)
        self._undo.push(wrapped)
        error = wrapped.error
        if reload:
            self._reload()
        if error is not None:
            self._tell(error)
            return False
        return True

    def _on_cuboid_edited(self, item_id: str, old: dict[str, Any], new: dict[str, Any],
                          merge_id: int) -> None:
        if self._locked():
            self._reload()
            return
        self._push(self._make(lambda: EditGeometryCommand(
            self._store, item_id, new, merge_key=("pointcloud-drag", merge_id))))

    def _on_edit_cancelled(self, item_id: str, merge_id: int) -> None:
        """Escape during a drag: undo its step and drop it from the history, so the box is
        back as it was, state included, and Redo does not bring the drag back."""
        index = self._undo.index()
        top = self._undo.command(index - 1) if index > 0 else None
        if isinstance(top, QtCommand) and isinstance(top.core, EditGeometryCommand) and \
                top.core.annotation_id == item_id and \
                top.core.merge_key == ("pointcloud-drag", merge_id):
            try:
                top.core.undo()
            except ProjectError as exc:
                self._tell(exc.message)
            # Qt drops an obsolete command from the history without undoing it again; the
            # base class's undo, so that no "applied" notice names a deleted command.
            top.setObsolete(True)
            QUndoStack.undo(self._undo)
        self._reload()

    def _on_panel_edit(self, geometry: dict[str, Any], session: int) -> None:
        primary = self.view.scene.primary
        if primary is None:
            return
        if self._locked():
            self._sync_panel()
            return
        self._push(self._make(lambda: EditGeometryCommand(
            self._store, primary.id, geometry, merge_key=("pointcloud-panel", session))))

    def _on_panel_label(self, label: str) -> None:
        primary = self.view.scene.primary
        if primary is None:
            return
        if self._locked():
            self._sync_panel()
            return
        self._push(self._make(lambda: RelabelCommand(self._store, primary.id, label)))

    def _on_cuboid_created(self, geometry: dict[str, Any]) -> None:
        if self._asset is None or self._locked():
            return
        label = self._new_label.currentText() or (self._labels[0] if self._labels else "object")
        asset_id = self._asset.id
        command = self._make(lambda: CreateAnnotationCommand(
            self._store, asset_id, BOX_TYPE, label, geometry))
        if command is not None:
            self._select_after = None
            if self._push(command, reload=False):
                self._select_after = command.annotation_id
            self._reload()
