"""Test-wide isolation: offscreen Qt, a private AVALA_DESKTOP_HOME, no network but loopback."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# A proxy set in the environment must never capture loopback traffic of the tests.
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost,::1"


@pytest.fixture(autouse=True)
def avala_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Every test gets its own per-user config/data directory."""
    home = tmp_path_factory.mktemp("avala-home")
    monkeypatch.setenv("AVALA_DESKTOP_HOME", str(home))
    yield home
