"""The PySide6 refcount workaround keeps a long-running canvas process alive.

PySide6 6.12 on Python 3.11 drops a reference to None on every void method call; a process that
makes more such calls than None has references aborts ("none_dealloc"). The canvas imports
qt_guard to prevent that; this runs the failure in a child process so a crash cannot take the
test session down with it.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

_SCRIPT = textwrap.dedent(
    """
    import sys
    from PySide6.QtGui import QColor, QGuiApplication
    app = QGuiApplication([])
    # Twice as many void calls as None has references: enough to free it without the guard.
    calls = 2 * sys.getrefcount(None) + 1000
    {guard}
    color = QColor(1, 2, 3)
    for _ in range(calls):
        color.setAlpha(7)
    print("survived")
    """
)


def run(guard: bool) -> subprocess.CompletedProcess[str]:
    code = _SCRIPT.format(guard="import avala_desktop.canvas.qt_guard" if guard else "")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False,
                          env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"})


def test_void_calls_do_not_kill_the_process_with_the_guard() -> None:
    result = run(guard=True)
    assert result.returncode == 0, result.stderr[-500:]
    assert "survived" in result.stdout


def test_the_installed_binding_does_not_leak_none() -> None:
    """pyproject.toml keeps PySide6 below 6.12, whose void methods free None on Python 3.11;
    this fails if a dependency change brings such a binding back."""
    result = run(guard=False)
    assert result.returncode == 0, result.stderr[-500:]
    assert "survived" in result.stdout
