"""`avala-desktop` entry point: argparse with one module per verb group."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from avala_desktop import __version__

# Each module exposes register(subparsers); its parsers set `func(args) -> int`.
COMMAND_MODULES: tuple[str, ...] = (
    "avala_desktop.cli.project_cmds",
    "avala_desktop.cli.provider_cmds",
    "avala_desktop.cli.serve_model_cmd",
    "avala_desktop.cli.autolabel_cmd",
    "avala_desktop.cli.demo_cmd",
    "avala_desktop.cli.formats_cmd",
    "avala_desktop.cli.gui_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="avala-desktop",
        description="Review machine-made pre-annotations: connect model servers, auto-label, "
        "accept, correct or delete.",
    )
    parser.add_argument("--version", action="version", version=f"avala-desktop {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def _command_names(parser: argparse.ArgumentParser) -> set[str]:
    # argparse offers no public accessor for the registered sub-commands.
    return {name for action in parser._actions
            if isinstance(action, argparse._SubParsersAction) for name in action.choices}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if len(argv) == 1 and argv[0] not in _command_names(parser) and Path(argv[0]).is_dir():
        argv = ["open", argv[0]]  # `avala-desktop PROJECT_DIR` opens the review window
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return int(func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Output piped into `head` and the like: the reader went away, which is not an error.
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
