"""The status bar: which asset, the zoom, the asset's review counts and the project's."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from avala_desktop.core.store import ReviewState


def counts_text(counts: Mapping[str, int]) -> str:
    parts = [f"{counts.get(s.value, 0)} {s.value}" for s in ReviewState]
    return " · ".join(parts)


class ReviewStatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.asset_label = QLabel(self)
        self.counts_label = QLabel(self)
        self.project_label = QLabel(self)
        self.cursor_label = QLabel(self)
        self.zoom_label = QLabel(self)
        self.zoom_label.setMinimumWidth(60)
        self.cursor_label.setMinimumWidth(90)
        for label in (self.asset_label, self.counts_label, self.project_label,
                      self.cursor_label, self.zoom_label):
            # The default style draws no separators between permanent widgets.
            label.setStyleSheet("QLabel { padding: 0 8px; border-left: 1px solid palette(mid); }")
            self.addPermanentWidget(label)

    def set_asset(self, text: str) -> None:
        self.asset_label.setText(text)

    def set_counts(self, counts: Mapping[str, int] | None) -> None:
        self.counts_label.setText("" if counts is None else counts_text(counts))

    def set_project(self, text: str) -> None:
        self.project_label.setText(text)

    def set_zoom(self, scale: float | None) -> None:
        self.zoom_label.setText("" if scale is None else f"{scale * 100:.0f} %")

    def set_cursor(self, x: float | None, y: float | None = None) -> None:
        if x is None or y is None:
            self.cursor_label.setText("")
        else:
            self.cursor_label.setText(f"x {x:.0f}  y {y:.0f}")

    def show_message(self, text: str, timeout_ms: int = 8000) -> None:
        self.showMessage(text, timeout_ms)
