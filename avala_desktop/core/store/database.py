"""The engine under a project store: SQLite pragmas, write transactions, change listeners.

Only this module knows it is talking to SQLite. Writes take SQLite's write lock when they
begin (`BEGIN IMMEDIATE`): a deferred transaction that reads first and writes later can fail
with SQLITE_BUSY when another connection wrote in between, which busy_timeout cannot cure.
Within one process a lock also serialises writers, so threads queue instead of spinning on
the busy handler.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 15_000
_WRITE_OPTION = "avala_write"

# Change kinds passed to listeners, with the ids they carry.
LABELS = "labels"  # ids: label names (all of them after a change)
ASSETS = "assets"  # ids: assets added, submitted, or whose review status may have changed
ANNOTATIONS = "annotations"  # ids: annotations inserted, updated or deleted
RUNS = "runs"  # ids: runs created or updated (per-asset results included)

Listener = Callable[[str, tuple[str, ...]], None]


def _json_dumps(value: Any) -> str:
    # NaN and Infinity are not JSON; refusing them here keeps every stored document parseable.
    return json.dumps(value, allow_nan=False, separators=(",", ":"))


def make_engine(db_path: Path) -> Engine:
    engine = create_engine(
        f"sqlite:///{db_path}",
        json_serializer=_json_dumps,
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # The driver must not open transactions itself: `_on_begin` decides how they start.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            # FULL syncs the WAL on every commit: a committed write survives power loss too.
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get(_WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


@dataclass
class WriteTx:
    """A write transaction in progress; `changed` records what listeners hear after commit."""

    conn: Connection
    changes: dict[str, list[str]] = field(default_factory=dict)

    def changed(self, kind: str, *ids: str) -> None:
        bucket = self.changes.setdefault(kind, [])
        bucket.extend(i for i in ids if i not in bucket)


class Database:
    """One engine, a connection per call, and the listeners told about committed changes."""

    def __init__(self, db_path: Path) -> None:
        self.path = db_path
        self.engine = make_engine(db_path)
        self._write_lock = threading.Lock()
        self._listeners: list[Listener] = []
        self._listeners_lock = threading.Lock()

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction: one consistent snapshot for several queries."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write_connection(self) -> Iterator[Connection]:
        """A bare write transaction (no change tracking), e.g. for migrations."""
        with self._write_lock, self.engine.connect() as conn:
            conn.execution_options(**{_WRITE_OPTION: True})
            with conn.begin():
                yield conn

    @contextmanager
    def write(self) -> Iterator[WriteTx]:
        """One write transaction; committed (and synced) when the block exits cleanly.

        Listeners run after the commit and after every lock is released, so a listener may
        read or write the store itself.
        """
        with self.write_connection() as conn:
            tx = WriteTx(conn)
            yield tx
        self._notify(tx.changes)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        with self._listeners_lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._listeners_lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def _notify(self, changes: dict[str, list[str]]) -> None:
        if not changes:
            return
        with self._listeners_lock:
            listeners = list(self._listeners)
        for kind, ids in changes.items():
            for listener in listeners:
                try:
                    listener(kind, tuple(ids))
                except Exception:
                    # The write is committed; one broken view must not hide it from the others.
                    log.exception("store change listener %r failed on %s", listener, kind)
