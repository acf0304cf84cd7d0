"""The `store` fixture of the project-store and review-command tests (a module may define its
own, e.g. one with assets already added)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from avala_desktop.core.store import ProjectStore


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ProjectStore]:
    """A new project with the labels car and pedestrian and no assets."""
    s = ProjectStore.create(tmp_path / "proj", labels=["car", "pedestrian"])
    yield s
    s.close()
