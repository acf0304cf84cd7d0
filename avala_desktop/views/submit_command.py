"""Submitting an asset as an undoable command (Qt-free, on the core Command interface).

The store refuses a submit while a suggestion is pending (``SubmitRefused``); the refusal
travels out of ``do`` like any other failed command, so the undo stack never records it.
"""

from __future__ import annotations

from avala_desktop.core.review import Command
from avala_desktop.core.store import ProjectStore


class SubmitCommand(Command):
    def __init__(self, store: ProjectStore, asset_id: str, name: str) -> None:
        self._store = store
        self.asset_id = asset_id
        self.text = f"Submit {name}"
        self._was_submitted = False

    def do(self) -> None:
        before = self._store.asset(self.asset_id)
        self._was_submitted = before is not None and before.submitted_at is not None
        self._store.submit_asset(self.asset_id)

    def undo(self) -> None:
        if not self._was_submitted:
            self._store.unsubmit_asset(self.asset_id)
