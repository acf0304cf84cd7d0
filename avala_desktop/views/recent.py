"""Recently opened projects, newest first, in ``recent_projects.json`` in the config dir.

A damaged file is set aside (renamed ``.bad``) and the list starts empty, with a log line:
losing a convenience list must never stop the app from starting.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from pydantic import BaseModel, ValidationError

from avala_desktop.paths import config_dir

log = logging.getLogger(__name__)

MAX_RECENT = 10
FILE_NAME = "recent_projects.json"


class _RecentFile(BaseModel):
    projects: list[str] = []


def _file() -> Path:
    return config_dir() / FILE_NAME


def recent_projects() -> list[Path]:
    path = _file()
    if not path.is_file():
        return []
    try:
        data = _RecentFile.model_validate_json(path.read_bytes())
    except (OSError, ValidationError) as exc:
        log.warning("recent projects list %s is unreadable (%s); starting a new one", path, exc)
        path.replace(path.with_suffix(".bad"))
        return []
    return [Path(p) for p in data.projects]


def remember_project(project_dir: Path) -> list[Path]:
    """Puts ``project_dir`` first; returns the new list."""
    folder = Path(project_dir).expanduser().absolute()
    items = [folder, *(p for p in recent_projects() if p != folder)][:MAX_RECENT]
    _write(items)
    return items


def _write(items: list[Path]) -> None:
    path = _file()
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"projects": [str(p) for p in items]}, indent=2),
                   encoding="utf-8")
    os.replace(tmp, path)
