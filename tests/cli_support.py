"""Running the `avala-desktop` command line in-process, as the tests of its verbs do."""

from __future__ import annotations

from pathlib import Path

import pytest

from avala_desktop.cli.main import main


def cli(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `avala-desktop *argv`."""
    capsys.readouterr()
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err
