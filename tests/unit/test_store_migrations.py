"""Schema versions: forward migration steps, and refusal of databases from the future."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Connection, inspect, text

from avala_desktop.core.store import AssetSpec, ProjectError, ProjectStore, migrations
from avala_desktop.core.store.database import Database
from avala_desktop.core.store.project_store import db_path_for


def _add_notes_column(conn: Connection) -> None:
    conn.execute(text("ALTER TABLE assets ADD COLUMN notes TEXT"))
    conn.execute(text("UPDATE assets SET notes = 'migrated'"))


def test_fake_v2_step_runs_once_through_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ProjectStore.create(tmp_path / "p") as store:
        store.add_assets([AssetSpec("a.png", "image", 1, 1)])
    calls: list[int] = []

    def step(conn: Connection) -> None:
        calls.append(1)
        _add_notes_column(conn)

    monkeypatch.setattr(migrations, "SCHEMA_VERSION", 2)
    monkeypatch.setitem(migrations.MIGRATIONS, 1, step)
    with ProjectStore.open(tmp_path / "p") as store:
        assert store.project().schema_version == 2
        assert len(store.assets()) == 1
    with ProjectStore.open(tmp_path / "p") as store:  # already at 2: no second run
        assert store.project().schema_version == 2
    assert calls == [1]
    db = Database(db_path_for(tmp_path / "p"))
    try:
        with db.read() as conn:
            cols = {c["name"] for c in inspect(conn).get_columns("assets")}
            assert "notes" in cols
            assert conn.execute(text("SELECT notes FROM assets")).scalar() == "migrated"
    finally:
        db.close()


def test_failing_step_leaves_previous_version(tmp_path: Path) -> None:
    ProjectStore.create(tmp_path / "p").close()
    db = Database(db_path_for(tmp_path / "p"))

    def broken(conn: Connection) -> None:
        _add_notes_column(conn)
        raise RuntimeError("disk on fire")

    try:
        with pytest.raises(RuntimeError):
            migrations.upgrade(db.write_connection, steps={1: broken}, target=2)
        with db.read() as conn:
            assert migrations.read_version(conn) == 1
            # DDL is transactional in SQLite: the half-done step left no column behind
            assert "notes" not in {c["name"] for c in inspect(conn).get_columns("assets")}
        assert migrations.upgrade(db.write_connection, steps={1: _add_notes_column},
                                  target=2) == [2]
    finally:
        db.close()


def test_missing_step_and_newer_database_refused(tmp_path: Path) -> None:
    ProjectStore.create(tmp_path / "p").close()
    db = Database(db_path_for(tmp_path / "p"))
    try:
        with pytest.raises(ProjectError, match="No migration from schema 1 to 2"):
            migrations.upgrade(db.write_connection, steps={}, target=2)
        with db.write_connection() as conn:
            migrations.write_version(conn, 7)
    finally:
        db.close()
    with pytest.raises(ProjectError, match="newer avala-desktop"):
        ProjectStore.open(tmp_path / "p")


def test_database_without_version_refused(tmp_path: Path) -> None:
    path = db_path_for(tmp_path)
    path.parent.mkdir()
    db = Database(path)
    with db.write_connection() as conn:
        conn.execute(text("CREATE TABLE stuff (x INTEGER)"))
    db.close()
    with pytest.raises(ProjectError, match="no schema version"):
        ProjectStore.open(tmp_path)
