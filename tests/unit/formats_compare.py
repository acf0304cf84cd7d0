"""Comparing annotations across projects: same asset, type, label, confidence and geometry."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from avala_desktop.core.store import AnnotationRecord, ProjectStore

Key = tuple[str, int | None, str, str]


def annotations_by_asset(
    store: ProjectStore, types: Iterable[str] | None = None
) -> list[tuple[Key, float | None, dict[str, Any]]]:
    wanted = set(types) if types is not None else None
    out = []
    for asset in store.assets():
        for record in store.annotations(asset.id):
            if wanted is None or record.type in wanted:
                out.append(((asset.path, asset.frame_index, record.type, record.label),
                            record.confidence, record.geometry))
    return sorted(out, key=lambda item: (item[0], repr(item[2])))


def records_by_asset(
    store: ProjectStore, records: Iterable[AnnotationRecord], types: Iterable[str] | None = None
) -> list[tuple[Key, float | None, dict[str, Any]]]:
    paths = {a.id: (a.path, a.frame_index) for a in store.assets()}
    wanted = set(types) if types is not None else None
    out = [
        ((*paths[r.asset_id], r.type, r.label), r.confidence, r.geometry)
        for r in records
        if wanted is None or r.type in wanted
    ]
    return sorted(out, key=lambda item: (item[0], repr(item[2])))


def _close(a: Any, b: Any, tol: float, where: str) -> None:
    if isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), f"{where}: keys {a} != {b}"
        for key in a:
            _close(a[key], b[key], tol, f"{where}.{key}")
    elif isinstance(a, list | tuple):
        assert isinstance(b, list | tuple) and len(a) == len(b), f"{where}: {a} != {b}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _close(x, y, tol, f"{where}[{i}]")
    elif isinstance(a, float | int) and not isinstance(a, bool) and tol:
        assert math.isclose(a, b, rel_tol=0, abs_tol=tol), f"{where}: {a} != {b}"
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def _same_rotation(geometry: dict[str, Any]) -> dict[str, Any]:
    """q and -q are one rotation: pick the sign with w >= 0 so they compare equal."""
    rotation = geometry.get("rotation")
    if isinstance(rotation, dict) and rotation.get("w", 0) < 0:
        geometry = {**geometry, "rotation": {k: -v for k, v in rotation.items()}}
    return geometry


def assert_same_annotations(
    expected: list[tuple[Key, float | None, dict[str, Any]]],
    got: list[tuple[Key, float | None, dict[str, Any]]],
    *,
    tol: float = 0.0,
    confidences: bool = True,
) -> None:
    assert [e[0] for e in expected] == [g[0] for g in got]
    for (key, conf_e, geom_e), (_, conf_g, geom_g) in zip(expected, got, strict=True):
        if confidences:
            assert conf_e == conf_g, f"{key}: confidence {conf_e} != {conf_g}"
        _close(_same_rotation(geom_e), _same_rotation(geom_g), tol, str(key))
