"""Review actions as commands: each writes to the store at once, and can be undone.

A command snapshots what it changes when it first runs, so undo puts back exactly the label,
geometry, state and confidence it found. Revisions only grow: an undo is a new write.
`merge_key` + `merge_with` let a drag fold into one undo step (Qt's `QUndoCommand.mergeWith`):
the stack runs the new command, then offers it to the top one, which adopts its result.

If another writer removed the annotation meanwhile (a new model run replaces pending
suggestions), `do`/`undo` raise the store's NotFoundError with a message to show. On a
submitted asset every command refuses to write (guard.AssetSubmitted), undo and redo included.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from avala_desktop.core.review.guard import require_open
from avala_desktop.core.store import (
    AnnotationRecord,
    NotFoundError,
    Origin,
    ProjectStore,
    ReviewState,
)
from avala_desktop.core.store.base import check_geometry, utcnow


class Command(ABC):
    """One undoable user action."""

    text: str = ""
    merge_key: Hashable | None = None

    @abstractmethod
    def do(self) -> None:
        """Apply (first time) or re-apply (redo) the action."""

    @abstractmethod
    def undo(self) -> None:
        """Put back what `do` changed."""

    def merge_with(self, other: Command) -> bool:
        """Absorb `other` (already applied) into this command; False if it cannot."""
        return False


@dataclass(frozen=True)
class _Snapshot:
    label: str
    geometry: dict[str, Any]
    state: ReviewState
    confidence: float | None

    @classmethod
    def of(cls, record: AnnotationRecord) -> _Snapshot:
        return cls(record.label, record.geometry, record.state, record.confidence)


def _require(store: ProjectStore, annotation_id: str) -> AnnotationRecord:
    record = store.get_annotation(annotation_id)
    if record is None:
        raise NotFoundError(f"Annotation {annotation_id} is no longer in the project.")
    return record


def _type_words(record: AnnotationRecord) -> str:
    return {"bounding_box": "box", "bounding_box_3d": "3D box", "segmentation_mask": "mask"}.get(
        record.type, record.type.replace("_", " ")
    )


def edited_state(record: AnnotationRecord) -> ReviewState:
    """The state an annotation takes when a person changes it: for a suggestion the edit is
    the acceptance (`edited`); a person's own annotation simply stays `accepted`."""
    return ReviewState.EDITED if record.origin is Origin.MODEL else ReviewState.ACCEPTED


class _ChangeCommand(Command):
    """Changes some fields of one annotation; undo restores all of them as they were."""

    def __init__(self, store: ProjectStore, annotation_id: str) -> None:
        self._store = store
        self.annotation_id = annotation_id
        self._before: _Snapshot | None = None
        self._after: _Snapshot | None = None
        self.record = _require(store, annotation_id)  # fails early for a stale id

    @abstractmethod
    def _target(self, current: AnnotationRecord) -> _Snapshot:
        """The fields after the action, given the annotation as it is now."""

    def do(self) -> None:
        if self._before is None:
            current = _require(self._store, self.annotation_id)
            self._before = _Snapshot.of(current)
            self._after = self._target(current)
        assert self._after is not None
        self._write(self._after)

    def undo(self) -> None:
        if self._before is not None:
            self._write(self._before)

    def _write(self, snap: _Snapshot) -> None:
        current = _require(self._store, self.annotation_id)
        require_open(self._store, current.asset_id)
        if _Snapshot.of(current) == snap:
            self.record = current
            return
        self.record = self._store.update_annotation(
            self.annotation_id,
            label=snap.label,
            geometry=snap.geometry,
            state=snap.state,
            confidence=snap.confidence,
        )


class AcceptCommand(_ChangeCommand):
    """Accept a suggestion as it is (an already edited one stays `edited`)."""

    def __init__(self, store: ProjectStore, annotation_id: str) -> None:
        super().__init__(store, annotation_id)
        self.text = f"Accept {_type_words(self.record)}"

    def _target(self, current: AnnotationRecord) -> _Snapshot:
        state = ReviewState.EDITED if current.state is ReviewState.EDITED else ReviewState.ACCEPTED
        return dataclasses.replace(_Snapshot.of(current), state=state)


class RejectCommand(_ChangeCommand):
    """Delete an annotation from review: it becomes `rejected` (kept, with its origin)."""

    def __init__(self, store: ProjectStore, annotation_id: str) -> None:
        super().__init__(store, annotation_id)
        self.text = f"Delete {_type_words(self.record)}"

    def _target(self, current: AnnotationRecord) -> _Snapshot:
        return dataclasses.replace(_Snapshot.of(current), state=ReviewState.REJECTED)


