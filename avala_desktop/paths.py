"""Per-user directories. AVALA_DESKTOP_HOME pins them all under one folder (tests, scripts)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "avala-desktop"


def _home() -> Path | None:
    value = os.environ.get("AVALA_DESKTOP_HOME")
    return Path(value).expanduser() if value else None


def config_dir() -> Path:
    home = _home()
    path = home / "config" if home else Path(platformdirs.user_config_dir(APP_NAME))
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir() -> Path:
    home = _home()
    path = home / "data" if home else Path(platformdirs.user_data_dir(APP_NAME))
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    home = _home()
    path = home / "cache" if home else Path(platformdirs.user_cache_dir(APP_NAME))
    path.mkdir(parents=True, exist_ok=True)
    return path
