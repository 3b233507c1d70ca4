"""Drive the real window offscreen: stroke-release → prediction_shown latency, event-loop stalls
and memory growth over many recognitions. `ocrpad-bench --gui` calls run_gui_bench()."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QEventLoop, QPointF, QSettings, Qt, QTimer
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QWidget


@dataclass(frozen=True)
class GuiBenchResult:
    """Latencies in ms from each stroke release to prediction_shown; stall = the longest gap
    between 1 ms timer ticks while waiting (GUI thread busy); memory = RSS growth after warm-up."""

    recognitions: int
    latency_p50_ms: float
    latency_p95_ms: float
    latency_max_ms: float
    worker_p95_ms: float  # the worker's own time per drawing: preprocess, network, map colours
    max_stall_ms: float
    max_stall_cpu_ms: float  # GUI-thread CPU time within that longest gap: our own work
    stalls_over_16ms: int
    memory_growth_mb: float
    errors: int
    stale_answers: int  # waits that ended without the newest drawing's answer on screen

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def rss_mb() -> float:
    """Resident memory of this process in MB (Linux /proc; elsewhere peak RSS)."""
    statm = Path("/proc/self/statm")
    if statm.is_file():
        pages = int(statm.read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def random_stroke(rng: np.random.Generator, width: int, height: int) -> list[tuple[float, float]]:
    """A smooth random pen trace inside the widget: (x, y) widget pixels."""
    steps = int(rng.integers(8, 30))
    turn = np.cumsum(rng.normal(0.0, 0.35, steps))
    step = min(width, height) / 40
    xy = np.cumsum(np.stack([np.cos(turn), np.sin(turn)], axis=1) * step, axis=0)  # (steps, 2)
    start = rng.uniform(0.25, 0.75, 2) * (width, height)
    points = np.clip(xy + start, 2, (width - 2, height - 2))
    return [(float(x), float(y)) for x, y in points]


def send_mouse(widget: QWidget, kind: QEvent.Type, xy: tuple[float, float], held: bool) -> None:
    pos = QPointF(*xy)
    button = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseMove else Qt.MouseButton.LeftButton
    buttons = Qt.MouseButton.LeftButton if held else Qt.MouseButton.NoButton
    event = QMouseEvent(
        kind, pos, QPointF(widget.mapToGlobal(pos)), button, buttons, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(widget, event)


class _Probe:
    """Counts timer ticks to find the longest stall and records when predictions are shown."""

    def __init__(self) -> None:
        self.last_tick = time.perf_counter()
        self.last_cpu = time.thread_time()
        self.max_gap = 0.0
        self.max_gap_cpu = 0.0
        self.long_gaps = 0
        self.shown_at: float | None = None
        self.compute_ms: list[float] = []
        self.errors = 0

    def tick(self) -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        gap = now - self.last_tick
        self.long_gaps += gap > 0.016
        if gap > self.max_gap:
            self.max_gap, self.max_gap_cpu = gap, cpu - self.last_cpu
        self.last_tick, self.last_cpu = now, cpu

    def reset(self) -> None:
        self.max_gap = self.max_gap_cpu = 0.0
        self.long_gaps = self.errors = 0
        self.compute_ms = []

    def shown(self, prediction: object) -> None:
        self.shown_at = time.perf_counter()
        self.compute_ms.append(float(getattr(prediction, "compute_ms", 0.0)))

    def error(self, _: str) -> None:
        self.errors += 1


def run_gui_bench(
    model_path: str | Path | None = None,
    *,
    recognitions: int = 300,
    warmup: int = 20,
    seed: int = 0,
    size: tuple[int, int] = (1100, 720),
    progress: Callable[[int, int], None] | None = None,
) -> GuiBenchResult:
    """Draw random strokes on the real window offscreen; each release is one recognition.
    ValueError for fewer than one: percentiles of no latencies would be made-up figures."""
    if recognitions < 1:
        raise ValueError(f"the GUI bench needs at least 1 recognition, not {recognitions}")
    with throwaway_window(model_path) as (app, window):
        return _drive(app, window, recognitions, warmup, seed, size, progress)


@contextmanager
def throwaway_window(model_path: str | Path | None) -> Iterator[tuple[QApplication, Any]]:
    """(app, main window) with its settings and data in a temporary folder, closed afterwards;
    the offscreen platform unless QT_QPA_PLATFORM says otherwise."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    from ocrpad.app.main import create_main_window, freeze_startup_objects

    with tempfile.TemporaryDirectory() as folder:
        settings = QSettings(str(Path(folder) / "bench.ini"), QSettings.Format.IniFormat)
        window = create_main_window(model_path, Path(folder) / "data", settings=settings)
        freeze_startup_objects()  # as main() does
        try:
            yield app, window
        finally:
            window.close()
            window.deleteLater()
            app.processEvents()