class EditGeometryCommand(_ChangeCommand):
    """Replace the geometry (move, resize, vertex edit, mask paint). Successive commands with
    the same non-None `merge_key` on the same annotation merge into one step (a drag)."""

    def __init__(
        self,
        store: ProjectStore,
        annotation_id: str,
        geometry: Mapping[str, Any],
        *,
        text: str | None = None,
        merge_key: Hashable | None = None,
    ) -> None:
        super().__init__(store, annotation_id)
        self.geometry = check_geometry(geometry)
        self.text = text or f"Edit {_type_words(self.record)}"
        self.merge_key = merge_key

    def _target(self, current: AnnotationRecord) -> _Snapshot:
        return dataclasses.replace(
            _Snapshot.of(current), geometry=self.geometry, state=edited_state(current)
        )

    def merge_with(self, other: Command) -> bool:
        if not (
            isinstance(other, EditGeometryCommand)
            and self.merge_key is not None
            and other.merge_key == self.merge_key
            and other.annotation_id == self.annotation_id
            and self._after is not None
            and other._after is not None
        ):
            return False
        self.geometry = other.geometry
        self._after = other._after
        self.record = other.record
        return True


class RelabelCommand(_ChangeCommand):
    """Change the label; on a suggestion that is a correction, so it becomes `edited`."""

    def __init__(self, store: ProjectStore, annotation_id: str, label: str) -> None:
        super().__init__(store, annotation_id)
        self.label = label
        self.text = f"Relabel {_type_words(self.record)} as {label}"

    def _target(self, current: AnnotationRecord) -> _Snapshot:
        return dataclasses.replace(
            _Snapshot.of(current), label=self.label, state=edited_state(current)
        )


class CreateAnnotationCommand(Command):
    """Draw a new annotation (human, accepted). Undo deletes it; redo brings back the same id."""

    def __init__(
        self,
        store: ProjectStore,
        asset_id: str,
        type: str,
        label: str,
        geometry: Mapping[str, Any],
        *,
        text: str | None = None,
    ) -> None:
        self._store = store
        self.asset_id = asset_id
        self.type = type
        self.label = label
        self.geometry = check_geometry(geometry)
        self.record: AnnotationRecord | None = None
        self._last_revision = 0
        words = {"bounding_box": "box", "segmentation_mask": "mask",
                 "bounding_box_3d": "3D box"}.get(type, type.replace("_", " "))
        self.text = text or f"Draw {words}"

    @property
    def annotation_id(self) -> str | None:
        return None if self.record is None else self.record.id

    def do(self) -> None:
        require_open(self._store, self.asset_id)
        if self.record is None:
            self.record = self._store.insert_annotation(
                self.asset_id, self.type, self.label, self.geometry, origin=Origin.HUMAN
            )
        else:
            # Same id and content; a fresh revision, since revisions never repeat.
            self.record = self._store.restore_annotation(
                dataclasses.replace(
                    self.record, revision=self._last_revision + 1, updated_at=utcnow()
                )
            )

    def undo(self) -> None:
        if self.record is not None:
            require_open(self._store, self.asset_id)
            deleted = self._store.delete_annotation(self.record.id)
            self._last_revision = deleted.revision


class AcceptAllCommand(Command):
    """Accept every pending suggestion among `annotation_ids`, in one step and one transaction.
    Annotations not pending (already reviewed) are left alone."""

    def __init__(self, store: ProjectStore, annotation_ids: Sequence[str]) -> None:
        self._store = store
        self.annotation_ids = list(dict.fromkeys(annotation_ids))
        self._before: dict[str, ReviewState] | None = None
        self._assets: list[str] = []
        n = len(self.annotation_ids)
        self.text = f"Accept {n} suggestion{'s' if n != 1 else ''}"

    @property
    def accepted_ids(self) -> list[str]:
        return list(self._before or {})

    def do(self) -> None:
        if self._before is None:
            before: dict[str, ReviewState] = {}
            assets: set[str] = set()
            for annotation_id in self.annotation_ids:
                record = _require(self._store, annotation_id)
                if record.state is ReviewState.PENDING:
                    before[annotation_id] = record.state
                    assets.add(record.asset_id)
            for asset_id in sorted(assets):
                require_open(self._store, asset_id)
            self._before, self._assets = before, sorted(assets)
        else:
            self._check_open()
        if self._before:
            self._store.set_states({a: ReviewState.ACCEPTED for a in self._before})

    def undo(self) -> None:
        if self._before:
            self._check_open()
            self._store.set_states(self._before)

    def _check_open(self) -> None:
        for asset_id in self._assets:
            require_open(self._store, asset_id)
