"""What the parts of ProjectStore share: the database, the project folder, ids, row mapping."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import secrets
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import ColumnElement, Row, case, exists

from avala_desktop.core.store import schema
from avala_desktop.core.store.database import Database
from avala_desktop.core.store.records import (
    ANNOTATION_TYPES,
    NON_GEOMETRY_KEYS,
    AnnotationRecord,
    Asset,
    AssetStatus,
    Origin,
    ReviewState,
    Run,
    RunAssetEntry,
    RunAssetResult,
    RunAssetStatus,
    RunState,
)

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


R = TypeVar("R", bound="DataclassInstance")
T = TypeVar("T")
# A result row, its `_mapping`, or a plain dict of column values.
RowLike = Row[Any] | Mapping[Any, Any]

# `IN (...)` lists are cut into chunks of this many: SQLite limits the bound parameters of
# one statement.
IN_CHUNK = 500


def chunks(items: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    """`items` in consecutive slices of at most `size` (for `IN (...)` lists)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


def utcnow() -> datetime:
    return datetime.now(UTC)


def asset_status_expr() -> ColumnElement[str]:
    """The derived review status of each row of `assets`, as one portable SQL expression."""
    ann = schema.annotations
    has_pending = exists().where(
        ann.c.asset_id == schema.assets.c.id, ann.c.state == ReviewState.PENDING.value
    )
    has_live = exists().where(
        ann.c.asset_id == schema.assets.c.id, ann.c.state != ReviewState.REJECTED.value
    )
    return case(
        (schema.assets.c.submitted_at.is_not(None), AssetStatus.SUBMITTED.value),
        (has_pending, AssetStatus.PENDING_REVIEW.value),
        (has_live, AssetStatus.REVIEWED.value),
        else_=AssetStatus.UNLABELED.value,
    )


def check_annotation_type(value: str) -> str:
    if value not in ANNOTATION_TYPES:
        raise ValueError(
            f"unknown annotation type {value!r}; expected one of {', '.join(ANNOTATION_TYPES)}"
        )
    return value


def check_confidence(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    if not (math.isfinite(value) and 0.0 <= value <= 1.0):
        raise ValueError(f"confidence must be a number from 0 to 1, got {value!r}")
    return value


def check_geometry(geometry: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(geometry, Mapping):
        raise ValueError(f"geometry must be a JSON object, got {type(geometry).__name__}")
    stray = NON_GEOMETRY_KEYS & set(geometry)
    if stray:
        raise ValueError(f"geometry must not contain {sorted(stray)}; pass them separately")
    try:
        # A round trip through JSON is the check that the geometry can be stored, and the copy
        # it makes is exactly what reading it back will give (tuples become lists).
        copy: dict[str, Any] = json.loads(json.dumps(geometry, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"geometry cannot be stored as JSON: {exc}") from exc
    return copy


def split_canonical(annotation: Mapping[str, Any]) -> tuple[str, str, float | None, dict[str, Any]]:
    """(type, label, confidence, geometry) of a canonical annotation dict."""
    try:
        type_ = check_annotation_type(str(annotation["type"]))
        label = str(annotation["label"])
    except KeyError as exc:
        raise ValueError(f"annotation is missing {exc.args[0]!r}: {dict(annotation)!r}") from exc
    confidence = check_confidence(annotation.get("confidence"))
    geometry = {k: v for k, v in annotation.items() if k not in NON_GEOMETRY_KEYS}
    return type_, label, confidence, geometry


def _mapping(row: RowLike) -> Mapping[Any, Any]:
    return row._mapping if isinstance(row, Row) else row


_FIELD_NAMES: dict[type[Any], tuple[str, ...]] = {}


def _record(cls: type[R], m: Mapping[Any, Any], **converted: Any) -> R:
    """`cls` (a record dataclass) built from the same-named columns of `m`; `converted` gives
    the fields whose column value needs a conversion (an enum) or that have no column."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    values = {name: m[name] for name in names if name not in converted}
    return cls(**values, **converted)


def asset_from_row(row: RowLike) -> Asset:
    m = _mapping(row)
    return _record(Asset, m, status=AssetStatus(m["status"]))


def annotation_from_row(row: RowLike) -> AnnotationRecord:
    m = _mapping(row)
    return _record(
        AnnotationRecord, m, origin=Origin(m["origin"]), state=ReviewState(m["state"])
    )


def annotation_values(record: AnnotationRecord) -> dict[str, Any]:
    """Column values that re-create `record` exactly."""
    return {
        "id": record.id,
        "asset_id": record.asset_id,
        "type": check_annotation_type(record.type),
        "label": record.label,
        "geometry": check_geometry(record.geometry),
        "confidence": check_confidence(record.confidence),
        "origin": Origin(record.origin).value,
        "provider_id": record.provider_id,
        "run_id": record.run_id,
        "state": ReviewState(record.state).value,
        "revision": record.revision,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
    }


def run_from_row(row: RowLike) -> Run:
    m = _mapping(row)
    return _record(Run, m, state=RunState(m["state"]))


def run_asset_from_row(row: RowLike) -> RunAssetEntry:
    m = _mapping(row)
    result = _record(RunAssetResult, m, status=RunAssetStatus(m["status"]))
    return _record(RunAssetEntry, m, result=result)


class StoreBase:
    """State shared by the parts of ProjectStore."""

    def __init__(self, root: Path, db: Database) -> None:
        self._root = root
        self._db = db

    @property
    def root(self) -> Path:
        """The project folder (absolute)."""
        return self._root

    def stored_path(self, path: PurePath | str) -> str:
        """Relative to the project folder when inside it, else absolute; always posix form."""
        p = Path(path)
        absolute = Path(os.path.abspath(p if p.is_absolute() else self._root / p))
        try:
            return absolute.relative_to(self._root).as_posix()
        except ValueError:
            return absolute.as_posix()

    def _absolute(self, stored: str) -> Path:
        p = Path(stored)
        return p if p.is_absolute() else self._root / p
