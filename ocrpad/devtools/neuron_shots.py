"""The neuron panel driven by real clicks: screenshots and the click-to-trace latency.

`python -m ocrpad.devtools.neuron_shots OUT_DIR [--char R] [--clicks 40] [--readme FILE]` draws
a built-in character through mouse events, enlarges feature maps by clicking them, clicks
cells of the enlarged maps and saves the window and the panel as PNGs (one per layer kind,
and one of the answer's output unit), then prints how long the window took from each click
on a cell to the panel showing its trace.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QSettings
from PySide6.QtWidgets import QApplication, QWidget

from ocrpad.app.main_window import MainWindow
from ocrpad.devtools.gui_bench import send_mouse
from ocrpad.devtools.screenshot import _settle, draw, fit_to_widget
from ocrpad.launch.selftest import load_drawings


def click(widget: QWidget, xy: tuple[float, float]) -> None:
    """A left click (press and release) at xy in the widget's coordinates."""
    send_mouse(widget, QEvent.Type.MouseButtonPress, xy, True)
    send_mouse(widget, QEvent.Type.MouseButtonRelease, xy, False)


def enlarge(window: MainWindow, layer: str, index: int) -> None:
    """Click map `index` of `layer` in the feature-map viewer (opens the enlarged map)."""
    view = window.draw.feature_maps
    for rect, section, number in view.grid._hits:
        if view.grid.sections[section].maps.name == layer and number == index:
            view.ensureVisible(int(rect.center().x()), int(rect.center().y()))
            click(view.grid, (rect.center().x(), rect.center().y()))
            return
    raise KeyError(f"no map {index} of {layer} in the viewer")


def click_cell(window: MainWindow, row: int, col: int) -> float:
    """Click cell (row, col) of the enlarged map; returns perf_counter() at the click."""
    dialog = window.draw.feature_maps.dialog
    assert dialog is not None
    label = dialog.image_label
    pixmap = label.pixmap()
    h, w = label.cells
    left = (label.width() - pixmap.width()) / 2
    top = (label.height() - pixmap.height()) / 2
    xy = (left + (col + 0.5) * pixmap.width() / w, top + (row + 0.5) * pixmap.height() / h)
    start = time.perf_counter()
    click(label, xy)
    return start


def wait_for_trace(app: QApplication, window: MainWindow, timeout: float = 5.0) -> float:
    """Process events until the neuron panel shows a new trace; returns when it did."""
    neuron = window.explain.neuron
    shown: list[float] = []
    neuron.trace_shown.connect(lambda _: shown.append(time.perf_counter()))
    end = time.perf_counter() + timeout
    while not shown and time.perf_counter() < end:
        app.processEvents()
    neuron.trace_shown.disconnect()
    if not shown:
        raise TimeoutError("the neuron panel showed no trace")
    return shown[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ocrpad.devtools.neuron_shots")
    parser.add_argument("out", type=Path)
    parser.add_argument("--char", default="R")
    parser.add_argument("--clicks", type=int, default=40, help="timed clicks on cells")
    parser.add_argument("--dark", action="store_true")
    parser.add_argument("--readme", type=Path, help="also save the conv3 panel here")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    from ocrpad.app.main import create_main_window

    args.out.mkdir(parents=True, exist_ok=True)
    drawing = next(d for d in load_drawings() if d.label == args.char)
    with tempfile.TemporaryDirectory() as folder:
        settings = QSettings(str(Path(folder) / "s.ini"), QSettings.Format.IniFormat)
        window = create_main_window(None, Path(folder) / "data", settings=settings)
        window.set_theme("dark" if args.dark else "light")
        window.resize(1100, 720)
        window.show()
        _settle(app, 0.3)
        canvas = window.draw.canvas
        draw(canvas, fit_to_widget(drawing.strokes, canvas))
        _settle(app, 0.8)
        shots = [("conv3", 5, 6, 7), ("pool2", 3, 7, 6), ("conv1", 9, 14, 12)]
        for layer, index, row, col in shots:
            enlarge(window, layer, index)
            _settle(app, 0.1)
            click_cell(window, row, col)
            wait_for_trace(app, window)
            _settle(app, 0.2)
            panel = window.explain.neuron.panel
            assert panel is not None
            panel.grab().save(str(args.out / f"neuron-{layer}.png"))
            if args.readme is not None and layer == "conv3":
                panel.grab().save(str(args.readme))
        window.explain.neuron.jump("out")  # the answer's output unit: its logit and softmax
        wait_for_trace(app, window)
        _settle(app, 0.2)
        panel = window.explain.neuron.panel
        assert panel is not None
        panel.grab().save(str(args.out / "neuron-out.png"))
        window.grab().save(str(args.out / "neuron-window.png"))
        times = []
        rng = np.random.default_rng(0)
        for k in range(args.clicks):
            layer = ("conv1", "conv2", "pool2", "conv3", "conv4", "pool4", "conv5", "pool5")[k % 8]
            enlarge(window, layer, int(rng.integers(8)))
            side = window.draw.feature_maps.dialog.image_label.cells[0]  # type: ignore[union-attr]
            start = click_cell(window, int(rng.integers(side)), int(rng.integers(side)))
            times.append(1000 * (wait_for_trace(app, window) - start))
        ms = np.array(times)
        print(
            f"click on a cell -> neuron panel shows its trace, {len(ms)} clicks: "
            f"median {np.median(ms):.1f} ms, p95 {np.percentile(ms, 95):.1f} ms, "
            f"max {ms.max():.1f} ms (load {os.getloadavg()[0]:.2f})"
        )
        window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
