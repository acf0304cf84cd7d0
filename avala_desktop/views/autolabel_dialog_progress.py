"""The running part of the Auto-Label dialog: progress bar, counts, pace and ETA, the outcome."""

from __future__ import annotations

import html
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QProgressBar, QVBoxLayout, QWidget

from avala_desktop.jobs.events import RunStarted, RunSummary
from avala_desktop.jobs.planning import describe_scope
from avala_desktop.views.settings_format import category_title
from avala_desktop.views.settings_widgets import FAIL_COLOR, OK_COLOR


@dataclass
class RunCounts:
    """What the dialog has shown so far: the same assets as its failure list and the
    `assetsUpdated` it sent, so the numbers and the list never disagree."""

    total: int = 0
    done: int = 0
    kept: int = 0
    failed: int = 0
    skipped: int = 0

    def add(self, status: str, kept: int) -> None:
        self.done += 1
        self.kept += kept
        if status == "failed":
            self.failed += 1
        elif status == "skipped":
            self.skipped += 1


def duration_text(seconds: float) -> str:
    """'42 s', '3:05', '1:02:09'."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}:{secs:02d}"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def counts_text(done: int, total: int, kept: int, failed: int, skipped: int) -> str:
    parts = [
        f"Done {done:,} of {total:,}",
        f"kept {kept:,} suggestion{'' if kept == 1 else 's'}",
        f"failed {failed:,}",
    ]
    if skipped:
        parts.append(f"skipped {skipped:,}")
    return " · ".join(parts)


def pace_text(rate: float | None, eta_s: float | None) -> str:
    if rate is None:
        return "Measuring the pace…"
    eta = f" · about {duration_text(eta_s)} left" if eta_s is not None else ""
    return f"{rate:.1f} assets/s{eta}"


class RunProgressPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar = QProgressBar(self)
        self.bar.setObjectName("runProgress")
        self.bar.setFormat("%v / %m")
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.counts = QLabel(self)
        self.counts.setObjectName("runCounts")
        self.pace = QLabel(self)
        self.pace.setObjectName("runPace")
        self.status = QLabel(self)
        self.status.setObjectName("runStatus")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.RichText)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.bar)
        layout.addWidget(self.counts)
        layout.addWidget(self.pace)
        layout.addWidget(self.status)
        self.reset()

    def reset(self) -> None:
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.counts.setText("")
        self.pace.setText("")
        self.status.setText("")

    def begin(self) -> None:
        self.reset()
        self.bar.setRange(0, 0)  # busy until the plan says how many
        self.status.setText("Preparing the run…")

    def started(self, event: RunStarted, counts: RunCounts) -> None:
        self.bar.setRange(0, max(1, counts.total))
        self.bar.setValue(counts.done)
        self.counts.setText(
            counts_text(counts.done, counts.total, counts.kept, counts.failed, counts.skipped)
        )
        self.pace.setText("Measuring the pace…" if counts.total > counts.done else "")
        verb = "Resuming" if event.resumed else "Running"
        earlier = f", {event.already_done:,} done before" if event.resumed else ""
        self.status.setText(
            html.escape(
                f"{verb} {event.provider_name}: scope {describe_scope(event.scope)}, "
                f"threshold {event.threshold:g}, {event.concurrency} at once{earlier}."
            )
        )

    def progressed(self, counts: RunCounts, rate: float | None, eta_s: float | None) -> None:
        self.bar.setRange(0, max(1, counts.total))
        self.bar.setValue(counts.done)
        self.counts.setText(
            counts_text(counts.done, counts.total, counts.kept, counts.failed, counts.skipped)
        )
        self.pace.setText(pace_text(rate, eta_s))

    def finished(self, summary: RunSummary) -> None:
        self.bar.setRange(0, max(1, summary.total))
        self.bar.setValue(summary.done)
        self.counts.setText(
            counts_text(summary.done, summary.total, summary.kept, summary.failed, summary.skipped)
        )
        rate = f", {summary.rate:.1f} assets/s" if summary.rate else ""
        self.pace.setText(f"This session: {duration_text(summary.elapsed_s)}{rate}")
        self.status.setText(summary_html(summary))

    def failed_to_start(self, message: str, category: str | None = None) -> None:
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.pace.setText("")
        title = category_title(category) if category else "The run could not start"
        self.status.setText(
            f'<b style="color:{FAIL_COLOR}">✗ {html.escape(title)}</b>: {html.escape(message)}'
        )


def summary_html(summary: RunSummary) -> str:
    if summary.state == "completed":
        head = f'<b style="color:{OK_COLOR}">✓ Completed</b>'
    elif summary.state == "cancelled":
        head = (
            f"<b>Cancelled</b> with {summary.remaining:,} asset"
            f"{'' if summary.remaining == 1 else 's'} left: what was done is kept, and Resume "
            "continues where the run stopped"
        )
    else:
        head = f'<b style="color:{FAIL_COLOR}">✗ {html.escape(summary.state.capitalize())}</b>'
    kinds = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in summary.kept_by_type.items())
    lines = [head + "."]
    if summary.kept:
        lines.append(f"{summary.kept:,} suggestions to review ({html.escape(kinds)}).")
    if summary.discarded_total:
        lines.append(f"{summary.discarded_total:,} predictions discarded (below the threshold "
                     "or invalid).")
    if summary.failed:
        by = ", ".join(
            f"{category_title(cat)} {n}" for cat, n in summary.failed_by_category.items()
        )
        lines.append(f"{summary.failed:,} failed: {html.escape(by)}.")
    return " ".join(lines)
