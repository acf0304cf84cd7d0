"""How assets are named in exported files, and how imported records find their assets.

An asset's export name is its path relative to the project folder (posix form). An asset
outside the project folder is named by its file name alone. A video frame, which has no image
file of its own, is named ``<video path without extension>_frame<index, 6 digits>.png``, e.g.
``drive_frame000010.png``. Names that would collide get ``__<asset id>`` before the extension.

Import matching, in order: the exact export name (or the path as stored); the absolute file
the record points at; then the longest run of trailing path components that names exactly
one asset (``../images/cam/front.jpg`` finds ``cam/front.jpg``, and ``front.jpg`` finds it
when no other asset is called ``front.jpg``). Label-file formats (YOLO, KITTI) compare names
without their extensions. A reference matching several assets equally well is reported as
ambiguous, never guessed.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from avala_desktop.core.store import Asset


def _frame_name(asset: Asset) -> str:
    stem = posixpath.splitext(PurePosixPath(asset.path).as_posix())[0]
    if PurePosixPath(asset.path).is_absolute():
        stem = PurePosixPath(stem).name
    return f"{stem}_frame{asset.frame_index:06d}.png"


def _base_name(asset: Asset) -> str:
    if asset.frame_index is not None:
        return _frame_name(asset)
    path = PurePosixPath(asset.path)
    return path.name if path.is_absolute() else path.as_posix()


def export_names(assets: Iterable[Asset]) -> dict[str, str]:
    """asset id -> export name (unique among ``assets``)."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for asset in assets:
        name = _base_name(asset)
        if name.lower() in taken:
            stem, ext = posixpath.splitext(name)
            name = f"{stem}__{asset.id}{ext}"
        taken.add(name.lower())
        names[asset.id] = name
    return names


def without_extension(name: str) -> str:
    return posixpath.splitext(name)[0]


def reference_parts(reference: str) -> tuple[str, ...]:
    """Path components of a reference from a file, in any OS's spelling, without ``.``/``..``."""
    posix = PureWindowsPath(reference).as_posix() if "\\" in reference else reference
    return tuple(p for p in posix.split("/") if p not in ("", ".", "..") and not p.endswith(":"))


@dataclass(frozen=True, slots=True)
class Match:
    asset: Asset | None
    reason: str = ""  # why nothing matched (empty when asset is set)


class AssetMatcher:
    """Finds the asset a record of an imported file is about (see the module docstring)."""

    def __init__(
        self,
        assets: Sequence[Asset],
        names: dict[str, str],
        root: Path,
        *,
        ignore_extension: bool = False,
    ) -> None:
        self._ignore_ext = ignore_extension
        self._exact: dict[str, Asset] = {}
        self._absolute: dict[str, Asset] = {}
        self._by_suffix: dict[tuple[str, ...], list[Asset]] = {}
        for asset in assets:
            name = names[asset.id]
            for key in {name, asset.path} if asset.frame_index is None else {name}:
                self._exact.setdefault(self._key(key), asset)
            if asset.frame_index is None:
                absolute = Path(asset.path) if Path(asset.path).is_absolute() else root / asset.path
                self._absolute[os.path.normcase(os.path.abspath(absolute))] = asset
            parts = self._parts(name)
            for k in range(1, len(parts) + 1):
                self._by_suffix.setdefault(parts[-k:], []).append(asset)

    def _key(self, name: str) -> str:
        key = "/".join(reference_parts(name)).lower()
        return without_extension(key) if self._ignore_ext else key

    def _parts(self, name: str) -> tuple[str, ...]:
        parts = tuple(p.lower() for p in reference_parts(name))
        if self._ignore_ext and parts:
            parts = (*parts[:-1], without_extension(parts[-1]))
        return parts

    def match(self, reference: str, *, base_dir: Path | None = None) -> Match:
        """The asset ``reference`` names; ``base_dir`` resolves a relative file path."""
        exact = self._exact.get(self._key(reference))
        if exact is not None:
            return Match(exact)
        if base_dir is not None and reference and not self._ignore_ext:
            target = os.path.normcase(os.path.abspath(base_dir / reference))
            found = self._absolute.get(target)
            if found is not None:
                return Match(found)
        parts = self._parts(reference)
        if not parts:
            return Match(None, "it names no file")
        for k in range(len(parts), 0, -1):
            candidates = self._by_suffix.get(parts[-k:], [])
            if len(candidates) == 1:
                return Match(candidates[0])
            if len(candidates) > 1:
                shown = ", ".join(sorted({c.display_name for c in candidates})[:3])
                return Match(
                    None, f"it could be any of {len(candidates)} assets ({shown}); give its path"
                )
        return Match(None, "no asset of the project has that name")
