"""Immutable records the project store hands out, and the vocabularies they use.

Records are frozen dataclasses: a caller can keep one (the undo stack does) without it
changing under its feet. `geometry`, `counters` and `discarded` are plain dicts in the
canonical form of docs/CONTRACTS.md; treat them as read-only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

ASSET_TYPES: tuple[str, ...] = ("image", "point_cloud", "video_frame")
ANNOTATION_TYPES: tuple[str, ...] = (
    "bounding_box",
    "polygon",
    "polyline",
    "segmentation_mask",
    "classification",
    "bounding_box_3d",
)
# Keys of a canonical annotation dict that are not geometry.
NON_GEOMETRY_KEYS: frozenset[str] = frozenset({"type", "label", "confidence"})


class ReviewState(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    EDITED = "edited"
    REJECTED = "rejected"


class Origin(StrEnum):
    MODEL = "model"
    HUMAN = "human"


class AssetStatus(StrEnum):
    """Derived from an asset's annotations; only `submitted` is stored."""

    UNLABELED = "unlabeled"
    PENDING_REVIEW = "pending_review"
    REVIEWED = "reviewed"
    SUBMITTED = "submitted"


class RunState(StrEnum):
    RUNNING = "running"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


# A run in one of these states has assets left to do. `running` is included because a run
# whose process was killed never got the chance to record anything else.
RESUMABLE_RUN_STATES: frozenset[RunState] = frozenset(
    {RunState.RUNNING, RunState.CANCELLED, RunState.INTERRUPTED, RunState.FAILED}
)
FINISHED_RUN_STATES: frozenset[RunState] = frozenset(
    {RunState.CANCELLED, RunState.COMPLETED, RunState.FAILED, RunState.INTERRUPTED}
)


class RunAssetStatus(StrEnum):
    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Project:
    name: str
    created_at: datetime
    root: Path
    schema_version: int


@dataclass(frozen=True)
class Label:
    name: str
    color: str  # "#rrggbb"


@dataclass(frozen=True)
class AssetSpec:
    """An asset to add. `path` may be absolute or relative to the project folder."""

    path: Path | str
    type: str
    width: int | None = None
    height: int | None = None
    video_source: Path | str | None = None
    frame_index: int | None = None


@dataclass(frozen=True)
class Asset:
    id: str
    path: str  # relative to the project folder when inside it, else absolute (posix form)
    type: str
    width: int | None
    height: int | None
    video_source: str | None
    frame_index: int | None
    status: AssetStatus
    submitted_at: datetime | None = None

    @property
    def display_name(self) -> str:
        if self.frame_index is not None:
            return f"{self.path} [frame {self.frame_index}]"
        return self.path


@dataclass(frozen=True)
class AnnotationRecord:
    id: str
    asset_id: str
    type: str
    label: str
    geometry: dict[str, Any]
    confidence: float | None
    origin: Origin
    provider_id: str | None
    run_id: str | None
    state: ReviewState
    revision: int
    created_at: datetime
    updated_at: datetime

    def canonical(self) -> dict[str, Any]:
        """The annotation as a canonical dict: type, label, confidence plus its geometry."""
        return {"type": self.type, "label": self.label, "confidence": self.confidence,
                **self.geometry}


@dataclass(frozen=True)
class Run:
    id: str
    provider_id: str
    provider_name: str
    threshold: float
    scope: str | list[str]  # "unlabeled", "all" or a list of asset ids
    concurrency: int
    state: RunState
    started_at: datetime
    finished_at: datetime | None
    counters: dict[str, Any]


@dataclass(frozen=True)
class RunAssetResult:
    """What processing one asset in a run came to (written with its suggestions)."""

    status: RunAssetStatus = RunAssetStatus.OK
    kept: int = 0
    discarded: dict[str, int] = field(default_factory=dict)  # reason -> count
    category: str | None = None  # a FailureCategory value when status is failed
    message: str | None = None


@dataclass(frozen=True)
class RunAssetEntry:
    """A stored per-asset row of a run."""

    run_id: str
    asset_id: str
    result: RunAssetResult
    updated_at: datetime
