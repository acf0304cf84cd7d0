"""Schema version and forward migrations.

`SCHEMA_VERSION` is the version `schema.metadata` describes. A database at an older version is
brought forward by the steps in `MIGRATIONS`, where `MIGRATIONS[n]` turns version n into n + 1.
Each step runs in the same transaction as the version bump, so a crash mid-migration leaves
the database at the last complete version. Steps must use portable SQLAlchemy constructs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager

from sqlalchemy import Connection, inspect, select

from avala_desktop.core.store import schema
from avala_desktop.core.store.errors import ProjectError

MigrationStep = Callable[[Connection], None]

SCHEMA_VERSION = 1

# Version 1 is the first schema; later steps go here as {1: step_1_to_2, ...}.
MIGRATIONS: dict[int, MigrationStep] = {}


def read_version(conn: Connection) -> int | None:
    """The stored schema version, or None when the database has no version table."""
    if not inspect(conn).has_table(schema.schema_version.name):
        return None
    row = conn.execute(select(schema.schema_version.c.version)).first()
    return None if row is None else int(row[0])


def write_version(conn: Connection, version: int) -> None:
    table = schema.schema_version
    updated = conn.execute(table.update().where(table.c.id == 1).values(version=version))
    if updated.rowcount == 0:
        conn.execute(table.insert().values(id=1, version=version))


def upgrade(
    begin: Callable[[], AbstractContextManager[Connection]],
    *,
    steps: Mapping[int, MigrationStep] = MIGRATIONS,
    target: int = SCHEMA_VERSION,
) -> list[int]:
    """Bring the database forward to `target`; returns the versions reached, in order.

    `begin` opens one write transaction (the store passes one that takes SQLite's write lock
    up front, so two processes opening an old project at once do not both migrate it).
    """
    reached: list[int] = []
    while True:
        with begin() as conn:
            version = read_version(conn)
            if version is None:
                raise ProjectError(
                    "The project database has no schema version; it was not made by "
                    "avala-desktop. Create a new project with `avala-desktop init`."
                )
            if version > target:
                raise ProjectError(
                    f"This project was written by a newer avala-desktop (schema {version}, "
                    f"this version knows up to {target}). Update avala-desktop to open it."
                )
            if version == target:
                return reached
            step = steps.get(version)
            if step is None:
                raise ProjectError(
                    f"No migration from schema {version} to {version + 1}; this avala-desktop "
                    f"cannot upgrade the project. Update avala-desktop."
                )
            step(conn)
            write_version(conn, version + 1)
        reached.append(version + 1)
