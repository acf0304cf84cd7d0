"""Errors of the project store. Each message tells a person what to do next."""

from __future__ import annotations


class ProjectError(Exception):
    """The project cannot be opened, created or changed as asked."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFoundError(ProjectError, KeyError):
    """A record the caller named (asset, annotation, run) is not in the project."""

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return self.message


class SubmitRefused(ProjectError):
    """An asset cannot be submitted while it still has pending suggestions."""

    def __init__(self, asset_id: str, pending: int) -> None:
        noun = "suggestion" if pending == 1 else "suggestions"
        super().__init__(
            f"Asset {asset_id} still has {pending} pending {noun}: accept, correct or delete "
            f"each of them before submitting."
        )
        self.asset_id = asset_id
        self.pending = pending
