"""How soon the heat map follows a prediction in the real window (offscreen).

`python -m ocrpad.devtools.explain_bench [--weights FILE] [-n N] [--method gradcam] [--json]`
draws random strokes with real mouse events, the heat-map overlay on, and reports the time
from the window showing a prediction to it showing that prediction's heat map.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QEventLoop

from ocrpad.devtools.gui_bench import random_stroke, send_mouse, throwaway_window
from ocrpad.explain.attribution import METHODS, Method


def run_heatmap_bench(
    model_path: str | Path | None = None,
    *,
    count: int = 40,
    warmup: int = 5,
    method: Method = "occlusion",
    seed: int = 0,
) -> dict[str, float]:
    """Percentiles (ms) of prediction shown -> heat map shown over `count` strokes."""
    with throwaway_window(model_path) as (app, window):
        latencies = _drive(app, window, count, warmup, method, seed)
    values = np.array(latencies) if latencies else np.full(1, np.nan)
    return {
        "heatmaps": float(len(latencies)),
        "heatmap_after_prediction_p50_ms": float(np.percentile(values, 50)),
        "heatmap_after_prediction_p95_ms": float(np.percentile(values, 95)),
        "heatmap_after_prediction_max_ms": float(values.max()),
    }


def _drive(
    app: Any, window: Any, count: int, warmup: int, method: Method, seed: int
) -> list[float]:
    window.resize(1100, 720)
    window.show()
    app.processEvents()
    explain, canvas = window.explain, window.draw.canvas
    explain.method_actions[method].setChecked(True)
    explain.toggle.setChecked(True)
    shown: list[object] = []
    explain.heatmap_shown.connect(shown.append)
    rng = np.random.default_rng(seed)
    latencies: list[float] = []
    for index in range(warmup + count):
        if canvas.history.strokes and rng.random() < 0.4:
            canvas.clear()
        before = len(shown)
        points = random_stroke(rng, canvas.width(), canvas.height())
        send_mouse(canvas, QEvent.Type.MouseButtonPress, points[0], True)
        for xy in points[1:]:
            send_mouse(canvas, QEvent.Type.MouseMove, xy, True)
        send_mouse(canvas, QEvent.Type.MouseButtonRelease, points[-1], False)
        deadline = time.perf_counter() + 5.0
        while len(shown) == before and time.perf_counter() < deadline:
            app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 50)
        if index >= warmup and len(shown) > before and explain.latency_ms is not None:
            latencies.append(float(explain.latency_ms))
    return latencies


def main(argv: list[str] | None = None) -> int:
    """Print the figures (one JSON object with --json)."""
    import argparse
    import json

    parser = argparse.ArgumentParser(prog="python -m ocrpad.devtools.explain_bench")
    parser.add_argument("--weights", type=Path, default=None, help="model file (default: shipped)")
    parser.add_argument("-n", "--count", type=int, default=40)
    parser.add_argument("--method", default="occlusion", choices=list(METHODS))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = run_heatmap_bench(args.weights, count=args.count, method=args.method)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>33}: {value:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
