"""The GUI's undo history: Qt's QUndoStack over the Qt-free review commands.

``QtCommand`` wraps one core command (``avala_desktop.core.review``): ``redo()`` runs ``do()``,
``undo()`` runs ``undo()``, and a drag merges through the core ``merge_key``/``merge_with``.
QUndoStack.push calls ``redo()`` exactly once before recording, which is the first ``do()``:
nothing else may run the core command before pushing it.

A command that fails (the annotation was replaced by a new model run meanwhile, the store
refused a submit) must not land on the stack as if it had happened: the wrapper catches the
error, marks itself obsolete (QUndoStack then drops it) and keeps the message, which
``ReviewUndoStack`` re-emits as ``failed(message)`` for the window to show. Qt calls these
virtuals from C++, where a Python exception would only be printed and the stack would carry
on as if the command had run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from avala_desktop.core.review import Command
from avala_desktop.core.store import ProjectError

log = logging.getLogger(__name__)

# QUndoStack merges only commands with equal, non-negative ids; the core command decides
# whether two of them really belong together (same annotation, same drag).
MERGEABLE_ID = 1


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ProjectError):
        return exc.message
    return f"{type(exc).__name__}: {exc}"


class QtCommand(QUndoCommand):
    """One core review command on a QUndoStack."""

    def __init__(self, command: Command, parent: QUndoCommand | None = None) -> None:
        super().__init__(command.text, parent)
        self.core = command
        self.error: str | None = None

    def id(self) -> int:
        return MERGEABLE_ID if self.core.merge_key is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, QtCommand) or other.error is not None:
            return False
        merged = self.core.merge_with(other.core)
        if merged:
            self.setText(self.core.text)
        return merged

    def redo(self) -> None:
        self._run(self.core.do, "redo")

    def undo(self) -> None:
        self._run(self.core.undo, "undo")

    def _run(self, step: Callable[[], None], what: str) -> None:
        self.error = None
        try:
            step()
        except Exception as exc:  # reported through failed(), never ignored
            if not isinstance(exc, (ProjectError, ValueError)):
                log.exception("%s of %r failed", what, self.core.text)
            self.error = _describe(exc)
            # Obsolete commands are dropped by QUndoStack after this redo/undo.
            self.setObsolete(True)


class ReviewUndoStack(QUndoStack):
    """A QUndoStack that takes core commands directly and reports failures.

    ``push`` accepts a core ``Command`` or a ``QtCommand``; it returns whether the command
    ran. ``undo``/``redo`` return the command they moved over (None at either end or on
    failure). ``failed(message)`` carries the reason a command could not run;
    ``applied(list[QtCommand])`` tells which commands just ran forwards or backwards (the
    window follows them to their asset).
    """

    failed = Signal(str)
    applied = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)

    def push(self, command: Command | QUndoCommand) -> bool:  # type: ignore[override]
        wrapped = command if isinstance(command, QUndoCommand) else QtCommand(command)
        # Read before pushing: Qt deletes a command that fails or merges into the top one.
        parts = command_parts(wrapped)
        super().push(wrapped)
        errors = [part.error for part in parts if part.error is not None]
        if errors:
            self.failed.emit(errors[0])
            return False
        self.applied.emit(parts)
        return True

    def undo(self) -> QUndoCommand | None:  # type: ignore[override]
        if not self.canUndo():
            return None
        command = self.command(self.index() - 1)
        super().undo()
        return self._after(command)

    def redo(self) -> QUndoCommand | None:  # type: ignore[override]
        if not self.canRedo():
            return None
        command = self.command(self.index())
        super().redo()
        return self._after(command)

    def _after(self, command: QUndoCommand | None) -> QUndoCommand | None:
        parts = command_parts(command)
        errors = [part.error for part in parts if part.error is not None]
        if errors:
            self.failed.emit(errors[0])
            return None
        self.applied.emit(parts)
        return command


def command_parts(command: QUndoCommand | None) -> list[QtCommand]:
    """The QtCommands a pushed command consists of: itself, or a macro's children."""
    if command is None:
        return []
    if isinstance(command, QtCommand):
        return [command]
    found: list[QtCommand] = []
    for i in range(command.childCount()):
        child = command.child(i)
        if child is not None:
            found.extend(command_parts(child))
    return found
