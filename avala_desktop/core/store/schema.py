"""Tables of the project database, in SQLAlchemy Core so the SQL stays portable.

The metadata always describes the newest schema (`migrations.SCHEMA_VERSION`): a new project
is created from it directly, older databases reach it through the migration steps.
"""


from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend.

    SQLite has no time zone type, so values are stored as naive UTC there and made aware
    again on the way out; PostgreSQL keeps them in a `timestamptz`.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps given to the store must be time zone aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


metadata = MetaData()

schema_version = Table(
    "schema_version",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version", Integer, nullable=False),
    CheckConstraint("id = 1", name="ck_schema_version_single_row"),
)

project = Table(
    "project",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(255), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint("id = 1", name="ck_project_single_row"),
)

labels = Table(
    "labels",
    metadata,
    Column("name", String(255), primary_key=True),
    Column("color", String(7), nullable=False),
    Column("position", Integer, nullable=False),
)

assets = Table(
    "assets",
    metadata,
    Column("id", String(40), primary_key=True),
    # "file:<path>" or "frame:<index>:<path>": what makes adding the same file again a no-op
    Column("source_key", Text, nullable=False, unique=True),
    Column("path", Text, nullable=False),
    Column("type", String(20), nullable=False),
    Column("width", Integer),
    Column("height", Integer),
    Column("video_source", Text),
    Column("frame_index", Integer),
    Column("added_at", UTCDateTime, nullable=False),
    Column("submitted_at", UTCDateTime),
    CheckConstraint("type IN ('image', 'point_cloud', 'video_frame')", name="ck_assets_type"),
)
Index("ix_assets_path", assets.c.path, assets.c.frame_index)

annotations = Table(
    "annotations",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("asset_id", String(40), ForeignKey("assets.id", ondelete="CASCADE"), nullable=False),
    Column("type", String(32), nullable=False),
    Column("label", String(255), nullable=False),
    Column("geometry", JSON, nullable=False),
    Column("confidence", Float),
    Column("origin", String(10), nullable=False),
    Column("provider_id", String(255)),
    Column("run_id", String(40), ForeignKey("runs.id", ondelete="SET NULL")),
    Column("state", String(10), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint("origin IN ('model', 'human')", name="ck_annotations_origin"),
    CheckConstraint(
        "state IN ('pending', 'accepted', 'edited', 'rejected')", name="ck_annotations_state"
    ),
    CheckConstraint("revision >= 1", name="ck_annotations_revision"),
)
Index("ix_annotations_asset_state", annotations.c.asset_id, annotations.c.state)
Index("ix_annotations_asset_provider", annotations.c.asset_id, annotations.c.provider_id)
Index("ix_annotations_run", annotations.c.run_id)

runs = Table(
    "runs",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("provider_id", String(255), nullable=False),
    Column("provider_name", String(255), nullable=False),
    Column("threshold", Float, nullable=False),
    Column("scope", JSON, nullable=False),
    Column("concurrency", Integer, nullable=False),
    Column("state", String(12), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Column("counters", JSON, nullable=False),
    CheckConstraint(
        "state IN ('running', 'cancelled', 'completed', 'failed', 'interrupted')",
        name="ck_runs_state",
    ),
)
Index("ix_runs_provider_started", runs.c.provider_id, runs.c.started_at)

run_assets = Table(
    "run_assets",
    metadata,
    Column("run_id", String(40), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("asset_id", String(40), ForeignKey("assets.id", ondelete="CASCADE"),
           primary_key=True),
    Column("status", String(10), nullable=False),
    Column("category", String(32)),
    Column("message", Text),
    Column("kept", Integer, nullable=False),
    Column("discarded", JSON, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint("status IN ('ok', 'failed', 'skipped')", name="ck_run_assets_status"),
)
