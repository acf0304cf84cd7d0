"""`avala-desktop demo`: the whole product on a fresh machine, with nothing else running.

Creates (or reuses) a demo project of synthetic street images, a point cloud and a short
video; starts the bundled reference model server in this process; registers it as the
provider `reference-demo`; auto-labels the project; prints the summary; then opens the review
window (unless --headless or there is no display).

The demo server speaks plain HTTP on 127.0.0.1, registered with allow_insecure_localhost.
HTTPS would need a certificate made on the spot, and the one library that makes them
(`cryptography`) is not a dependency of avala-desktop on every platform; on loopback the
traffic never leaves the machine and no token is involved, so TLS would protect nothing here.
Real providers must use https:// (the provider model enforces it).

Exit codes: 0 done, 1 the run failed part-way, 2 could not start (port in use, unwritable
folder, provider file invalid), 130 cancelled.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from avala_desktop import paths
from avala_desktop.cli.autolabel_cmd import run_with_progress, summary_lines
from avala_desktop.cli.common import EXIT_OK, error, whole_number
from avala_desktop.core import demo_data
from avala_desktop.core.discovery import DEFAULT_FRAME_STEP, discover_assets
from avala_desktop.core.store import ProjectError, ProjectStore
from avala_desktop.inference.providers import (
    HttpProviderConfig,
    ProviderError,
    ProviderNotFound,
    ProviderRegistry,
)
from avala_desktop.inference.reference_server import ReferenceModelServer
from avala_desktop.jobs.autolabel import DEFAULT_CONCURRENCY
from avala_desktop.jobs.events import RunSummary

PROVIDER_NAME = "reference-demo"
DEMO_FOLDER = "demo-project"
ASSETS_SUBDIR = "assets"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="create a demo project, label it with the bundled model and open it",
        description="Create (or reuse) a demo project, start the bundled reference model "
        "server on 127.0.0.1, register it as provider 'reference-demo', auto-label the "
        "project and open the review window (or, with --headless, print the summary only).",
    )
    parser.add_argument(
        "--dir", type=Path, metavar="PATH",
        help="the demo project folder (default: demo-project in the app's data folder)",
    )
    parser.add_argument("--headless", action="store_true", help="do not open the window")
    parser.add_argument(
        "--port", type=int, default=0, metavar="N",
        help="port for the reference model server (default 0: any free port)",
    )
    parser.add_argument("--images", type=whole_number(0), default=3, metavar="N",
                        help="street images in a new demo project (default 3)")
    parser.add_argument("--video-frames", type=whole_number(0), default=20, metavar="N",
                        help=f"frames of the demo video (default 20; every "
                        f"{DEFAULT_FRAME_STEP}th is an asset; 0 = no video)")
    parser.add_argument("--cloud-points", type=whole_number(0), default=60_000, metavar="N",
                        help="points of the demo point cloud (default 60000; 0 = none)")
    parser.set_defaults(func=run)


def open_demo_project(project_dir: Path, args: argparse.Namespace) -> ProjectStore:
    """The demo project at `project_dir`, created with fresh synthetic assets if needed."""
    if ProjectStore.is_project(project_dir):
        print(f"Reusing the demo project {project_dir}")
        return ProjectStore.open(project_dir)
    assets_dir = project_dir / ASSETS_SUBDIR
    print(f"Creating the demo project {project_dir}")
    written = demo_data.write_demo_images(assets_dir, args.images)
    if args.cloud_points:
        demo_data.write_demo_point_cloud(assets_dir / "scan_00.pcd", args.cloud_points)
    if args.video_frames:
        demo_data.write_demo_video(assets_dir / "walk.mp4", args.video_frames)
    store = ProjectStore.create(
        project_dir, name="avala-desktop demo", labels=list(demo_data.DEMO_LABELS)
    )
    try:
        added = store.add_assets(discover_assets(assets_dir).assets)
    except BaseException:
        store.close()
        raise
    print(
        f"  {len(written)} images, {1 if args.cloud_points else 0} point cloud, "
        f"{sum(a.type == 'video_frame' for a in added)} video frames; labels: "
        f"{', '.join(demo_data.DEMO_LABELS)}"
    )
    return store


def register_provider(url: str) -> HttpProviderConfig:
    """Point the `reference-demo` provider at `url` (the port changes from demo to demo; the
    id stays, so a new demo run replaces the previous one's pending suggestions)."""
    registry = ProviderRegistry()
    try:
        existing = registry.get(PROVIDER_NAME)
    except ProviderNotFound:
        existing = None
    config = HttpProviderConfig(
        name=PROVIDER_NAME, url=url, allow_insecure_localhost=True, timeout_s=120
    )
    if existing is None:
        registry.add(config)
        return config
    config = config.model_copy(update={"id": existing.id})
    registry.update(config)
    return config


def display_available() -> bool:
    if os.environ.get("QT_QPA_PLATFORM", "").lower() in ("offscreen", "minimal", "vnc"):
        return False
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run(args: argparse.Namespace) -> int:
    project_dir = (args.dir or paths.data_dir() / DEMO_FOLDER).expanduser().absolute()
    try:
        store = open_demo_project(project_dir, args)
    except ProjectError as exc:
        return error(exc.message)
    except OSError as exc:
        return error(f"cannot write the demo project in {project_dir}: {exc.strerror or exc}")
    with store:
        server = ReferenceModelServer(host="127.0.0.1", port=args.port, fetch_timeout_s=30)
        try:
            server.start()
        except OSError as exc:
            return error(
                f"cannot start the reference model server on 127.0.0.1:{args.port}: "
                f"{exc.strerror or exc} (is the port in use? --port 0 picks a free one)"
            )
        try:
            print(f"Reference model server listening on {server.url}")
            try:
                config = register_provider(f"{server.url}/predict")
            except ProviderError as exc:
                return error(str(exc))
            print(f"Provider {PROVIDER_NAME!r} points at it.")
            code, summary = _auto_label(store, config)
            if summary is not None:
                print("\n".join(summary_lines(summary)))
            if code != EXIT_OK:
                return code
            if args.headless or not display_available():
                print(f"Demo project: {project_dir}")
                return EXIT_OK
            return _open_window(project_dir)
        finally:
            server.stop()


def _auto_label(
    store: ProjectStore, config: HttpProviderConfig
) -> tuple[int, RunSummary | None]:
    code, summary = run_with_progress(
        store, config, threshold=0.5, scope="unlabeled", concurrency=DEFAULT_CONCURRENCY,
        resume=None,
    )
    if summary is not None and summary.total == 0:
        print("Every demo asset already has suggestions or annotations; nothing to label.")
    return code, summary


def _open_window(project_dir: Path) -> int:
    # Imported here: the CLI stays usable without Qt (headless runs, servers).
    from avala_desktop.views.app import run_app

    print("Opening the review window; the model server runs until you close it.")
    return int(run_app(project_dir) or 0)
