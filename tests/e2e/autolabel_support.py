"""Shared set-up for the auto-label tests: small real projects and provider configurations."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from avala_desktop.core.discovery import discover_assets
from avala_desktop.core.store import Asset, ProjectStore
from avala_desktop.inference.providers import HttpProviderConfig
from avala_desktop.jobs.events import AssetDone, RunEvent, RunProgress, RunStarted
from tests.servers.https_model_server import ModelServer

LABELS = ("object", "pedestrian", "car")
BOX = {"type": "bounding_box", "label": "object", "confidence": 0.9,
       "coordinates": {"x": 1, "y": 1, "width": 4, "height": 4}}
SIZE = 24  # px; big enough for the boxes the test servers answer with


def write_images(folder: Path, count: int, *, size: int = SIZE) -> list[Path]:
    """`count` distinct PNGs (each has its own bytes, hence its own predictions)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        image = np.full((size, size, 3), (i * 37) % 256, np.uint8)
        image[i % size, :, 1] = 255
        path = folder / f"img_{i:04d}.png"
        assert cv2.imwrite(str(path), image)
        paths.append(path)
    return paths


def image_project(root: Path, count: int, labels: Sequence[str] = LABELS) -> ProjectStore:
    write_images(root / "images", count)
    store = ProjectStore.create(root, labels=list(labels))
    store.add_assets(discover_assets(root / "images").assets)
    return store


def by_name(store: ProjectStore) -> dict[str, Asset]:
    return {Path(a.path).name: a for a in store.assets()}


def http_provider(server: ModelServer, *, ca_bundle: Path | None = None, **overrides: Any
                  ) -> HttpProviderConfig:
    """A provider for a test server; transport limits shrunk so failures come fast."""
    settings: dict[str, Any] = {
        "name": "test-model",
        "url": server.url("/predict"),
        "timeout_s": 5,
        "max_attempts": 2,
        "backoff_base_s": 0.01,
        "max_retry_wait_s": 2,
    }
    if ca_bundle is not None:
        settings["ca_bundle"] = ca_bundle
    else:
        settings["allow_insecure_localhost"] = True
    settings.update(overrides)
    return HttpProviderConfig(**settings)


class Events:
    """Collects run events; can set a cancel flag once `cancel_after` assets are done."""

    def __init__(self, cancel: threading.Event | None = None, cancel_after: int = 0) -> None:
        self.events: list[RunEvent] = []
        self.cancel = cancel
        self.cancel_after = cancel_after
        self.thread_ids: set[int] = set()

    def __call__(self, event: RunEvent) -> None:
        self.events.append(event)
        self.thread_ids.add(threading.get_ident())
        if self.cancel is not None and len(self.done) >= self.cancel_after:
            self.cancel.set()

    @property
    def done(self) -> list[AssetDone]:
        return [e for e in self.events if isinstance(e, AssetDone)]

    @property
    def started(self) -> RunStarted:
        return next(e for e in self.events if isinstance(e, RunStarted))

    @property
    def progress(self) -> list[RunProgress]:
        return [e for e in self.events if isinstance(e, RunProgress)]


def suggestions(store: ProjectStore) -> list[tuple[str, str, str, str, float | None]]:
    """Every annotation of the project as (asset path, type, label, geometry, confidence),
    comparable across projects (asset ids differ, paths do not)."""
    import json

    rows = []
    for asset in store.assets():
        for ann in store.annotations(asset.id, include_rejected=True):
            rows.append((Path(asset.path).name, ann.type, ann.label,
                         json.dumps(ann.geometry, sort_keys=True), ann.confidence))
    return sorted(rows)
