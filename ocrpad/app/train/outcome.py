"""What the Fine-tune column shows when a fine-tune ends: its report, how far the filters moved
and the verdict. Showing them is guarded: a failure there (a bug) never leaves the panel
"running", with Cancel as its only button, for good."""

from __future__ import annotations

import traceback

from ocrpad.app.draw.spoken import announce
from ocrpad.app.train.panel import FineTunePanel, short_verdict, verdict
from ocrpad.app.train.worker import TrainResult
from ocrpad.app.words import plural


def show_result(panel: FineTunePanel, result: TrainResult) -> str:
    """Show a finished or cancelled fine-tune in ``panel``, the verdict naming a drawing it
    left out; returns the gist, for the status bar. Whatever goes wrong on the way, the panel
    ends usable: "deciding" (the model can still be kept) or, after a cancel, "idle"."""
    try:
        report = result.report
        panel.show_report(report)
        panel.drift.set_drift(result.drift, result.drift_problem)
        skipped = report.skipped
        note = f" Left out {plural(len(skipped), 'drawing')}: {skipped[0]}" if skipped else ""
        panel.verdict.setText(verdict(report) + note)  # said there only; the status bar
        return short_verdict(report)  # gets the gist
    except Exception as exc:  # a bug: said, and the panel is not left "running"
        traceback.print_exc()
        return _unshown(panel, result, exc)


def _unshown(panel: FineTunePanel, result: TrainResult, error: Exception) -> str:
    cancelled = result.report.cancelled
    panel.progress.setRange(0, 1)
    panel.progress.setValue(0 if cancelled else 1)
    panel.eta.setText(" ")
    then = (
        "The current model stays in use."
        if cancelled
        else "Keep the new model or discard it; the current model stays in use until you keep it."
    )
    panel.verdict.setText(
        f"The fine-tune {'was cancelled' if cancelled else 'finished'}, but its results could "
        f"not be shown (an internal error: {error!r}). {then}"
    )
    panel.set_state("idle" if cancelled else "deciding")
    said = "Fine-tune cancelled." if cancelled else "Fine-tune finished: keep or discard it."
    announce(panel, said)
    return f"{said} Its results could not be shown (see Fine-tune)."
