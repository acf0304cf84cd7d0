"""Qt-free review commands (accept, reject, edit, relabel, create, accept all) and an undo
stack. Every command writes to the project store at once."""

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
from avala_desktop.core.review.history import UndoStack

__all__ = [
    "AcceptAllCommand",
    "AcceptCommand",
    "Command",
    "CreateAnnotationCommand",
    "EditGeometryCommand",
    "RejectCommand",
    "RelabelCommand",
    "UndoStack",
    "edited_state",
]
