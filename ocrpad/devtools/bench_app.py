"""The app-level figures of ``ocrpad-bench``: the real window's stroke-to-answer latency and
stamina, and the explanation timings.

The window runs in a child process (``python -m ocrpad.devtools.gui_bench``) with the offscreen Qt
platform, so the command-line package itself never imports Qt.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from ocrpad import resources
from ocrpad.model import Model


def app_figures(model: Model, *, gui: bool, explain: bool, drawings: int) -> None:
    """Print the window's latency and stamina over `drawings` recognitions (a child process;
    `model` is saved for it when no default weights are installed), then the explanation
    timings of `model`."""
    if gui:
        with tempfile.TemporaryDirectory() as folder:
            weights = None
            if not resources.default_weights_path().is_file():
                weights = Path(folder) / "bench-model.npz"
                model.save(weights)
            try:
                print_gui_figures(gui_figures(weights, drawings))
            except RuntimeError as exc:
                print(f"\nwindow figures not measured: {exc}")
    if explain:
        print_explain_figures(model)


def gui_figures(weights: Path | None, recognitions: int) -> dict[str, Any]:
    """Run the GUI bench in a child process and return its JSON result.

    Raises RuntimeError with the child's own words when it fails, ValueError for fewer than
    one recognition (there would be no latency to report).
    """
    if recognitions < 1:
        raise ValueError(f"the window's figures need at least 1 recognition, not {recognitions}")
    command = [sys.executable, "-m", "ocrpad.devtools.gui_bench", "--json", "-n", str(recognitions)]
    if weights is not None:
        command += ["--weights", str(weights)]
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    lines = done.stdout.strip().splitlines()
    if not lines:
        raise RuntimeError(f"the GUI bench printed nothing: {done.stderr.strip()[-500:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def print_gui_figures(figures: dict[str, Any]) -> None:
    """The window's figures, one per line, with the targets they answer to."""
    n = figures["recognitions"]
    print(f"\nwindow, offscreen: {n} drawings, stroke release -> prediction_shown")
    print(
        f"  latency p50 / p95 / max (ms)      {figures['latency_p50_ms']:7.1f} "
        f"{figures['latency_p95_ms']:7.1f} {figures['latency_max_ms']:7.1f}   (target p95 <= 30)"
    )
    print(f"  worker's own time p95 (ms)        {figures['worker_p95_ms']:7.1f}")
    print(
        f"  longest event-loop stall (ms)     {figures['max_stall_ms']:7.1f}   (target <= 16; "
        f"GUI-thread CPU within it {figures['max_stall_cpu_ms']:.1f} ms)"
    )
    print(f"  stalls over 16 ms                 {figures['stalls_over_16ms']:7d}")
    print(f"  memory growth (MB)                {figures['memory_growth_mb']:7.1f}")
    print(
        f"  errors / stale answers            {figures['errors']:7d} {figures['stale_answers']:7d}"
    )


def print_explain_figures(model: Model) -> None:
    """Heat-map and dream timings for ``model`` (imported here: explanations are optional)."""
    from ocrpad.devtools.explain_timings import explain_timings

    timings = explain_timings(model)
    print(
        "\nexplanations (ms; target: a heat map <= 50 after a prediction, a neuron's trace"
        " <= 50 after a click, a dream <= 3000)"
    )
    rows = (
        ("occlusion heat map (the window's default)", "heatmap_occlusion_ms"),
        ("Grad-CAM heat map", "heatmap_gradcam_ms"),
        ("saliency heat map", "heatmap_saliency_ms"),
        ("one class dream", "dream_class_ms"),
        ("per class in the gallery", "dream_per_class_in_gallery_ms"),
        ("neuron trace after a click (pass + path)", "neuron_trace_ms"),
    )
    for label, key in rows:
        print(f"  {label:<44} {timings[key]:8.1f}")
