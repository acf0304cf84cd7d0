"""Annotations: reading them, and every single-annotation write the review commands need.

`revision` counts the writes to an annotation and never goes back, not even on undo: a copy
carrying an older revision is always recognisably stale.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from avala_desktop.core.store import schema
from avala_desktop.core.store.base import (
    StoreBase,
    annotation_from_row,
    annotation_values,
    check_annotation_type,
    check_confidence,
    check_geometry,
    chunks,
    new_id,
    utcnow,
)
from avala_desktop.core.store.database import ANNOTATIONS, ASSETS, LABELS, WriteTx
from avala_desktop.core.store.errors import NotFoundError, ProjectError
from avala_desktop.core.store.records import AnnotationRecord, Label, Origin, ReviewState


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()


def _missing(annotation_id: str) -> NotFoundError:
    return NotFoundError(
        f"Annotation {annotation_id} is no longer in the project (it was deleted or replaced "
        f"by a newer model run)."
    )


class AnnotationsMixin(StoreBase):
    def annotations(
        self,
        asset_id: str,
        *,
        states: Sequence[ReviewState | str] | None = None,
        include_rejected: bool = False,
    ) -> list[AnnotationRecord]:
        """The asset's annotations, oldest first.

        Rejected ones are left out unless `include_rejected` is set or `states` names them.
        """
        ann = schema.annotations
        query = select(ann).where(ann.c.asset_id == asset_id)
        if states is not None:
            query = query.where(ann.c.state.in_([ReviewState(s).value for s in states]))
        elif not include_rejected:
            query = query.where(ann.c.state != ReviewState.REJECTED.value)
        query = query.order_by(ann.c.created_at, ann.c.id)
        with self._db.read() as conn:
            return [annotation_from_row(row) for row in conn.execute(query)]

    def get_annotation(self, annotation_id: str) -> AnnotationRecord | None:
        with self._db.read() as conn:
            return self._fetch_annotation(conn, annotation_id)

    def _fetch_annotation(self, conn: Connection, annotation_id: str) -> AnnotationRecord | None:
        ann = schema.annotations
        row = conn.execute(select(ann).where(ann.c.id == annotation_id)).first()
        return None if row is None else annotation_from_row(row)

    def _require_asset(self, conn: Connection, asset_id: str) -> None:
        table = schema.assets
        if conn.execute(select(table.c.id).where(table.c.id == asset_id)).first() is None:
            raise NotFoundError(f"There is no asset {asset_id} in this project.")

    def insert_annotation(
        self,
        asset_id: str,
        type: str,
        label: str,
        geometry: Mapping[str, Any],
        *,
        confidence: float | None = None,
        origin: Origin | str = Origin.HUMAN,
        provider_id: str | None = None,
        run_id: str | None = None,
        state: ReviewState | str | None = None,
        annotation_id: str | None = None,
    ) -> AnnotationRecord:
        """Add one annotation. A human one is `accepted` and a model one `pending` unless
        `state` says otherwise."""
        origin = Origin(origin)
        if state is None:
            state = ReviewState.ACCEPTED if origin is Origin.HUMAN else ReviewState.PENDING
        now = utcnow()
        record = AnnotationRecord(
            id=annotation_id or new_id("ann"),
            asset_id=asset_id,
            type=check_annotation_type(type),
            label=label,
            geometry=check_geometry(geometry),
            confidence=check_confidence(confidence),
            origin=origin,
            provider_id=provider_id,
            run_id=run_id,
            state=ReviewState(state),
            revision=1,
            created_at=now,
            updated_at=now,
        )
        return self.restore_annotation(record)

    def restore_annotation(self, record: AnnotationRecord) -> AnnotationRecord:
        """Insert `record` exactly as it is (same id, revision and timestamps): redo of a
        creation after its undo deleted it."""
        values = annotation_values(record)
        with self._db.write() as tx:
            self._require_asset(tx.conn, record.asset_id)
            if self._fetch_annotation(tx.conn, record.id) is not None:
                raise ProjectError(f"Annotation {record.id} is already in the project.")
            try:
                tx.conn.execute(schema.annotations.insert().values(**values))
            except IntegrityError as exc:
                raise ProjectError(
                    f"Annotation {record.id} could not be stored: {exc.orig}"
                ) from exc
            tx.changed(ANNOTATIONS, record.id)
            tx.changed(ASSETS, record.asset_id)
        return record

    def insert_annotations(
        self,
        records: Sequence[AnnotationRecord],
        *,
        new_labels: Sequence[Label] = (),
        replace_pending_of: str | None = None,
        replace_on: Collection[str] = (),
    ) -> list[AnnotationRecord]:
        """Store many annotations (an import) in ONE transaction: all of them or none.

        `new_labels` are appended to the label set first (names already in it are left as they
        are). With `replace_pending_of`, that provider's pending model suggestions on the
        records' assets and on `replace_on` are deleted first, so importing the same
        predictions again replaces them, as a re-run of a provider does. A record for a
        submitted asset is refused: a submitted asset is read-only until it is reopened.
        """
        ann, assets, labels = schema.annotations, schema.assets, schema.labels
        values = [annotation_values(record) for record in records]
        asset_ids = {record.asset_id for record in records}
        with self._db.write() as tx:
            found = {
                row.id: row.submitted_at
                for chunk in chunks(sorted(asset_ids))
                for row in tx.conn.execute(
                    select(assets.c.id, assets.c.submitted_at).where(assets.c.id.in_(chunk))
                )
            }
            missing = sorted(asset_ids - set(found))
            if missing:
                raise NotFoundError(f"There is no asset {missing[0]} in this project.")
            submitted = sorted(a for a in asset_ids if found[a] is not None)
            if submitted:
                raise ProjectError(
                    f"Asset {submitted[0]} is submitted, so it is read-only; reopen it first."
                )
            known = list(tx.conn.execute(select(labels.c.name)).scalars())
            added = [label for label in new_labels if label.name not in known]
            if added:
                tx.conn.execute(
                    labels.insert(),
                    [
                        {"name": label.name, "color": label.color, "position": len(known) + i}
                        for i, label in enumerate(added)
                    ],
                )
                tx.changed(LABELS, *known, *(label.name for label in added))
            removed: list[str] = []
            if replace_pending_of is not None:
                removed = self._delete_pending_suggestions(
                    tx, sorted(asset_ids | set(replace_on)), replace_pending_of
                )
            if values:
                try:
                    tx.conn.execute(ann.insert(), values)
                except IntegrityError as exc:
                    raise ProjectError(f"The annotations could not be stored: {exc.orig}") from exc
            tx.changed(ANNOTATIONS, *removed, *(record.id for record in records))
            tx.changed(ASSETS, *sorted(asset_ids))
        return list(records)

    def _delete_pending_suggestions(
        self, tx: WriteTx, asset_ids: Sequence[str], provider_id: str
    ) -> list[str]:
        """Delete the provider's pending model suggestions on these assets (what a new run
        or import of the same provider replaces); returns the deleted annotations' ids."""
        ann = schema.annotations
        removed: list[str] = []
        for chunk in chunks(asset_ids):
            stale = (
                ann.c.asset_id.in_(chunk),
                ann.c.provider_id == provider_id,
                ann.c.origin == Origin.MODEL.value,
                ann.c.state == ReviewState.PENDING.value,
            )
            ids = list(tx.conn.execute(select(ann.c.id).where(*stale)).scalars())
            if ids:
                tx.conn.execute(ann.delete().where(*stale))
                removed.extend(ids)
                tx.changed(ASSETS, *chunk)
        return removed

    def update_annotation(
        self,
        annotation_id: str,
        *,
        label: str | _Unset = UNSET,
        geometry: Mapping[str, Any] | _Unset = UNSET,
        state: ReviewState | str | _Unset = UNSET,
        confidence: float | _Unset | None = UNSET,
    ) -> AnnotationRecord:
        """Change the given fields, bump the revision; returns the stored record."""
        values: dict[str, Any] = {}
        if not isinstance(label, _Unset):
            values["label"] = label
        if not isinstance(geometry, _Unset):
            values["geometry"] = check_geometry(geometry)
        if not isinstance(state, _Unset):
            values["state"] = ReviewState(state).value
        if not isinstance(confidence, _Unset):
            values["confidence"] = check_confidence(confidence)
        with self._db.write() as tx:
            return self._update(tx, annotation_id, values, utcnow())

    def set_state(self, annotation_id: str, state: ReviewState | str) -> AnnotationRecord:
        return self.update_annotation(annotation_id, state=state)

    def set_states(self, states: Mapping[str, ReviewState | str]) -> list[AnnotationRecord]:
        """Set the state of several annotations in one transaction (all or none)."""
        checked = {ann_id: ReviewState(s).value for ann_id, s in states.items()}
        now = utcnow()
        with self._db.write() as tx:
            return [self._update(tx, a, {"state": s}, now) for a, s in checked.items()]

    def _update(
        self, tx: WriteTx, annotation_id: str, values: dict[str, Any], now: datetime
    ) -> AnnotationRecord:
        ann = schema.annotations
        updated = tx.conn.execute(
            ann.update()
            .where(ann.c.id == annotation_id)
            .values(**values, revision=ann.c.revision + 1, updated_at=now)
        )
        if updated.rowcount == 0:
            raise _missing(annotation_id)
        record = self._fetch_annotation(tx.conn, annotation_id)
        assert record is not None  # updated a moment ago in this transaction
        tx.changed(ANNOTATIONS, annotation_id)
        tx.changed(ASSETS, record.asset_id)
        return record

    def delete_annotation(self, annotation_id: str) -> AnnotationRecord:
        """Remove the row for good (undo of a creation); returns what was deleted.

        Reviewing a suggestion away is `set_state(..., "rejected")`, not this.
        """
        ann = schema.annotations
        with self._db.write() as tx:
            record = self._fetch_annotation(tx.conn, annotation_id)
            if record is None:
                raise _missing(annotation_id)
            tx.conn.execute(ann.delete().where(ann.c.id == annotation_id))
            tx.changed(ANNOTATIONS, annotation_id)
            tx.changed(ASSETS, record.asset_id)
        return record
