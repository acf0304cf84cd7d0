"""A Qt-free undo stack for review commands (the GUI may use QUndoStack the same way:
push runs the command, then offers it to the top one for merging)."""

from __future__ import annotations

from avala_desktop.core.review.commands import Command


class UndoStack:
    def __init__(self, limit: int = 1000) -> None:
        self._commands: list[Command] = []
        self._index = 0  # commands[:index] are done
        self._limit = limit

    def push(self, command: Command) -> None:
        """Run `command` and record it; a failing command is not recorded."""
        command.do()
        del self._commands[self._index :]
        top = self._commands[-1] if self._commands else None
        if top is not None and top.merge_key is not None and top.merge_with(command):
            return
        self._commands.append(command)
        if len(self._commands) > self._limit:
            del self._commands[0]
        self._index = len(self._commands)

    def undo(self) -> Command | None:
        if not self.can_undo:
            return None
        command = self._commands[self._index - 1]
        command.undo()
        self._index -= 1
        return command

    def redo(self) -> Command | None:
        if not self.can_redo:
            return None
        command = self._commands[self._index]
        command.do()
        self._index += 1
        return command

    def clear(self) -> None:
        self._commands.clear()
        self._index = 0

    @property
    def can_undo(self) -> bool:
        return self._index > 0

    @property
    def can_redo(self) -> bool:
        return self._index < len(self._commands)

    @property
    def undo_text(self) -> str:
        return self._commands[self._index - 1].text if self.can_undo else ""

    @property
    def redo_text(self) -> str:
        return self._commands[self._index].text if self.can_redo else ""

    def __len__(self) -> int:
        return len(self._commands)
