"""The fine-tune panel: start / cancel, progress with ETA, live curves, before/after results,
keep / discard, restore the factory model. It shows state; the Train tab drives it."""

from __future__ import annotations

from typing import Final

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ocrpad.app.draw.spoken import announce
from ocrpad.app.train.curves import CurvesPlot
from ocrpad.app.train.drift import FilterDriftView
from ocrpad.app.train.results import BeforeAfterTable, ConfusionView, percent
from ocrpad.app.train.short_texts import ShortWhenNarrowTabBar
from ocrpad.app.train.tips import named
from ocrpad.app.words import plural
from ocrpad.learning.finetune_report import FineTuneProgress, FineTuneReport


def verdict(report: FineTuneReport) -> str:
    """One sentence on the outcome, for the panel and the status bar."""
    if report.cancelled:
        return "Cancelled — the current model stays in use."
    new = f" New: {' '.join(report.new_labels)}." if report.new_labels else ""
    if not report.held_out_count:
        return (
            f"Trained on {plural(report.train_count, 'drawing')} in {report.wall_time:.0f} s.{new} "
            "Too few drawings per class to hold some back for a before/after check."
        )
    return (
        f"Held-back drawings ({report.held_out_count:,}): {percent(report.accuracy_before)} "
        f"→ {percent(report.accuracy_after)} correct. "
        f"Trained on {report.train_count:,} in {report.wall_time:.0f} s.{new}"
    )


def short_verdict(report: FineTuneReport) -> str:
    """The outcome in a few words, for the status bar (the panel says the rest)."""
    if report.cancelled:
        return "Fine-tune cancelled."
    if not report.held_out_count:
        return "Fine-tune finished: keep or discard the new model."
    change = f"{percent(report.accuracy_before)} → {percent(report.accuracy_after)}"
    return f"Fine-tune finished ({change} correct): keep or discard the new model."


RESULT_NAMES: Final = [("Scores", "Scores"), ("Confusion", "Matrix"), ("Filters", "Filters")]
"""The results tabs' (full, short) names: the short ones where the Fine-tune column is too
narrow for the full ones (a large font in a small window)."""


