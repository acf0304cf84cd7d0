"""Hands the store's change notifications to the UI thread, coalesced.

The store calls its listeners on whichever thread wrote (the UI thread for a review command, a
worker thread for an auto-label run). The listener here only records the change and emits a
queued signal; the UI thread then delivers one ``changed`` per burst, with the ids of every
kind merged, so a run that writes a hundred assets in a row costs one refresh, not a hundred.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal, Slot

from avala_desktop.core.store import ProjectStore

Changes = dict[str, set[str]]


class StoreBridge(QObject):
    """``changed(dict[str, set[str]])``: kind (labels, assets, annotations, runs) -> ids."""

    changed = Signal(object)
    _poke = Signal()

    def __init__(self, store: ProjectStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()
        self._pending: Changes = {}
        self._scheduled = False
        # Queued even when the write happened on the UI thread: a command's do() finishes
        # before any view re-reads the store, so views never see half of an action.
        self._poke.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._unsubscribe: Callable[[], None] | None = store.subscribe(self._on_change)

    def close(self) -> None:
        """Stops listening; pending changes are dropped (the window is going away)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        with self._lock:
            self._pending.clear()

    def is_listening(self) -> bool:
        return self._unsubscribe is not None

    def flush(self) -> None:
        """Delivers what is pending now (tests and the window's own follow-up reads)."""
        self._deliver()

    def _on_change(self, kind: str, ids: tuple[str, ...]) -> None:
        with self._lock:
            if self._unsubscribe is None:
                return
            self._pending.setdefault(kind, set()).update(ids)
            if self._scheduled:
                return
            self._scheduled = True
        self._poke.emit()

    @Slot()
    def _deliver(self) -> None:
        with self._lock:
            changes, self._pending = self._pending, {}
            self._scheduled = False
        if changes:
            self.changed.emit(changes)
