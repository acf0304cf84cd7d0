"""How `auto-label` shows a run: the terminal bar, plain lines, and the summary."""

from __future__ import annotations

import io

from avala_desktop.cli.autolabel_cmd import ProgressPrinter, progress_text, summary_lines
from avala_desktop.jobs.events import (
    AssetDone,
    FailureExample,
    RunProgress,
    RunStarted,
    RunSummary,
)


def started(total: int = 4) -> RunStarted:
    return RunStarted(run_id="run_1", provider_id="inf_1", provider_name="det", threshold=0.5,
                      scope="unlabeled", concurrency=4, total=total)


def test_on_a_terminal_the_bar_is_redrawn_and_failures_print_above_it() -> None:
    out = io.StringIO()
    printer = ProgressPrinter(out, tty=True)
    printer(started())
    printer(RunProgress(done=1, total=4, ok=1, failed=0, skipped=0, rate=2.0, eta_s=1.5))
    printer(AssetDone("a2", "b.png", "failed", category="timeout", message="too slow"))
    printer(RunProgress(done=4, total=4, ok=3, failed=1, skipped=0, rate=2.0, eta_s=0.0))
    printer.close()
    text = out.getvalue()
    assert text.startswith("Auto-label run run_1 with det: 4 assets, scope unlabeled, threshold "
                           "0.5, 4 at a time.\n")
    assert "\r[#######.....................] 1/4 (ok 1, failed 0, skipped 0), 2.0/s, ETA 1.5 s" \
        in text
    # The failure line clears the bar, then the bar comes back under it.
    assert "\r\x1b[K  failed  b.png: timeout: too slow\n\r[#######" in text
    assert text.endswith("4/4 (ok 3, failed 1, skipped 0), 2.0/s\x1b[K\n")


def test_off_a_terminal_lines_are_plain_and_few_failures_are_listed() -> None:
    out = io.StringIO()
    printer = ProgressPrinter(out, tty=False)
    for i in range(12):
        printer(AssetDone(f"a{i}", f"{i}.png", "failed", category="connect", message="down"))
    printer(RunProgress(done=12, total=12, ok=0, failed=12, skipped=0, rate=None, eta_s=None))
    lines = out.getvalue().splitlines()
    assert "\x1b" not in out.getvalue() and "\r" not in out.getvalue()
    assert lines[:1] == ["  failed  0.png: connect: down"]
    assert lines[10] == "  (further failures are listed in the summary)"
    assert lines[-1] == "12/12 (ok 0, failed 12, skipped 0)"
    assert len(lines) == 12


def test_summary_names_kept_discarded_and_failed_with_examples() -> None:
    summary = RunSummary(
        run_id="run_1", provider_id="inf_1", provider_name="det", state="completed",
        threshold=0.5, scope=["a", "b", "c"], total=3, ok=2, failed=1, skipped=0, kept=5,
        kept_by_type={"polygon": 3, "bounding_box": 2},
        discarded={"below_threshold": 4, "label_not_in_set": 1},
        failed_by_category={"timeout": 1},
        failure_examples={"timeout": [FailureExample("c", "c.png", "no answer in 30 s")]},
        elapsed_s=75.0, rate=0.04,
    )
    assert summary_lines(summary) == [
        "Auto-label run run_1 (det, threshold 0.5, scope 3 chosen assets): completed in "
        "1 min 15 s.",
        "  assets: 3 of 3 done: 2 ok, 1 failed, 0 skipped",
        "  kept: 5 suggestions (polygon 3, bounding_box 2)",
        "  discarded: 5 (below_threshold 4, label_not_in_set 1)",
        "  failed: timeout 1",
        "    timeout  c.png: no answer in 30 s",
        "The suggestions are pending: review them in the app.",
    ]
    assert progress_text(RunProgress(3, 10, 3, 0, 0, 1.0, 7.0)).endswith(", 1.0/s, ETA 7.0 s")