class WrappedLabel(QLabel):
    """A word-wrapped label that asks for the height its lines take at its width, so a
    narrow column grows (or scrolls) instead of drawing the next widget over its text."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setWordWrap(True)

    def setText(self, text: str) -> None:  # noqa: N802
        super().setText(text)
        self._fit()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        height = self.heightForWidth(max(self.width(), 1))
        if height > 0 and height != self.minimumHeight():
            self.setMinimumHeight(height)


class FineTunePanel(QWidget):
    """Buttons and views of one fine-tune; ``set_state`` enables what makes sense."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fineTunePanel")
        self.summary = named(WrappedLabel(), "trainSummary")
        self.start_button = named(QPushButton("Fi&ne-tune"), "fineTuneButton")
        self.cancel_button = named(QPushButton("Cancel"), "cancelButton")
        self.progress = named(QProgressBar(), "trainProgress")
        self.progress.setAccessibleName("Fine-tune progress")
        self.progress.setRange(0, 1)  # "0%" before the first run: a bar, not an empty field
        self.progress.setValue(0)
        self.eta = named(WrappedLabel(" "), "trainEta")  # wraps: never widens the column
        self.curves = CurvesPlot()
        self.table = BeforeAfterTable()
        self.confusion = ConfusionView()
        self.results = named(QTabWidget(), "trainResults")
        result_names = ShortWhenNarrowTabBar()  # "Matrix" for "Confusion" where it is narrow
        result_names.setDrawBase(False)  # as QTabWidget's own bar: the frame is its base
        self.results.setTabBar(result_names)
        self.results.setUsesScrollButtons(False)  # its minimum width: every tab name whole
        self.results.addTab(self.table, "Scores")  # short names: the column stays narrow
        self.results.setTabToolTip(0, "Held-back drawings read correctly before and after")
        self.results.addTab(self.confusion, "Confusion")
        self.drift = FilterDriftView()
        drift_room = QScrollArea()  # as tall as the network has layers, inside its own
        drift_room.setWidget(self.drift)  # scrolling: it never makes the page taller
        drift_room.setWidgetResizable(True)
        drift_room.setFrameShape(QFrame.Shape.NoFrame)
        self.results.addTab(drift_room, "Filters")
        result_names.set_names(RESULT_NAMES)
        self.verdict = named(
            WrappedLabel("Fine-tune to adapt the model to your handwriting."), "trainVerdict"
        )
        self.keep_button = named(QPushButton("Keep the ne&w model"), "keepButton")
        self.discard_button = named(QPushButton("D&iscard"), "discardButton")
        self.restore_button = named(QPushButton("Rest&ore factory model"), "restoreFactoryButton")
        self.bring_back_button = named(QPushButton("Bring back m&y model"), "bringBackButton")
        self.bring_back_button.hide()  # shown while Restore has set one aside (set_bring_back)
        self._ready = True  # there are drawings to fine-tune on (or their count is unknown)
        self._restorable = True  # a model other than the shipped one is in use or kept
        self._state = "idle"
        self.escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)  # on while running
        self.escape.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.escape.activated.connect(self.cancel_button.click)
        self._build()
        self.set_state("idle")

    def _build(self) -> None:
        grid = QGridLayout()
        grid.addWidget(self.start_button, 0, 0)
        grid.addWidget(self.cancel_button, 0, 1)
        grid.addWidget(self.progress, 1, 0, 1, 2)
        grid.addWidget(self.eta, 2, 0, 1, 2)
        decide = QGridLayout()
        decide.addWidget(self.keep_button, 0, 0)  # one above the other: the column stays
        decide.addWidget(self.discard_button, 1, 0)  # narrow at a large font
        decide.addWidget(self.restore_button, 2, 0)
        decide.addWidget(self.bring_back_button, 3, 0)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.summary)
        column.addLayout(grid)
        column.addWidget(self.curves, 2)
        column.addWidget(self.verdict)
        column.addWidget(self.results, 2)
        column.addLayout(decide)

    @property
    def state(self) -> str:
        """'idle', 'running' or 'deciding' (see ``set_state``)."""
        return self._state

    def set_state(self, state: str) -> None:
        """'idle', 'running' (cancel only) or 'deciding' (a result awaits keep / discard)."""
        changed, self._state = state != self._state, state
        buttons = (self.start_button, self.cancel_button, self.keep_button, self.discard_button)
        had_focus = changed and any(b.hasFocus() for b in buttons)
        self.start_button.setEnabled(state == "idle" and self._ready)
        self.start_button.setToolTip(self._start_tip(state))
        self.cancel_button.setEnabled(state == "running")
        self.escape.setEnabled(state == "running")  # Escape cancels, from anywhere in here
        self.keep_button.setEnabled(state == "deciding")
        self.discard_button.setEnabled(state == "deciding")
        self.restore_button.setEnabled(state != "running" and self._restorable)
        self.bring_back_button.setEnabled(state != "running")
        if had_focus:  # a new state: a keyboard user goes on with the button that matters
            nxt = {"running": self.cancel_button, "deciding": self.keep_button}
            nxt.get(state, self.start_button).setFocus(Qt.FocusReason.OtherFocusReason)

    def set_ready(self, ready: bool) -> None:
        """Whether there is anything to fine-tune on: Fine-tune is greyed out until there is."""
        self._ready = ready
        self.set_state(self._state)

    def _start_tip(self, state: str) -> str:
        """Why Fine-tune is greyed out, or what it does. While a fine-tuned model awaits Keep
        or Discard, a new run would silently throw it away, so it waits for the choice."""
        if state == "deciding":
            return "Keep or discard the fine-tuned model first (below)"
        if not self._ready:
            return "Collect some drawings first (left), then fine-tune"
        return "Fine-tune a copy of the model on your drawings"

    def set_restorable(self, restorable: bool) -> None:
        """Whether Restore has anything to do: greyed out while the shipped model is in use."""
        self._restorable = restorable
        self.restore_button.setToolTip(
            "Go back to the model ocrpad ships with; yours is set aside, not deleted"
            if restorable
            else "The shipped model is already in use"
        )
        self.set_state(self._state)

    def set_bring_back(self, available: bool) -> None:
        """Show "Bring back my model" while a model Restore set aside can be used again."""
        self.bring_back_button.setVisible(available)

    def begin(self) -> None:
        self.curves.clear()
        self.table.show_report(None)
        self.confusion.set_matrix([], np.zeros((0, 0), np.int64))
        self.drift.set_drift([])
        self.progress.setRange(0, 0)  # busy until the first step reports
        self.eta.setText("Preparing your drawings…")
        self.verdict.setText("Fine-tuning a copy — drawing and recognition keep working.")
        self.set_state("running")
        self.cancel_button.setFocus(Qt.FocusReason.OtherFocusReason)  # Alt+N leaves it be
        announce(self, "Fine-tuning a copy of the model: Escape or Cancel stops it.")

    def show_preparing(self, done: int, total: int) -> None:
        """Drawings checked and rendered before the first step: ``done`` of ``total``."""
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        if done < total:
            self.eta.setText(f"Preparing your drawings: {done:,} of {total:,}…")
        else:  # held-back drawings are scored, the first epoch's distorted, before step 1
            self.eta.setText(f"Rendered {plural(total, 'drawing')}; the first steps follow…")

    def show_scoring(self, done: int, total: int) -> None:
        """The held-back drawings the current model reads before the first step, for the
        before/after comparison: ``done`` of ``total``."""
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self.eta.setText(
            f"Reading the {plural(total, 'held-back drawing')} with the current model: "
            f"{done:,} of {total:,}…"
        )

    def show_distorting(self, epoch: int, done: int, total: int) -> None:
        """An epoch's drawings being distorted afresh before its steps: the bar stays on the
        steps, the line under it says what the pause is."""
        self.eta.setText(f"Epoch {epoch}: distorting your drawings afresh, {done:,} of {total:,}…")

    def show_progress(self, figures: FineTuneProgress) -> None:
        self.progress.setRange(0, figures.total_steps)
        self.progress.setValue(figures.step)
        self.eta.setText(
            f"Epoch {figures.epoch} of {figures.epochs} · step {figures.step} of "
            f"{figures.total_steps} · about {figures.eta:.0f} s left"
        )
        if figures.point is not None:
            self.curves.add_point(figures.point, figures.total_steps)

    def show_report(self, report: FineTuneReport) -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(0 if report.cancelled else 1)
        self.eta.setText(f"Finished in {report.wall_time:.1f} s" if not report.cancelled else " ")
        self.verdict.setText(verdict(report))
        announce(self, short_verdict(report))  # the person may be drawing meanwhile
        if report.cancelled:
            self.set_state("idle")
            return
        self.curves.set_points(list(report.curve), report.steps)
        self.table.show_report(report)
        chars, counts = report.confusion()
        self.confusion.set_matrix(chars, counts)
        self.set_state("deciding")
        _reveal(self.keep_button)  # on a small screen the page scrolls to the decision

    def show_failure(self, message: str) -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.eta.setText(" ")
        self.verdict.setText(message)
        self.set_state("idle")
        announce(self, f"The fine-tune failed: {message}")


def _reveal(widget: QWidget) -> None:
    """Scroll every scroll area around `widget` so that it is in view."""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QScrollArea):
            parent.ensureWidgetVisible(widget)
        parent = parent.parentWidget()


def duration_text(seconds: float) -> str:
    """'25 s', '3 min', rounded the way a person says it."""
    if seconds < 90:
        return f"{max(5, 5 * round(seconds / 5)):.0f} s"
    return f"{round(seconds / 60):.0f} min"
