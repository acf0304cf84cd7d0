"""The rule that a submitted asset is read-only.

A submitted task is finished work: changing one of its annotations while it stays "submitted"
would hand on something nobody reviewed in that form. Every annotation command checks
``require_open`` before it writes, forwards or backwards (undo and redo too), and the refusal
says how to get the asset back: Review > Reopen Asset.
"""

from __future__ import annotations

from avala_desktop.core.store import ProjectError, ProjectStore

REOPEN_HINT = "Review > Reopen Asset (Ctrl+Shift+R) takes it back into review to change it."


def read_only_message(name: str) -> str:
    """What a person is told when they try to change a submitted asset."""
    return f"{name} is submitted, so it is read-only: {REOPEN_HINT}"


class AssetSubmitted(ProjectError):
    """The asset is submitted, so its annotations cannot change until it is reopened."""

    def __init__(self, asset_id: str, name: str) -> None:
        super().__init__(read_only_message(name))
        self.asset_id = asset_id


def is_submitted(store: ProjectStore, asset_id: str) -> bool:
    asset = store.asset(asset_id)
    return asset is not None and asset.submitted_at is not None


def require_open(store: ProjectStore, asset_id: str) -> None:
    """Raises AssetSubmitted when the asset is submitted (a missing asset is left to the
    store, which names it)."""
    asset = store.asset(asset_id)
    if asset is not None and asset.submitted_at is not None:
        raise AssetSubmitted(asset_id, asset.display_name)
