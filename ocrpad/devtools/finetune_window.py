"""Time fine-tunes as the Train tab runs them, beside the estimate it showed before Start.

    python -m ocrpad.devtools.finetune_window --data ../shared/data/unipen \\
        [--data ../shared/data/unipen-symbols] [--drawings 100 300 500] [--weights FILE] [--json]

For each count N: a fresh store holds N drawings of the test split's writers, the real Train
tab (offscreen) measures this computer's speed and shows its estimate, Start is clicked with
the mouse, and the seconds from the click until the tab shows the outcome are printed beside
the estimate (the exact figure and the rounded one on screen), the fine-tune's own time by
phase and the machine's load. Each count gets a new tab, which measures again; the rehearsal
set is rendered once, by the first measurement, as in a session of the app.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QCoreApplication, QEventLoop, QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from ocrpad.app.train.tab import TrainTab
from ocrpad.data.combine import load_split
from ocrpad.data.samples import SampleStore
from ocrpad.learning.finetune_plan import DEFAULT_SETTINGS, estimate_seconds
from ocrpad.learning.finetune_report import FineTuneReport
from ocrpad.model import Model, load_model

WAIT_S = 600.0  # longest wait for one measurement or fine-tune


def _wait_until(condition: Any, timeout: float = WAIT_S) -> None:
    """Run the event loop until ``condition()`` is true (TimeoutError after ``timeout`` s)."""
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the Train tab did not answer in time")
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        time.sleep(0.002)


def shown_seconds(text: str) -> float | None:
    """The '25 s' or '3 min' of the tab's 'Fine-tuning will take about …' sentence."""
    found = re.search(r"take about (\d+) (s|min)", text)
    if found is None:
        return None
    return float(found.group(1)) * (60 if found.group(2) == "min" else 1)


def time_one(tab: TrainTab, drawings: int) -> dict[str, Any]:
    """Wait for the tab's estimate of its ``drawings`` stored drawings, click Start, wait
    for the outcome."""
    _wait_until(lambda: tab.measured is not None)
    measured = tab.measured
    if measured is None or measured.speed is None:  # _wait_until returned: a failed measure
        raise SystemExit("finetune_window: no speed was measured")
    shown = shown_seconds(tab.panel.summary.text())
    estimate = estimate_seconds(drawings, DEFAULT_SETTINGS, measured.speed, measured.rehearsal)
    outcome: list[FineTuneReport | None] = []
    tab.fine_tune_done.connect(outcome.append)
    button = tab.panel.start_button
    start = time.perf_counter()
    QTest.mouseClick(button, Qt.MouseButton.LeftButton, pos=QPoint(button.width() // 2, 5))
    _wait_until(lambda: bool(outcome))
    seconds = time.perf_counter() - start
    tab.fine_tune_done.disconnect(outcome.append)
    report = outcome[0]
    if report is None:
        raise SystemExit(f"finetune_window: the fine-tune failed: {tab.status.text()}")
    tab.discard()
    return {
        "drawings": drawings,
        "seconds": seconds,
        "estimate": estimate,
        "estimate_shown": shown,
        "steps": report.steps,
        "fine_tune_seconds": report.wall_time,
        **{f"{phase}_seconds": t for phase, t in report.phases.items()},
        "load": os.getloadavg()[0],
    }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="finetune_window", description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True, action="append",
                        help="folder with *-test.npz (repeat to combine)")  # fmt: skip
    parser.add_argument("--drawings", type=int, nargs="+", default=[100, 300, 500])
    parser.add_argument("--weights", type=Path, default=None, help="model file (default: shipped)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    test = load_split(args.data, "test")
    if test is None:
        raise SystemExit(f"finetune_window: no *-test.npz in {args.data}")
    model: Model = load_model(args.weights)
    chars = test.characters()
    _app = QApplication.instance() or QApplication(sys.argv[:1])  # kept alive to the end
    rows_out = []
    with tempfile.TemporaryDirectory() as folder:
        for k, count in enumerate(args.drawings):
            rows = np.random.default_rng([args.seed, k]).choice(len(test), count, replace=False)
            with SampleStore(Path(folder) / f"samples-{k}.sqlite", renderer=None) as store:
                strokes = [test.strokes(int(i)) for i in rows]
                store.add_many(strokes, [chars[int(i)] for i in rows], "prompt")
                tab = TrainTab(store, lambda: model)  # measures at once: it has drawings
                tab.resize(1200, 700)
                tab.show()
                row = time_one(tab, count)
                tab.shutdown()
                tab.deleteLater()
            print(f"fine-tune of {count} drawings in the window: {row}", file=sys.stderr)
            rows_out.append(row)
    print(json.dumps(rows_out) if args.json else json.dumps(rows_out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
