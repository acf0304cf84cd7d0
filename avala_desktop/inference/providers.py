"""The provider registry: the configurations of provider_config.py, kept in `providers.json`
in the config folder. This module is also where the rest of the app imports the configuration
types from, so that one import line serves both.
"""

from __future__ import annotations

import builtins
import json
import os
import tempfile
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from avala_desktop import paths
from avala_desktop.inference.provider_config import (
    ID_PATTERN,
    STORED_CONTEXT,
    AuthMode,
    HttpProviderConfig,
    PayloadMode,
    ProviderConfig,
    ProviderType,
    SageMakerProviderConfig,
    describe_validation_error,
    is_loopback_host,
    new_provider_id,
    parse_provider_config,
    sagemaker_regions,
    same_connection,
)

__all__ = [
    "ID_PATTERN",
    "PROVIDERS_FILE",
    "STORED_CONTEXT",
    "AuthMode",
    "DuplicateProviderName",
    "HttpProviderConfig",
    "PayloadMode",
    "ProviderConfig",
    "ProviderError",
    "ProviderNotFound",
    "ProviderRegistry",
    "ProviderType",
    "SageMakerProviderConfig",
    "describe_validation_error",
    "is_loopback_host",
    "new_provider_id",
    "parse_provider_config",
    "sagemaker_regions",
    "same_connection",
]

PROVIDERS_FILE = "providers.json"
_FILE_VERSION = 1


class ProviderError(Exception):
    """A registry operation that cannot be done, with the sentence saying why."""


class ProviderNotFound(ProviderError, LookupError):
    pass


class DuplicateProviderName(ProviderError):
    pass


class ProviderRegistry:
    """Provider configurations in `<config_dir>/providers.json`.

    Every write replaces the file atomically (temporary file + rename) so a crash never leaves
    half a file. The in-process lock serialises writers of one registry object; two processes
    writing at the same moment may lose one update, which is acceptable for an admin setting.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else paths.config_dir() / PROVIDERS_FILE
        self._lock = threading.RLock()

    def list(self) -> builtins.list[HttpProviderConfig | SageMakerProviderConfig]:
        with self._lock:
            return self._load()

    def get(self, name_or_id: str) -> HttpProviderConfig | SageMakerProviderConfig:
        with self._lock:
            configs = self._load()
        for config in configs:
            if config.id == name_or_id:
                return config
        key = name_or_id.strip().casefold()
        for config in configs:
            if config.name.casefold() == key:
                return config
        names = ", ".join(c.name for c in configs) or "none yet"
        raise ProviderNotFound(
            f"no provider named {name_or_id!r} (known: {names}); add one with "
            "'avala-desktop provider add-http' or 'add-sagemaker'"
        )

    def add(
        self, config: HttpProviderConfig | SageMakerProviderConfig
    ) -> HttpProviderConfig | SageMakerProviderConfig:
        with self._lock:
            configs = self._load()
            self._check_unique(configs, config)
            configs.append(config)
            self._save(configs)
        return config

    def update(
        self, config: HttpProviderConfig | SageMakerProviderConfig
    ) -> HttpProviderConfig | SageMakerProviderConfig:
        """Replace the configuration with the same id (e.g. after editing it in the dialog)."""
        with self._lock:
            configs = self._load()
            for index, existing in enumerate(configs):
                if existing.id == config.id:
                    self._check_unique(configs, config)
                    configs[index] = config
                    self._save(configs)
                    return config
        raise ProviderNotFound(f"no provider with id {config.id}; it may have been removed")

    def remove(self, name_or_id: str) -> HttpProviderConfig | SageMakerProviderConfig:
        with self._lock:
            target = self.get(name_or_id)
            self._save([c for c in self._load() if c.id != target.id])
        return target

    def record_test_result(
        self,
        name_or_id: str,
        result: Mapping[str, Any],
        tested_at: datetime | None = None,
    ) -> HttpProviderConfig | SageMakerProviderConfig:
        with self._lock:
            config = self.get(name_or_id)
            updated = config.model_copy(
                update={
                    "last_test": dict(result),
                    "last_test_at": tested_at or datetime.now(UTC),
                }
            )
            return self.update(updated)

    @staticmethod
    def _check_unique(
        configs: builtins.list[HttpProviderConfig | SageMakerProviderConfig],
        config: HttpProviderConfig | SageMakerProviderConfig,
    ) -> None:
        for existing in configs:
            if existing.id == config.id:
                continue
            if existing.name.casefold() == config.name.casefold():
                raise DuplicateProviderName(
                    f"a provider named {existing.name!r} already exists; choose another name "
                    "or remove it first with 'avala-desktop provider remove'"
                )

    def _load(self) -> builtins.list[HttpProviderConfig | SageMakerProviderConfig]:
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        try:
            data = json.loads(raw)
            items = data["providers"] if isinstance(data, dict) else None
            if not isinstance(items, builtins.list):
                raise ValueError("expected an object with a 'providers' list")
            return [parse_provider_config(item, stored=True) for item in items]
        except (ValueError, KeyError, TypeError, ValidationError) as exc:
            detail = (
                describe_validation_error(exc) if isinstance(exc, ValidationError) else str(exc)
            )
            raise ProviderError(
                f"{self.path} is not a valid provider file ({detail}); fix it by hand or move "
                "it away to start with no providers"
            ) from None

    def _save(self, configs: builtins.list[HttpProviderConfig | SageMakerProviderConfig]) -> None:
        payload = {
            "version": _FILE_VERSION,
            "providers": [c.model_dump(mode="json") for c in configs],
        }
        text = json.dumps(payload, indent=2, sort_keys=False) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".providers-", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
