"""`avala-desktop auto-label`: send a project's assets to a provider, keep what clears the bar.

Progress goes to stderr (a bar on a terminal, plain lines otherwise) so stdout carries only
the summary (text, or JSON with --json). Ctrl+C (or SIGTERM) cancels: requests already out
may finish, the run is left `cancelled`, and running the same command again resumes it.

Exit codes: 0 the run completed (even if some assets failed: the summary lists them),
1 the run itself failed part-way (e.g. the project database became unwritable),
2 it could not run at all (no such project or provider, invalid provider, no token),
130 cancelled.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from avala_desktop.cli.common import EXIT_OK, error, pairs, unit_fraction, whole_number
from avala_desktop.core.store import ProjectError, ProjectStore
from avala_desktop.inference.providers import ProviderError, ProviderRegistry
from avala_desktop.jobs.autolabel import (
    DEFAULT_CONCURRENCY,
    MAX_CONCURRENCY,
    AssetServing,
    ProviderConfig,
    run_auto_label,
)
from avala_desktop.jobs.events import AssetDone, RunEvent, RunProgress, RunStarted, RunSummary
from avala_desktop.jobs.planning import RunError, choose_resume, describe_scope, normalize_scope

EXIT_RUN_FAILED = 1
EXIT_CANCELLED = 130
FAILURES_SHOWN = 10
PLAIN_INTERVAL_S = 2.0
BAR_INTERVAL_S = 0.1
BAR_WIDTH = 28


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "auto-label",
        help="run a model over a project's assets and store its predictions as suggestions",
        description="Send every unlabeled asset (or all, or the ones named) to a provider and "
        "store the predictions at or above the threshold as pending suggestions. Re-running "
        "replaces that provider's pending suggestions and never touches reviewed ones. An "
        "unfinished run of the same provider is resumed unless other settings are given.",
    )
    parser.add_argument("project_dir", metavar="PROJECT_DIR", type=Path)
    parser.add_argument("--provider", required=True, metavar="NAME", help="provider name or id")
    parser.add_argument(
        "--threshold", type=unit_fraction, metavar="T",
        help="keep predictions with confidence >= T (0..1; default 0.5, or the resumed run's)",
    )
    parser.add_argument(
        "--scope", choices=("unlabeled", "all"),
        help="which assets: unlabeled (default) or all",
    )
    parser.add_argument(
        "--assets", metavar="ID,ID", type=_ids, help="only these asset ids (overrides --scope)"
    )
    parser.add_argument(
        "--concurrency", type=whole_number(1, MAX_CONCURRENCY), default=DEFAULT_CONCURRENCY,
        metavar="N",
        help=f"requests in flight at once (1..{MAX_CONCURRENCY}, default {DEFAULT_CONCURRENCY})",
    )
    parser.add_argument(
        "--resume", action=argparse.BooleanOptionalAction, default=None,
        help="--resume continues the provider's unfinished run whatever the settings; "
        "--no-resume always starts a new run (default: resume when the settings match)",
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    serving = parser.add_argument_group(
        "asset serving",
        "The model downloads each asset from a signed URL this command serves. The default "
        "(127.0.0.1, any port) reaches a model server on this machine only.",
    )
    serving.add_argument("--asset-host", default="127.0.0.1", metavar="HOST",
                         help="address to serve assets on, e.g. 0.0.0.0 (default 127.0.0.1)")
    serving.add_argument("--asset-port", type=int, default=0, metavar="N",
                         help="port to serve assets on (default 0: any free port)")
    serving.add_argument("--advertise-host", metavar="NAME",
                         help="host name the model server reaches this machine by")
    serving.add_argument("--asset-tls-cert", type=Path, metavar="C",
                         help="PEM certificate: serve assets over HTTPS")
    serving.add_argument("--asset-tls-key", type=Path, metavar="K",
                         help="PEM private key of --asset-tls-cert")
    parser.set_defaults(func=run)


def _ids(text: str) -> list[str]:
    ids = [part.strip() for part in text.split(",") if part.strip()]
    if not ids:
        raise argparse.ArgumentTypeError("give at least one asset id")
    return ids


def run(args: argparse.Namespace) -> int:
    if (args.asset_tls_cert is None) != (args.asset_tls_key is None):
        return error("--asset-tls-cert and --asset-tls-key go together")
    try:
        config = ProviderRegistry().get(args.provider)
    except ProviderError as exc:
        return error(str(exc))
    try:
        store = ProjectStore.open(args.project_dir)
    except ProjectError as exc:
        return error(exc.message)
    serving = AssetServing(
        host=args.asset_host,
        port=args.asset_port,
        advertised_host=args.advertise_host,
        tls_cert=args.asset_tls_cert,
        tls_key=args.asset_tls_key,
    )
    with store:
        code, summary = run_with_progress(
            store,
            config,
            threshold=args.threshold,
            scope=normalize_scope(args.assets) if args.assets else args.scope,
            concurrency=args.concurrency,
            resume=args.resume,
            asset_serving=serving,
        )
    if summary is not None:
        if args.json:
            print(json.dumps(summary.to_dict(), indent=2))
        else:
            print("\n".join(summary_lines(summary)))
    return code


def run_with_progress(
    store: ProjectStore,
    config: ProviderConfig,
    *,
    threshold: float | None,
    scope: str | list[str] | None,
    concurrency: int,
    resume: bool | None,
    asset_serving: AssetServing | None = None,
) -> tuple[int, RunSummary | None]:
    """Resume or start a run with progress on stderr and Ctrl+C as cancel; returns the exit
    code and, when the run ended (completed or cancelled), its summary. `threshold` and
    `scope` None mean "not asked for" (see choose_resume)."""
    try:
        choice = choose_resume(store, config.id, resume=resume, threshold=threshold, scope=scope)
    except RunError as exc:
        return error(exc.message), None
    if choice.note:
        print(choice.note, file=sys.stderr)
    printer = ProgressPrinter(sys.stderr)
    cancel = threading.Event()
    try:
        with cancel_on_signals(cancel, sys.stderr):
            summary = run_auto_label(
                store,
                config,
                threshold=threshold if threshold is not None else 0.5,
                scope=scope or "unlabeled",
                concurrency=concurrency,
                resume_run_id=choice.run.id if choice.run else None,
                on_event=printer,
                cancel=cancel,
                asset_serving=asset_serving,
            )
    except RunError as exc:
        return error(exc.message), None
    except Exception as exc:
        # A failure of the run itself (the store, a bug): the run marked itself failed before
        # re-raising; the person gets the reason and exit 1 instead of a traceback.
        print(
            f"error: the auto-label run failed part-way ({type(exc).__name__}: {exc}); "
            "what was done is kept, and running the command again resumes the run",
            file=sys.stderr,
        )
        return EXIT_RUN_FAILED, None
    finally:
        printer.close()
    return (EXIT_CANCELLED if summary.state == "cancelled" else EXIT_OK), summary


@contextmanager
def cancel_on_signals(cancel: threading.Event, stream: TextIO) -> Iterator[None]:
    """First Ctrl+C or SIGTERM: cancel the run cleanly. A second Ctrl+C: stop at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_signal(signum: int, frame: Any) -> None:
        if cancel.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        cancel.set()
        print(
            "\nCancelling: requests already sent may finish; press Ctrl+C again to stop at "
            "once.",
            file=stream,
            flush=True,
        )

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class ProgressPrinter:
    """Renders run events: a redrawn bar on a terminal, a line every few seconds elsewhere;
    the first few failures are printed as they happen."""

    def __init__(self, stream: TextIO, *, tty: bool | None = None) -> None:
        self.stream = stream
        self.tty = stream.isatty() if tty is None else tty
        self._last = 0.0
        self._bar_shown = False
        self._failures = 0
        self._latest: RunProgress | None = None

    def __call__(self, event: RunEvent) -> None:
        if isinstance(event, RunStarted):
            self._started(event)
        elif isinstance(event, AssetDone):
            self._asset_done(event)
        elif isinstance(event, RunProgress):
            self._progress(event)

    def _started(self, event: RunStarted) -> None:
        plural = "s" if event.total != 1 else ""
        resumed = f" ({event.already_done} done before)" if event.resumed else ""
        self._line(
            f"Auto-label run {event.run_id} with {event.provider_name}: {event.total} "
            f"asset{plural}{resumed}, scope {describe_scope(event.scope)}, threshold "
            f"{event.threshold:g}, {event.concurrency} at a time."
        )

    def _asset_done(self, event: AssetDone) -> None:
        if event.status != "failed":
            return
        self._failures += 1
        if self._failures <= FAILURES_SHOWN:
            self._line(f"  failed  {event.asset_name}: {event.category}: {event.message}")
        elif self._failures == FAILURES_SHOWN + 1:
            self._line("  (further failures are listed in the summary)")

    def _progress(self, event: RunProgress) -> None:
        self._latest = event
        now = time.monotonic()
        final = event.done >= event.total
        interval = BAR_INTERVAL_S if self.tty else PLAIN_INTERVAL_S
        if not final and now - self._last < interval:
            return
        self._last = now
        if self.tty:
            self._draw(event)
        else:
            self._line(progress_text(event))

    def _draw(self, event: RunProgress) -> None:
        filled = int(BAR_WIDTH * event.done / event.total) if event.total else BAR_WIDTH
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        self.stream.write(f"\r[{bar}] {progress_text(event)}\x1b[K")
        self.stream.flush()
        self._bar_shown = True

    def _line(self, text: str) -> None:
        if self._bar_shown:
            self.stream.write("\r\x1b[K")
        self.stream.write(text + "\n")
        if self._bar_shown and self._latest is not None:
            self._draw(self._latest)
        self.stream.flush()

    def close(self) -> None:
        if self._bar_shown:
            self.stream.write("\n")
            self.stream.flush()
            self._bar_shown = False


