"""Assets of a project: adding them, listing and filtering them, submitting them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Select, exists, func, or_, select

from avala_desktop.core.store import schema
from avala_desktop.core.store.base import (
    StoreBase,
    asset_from_row,
    asset_status_expr,
    chunks,
    new_id,
    utcnow,
)
from avala_desktop.core.store.database import ASSETS
from avala_desktop.core.store.errors import NotFoundError, SubmitRefused
from avala_desktop.core.store.records import (
    ASSET_TYPES,
    Asset,
    AssetSpec,
    AssetStatus,
    ReviewState,
)


def _source_key(path: str, frame_index: int | None) -> str:
    # Distinct prefixes, so no file name can collide with a video frame's key.
    return f"file:{path}" if frame_index is None else f"frame:{frame_index}:{path}"


class AssetsMixin(StoreBase):
    def _asset_select(self) -> Select[tuple[object, ...]]:
        return select(*schema.assets.c, asset_status_expr().label("status"))

    def add_assets(self, specs: Iterable[AssetSpec]) -> list[Asset]:
        """Add assets in one transaction; returns those that were new.

        An asset already in the project (same file, same frame) is left as it is, so adding
        the result of a new discovery of the same folder adds only what is new.
        """
        rows: list[dict[str, Any]] = []
        seen: set[str] = set()
        for spec in specs:
            if spec.type not in ASSET_TYPES:
                raise ValueError(
                    f"unknown asset type {spec.type!r}; expected one of {', '.join(ASSET_TYPES)}"
                )
            if (spec.type == "video_frame") != (spec.frame_index is not None):
                raise ValueError(
                    f"{spec.path}: a frame index is required for video frames and only for them"
                )
            path = self.stored_path(spec.video_source if spec.video_source else spec.path)
            key = _source_key(path, spec.frame_index)
            if key in seen:
                continue
            seen.add(key)
            rows.append(
                {
                    "source_key": key,
                    "path": path,
                    "type": spec.type,
                    "width": spec.width,
                    "height": spec.height,
                    "video_source": path if spec.type == "video_frame" else None,
                    "frame_index": spec.frame_index,
                }
            )
        if not rows:
            return []
        now = utcnow()
        table = schema.assets
        with self._db.write() as tx:
            existing: set[str] = set()
            keys = [r["source_key"] for r in rows]
            for chunk in chunks(keys):
                existing.update(
                    tx.conn.execute(
                        select(table.c.source_key).where(table.c.source_key.in_(chunk))
                    ).scalars()
                )
            new_rows = [
                {**r, "id": new_id("ast"), "added_at": now}
                for r in rows
                if r["source_key"] not in existing
            ]
            if new_rows:
                tx.conn.execute(table.insert(), new_rows)
                tx.changed(ASSETS, *(r["id"] for r in new_rows))
        return [
            asset_from_row({**r, "status": AssetStatus.UNLABELED, "submitted_at": None})
            for r in new_rows
        ]

    def assets(
        self,
        *,
        types: Sequence[str] | None = None,
        statuses: Sequence[AssetStatus | str] | None = None,
        label: str | None = None,
        provider_id: str | None = None,
        search: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Asset]:
        """Assets in path order, filtered by every criterion given.

        `label` and `provider_id` match assets with at least one non-rejected annotation of
        that label / from that provider; `search` is a case-insensitive substring of the path
        or id.
        """
        ann = schema.annotations
        table = schema.assets
        status = asset_status_expr()
        query = select(*table.c, status.label("status"))
        if types is not None:
            query = query.where(table.c.type.in_(list(types)))
        if statuses is not None:
            query = query.where(status.in_([AssetStatus(s).value for s in statuses]))
        live = ann.c.state != ReviewState.REJECTED.value
        if label is not None:
            query = query.where(
                exists().where(ann.c.asset_id == table.c.id, ann.c.label == label, live)
            )
        if provider_id is not None:
            query = query.where(
                exists().where(
                    ann.c.asset_id == table.c.id, ann.c.provider_id == provider_id, live
                )
            )
        if search:
            query = query.where(
                or_(
                    table.c.path.icontains(search, autoescape=True),
                    table.c.id.icontains(search, autoescape=True),
                )
            )
        query = query.order_by(table.c.path, table.c.frame_index, table.c.id)
        if limit is not None:
            query = query.limit(limit)
        if offset:
            query = query.offset(offset)
        with self._db.read() as conn:
            return [asset_from_row(row) for row in conn.execute(query).mappings()]

    def _read_asset(self, conn: Connection, asset_id: str) -> Asset:
        return asset_from_row(
            conn.execute(self._asset_select().where(schema.assets.c.id == asset_id)).one()
        )

    def asset(self, asset_id: str) -> Asset | None:
        query = self._asset_select().where(schema.assets.c.id == asset_id)
        with self._db.read() as conn:
            row = conn.execute(query).first()
        return None if row is None else asset_from_row(row)

    def asset_count(self) -> int:
        with self._db.read() as conn:
            return int(conn.execute(select(func.count()).select_from(schema.assets)).scalar_one())

    def asset_abspath(self, asset: Asset | str) -> Path:
        """The file holding the asset (for a video frame: the video)."""
        if isinstance(asset, str):
            found = self.asset(asset)
            if found is None:
                raise NotFoundError(f"There is no asset {asset} in this project.")
            asset = found
        return self._absolute(asset.video_source or asset.path)

    def submit_asset(self, asset_id: str) -> Asset:
        """Mark the asset submitted; refused while any suggestion on it is still pending."""
        ann = schema.annotations
        table = schema.assets
        with self._db.write() as tx:
            if tx.conn.execute(select(table.c.id).where(table.c.id == asset_id)).first() is None:
                raise NotFoundError(f"There is no asset {asset_id} in this project.")
            pending = tx.conn.execute(
                select(func.count())
                .select_from(ann)
                .where(ann.c.asset_id == asset_id, ann.c.state == ReviewState.PENDING.value)
            ).scalar_one()
            if pending:
                raise SubmitRefused(asset_id, int(pending))
            tx.conn.execute(
                table.update()
                .where(table.c.id == asset_id, table.c.submitted_at.is_(None))
                .values(submitted_at=utcnow())
            )
            tx.changed(ASSETS, asset_id)
            return self._read_asset(tx.conn, asset_id)

    def unsubmit_asset(self, asset_id: str) -> Asset:
        """Take an asset back out of `submitted` (to review it again, or undo a submit)."""
        table = schema.assets
        with self._db.write() as tx:
            updated = tx.conn.execute(
                table.update().where(table.c.id == asset_id).values(submitted_at=None)
            )
            if updated.rowcount == 0:
                raise NotFoundError(f"There is no asset {asset_id} in this project.")
            tx.changed(ASSETS, asset_id)
            return self._read_asset(tx.conn, asset_id)
