"""`avala-desktop open PROJECT_DIR`: the review window (also `avala-desktop PROJECT_DIR`).

PySide6 is imported only inside the command, so the rest of the CLI works without a display
or without Qt installed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

EXIT_ERROR = 2


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "open",
        help="open a project in the review window",
        description="Open the review window on PROJECT_DIR (a folder that is not a project yet "
        "is made into one after asking). Without PROJECT_DIR the window starts empty.",
    )
    parser.add_argument("project_dir", metavar="PROJECT_DIR", type=Path, nargs="?")
    parser.set_defaults(func=_open)


def _open(args: argparse.Namespace) -> int:
    folder: Path | None = args.project_dir
    if folder is not None:
        folder = folder.expanduser().absolute()
        if not folder.is_dir():
            print(f"error: {folder} is not a folder", file=sys.stderr)
            return EXIT_ERROR
    try:
        from avala_desktop.views.app import run_app
    except ImportError as exc:
        print(f"error: the review window needs PySide6 ({exc}). Install avala-desktop with its "
              f"GUI dependencies.", file=sys.stderr)
        return EXIT_ERROR
    return run_app(folder)
