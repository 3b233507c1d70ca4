"""Render the window offscreen with one built-in drawing recognised, and save it as a PNG.

`python -m ocrpad.devtools.screenshot assets/screenshot.png [--weights FILE] [--char R] [--dark]`
makes the README's screenshot; the drawing goes in through real mouse events, like a user's.
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
from ocrpad.launch.selftest import load_drawings


def fit_to_widget(
    strokes: tuple[np.ndarray, ...], widget: QWidget, fill: float = 0.7
) -> list[list[tuple[float, float]]]:
    """Scale and centre strokes ((k, 2) any units) to `fill` of the widget's shorter side."""
    points = np.concatenate(strokes)
    low, high = points.min(axis=0), points.max(axis=0)
    scale = fill * min(widget.width(), widget.height()) / float((high - low).max())
    centre = np.array([widget.width(), widget.height()]) / 2 - (low + high) / 2 * scale
    return [[(float(x), float(y)) for x, y in s * scale + centre] for s in strokes]


def draw(widget: QWidget, strokes: list[list[tuple[float, float]]]) -> None:
    """Press, drag and release along each stroke with the left button, as a user would."""
    for stroke in strokes:
        send_mouse(widget, QEvent.Type.MouseButtonPress, stroke[0], True)
        for xy in stroke[1:]:
            send_mouse(widget, QEvent.Type.MouseMove, xy, True)
        send_mouse(widget, QEvent.Type.MouseButtonRelease, stroke[-1], False)


def _settle(app: QApplication, seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.005)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ocrpad.devtools.screenshot")
    parser.add_argument("output", type=Path)
    parser.add_argument("--weights", type=Path, default=None)
    parser.add_argument("--char", default="R", help="which built-in drawing to recognise")
    parser.add_argument("--size", default="1100x720", help="window size WxH")
    parser.add_argument("--dark", action="store_true")
    parser.add_argument(
        "--wait",
        type=float,
        default=300.0,
        help="seconds to wait for the first layers' ideal inputs (0: shoot at once)",
    )
    args = parser.parse_args(argv)
    drawings = {d.label: d for d in load_drawings()}
    if args.char not in drawings:
        parser.error(
            f"no built-in drawing of {args.char!r}; choose from {''.join(sorted(drawings))}"
        )
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    from ocrpad.app.main import create_main_window

    drawing = drawings[args.char]
    with tempfile.TemporaryDirectory() as folder:
        settings = QSettings(str(Path(folder) / "s.ini"), QSettings.Format.IniFormat)
        window = create_main_window(args.weights, Path(folder) / "data", settings=settings)
        window.set_theme("dark" if args.dark else "light")
        width, height = (int(v) for v in args.size.split("x"))
        window.resize(width, height)
        window.show()
        _settle(app, 0.2)
        canvas = window.draw.canvas
        draw(canvas, fit_to_widget(drawing.strokes, canvas))
        _settle(app, 0.5)
        _wait_for_ideal_inputs(app, window, args.wait)
        ok = window.grab().save(str(args.output))
        label = window.current.label if window.current else "nothing"
        print(f"drew {drawing.name!r}, the window shows {label!r}; saved {args.output}: {ok}")
        window.close()
    return 0 if ok else 1


def _wait_for_ideal_inputs(app: QApplication, window: MainWindow, seconds: float) -> None:
    """Let the ideal inputs in view (the first two conv layers) arrive, for `seconds` at most."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        if not any(section.pending for section in window.draw.feature_maps.sections()[:4]):
            return
        _settle(app, 0.5)


if __name__ == "__main__":
    raise SystemExit(main())
