"""Keeps PySide6 from freeing None, True and False on Python 3.11 (PySide6 6.12.0 only).

pyproject.toml excludes PySide6 6.12, so in a normal install this does nothing; it stays as a
guard for environments that bring their own PySide6.

PySide6 6.12.0 wheels hand back ``Py_None`` from void methods (``QPainter.setPen``,
``QWidget.update``, ...) without taking a new reference. From Python 3.12 on these singletons are
immortal, so nothing happens; on 3.11 every call drops None's reference count by one, and after a
few thousand calls (one repaint of a busy canvas) the interpreter aborts with
"Fatal Python error: none_dealloc". Giving the three singletons an enormous reference count, which
is what 3.12 does for them, makes the leak harmless. Every module of the canvas imports this first;
an application entry point should import it before it creates the QApplication.
"""

from __future__ import annotations

import ctypes
import platform
import sys

_applied = False


def protect_singletons() -> None:
    """Idempotent; a no-op where the interpreter already treats the singletons as immortal."""
    global _applied
    if _applied or sys.version_info >= (3, 12) or platform.python_implementation() != "CPython":
        return
    from PySide6 import __version__ as pyside_version

    if not pyside_version.startswith("6.12."):
        return
    for obj in (None, True, False):
        # In CPython the reference count is the first field of every object header.
        ctypes.c_ssize_t.from_address(id(obj)).value += 1 << 60
    _applied = True


protect_singletons()
