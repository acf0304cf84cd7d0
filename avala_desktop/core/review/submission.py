"""Submitting an asset and reopening it, as undoable commands.

A submitted asset is read-only (guard.py); Reopen takes it back into review, and being a
command, Undo submits it again. The store refuses a submit while a suggestion is pending
(``SubmitRefused``); the refusal travels out of ``do`` like any other failed command, so an
undo stack never records it.
"""

from __future__ import annotations

from avala_desktop.core.review.commands import Command
from avala_desktop.core.review.guard import is_submitted
from avala_desktop.core.store import NotFoundError, ProjectStore


def _name(store: ProjectStore, asset_id: str) -> str:
    asset = store.asset(asset_id)
    if asset is None:
        raise NotFoundError(f"There is no asset {asset_id} in this project.")
    return asset.display_name


class SubmitCommand(Command):
    """Submit an asset; undo takes it back into review (unless it was submitted already)."""

    def __init__(self, store: ProjectStore, asset_id: str, name: str | None = None) -> None:
        self._store = store
        self.asset_id = asset_id
        self.text = f"Submit {name or _name(store, asset_id)}"
        self._was_submitted = False

    def do(self) -> None:
        self._was_submitted = is_submitted(self._store, self.asset_id)
        self._store.submit_asset(self.asset_id)

    def undo(self) -> None:
        if not self._was_submitted:
            self._store.unsubmit_asset(self.asset_id)


class ReopenCommand(Command):
    """Take a submitted asset back into review; undo submits it again."""

    def __init__(self, store: ProjectStore, asset_id: str, name: str | None = None) -> None:
        self._store = store
        self.asset_id = asset_id
        self.text = f"Reopen {name or _name(store, asset_id)}"
        self._was_submitted = True

    def do(self) -> None:
        self._was_submitted = is_submitted(self._store, self.asset_id)
        if self._was_submitted:
            self._store.unsubmit_asset(self.asset_id)

    def undo(self) -> None:
        if self._was_submitted:
            # Refused (SubmitRefused, reported like any failed command) when a model run
            # added suggestions after the reopen.
            self._store.submit_asset(self.asset_id)
