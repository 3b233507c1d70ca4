"""How many of a fast mouse's moves reach the canvas, on a real X11 display.

``python -m ocrpad.devtools.pointer_moves [--rate 1000] [--moves 150] [--strokes 6] [--gap 0]``
starts the window in a child process (Qt's xcb platform on ``$DISPLAY``; under Xvfb, e.g.
``xvfb-run -a``), then drives the system pointer with ``xdotool``: strokes of ``--moves`` moves
along an arc, ``--rate`` moves a second, ``--gap`` seconds between strokes (0: each stroke
starts as the last one's answer is painted). It does so twice, once as the app runs and once
with Qt left to merge queued moves (its X11 default, which `ocrpad.app.main` turns off), and
prints how many points each stroke kept. Needs ``xdotool`` and an X server; offscreen, Qt
merges nothing, so there is nothing to see there.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from ocrpad.app.main_window import MainWindow

READY = "centre"  # the child's first line: "centre X Y" (the canvas's centre on the screen)
STROKE = "stroke"  # then one line a stroke: "stroke N" (its points)


def stroke_command(
    centre: tuple[int, int], moves: int, rate: float, radius: int = 100
) -> list[str]:
    """xdotool's arguments for one stroke: press at the start of an arc of about 290 degrees
    round `centre`, `moves` moves along it `1 / rate` seconds apart, release."""
    cx, cy = centre
    args = ["mousemove", str(cx + radius), str(cy), "mousedown", "1"]
    for i in range(1, moves + 1):
        angle = 5.0 * i / moves
        x, y = round(cx + radius * math.cos(angle)), round(cy + radius * math.sin(angle))
        args += ["sleep", f"{1.0 / rate:.4f}", "mousemove", str(x), str(y)]
    return [*args, "mouseup", "1"]


def child(merge: bool, strokes: int) -> int:
    """The window: prints READY with the canvas's centre, then each stroke's point count,
    and quits after `strokes` strokes (or after two minutes)."""
    from PySide6.QtWidgets import QApplication

    from ocrpad.app.main import create_main_window, keep_every_pointer_move

    app = QApplication(sys.argv[:1])
    if not merge:
        keep_every_pointer_move()
    with tempfile.TemporaryDirectory(prefix="ocrpad-pointer-") as data:
        return _measure(app, create_main_window(data_dir=data), strokes)


def _measure(app: QApplication, window: MainWindow, strokes: int) -> int:
    """Show `window`, print as `child` says, and close it when done."""
    from PySide6.QtCore import QTimer

    window.setGeometry(0, 0, 1100, 720)
    window.show()
    canvas = window.draw.canvas
    seen: list[int] = []

    def changed(drawing: object) -> None:
        if isinstance(drawing, tuple) and drawing and len(drawing) > len(seen):
            seen.append(len(drawing[-1]))
            print(STROKE, seen[-1], flush=True)
            if len(seen) >= strokes:
                QTimer.singleShot(500, app.quit)

    def ready() -> None:
        centre = canvas.mapToGlobal(canvas.rect().center())
        print(READY, centre.x(), centre.y(), flush=True)

    canvas.strokes_changed.connect(changed)
    QTimer.singleShot(1500, ready)
    QTimer.singleShot(120_000, app.quit)
    status = app.exec()
    window.close()
    return status


def _line(stream: IO[str], prefix: str) -> list[str]:
    """The next line of the child's output that starts with `prefix`, split."""
    for line in stream:
        if line.startswith(prefix):
            return line.split()
    raise RuntimeError(f"the window ended before it printed {prefix!r}")


def run(merge: bool, args: argparse.Namespace) -> list[int]:
    """Point counts of the strokes drawn into one window."""
    command = [sys.executable, "-m", "ocrpad.devtools.pointer_moves", "--child"]
    command += ["--strokes", str(args.strokes)] + (["--merge"] if merge else [])
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb"}
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    ) as window:
        assert window.stdout is not None
        _, x, y = _line(window.stdout, READY)
        stroke = stroke_command((int(x), int(y)), args.moves, args.rate)
        for _ in range(args.strokes):
            subprocess.run(["xdotool", *stroke], check=True)
            time.sleep(args.gap)
        counts = [int(_line(window.stdout, STROKE)[1]) for _ in range(args.strokes)]
        window.wait(timeout=60)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ocrpad.devtools.pointer_moves")
    parser.add_argument("--rate", type=float, default=1000.0, help="moves a second")
    parser.add_argument("--moves", type=int, default=150, help="moves a stroke")
    parser.add_argument("--strokes", type=int, default=6)
    parser.add_argument("--gap", type=float, default=0.0, help="seconds between strokes")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--merge", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.merge, args.strokes)
    if shutil.which("xdotool") is None or not os.environ.get("DISPLAY"):
        print("needs xdotool and an X display ($DISPLAY), e.g. under xvfb-run -a", file=sys.stderr)
        return 2
    points = args.moves + 1  # the press, then every move (each lands on a new pixel)
    for merge, name in ((True, "Qt merging queued moves"), (False, "as ocrpad runs")):
        counts = run(merge, args)
        print(f"{name}: {' '.join(map(str, counts))} of {points} points a stroke")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
