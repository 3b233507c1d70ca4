"""How long one mouse move takes while a long stroke is drawn (the canvas alone, offscreen).

``python -m ocrpad.devtools.canvas_bench [--points 8000]`` drags one spiral stroke of that many
points across a 600x600 canvas, repainting after every move as a screen would, and prints the
median time per move (event + repaint) for each stretch of the stroke: the cost should stay
flat as the stroke grows.
"""

from __future__ import annotations

import argparse
import itertools
import os
import time

import numpy as np
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication


def _mouse(kind: QEvent.Type, pos: QPointF) -> QMouseEvent:
    pressed = kind == QEvent.Type.MouseButtonPress
    button = Qt.MouseButton.LeftButton if pressed else Qt.MouseButton.NoButton
    held = Qt.MouseButton.LeftButton
    return QMouseEvent(kind, pos, pos, button, held, Qt.KeyboardModifier.NoModifier)


def move_costs(points: int, stretches: int = 8) -> list[tuple[int, float]]:
    """(points drawn so far, median ms per move over the stretch that ends there)."""
    from ocrpad.app.draw.canvas import Canvas

    canvas = Canvas()
    canvas.resize(600, 600)
    canvas.show()
    QApplication.processEvents()
    turns = np.linspace(0.0, 60 * np.pi, points)
    radius = 20 + 260 * turns / turns[-1]
    xy = np.stack([300 + radius * np.cos(turns), 300 + radius * np.sin(turns)], axis=1)
    canvas.mousePressEvent(_mouse(QEvent.Type.MouseButtonPress, QPointF(*xy[0])))
    times = np.zeros(points - 1)
    for n, (x, y) in enumerate(xy[1:]):
        start = time.perf_counter()
        canvas.mouseMoveEvent(_mouse(QEvent.Type.MouseMove, QPointF(float(x), float(y))))
        canvas.repaint()  # what the screen does between two moves
        times[n] = time.perf_counter() - start
    canvas.close()
    edges = np.linspace(0, len(times), stretches + 1).astype(int)
    return [(int(b) + 1, 1000 * float(np.median(times[a:b]))) for a, b in itertools.pairwise(edges)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ocrpad.devtools.canvas_bench")
    parser.add_argument("--points", type=int, default=8000, help="points in the stroke")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QApplication.instance() or QApplication([])
    assert app is not None
    for drawn, ms in move_costs(args.points):
        print(f"after {drawn:6d} points: {ms:6.2f} ms per move (median of its stretch)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
