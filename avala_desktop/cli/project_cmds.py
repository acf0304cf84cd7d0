"""`avala-desktop init`, `status` and `submit`: make a folder a project, see where it stands,
submit a reviewed asset.

Exit codes: 0 done, 1 `submit` refused (pending suggestions), 2 the command could not be
carried out (not a project, unreadable folder, bad arguments).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from avala_desktop.cli.common import EXIT_OK, error, pairs, whole_number
from avala_desktop.core.discovery import (
    DEFAULT_FRAME_STEP,
    DiscoveredAsset,
    DiscoveryResult,
    discover_assets,
)
from avala_desktop.core.store import Asset, ProjectError, ProjectStore, SubmitRefused

EXIT_REFUSED = 1

_PLURALS = {"image": "images", "point_cloud": "point clouds", "video_frame": "video frames"}


def register(subparsers: Any) -> None:
    init = subparsers.add_parser(
        "init",
        help="make a folder a project and add the assets found in it",
        description="Create a project in PROJECT_DIR (or update an existing one) and add every "
        "image, point cloud and sampled video frame found under the assets folder. Running it "
        "again adds only what is new.",
    )
    init.add_argument("project_dir", metavar="PROJECT_DIR", type=Path)
    init.add_argument("--assets", metavar="DIR", type=Path,
                      help="folder to take assets from (default: PROJECT_DIR itself)")
    init.add_argument("--labels", metavar="A,B,...", default="",
                      help="comma-separated label set, e.g. car,pedestrian,cyclist")
    init.add_argument("--frame-step", metavar="N", type=whole_number(1), default=DEFAULT_FRAME_STEP,
                      help=f"take every Nth video frame (default {DEFAULT_FRAME_STEP})")
    init.add_argument("--name", help="project name (default: the folder's name)")
    init.add_argument("--json", action="store_true", help="print the outcome as JSON")
    init.set_defaults(func=_init)

    status = subparsers.add_parser(
        "status",
        help="count a project's assets and annotations",
        description="Assets by type and review status, annotations by state and origin.",
    )
    status.add_argument("project_dir", metavar="PROJECT_DIR", type=Path)
    status.add_argument("--json", action="store_true", help="print JSON")
    status.set_defaults(func=_status)

    submit = subparsers.add_parser(
        "submit",
        help="submit a reviewed asset",
        description="Mark an asset submitted. Refused (exit 1) while it has pending suggestions.",
    )
    submit.add_argument("project_dir", metavar="PROJECT_DIR", type=Path)
    submit.add_argument("asset_id", metavar="ASSET_ID")
    submit.set_defaults(func=_submit)


def _init(args: argparse.Namespace) -> int:
    project_dir: Path = args.project_dir.expanduser().absolute()
    assets_dir: Path = (args.assets or project_dir).expanduser().absolute()
    labels = [name.strip() for name in args.labels.split(",") if name.strip()]
    if not assets_dir.is_dir():
        return error(f"the assets folder {assets_dir} does not exist or is not a folder")
    try:
        existed = ProjectStore.is_project(project_dir)
        if existed:
            store = ProjectStore.open(project_dir)
        else:
            store = ProjectStore.create(project_dir, name=args.name, labels=labels)
        with store:
            if existed:
                for name in labels:
                    store.add_label(name)
            discovery = discover_assets(assets_dir, frame_step=args.frame_step)
            added = store.add_assets(discovery.assets)
            if args.json:
                report = _init_report(store, discovery, added_count=len(added), existed=existed)
                print(json.dumps(report, indent=2))
            else:
                _print_init(store, discovery, added, existed, args.name if existed else None)
    except ProjectError as exc:
        return error(exc.message)
    except OSError as exc:
        return error(f"cannot read {exc.filename or assets_dir}: {exc.strerror or exc}")
    return EXIT_OK


def _init_report(
    store: ProjectStore, discovery: DiscoveryResult, *, added_count: int, existed: bool
) -> dict[str, Any]:
    root = discovery.root
    return {
        "project": str(store.root),
        "created": not existed,
        "labels": [{"name": label.name, "color": label.color} for label in store.labels()],
        "assets_dir": str(root),
        "found": [
            {
                "path": _rel(a.path, root),
                "type": a.type,
                "width": a.width,
                "height": a.height,
                "frame_index": a.frame_index,
                "points": a.points,
            }
            for a in discovery.assets
        ],
        "added": added_count,
        "already_in_project": len(discovery.assets) - added_count,
        "problems": [
            {"path": _rel(p.path, root), "reason": p.reason}
            for p in discovery.problems
        ],
        "ignored": [_rel(p, root) for p in discovery.ignored],
    }


def _print_init(
    store: ProjectStore,
    discovery: DiscoveryResult,
    added: list[Asset],
    existed: bool,
    ignored_name: str | None,
) -> None:
    print(f"{'Updated' if existed else 'Created'} project {store.root}")
    if ignored_name:
        print(f"  (the project already has a name; --name {ignored_name!r} was not applied)")
    labels = ", ".join(f"{x.name} ({x.color})" for x in store.labels()) or "(none yet)"
    print(f"Labels: {labels}")
    print(f"Assets in {discovery.root}:")
    for line in _asset_lines(discovery, store, {(a.path, a.frame_index) for a in added}):
        print(line)
    if discovery.problems:
        print("Problems (these files were not added):")
        for problem in discovery.problems:
            print(f"  ! {_rel(problem.path, discovery.root)}: {problem.reason}")
    counts = Counter(a.type for a in discovery.assets)
    kinds = ", ".join(f"{n} {_PLURALS[t] if n != 1 else t.replace('_', ' ')}"
                      for t, n in sorted(counts.items()))
    n_problems = len(discovery.problems)
    summary = f"Found {len(discovery.assets)} assets" + (f" ({kinds})" if kinds else "")
    summary += f"; added {len(added)}, {len(discovery.assets) - len(added)} already in the project"
    summary += f"; {n_problems} problem{'s' if n_problems != 1 else ''}"
    if discovery.ignored:
        summary += f"; {len(discovery.ignored)} other file(s) ignored"
    print(summary + ".")
    print(f"The project holds {store.asset_count()} assets. "
          f"Next: `avala-desktop status {store.root}`.")


def _asset_lines(
    discovery: DiscoveryResult, store: ProjectStore, new_keys: set[tuple[str, int | None]]
) -> list[str]:
    """One line per file: `+` added now, `=` already there (`~` a video partly new)."""
    rows: list[tuple[str, str, str, str]] = []
    videos: dict[Path, list[DiscoveredAsset]] = {}
    for asset in discovery.assets:
        if asset.type == "video_frame":
            videos.setdefault(Path(asset.path), []).append(asset)
            continue
        mark = "+" if (store.stored_path(asset.path), None) in new_keys else "="
        rows.append((mark, asset.type, _rel(asset.path, discovery.root), _size(asset)))
    for path, frames in videos.items():
        stored_path = store.stored_path(path)
        new = sum((stored_path, f.frame_index) in new_keys for f in frames)
        shown = ", ".join(str(f.frame_index) for f in frames[:8])
        if len(frames) > 8:
            shown += f", ... {frames[-1].frame_index}"
        mark = "+" if new == len(frames) else ("=" if new == 0 else "~")
        rows.append((mark, "video_frame", f"{_rel(path, discovery.root)} [frames {shown}]",
                     f"{_size(frames[0])}, {len(frames)} frames"))
    width = max((len(row[2]) for row in rows), default=0)
    return [f"  {mark} {kind:<12} {name:<{width}}  {size}" for mark, kind, name, size in rows]


def _rel(path: Path | str, root: Path) -> str:
    p = Path(path)
    try:
        return p.relative_to(root).as_posix()
    except ValueError:
        return p.as_posix()


def _size(asset: DiscoveredAsset) -> str:
    if asset.type == "point_cloud":
        return f"{asset.points:,} points" if asset.points is not None else "point cloud"
    return f"{asset.width}x{asset.height}"


def _status(args: argparse.Namespace) -> int:
    try:
        with ProjectStore.open(args.project_dir) as store:
            summary = store.status_summary()
    except ProjectError as exc:
        return error(exc.message)
    if args.json:
        print(json.dumps(summary, indent=2))
        return EXIT_OK
    project, assets, anns = summary["project"], summary["assets"], summary["annotations"]
    print(f"Project {project['name']}  ({project['path']})")
    print(f"Assets: {assets['total']}  ({pairs(assets['by_type'])})")
    print(f"  review: {pairs(assets['by_status'])}")
    print(f"Annotations: {anns['total']}  ({pairs(anns['by_state'])})")
    print(f"  origin: {pairs(anns['by_origin'])}")
    labels = ", ".join(x["name"] for x in summary["labels"]) or "(none)"
    print(f"Labels: {labels}")
    print(f"Auto-label runs: {summary['runs']['total']}  ({pairs(summary['runs']['by_state'])})")
    return EXIT_OK


def _submit(args: argparse.Namespace) -> int:
    try:
        with ProjectStore.open(args.project_dir) as store:
            asset = store.submit_asset(args.asset_id)
    except SubmitRefused as exc:
        print(f"refused: {exc.message}", file=sys.stderr)
        return EXIT_REFUSED
    except ProjectError as exc:
        return error(exc.message)
    print(f"Submitted {asset.display_name} ({asset.id}).")
    return EXIT_OK