def progress_text(event: RunProgress) -> str:
    pace = f", {event.rate:.1f}/s" if event.rate else ""
    eta = f", ETA {_duration(event.eta_s)}" if event.eta_s and event.done < event.total else ""
    return (
        f"{event.done}/{event.total} (ok {event.ok}, failed {event.failed}, "
        f"skipped {event.skipped}){pace}{eta}"
    )


def _duration(seconds: float) -> str:
    if seconds < 10:
        return f"{max(0.0, seconds):.1f} s"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def summary_lines(summary: RunSummary) -> list[str]:
    lines = [
        f"Auto-label run {summary.run_id} ({summary.provider_name}, threshold "
        f"{summary.threshold:g}, scope {describe_scope(summary.scope)}): {summary.state} in "
        f"{_duration(summary.elapsed_s)}.",
        f"  assets: {summary.done} of {summary.total} done: {summary.ok} ok, "
        f"{summary.failed} failed, {summary.skipped} skipped"
        + (f"; {summary.remaining} left" if summary.remaining else ""),
        f"  kept: {summary.kept} suggestion{'s' if summary.kept != 1 else ''}"
        + (f" ({pairs(summary.kept_by_type)})" if summary.kept_by_type else ""),
        f"  discarded: {summary.discarded_total}"
        + (f" ({pairs(summary.discarded)})" if summary.discarded else ""),
    ]
    if summary.failed_by_category:
        lines.append(f"  failed: {pairs(summary.failed_by_category)}")
        for category, examples in summary.failure_examples.items():
            for example in examples:
                lines.append(f"    {category}  {example.asset_name}: {example.message}")
    if summary.state == "cancelled":
        lines.append("Run the same command again to resume it.")
    elif summary.kept:
        lines.append("The suggestions are pending: review them in the app.")
    return lines
