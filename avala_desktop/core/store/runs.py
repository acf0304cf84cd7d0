"""Auto-label runs and their per-asset results.

`replace_pending_suggestions` is the heart of an idempotent, resumable run: an asset's new
suggestions and the record that the asset is done commit together, so after a crash an asset
is either fully processed (and skipped on resume) or untouched.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, select

from avala_desktop.core.store import schema
from avala_desktop.core.store.annotation_ops import AnnotationsMixin
from avala_desktop.core.store.base import (
    annotation_values,
    new_id,
    run_asset_from_row,
    run_from_row,
    split_canonical,
    utcnow,
)
from avala_desktop.core.store.database import ANNOTATIONS, ASSETS, RUNS, WriteTx
from avala_desktop.core.store.errors import NotFoundError
from avala_desktop.core.store.records import (
    FINISHED_RUN_STATES,
    RESUMABLE_RUN_STATES,
    AnnotationRecord,
    Origin,
    ReviewState,
    Run,
    RunAssetEntry,
    RunAssetResult,
    RunAssetStatus,
    RunState,
)

# Why a submitted asset is skipped by a run (also when it is submitted while its request is out).
SUBMITTED_SKIP_MESSAGE = "The asset is already submitted; reopen it to auto-label it again."


def _run_missing(run_id: str) -> NotFoundError:
    return NotFoundError(f"There is no auto-label run {run_id} in this project.")


@dataclass(frozen=True)
class AssetOutcome:
    """One asset's outcome in a run, to store with `record_asset_outcomes`: an ok `result`
    replaces the provider's pending suggestions with `annotations`; any other status is
    recorded alone."""

    asset_id: str
    result: RunAssetResult
    annotations: Sequence[Mapping[str, Any]] = ()


@dataclass(frozen=True)
class StoredOutcome:
    """What `record_asset_outcomes` wrote for one asset: its new suggestions and its result
    as stored (`skipped` for an asset that was submitted meanwhile)."""

    records: list[AnnotationRecord]
    result: RunAssetResult


def _suggestion_records(
    asset_id: str, provider_id: str, run_id: str, annotations: Sequence[Mapping[str, Any]]
) -> list[AnnotationRecord]:
    """Pending model suggestions from canonical dicts; ValueError on a malformed one."""
    now = utcnow()
    records = []
    for i, annotation in enumerate(annotations):
        type_, label, confidence, geometry = split_canonical(annotation)
        # A microsecond apart so that the model's order survives `ORDER BY created_at`.
        stamp = now + timedelta(microseconds=i)
        records.append(
            AnnotationRecord(
                id=new_id("ann"),
                asset_id=asset_id,
                type=type_,
                label=label,
                geometry=geometry,
                confidence=confidence,
                origin=Origin.MODEL,
                provider_id=provider_id,
                run_id=run_id,
                state=ReviewState.PENDING,
                revision=1,
                created_at=stamp,
                updated_at=stamp,
            )
        )
    return records


class RunsMixin(AnnotationsMixin):
    def create_run(
        self,
        provider_id: str,
        provider_name: str,
        *,
        threshold: float = 0.5,
        scope: str | Sequence[str] = "unlabeled",
        concurrency: int = 4,
    ) -> Run:
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be from 0 to 1, got {threshold!r}")
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {concurrency!r}")
        stored_scope: str | list[str] = scope if isinstance(scope, str) else list(scope)
        run = Run(
            id=new_id("run"),
            provider_id=provider_id,
            provider_name=provider_name,
            threshold=float(threshold),
            scope=stored_scope,
            concurrency=int(concurrency),
            state=RunState.RUNNING,
            started_at=utcnow(),
            finished_at=None,
            counters={},
        )
        with self._db.write() as tx:
            tx.conn.execute(
                schema.runs.insert().values(
                    **{f.name: getattr(run, f.name) for f in dataclasses.fields(run)}
                )
            )
            tx.changed(RUNS, run.id)
        return run

    def get_run(self, run_id: str) -> Run | None:
        with self._db.read() as conn:
            return self._fetch_run(conn, run_id)

    def _fetch_run(self, conn: Connection, run_id: str) -> Run | None:
        row = conn.execute(select(schema.runs).where(schema.runs.c.id == run_id)).first()
        return None if row is None else run_from_row(row)

    def runs(self, *, provider_id: str | None = None, limit: int | None = None) -> list[Run]:
        """Runs, newest first."""
        query = select(schema.runs)
        if provider_id is not None:
            query = query.where(schema.runs.c.provider_id == provider_id)
        query = query.order_by(schema.runs.c.started_at.desc(), schema.runs.c.id.desc())
        if limit is not None:
            query = query.limit(limit)
        with self._db.read() as conn:
            return [run_from_row(row) for row in conn.execute(query)]

    def update_run(
        self,
        run_id: str,
        *,
        state: RunState | str | None = None,
        counters: Mapping[str, Any] | None = None,
    ) -> Run:
        """Change a run's state and/or counters. A finishing state stamps `finished_at`;
        going back to `running` (a resume) clears it."""
        values: dict[str, Any] = {}
        if state is not None:
            state = RunState(state)
            values["state"] = state.value
            values["finished_at"] = utcnow() if state in FINISHED_RUN_STATES else None
        if counters is not None:
            values["counters"] = dict(counters)
        with self._db.write() as tx:
            if values:
                table = schema.runs
                updated = tx.conn.execute(
                    table.update().where(table.c.id == run_id).values(**values)
                )
                if updated.rowcount == 0:
                    raise _run_missing(run_id)
                tx.changed(RUNS, run_id)
            run = self._fetch_run(tx.conn, run_id)
            if run is None:
                raise _run_missing(run_id)
            return run

    def latest_resumable_run(self, provider_id: str | None = None) -> Run | None:
        """The newest run (of that provider), if it did not complete; else None.

        Only the newest counts: once a later run completed, an older cancelled one is
        superseded and is not resumed.
        """
        latest = self.runs(provider_id=provider_id, limit=1)
        if latest and latest[0].state in RESUMABLE_RUN_STATES:
            return latest[0]
        return None

    def processed_asset_ids(
        self, run_id: str, *, statuses: Sequence[RunAssetStatus | str] | None = None
    ) -> set[str]:
        """Assets the run has a result for (of the given statuses; all by default)."""
        table = schema.run_assets
        query = select(table.c.asset_id).where(table.c.run_id == run_id)
        if statuses is not None:
            query = query.where(table.c.status.in_([RunAssetStatus(s).value for s in statuses]))
        with self._db.read() as conn:
            return set(conn.execute(query).scalars())

    def run_assets(self, run_id: str) -> list[RunAssetEntry]:
        table = schema.run_assets
        query = (
            select(table)
            .where(table.c.run_id == run_id)
            .order_by(table.c.updated_at, table.c.asset_id)
        )
        with self._db.read() as conn:
            return [run_asset_from_row(row) for row in conn.execute(query)]

    def replace_pending_suggestions(
        self,
        asset_id: str,
        provider_id: str,
        run_id: str,
        annotations: Sequence[Mapping[str, Any]],
        result: RunAssetResult,
    ) -> list[AnnotationRecord]:
        """In one transaction: delete this provider's pending suggestions on the asset, store
        `annotations` (canonical dicts) as its new pending suggestions, and record the asset's
        result in the run. Accepted, edited, rejected and human annotations are untouched.

        The stored `kept` is the number of suggestions stored, whatever `result.kept` says.
        A submitted asset is left alone (a submitted task never has pending suggestions): the
        run records it as `skipped` with the reason, and the call returns an empty list.
        """
        records = _suggestion_records(asset_id, provider_id, run_id, annotations)
        with self._db.write() as tx:
            if self._fetch_run(tx.conn, run_id) is None:
                raise _run_missing(run_id)
            return self._write_suggestions(tx, run_id, provider_id, asset_id, records, result)[0]

    def record_asset_outcomes(
        self, run_id: str, provider_id: str, outcomes: Sequence[AssetOutcome]
    ) -> list[StoredOutcome | None]:
        """Several assets of a run in ONE transaction (a group commit): each outcome is written
        exactly as `replace_pending_suggestions` (an ok result) or `record_asset_result` (any
        other) would, and the batch commits, or rolls back, as a whole.

        Returns, in order, what each asset came to, or None for an asset no longer in the
        project (nothing is written for it). NotFoundError when the run is missing; a bad
        annotation raises ValueError before anything is written.
        """
        built = [
            _suggestion_records(o.asset_id, provider_id, run_id, o.annotations)
            if RunAssetStatus(o.result.status) is RunAssetStatus.OK
            else None
            for o in outcomes
        ]
        stored: list[StoredOutcome | None] = []
        with self._db.write() as tx:
            if self._fetch_run(tx.conn, run_id) is None:
                raise _run_missing(run_id)
            for outcome, records in zip(outcomes, built, strict=True):
                try:
                    if records is None:
                        self._require_asset(tx.conn, outcome.asset_id)
                        self._upsert_run_asset(tx, run_id, outcome.asset_id, outcome.result)
                        stored.append(StoredOutcome([], outcome.result))
                    else:
                        written, result = self._write_suggestions(
                            tx, run_id, provider_id, outcome.asset_id, records, outcome.result
                        )
                        stored.append(StoredOutcome(written, result))
                except NotFoundError:
                    # Raised by the asset's first statement, before it wrote anything, so the
                    # rest of the batch stays whole.
                    stored.append(None)
        return stored

    def _write_suggestions(
        self,
        tx: WriteTx,
        run_id: str,
        provider_id: str,
        asset_id: str,
        records: list[AnnotationRecord],
        result: RunAssetResult,
    ) -> tuple[list[AnnotationRecord], RunAssetResult]:
        """The body of `replace_pending_suggestions` inside a write transaction whose run is
        known to exist; returns the stored suggestions and the result as stored."""
        if self._submitted(tx.conn, asset_id):
            skipped = RunAssetResult(status=RunAssetStatus.SKIPPED, message=SUBMITTED_SKIP_MESSAGE)
            self._upsert_run_asset(tx, run_id, asset_id, skipped)
            return [], skipped
        removed = self._delete_pending_suggestions(tx, [asset_id], provider_id)
        if records:
            tx.conn.execute(schema.annotations.insert(), [annotation_values(r) for r in records])
        stored = dataclasses.replace(result, kept=len(records))
        self._upsert_run_asset(tx, run_id, asset_id, stored)
        tx.changed(ANNOTATIONS, *removed, *(r.id for r in records))
        tx.changed(ASSETS, asset_id)
        return records, stored

    def _submitted(self, conn: Connection, asset_id: str) -> bool:
        table = schema.assets
        row = conn.execute(select(table.c.submitted_at).where(table.c.id == asset_id)).first()
        if row is None:
            raise NotFoundError(f"There is no asset {asset_id} in this project.")
        return row.submitted_at is not None

    def record_asset_result(self, run_id: str, asset_id: str, result: RunAssetResult) -> None:
        """Record what became of one asset in a run, without touching its annotations."""
        with self._db.write() as tx:
            self._require_asset(tx.conn, asset_id)
            if self._fetch_run(tx.conn, run_id) is None:
                raise _run_missing(run_id)
            self._upsert_run_asset(tx, run_id, asset_id, result)

    def record_asset_failure(
        self, run_id: str, asset_id: str, category: str, message: str
    ) -> None:
        self.record_asset_result(
            run_id,
            asset_id,
            RunAssetResult(status=RunAssetStatus.FAILED, category=str(category), message=message),
        )

    def _upsert_run_asset(
        self, tx: WriteTx, run_id: str, asset_id: str, result: RunAssetResult
    ) -> None:
        # Update-then-insert inside the write transaction: portable, and race-free because
        # the transaction holds the write lock.
        table = schema.run_assets
        values = {
            "status": RunAssetStatus(result.status).value,
            "category": result.category,
            "message": result.message,
            "kept": int(result.kept),
            "discarded": {str(k): int(v) for k, v in result.discarded.items()},
            "updated_at": utcnow(),
        }
        updated = tx.conn.execute(
            table.update()
            .where(table.c.run_id == run_id, table.c.asset_id == asset_id)
            .values(**values)
        )
        if updated.rowcount == 0:
            tx.conn.execute(table.insert().values(run_id=run_id, asset_id=asset_id, **values))
        tx.changed(RUNS, run_id)
