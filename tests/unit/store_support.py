"""Reads the project-store tests make often and that must succeed."""

from __future__ import annotations

from avala_desktop.core.store import AnnotationRecord, AssetStatus, ProjectStore


def got(store: ProjectStore, annotation_id: str) -> AnnotationRecord:
    record = store.get_annotation(annotation_id)
    assert record is not None, annotation_id
    return record


def status_of(store: ProjectStore, asset_id: str) -> AssetStatus:
    asset = store.asset(asset_id)
    assert asset is not None, asset_id
    return asset.status
