"""ProjectStore: a project folder and its database, as one thread-safe object.

A project is a folder; its database is `<folder>/.avala/project.db` (SQLite in WAL mode,
`synchronous=FULL`, foreign keys on). Every mutating call is one transaction and is durable
when it returns. Listeners subscribed with `subscribe` hear `(kind, ids)` after each commit
(kinds in `avala_desktop.core.store.database`: labels, assets, annotations, runs), on the
thread that wrote; a GUI hands them over to its own thread.

The API, by part (see each method's docstring):
- project: `create`, `open`, `is_project`, `close`, `root`, `db_path`, `stored_path`,
  `project`, `subscribe`, `status_summary`
- labels: `labels`, `label_names`, `set_labels`, `add_label`
- assets (asset_ops): `add_assets`, `assets`, `asset`, `asset_count`, `asset_abspath`,
  `submit_asset`, `unsubmit_asset`
- annotations (annotation_ops): `annotations`, `get_annotation`, `insert_annotation`,
  `insert_annotations`,
  `update_annotation`, `set_state`, `set_states`, `delete_annotation`, `restore_annotation`
- runs (runs): `create_run`, `get_run`, `runs`, `update_run`, `latest_resumable_run`,
  `processed_asset_ids`, `run_assets`, `replace_pending_suggestions`, `record_asset_result`,
  `record_asset_failure`, `record_asset_outcomes` (several assets in one transaction)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Select, func, select
from sqlalchemy.exc import DatabaseError

from avala_desktop.core.store import migrations, schema
from avala_desktop.core.store.asset_ops import AssetsMixin
from avala_desktop.core.store.base import asset_status_expr, utcnow
from avala_desktop.core.store.database import LABELS, Database, Listener
from avala_desktop.core.store.errors import ProjectError
from avala_desktop.core.store.records import (
    ASSET_TYPES,
    AssetStatus,
    Label,
    Origin,
    Project,
    ReviewState,
    RunState,
)
from avala_desktop.core.store.runs import RunsMixin

PROJECT_SUBDIR = ".avala"
DB_NAME = "project.db"

# Distinct, colour-blind-friendly first (Okabe-Ito), then more hues for larger label sets.
LABEL_PALETTE: tuple[str, ...] = (
    "#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7",
    "#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6",
    "#bfef45", "#469990", "#9a6324", "#800000", "#808000", "#000075",
)


def next_label_color(used: Sequence[str]) -> str:
    """The first palette colour not in `used`; cycles once every colour is taken."""
    taken = {c.lower() for c in used}
    for color in LABEL_PALETTE:
        if color not in taken:
            return color
    return LABEL_PALETTE[len(used) % len(LABEL_PALETTE)]


def _check_color(color: str) -> str:
    value = color.strip().lower()
    if len(value) != 7 or value[0] != "#" or any(c not in "0123456789abcdef" for c in value[1:]):
        raise ValueError(f"label colour must look like #rrggbb, got {color!r}")
    return value


def _counts(conn: Connection, query: Select[str, int]) -> dict[str, int]:
    return {str(key): int(n) for key, n in conn.execute(query)}


def db_path_for(project_dir: Path | str) -> Path:
    return Path(project_dir) / PROJECT_SUBDIR / DB_NAME


class ProjectStore(RunsMixin, AssetsMixin):
    """The project database. Create with `ProjectStore.create`, open with `ProjectStore.open`."""

    # -- opening and closing -------------------------------------------------------------

    @staticmethod
    def is_project(project_dir: Path | str) -> bool:
        return db_path_for(project_dir).is_file()

    @classmethod
    def create(
        cls,
        project_dir: Path | str,
        *,
        name: str | None = None,
        labels: Sequence[str | Label] = (),
    ) -> ProjectStore:
        """Make `project_dir` a project (creating the folder if needed)."""
        root = Path(project_dir).expanduser().absolute()
        db_file = db_path_for(root)
        if db_file.exists():
            raise ProjectError(
                f"{root} is already an avala-desktop project; open it instead "
                f"(`avala-desktop status {root}`)."
            )
        try:
            db_file.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ProjectError(f"Cannot create the project folder {db_file.parent}: {exc}") from exc
        db = Database(db_file)
        try:
            # Tables, version, project row and labels in one transaction: a crash leaves either
            # a complete project or none that `open` would mistake for one.
            with db.write_connection() as conn:
                schema.metadata.create_all(conn)
                migrations.write_version(conn, migrations.SCHEMA_VERSION)
                conn.execute(
                    schema.project.insert().values(
                        id=1, name=name or root.name, created_at=utcnow()
                    )
                )
                cls._write_labels(conn, cls._resolve_labels(labels, []))
        except BaseException:
            db.close()
            db_file.unlink(missing_ok=True)
            raise
        return cls(root, db)

    @classmethod
    def open(cls, project_dir: Path | str) -> ProjectStore:
        """Open an existing project, migrating its database forward if it is older."""
        root = Path(project_dir).expanduser().absolute()
        db_file = db_path_for(root)
        if not db_file.is_file():
            raise ProjectError(
                f"{root} is not an avala-desktop project (there is no {PROJECT_SUBDIR}/{DB_NAME} "
                f"in it). Run `avala-desktop init {root}` to make it one."
            )
        db = Database(db_file)
        try:
            # Module attributes read at call time, so a test can install a fake migration.
            migrations.upgrade(
                db.write_connection, steps=migrations.MIGRATIONS, target=migrations.SCHEMA_VERSION
            )
        except DatabaseError as exc:
            db.close()
            raise ProjectError(
                f"{db_file} is not a readable project database ({exc.orig}). Restore it from a "
                f"backup or create a new project with `avala-desktop init`."
            ) from exc
        except BaseException:
            db.close()
            raise
        return cls(root, db)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ProjectStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def db_path(self) -> Path:
        return self._db.path

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(kind, ids)` after every committed change; returns an unsubscribe."""
        return self._db.subscribe(listener)

    def project(self) -> Project:
        with self._db.read() as conn:
            row = conn.execute(select(schema.project)).one()
            version = migrations.read_version(conn)
        return Project(
            name=row.name, created_at=row.created_at, root=self._root,
            schema_version=version or 0,
        )

    # -- labels ----------------------------------------------------------------------------

    def labels(self) -> list[Label]:
        with self._db.read() as conn:
            return self._read_labels(conn)

    def label_names(self) -> list[str]:
        return [label.name for label in self.labels()]

    def set_labels(self, labels: Sequence[str | Label]) -> list[Label]:
        """Replace the label set (in this order). A bare name keeps its current colour, or
        gets the next free palette colour if it is new. Annotations are not touched."""
        with self._db.write() as tx:
            current = self._read_labels(tx.conn)
            resolved = self._resolve_labels(labels, current, replace=True)
            tx.conn.execute(schema.labels.delete())
            self._write_labels(tx.conn, resolved)
            tx.changed(LABELS, *(label.name for label in resolved))
        return resolved

    def add_label(self, name: str, color: str | None = None) -> Label:
        """Append a label; a label already in the set is returned unchanged."""
        with self._db.write() as tx:
            current = self._read_labels(tx.conn)
            for label in current:
                if label.name == name:
                    return label
            resolved = self._resolve_labels([Label(name, color) if color else name], current)
            self._write_labels(tx.conn, resolved, start=len(current))
            tx.changed(LABELS, *(label.name for label in [*current, *resolved]))
        return resolved[0]

    @staticmethod
    def _read_labels(conn: Connection) -> list[Label]:
        table = schema.labels
        rows = conn.execute(select(table.c.name, table.c.color).order_by(table.c.position))
        return [Label(name, color) for name, color in rows]

    @staticmethod
    def _resolve_labels(
        labels: Sequence[str | Label], current: Sequence[Label], *, replace: bool = False
    ) -> list[Label]:
        """Labels with colours; `current` gives existing colours, and (unless `replace`)
        colours already in use."""
        known = {label.name: label.color for label in current}
        used = [] if replace else [label.color for label in current]
        used += [_check_color(x.color) for x in labels if isinstance(x, Label)]
        out: list[Label] = []
        for item in labels:
            name = (item.name if isinstance(item, Label) else item).strip()
            if not name:
                raise ValueError("a label name cannot be empty")
            if any(label.name == name for label in out):
                continue
            if isinstance(item, Label):
                color = _check_color(item.color)
            elif name in known:
                color = known[name]
            else:
                color = next_label_color(used)
            used.append(color)
            out.append(Label(name, color))
        return out

    @staticmethod
    def _write_labels(conn: Connection, labels: Sequence[Label], *, start: int = 0) -> None:
        if labels:
            conn.execute(
                schema.labels.insert(),
                [
                    {"name": label.name, "color": label.color, "position": start + i}
                    for i, label in enumerate(labels)
                ],
            )

    # -- summary ---------------------------------------------------------------------------

    def status_summary(self) -> dict[str, Any]:
        """Counts for `avala-desktop status` and the GUI's status bar (JSON-ready)."""
        assets, ann, runs = schema.assets, schema.annotations, schema.runs
        status = asset_status_expr().label("status")
        with self._db.read() as conn:
            by_type = _counts(conn, select(assets.c.type, func.count()).group_by(assets.c.type))
            statuses = select(status).select_from(assets).subquery()
            by_status = _counts(
                conn, select(statuses.c.status, func.count()).group_by(statuses.c.status)
            )
            by_state = _counts(conn, select(ann.c.state, func.count()).group_by(ann.c.state))
            by_origin = _counts(conn, select(ann.c.origin, func.count()).group_by(ann.c.origin))
            runs_by_state = _counts(
                conn, select(runs.c.state, func.count()).group_by(runs.c.state)
            )
            labels = self._read_labels(conn)
            project = conn.execute(select(schema.project)).one()
            version = migrations.read_version(conn)
        return {
            "project": {
                "name": project.name,
                "path": str(self._root),
                "created_at": project.created_at.isoformat(),
                "schema_version": version,
            },
            "assets": {
                "total": sum(by_type.values()),
                "by_type": {t: by_type.get(t, 0) for t in ASSET_TYPES},
                "by_status": {s.value: by_status.get(s.value, 0) for s in AssetStatus},
            },
            "annotations": {
                "total": sum(by_state.values()),
                "by_state": {s.value: by_state.get(s.value, 0) for s in ReviewState},
                "by_origin": {o.value: by_origin.get(o.value, 0) for o in Origin},
            },
            "labels": [{"name": label.name, "color": label.color} for label in labels],
            "runs": {
                "total": sum(runs_by_state.values()),
                "by_state": {s.value: runs_by_state.get(s.value, 0) for s in RunState},
            },
        }