def _drive(
    app: Any,
    window: Any,
    recognitions: int,
    warmup: int,
    seed: int,
    size: tuple[int, int],
    progress: Callable[[int, int], None] | None,
) -> GuiBenchResult:
    window.resize(*size)
    window.show()
    app.processEvents()
    canvas = window.draw.canvas
    probe = _Probe()
    window.prediction_shown.connect(probe.shown)
    window.message_shown.connect(probe.error)
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.timeout.connect(probe.tick)
    timer.start(1)
    rng = np.random.default_rng(seed)
    latencies: list[float] = []
    stale = 0
    base_rss = rss_mb()
    for index in range(warmup + recognitions):
        if index == warmup:
            base_rss = rss_mb()
            probe.reset()
        if canvas.history.strokes and rng.random() < 0.4:
            canvas.clear()
        latency = _one_stroke(app, canvas, probe, rng)
        if window.current is None or window.current.request_id != window.latest_request_id:
            stale += 1
        if index >= warmup:
            latencies.append(latency)
            if progress is not None:
                progress(index - warmup + 1, recognitions)
    timer.stop()
    return _summary(latencies, probe, base_rss, stale)


def _summary(latencies: list[float], probe: _Probe, base_rss: float, stale: int) -> GuiBenchResult:
    values = np.array(latencies)  # run_gui_bench makes at least one
    return GuiBenchResult(
        recognitions=len(latencies),
        latency_p50_ms=float(np.percentile(values, 50)),
        latency_p95_ms=float(np.percentile(values, 95)),
        latency_max_ms=float(values.max()),
        worker_p95_ms=float(np.percentile(probe.compute_ms or [0.0], 95)),
        max_stall_ms=probe.max_gap * 1000.0,
        max_stall_cpu_ms=probe.max_gap_cpu * 1000.0,
        stalls_over_16ms=probe.long_gaps,
        memory_growth_mb=rss_mb() - base_rss,
        errors=probe.errors,
        stale_answers=stale,
    )


def _one_stroke(app: Any, canvas: QWidget, probe: _Probe, rng: np.random.Generator) -> float:
    """Draw one random stroke, wait for its answer; returns release → shown in ms."""
    points = random_stroke(rng, canvas.width(), canvas.height())
    send_mouse(canvas, QEvent.Type.MouseButtonPress, points[0], True)
    for xy in points[1:]:
        send_mouse(canvas, QEvent.Type.MouseMove, xy, True)
    app.processEvents()  # paint the stroke as a user would see it being drawn
    probe.shown_at = None
    released = time.perf_counter()
    send_mouse(canvas, QEvent.Type.MouseButtonRelease, points[-1], False)
    probe.last_tick, probe.last_cpu = time.perf_counter(), time.thread_time()
    deadline = released + 5.0
    while probe.shown_at is None and time.perf_counter() < deadline:
        app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 50)
    shown = probe.shown_at if probe.shown_at is not None else time.perf_counter()
    return (shown - released) * 1000.0


def main(argv: list[str] | None = None) -> int:
    """`python -m ocrpad.devtools.gui_bench [--weights FILE] [-n N] [--json]`: print the figures."""
    import argparse
    import json

    from ocrpad.cli.arguments import whole_number

    parser = argparse.ArgumentParser(prog="python -m ocrpad.devtools.gui_bench")
    parser.add_argument("--weights", type=Path, default=None, help="model file (default: shipped)")
    parser.add_argument("-n", "--recognitions", type=whole_number(1), default=300)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    result = run_gui_bench(args.weights, recognitions=args.recognitions)
    if args.json:
        print(json.dumps(result.as_dict()))
    else:
        for key, value in result.as_dict().items():
            print(f"{key:>18}: {value:.2f}" if isinstance(value, float) else f"{key:>18}: {value}")
    return 0 if result.errors == 0 and result.stale_answers == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
