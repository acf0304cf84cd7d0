"""The review actions of the controller: each turns a key, a canvas signal or a table edit
into a core command on the undo stack (accept, delete, relabel, classify, accept all shown,
submit, reopen, edit, draw), and undo/redo that follow the command to its asset.

A submitted asset is read-only: the core commands refuse to change it, and the actions here
refuse before building one, with the same message in the banner (the canvas, also told, does
not even start a drag).

A mixin of ReviewController, kept apart so that reading state and acting on it stay in files
of a readable size; it uses the controller's state and its ``refresh``/``select`` methods.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPoint
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QMessageBox

from avala_desktop.core.review import (
    AcceptAllCommand,
    AcceptCommand,
    Command,
    CreateAnnotationCommand,
    EditGeometryCommand,
    RejectCommand,
    RelabelCommand,
    ReopenCommand,
    SubmitCommand,
    read_only_message,
)
from avala_desktop.core.store import AnnotationRecord, ProjectError, ReviewState
from avala_desktop.views.label_picker import LabelPicker
from avala_desktop.views.undo import command_parts

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance
    from PySide6.QtWidgets import QWidget

    from avala_desktop.canvas.view2d import Canvas2D
    from avala_desktop.core.store import Asset, Label, ProjectStore
    from avala_desktop.views.labels_panel import LabelsPanel
    from avala_desktop.views.undo import ReviewUndoStack

Confirm = Callable[[str, str], bool]


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


class ReviewCommands:
    """Actions; ``self`` is always a ReviewController, which provides what is declared here."""

    if TYPE_CHECKING:
        store: ProjectStore
        undo_stack: ReviewUndoStack
        canvas: Canvas2D
        labels_panel: LabelsPanel
        asset: Asset | None
        records: list[AnnotationRecord]
        labels: list[Label]
        message: SignalInstance
        assetChanged: SignalInstance
        _picker: LabelPicker | None
        _window: QWidget | None

        def refresh(self, changed: Collection[str] | None = None) -> None: ...
        def sync(self) -> None: ...
        def select(self, ids: Sequence[str]) -> None: ...
        def selected_ids(self) -> list[str]: ...
        def live_records(self) -> list[AnnotationRecord]: ...
        def shown_records(self) -> list[AnnotationRecord]: ...
        def is_shown(self, record: AnnotationRecord) -> bool: ...
        def show_asset(self, asset_id: str | None) -> bool: ...
        def next_asset_needing_review(self) -> bool: ...
        def reload_labels(self) -> None: ...
        def _advance_from(self, ids: Sequence[str]) -> None: ...

    # --- commands ----------------------------------------------------------------------------

    def _push(self, command: Command) -> bool:
        ok = self.undo_stack.push(command)
        # A failed command wrote nothing; the full re-read drops a canvas preview it left.
        self.sync() if ok else self.refresh()
        return ok

    def _push_all(self, text: str, commands: Sequence[Command]) -> bool:
        if len(commands) == 1:
            return self._push(commands[0])
        self.undo_stack.beginMacro(text)
        try:
            ok = all([self.undo_stack.push(c) for c in commands])
        finally:
            self.undo_stack.endMacro()
        self.sync() if ok else self.refresh()
        return ok

    def _build(self, factory: Callable[[], Command]) -> Command | None:
        """Makes a command, turning a stale id or bad geometry into a message."""
        try:
            return factory()
        except (ProjectError, ValueError) as exc:
            text = exc.message if isinstance(exc, ProjectError) else str(exc)
            self.message.emit(text, "error")
            self.refresh()
            return None

    def _command_failed(self, text: str) -> None:
        self.message.emit(text, "error")

    def read_only(self) -> bool:
        """Whether the current asset is submitted (and so cannot be changed)."""
        return self.asset is not None and self.asset.submitted_at is not None

    def _refused(self) -> bool:
        """True, with the reason in the banner, when the current asset cannot be changed."""
        if not self.read_only():
            return False
        assert self.asset is not None
        self.message.emit(read_only_message(self.asset.display_name), "warning")
        return True

    def _selected_live(self) -> list[AnnotationRecord]:
        by_id = {r.id: r for r in self.live_records()}
        return [by_id[i] for i in self.selected_ids() if i in by_id]

    def accept(self) -> None:
        if self._refused():
            return
        chosen = self._selected_live()
        if not chosen:
            self.message.emit("Select a suggestion first: click it, or press Tab.", "info")
            return
        pending = [r.id for r in chosen if r.state is ReviewState.PENDING]
        if pending:
            command = self._build(lambda: AcceptCommand(self.store, pending[0])
                                  if len(pending) == 1 else AcceptAllCommand(self.store, pending))
            if command is None or not self._push(command):
                return
        self._advance_from([r.id for r in chosen])

    def delete(self) -> None:
        if self._refused():
            return
        chosen = self._selected_live()
        if not chosen:
            self.message.emit("Select an annotation to delete first.", "info")
            return
        commands = [c for c in (self._build(partial(RejectCommand, self.store, r.id))
                                for r in chosen) if c is not None]
        if commands and self._push_all(f"Delete {plural(len(commands), 'annotation')}",
                                       commands):
            self._advance_from([r.id for r in chosen])

    def relabel(self, ids: Sequence[str] | None = None,
                label: str | None = None) -> None:
        """Changes the label of ``ids`` (default: the selection); without ``label`` a picker
        opens."""
        if self._refused():
            return
        targets = [r for r in self._selected_live()] if ids is None else \
            [r for r in self.live_records() if r.id in set(ids)]
        if not targets:
            self.message.emit("Select the annotation whose label should change first.", "info")
            return
        if label is None:
            current = targets[0].label
            self._open_picker("Change label to…", current,
                              lambda name: self.relabel([t.id for t in targets], name))
            return
        if label not in {lb.name for lb in self.labels}:
            self.message.emit(f"“{label}” is not in the project's label set; add it in the "
                              f"Labels panel first.", "warning")
            return
        commands = [c for c in (self._build(partial(RelabelCommand, self.store, r.id, label))
                                for r in targets if r.label != label) if c is not None]
        if commands:
            self._push_all(f"Relabel {plural(len(commands), 'annotation')} as {label}",
                           commands)

    def add_classification(self, label: str | None = None) -> None:
        if self.asset is None or self._refused():
            return
        if label is None:
            self._open_picker("Classify asset as…", None, self.add_classification)
            return
        existing = [r for r in self.live_records()
                    if r.type == "classification" and r.label == label]
        if existing:
            self.select([existing[0].id])
            self.message.emit(f"This asset is already classified as “{label}”.", "info")
            return
        asset_id = self.asset.id
        command = self._build(lambda: CreateAnnotationCommand(
            self.store, asset_id, "classification", label, {}, text=f"Classify as {label}"))
        if isinstance(command, CreateAnnotationCommand) and self._push(command):
            self.select([command.annotation_id] if command.annotation_id else [])

    def accept_all_shown(self, confirm: Confirm | None = None) -> None:
        if self._refused():
            return
        pending = [r.id for r in self.shown_records() if r.state is ReviewState.PENDING]
        if not pending:
            self.message.emit("No pending suggestion is shown on this asset.", "info")
            return
        hidden = sum(r.state is ReviewState.PENDING for r in self.records) - len(pending)
        note = (f" {plural(hidden, 'pending suggestion')} hidden by the filters will stay "
                f"pending." if hidden else "")
        text = (f"Accept {plural(len(pending), 'pending suggestion')} shown on this asset as "
                f"they are?{note} Ctrl+Z undoes it.")
        if not (confirm or self._confirm)("Accept all shown", text):
            return
        command = self._build(lambda: AcceptAllCommand(self.store, pending))
        if command is not None and self._push(command):
            self._advance_from(pending)

    def _confirm(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self._window, title, text,
                                      QMessageBox.StandardButton.Yes
                                      | QMessageBox.StandardButton.Cancel,
                                      QMessageBox.StandardButton.Yes)
        return answer == QMessageBox.StandardButton.Yes

    def submit(self) -> bool:
        """Ctrl+Enter: submit the asset, refused with the reason while anything is pending."""
        if self.asset is None:
            return False
        self.sync()  # a run may have added suggestions a moment ago
        if self.read_only():
            self.message.emit(f"{self.asset.display_name} is already submitted.", "info")
            return False
        pending = [r for r in self.records if r.state is ReviewState.PENDING]
        if pending:
            hidden = sum(not self.is_shown(r) for r in pending)
            note = f" ({hidden} of them hidden by the filters)" if hidden else ""
            self.message.emit(
                f"Not submitted: {self.asset.display_name} still has "
                f"{plural(len(pending), 'pending suggestion')}{note}. Accept (A), correct, or "
                f"delete (D) each one first.", "error")
            shown = [r.id for r in pending if self.is_shown(r)]
            if shown:
                self.select([shown[0]])
            return False
        name = self.asset.display_name
        if not self._push(SubmitCommand(self.store, self.asset.id, name)):
            return False
        self.message.emit(f"Submitted {name}; it is read-only now (Ctrl+Shift+R reopens "
                          f"it).", "info")
        self.next_asset_needing_review()
        return True

    def reopen(self) -> bool:
        """Review > Reopen Asset: a submitted asset back into review (undoable)."""
        if self.asset is None:
            return False
        self.sync()
        name = self.asset.display_name
        if not self.read_only():
            self.message.emit(f"{name} is not submitted: it can be changed as it is.", "info")
            return False
        if not self._push(ReopenCommand(self.store, self.asset.id, name)):
            return False
        self.message.emit(f"Reopened {name}: its annotations can be changed again; "
                          f"Ctrl+Enter submits it.", "info")
        return True

    def undo(self) -> None:
        self._follow(self.undo_stack.undo())

    def redo(self) -> None:
        self._follow(self.undo_stack.redo())

    def _follow(self, command: Any) -> None:
        """After undo/redo: show the asset the command touched and select what it changed."""
        parts = command_parts(command)
        self.sync()
        if not parts:
            return
        asset_ids: list[str] = []
        annotation_ids: list[str] = []
        for part in parts:
            core = part.core
            record = getattr(core, "record", None)
            if record is not None:
                asset_ids.append(record.asset_id)
                annotation_ids.append(record.id)
            for ann_id in getattr(core, "annotation_ids", []) or []:
                annotation_ids.append(ann_id)
            asset_id = getattr(core, "asset_id", None)
            if isinstance(asset_id, str):
                asset_ids.append(asset_id)
        if not asset_ids and annotation_ids:
            found = self.store.get_annotation(annotation_ids[0])
            if found is not None:
                asset_ids.append(found.asset_id)
        if asset_ids and (self.asset is None or asset_ids[0] != self.asset.id):
            self.show_asset(asset_ids[0])
        shown = {r.id for r in self.shown_records()}
        self.select([i for i in annotation_ids if i in shown])

    # --- canvas edits ------------------------------------------------------------------------

    def _geometry_edited(self, annotation_id: str, _old: dict[str, Any],
                         new: dict[str, Any], merge_id: int) -> None:
        if self._refused():
            self.refresh()  # drops the canvas's preview of the edit
            return
        command = self._build(lambda: EditGeometryCommand(
            self.store, annotation_id, new, merge_key=(annotation_id, merge_id)))
        if command is not None:
            self._push(command)  # a failure re-reads the store, undoing the preview

    def _shape_created(self, type_name: str, geometry: dict[str, Any]) -> None:
        if self.asset is None or self._refused():
            return
        label = self.labels_panel.current_label()
        if label is None:
            self.message.emit("Add a label in the Labels panel first: new shapes get the "
                              "highlighted label.", "warning")
            return
        asset_id = self.asset.id
        command = self._build(lambda: CreateAnnotationCommand(
            self.store, asset_id, type_name, label, geometry))
        if isinstance(command, CreateAnnotationCommand) and self._push(command):
            self.select([command.annotation_id] if command.annotation_id else [])

    # --- labels ------------------------------------------------------------------------------

    def add_label(self, name: str) -> None:
        try:
            self.store.add_label(name)
        except (ProjectError, ValueError) as exc:
            self.message.emit(str(exc), "error")
            return
        self.reload_labels()
        self.labels_panel.set_current_label(name)

    def _open_picker(self, title: str, current: str | None,
                     chosen: Callable[[str], None]) -> None:
        if self._picker is not None:
            self._picker.close()
            self._picker.deleteLater()
        self._picker = LabelPicker(title, self.labels, current, self._window)
        self._picker.picked.connect(chosen)
        pos = QCursor.pos()
        canvas_rect = self.canvas.rect().translated(self.canvas.mapToGlobal(QPoint(0, 0)))
        if not canvas_rect.contains(pos):
            pos = self.canvas.mapToGlobal(self.canvas.rect().center())
        self._picker.open_at(pos)

    @property
    def picker(self) -> LabelPicker | None:
        return self._picker
