"""Qt-free review commands (accept, reject, edit, relabel, create, accept all, submit,
reopen) and an undo stack. Every command writes to the project store at once; none changes a
submitted asset's annotations (guard.py)."""

from avala_desktop.core.review.commands import (
    AcceptAllCommand,
    AcceptCommand,
    Command,
    CreateAnnotationCommand,
    EditGeometryCommand,
    RejectCommand,
    RelabelCommand,
    edited_state,
)
from avala_desktop.core.review.guard import AssetSubmitted, is_submitted, read_only_message
from avala_desktop.core.review.history import UndoStack
from avala_desktop.core.review.submission import ReopenCommand, SubmitCommand

__all__ = [
    "AcceptAllCommand",
    "AcceptCommand",
    "AssetSubmitted",
    "Command",
    "CreateAnnotationCommand",
    "EditGeometryCommand",
    "RejectCommand",
    "RelabelCommand",
    "ReopenCommand",
    "SubmitCommand",
    "UndoStack",
    "edited_state",
    "is_submitted",
    "read_only_message",
]
