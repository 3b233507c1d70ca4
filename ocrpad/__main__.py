"""``ocrpad`` / ``python -m ocrpad``: start the app, or run ``--self-test``; the bundle's entry.

The self-test and ``--version`` never import Qt, so they run without a display. The app is
imported lazily, only when it is about to start.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from ocrpad import __version__, qt_libraries

STARTUP_PROBE_ENV: Final = "OCRPAD_STARTUP_PROBE"
"""Launch time as ``time.time()`` seconds: set by a launcher that measures startup, or by
``--startup-time`` (when unset). An app that honours it prints
``startup: <seconds> s to a visible window`` once its main window is shown, then quits.
"""


def build_parser() -> argparse.ArgumentParser:
    """The command line: ``ocrpad [--self-test] [--weights FILE] [--data-dir DIR]``."""
    parser = argparse.ArgumentParser(
        prog="ocrpad",
        description="Draw a character; a convolutional network written in NumPy reads it live.",
    )
    parser.add_argument("--version", action="version", version=f"ocrpad {__version__}")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="load the model, recognise the built-in drawings, check the data folder; "
        "exit 0 if all is well, else print what failed and exit 1 (needs no display)",
    )
    parser.add_argument(
        "--weights", type=Path, metavar="FILE", help="model file (default: the shipped model)"
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help="user data folder (default: $OCRPAD_DATA_DIR or the platform data folder)",
    )
    parser.add_argument("--startup-time", action="store_true", help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the self-test or the app; returns the exit status."""
    start = time.time()
    args, rest = build_parser().parse_known_args(argv)
    if args.self_test:
        from ocrpad import selftest

        _borrow_parent_console()
        return selftest.run(weights=args.weights, data_dir=args.data_dir)
    if args.startup_time:
        os.environ.setdefault(STARTUP_PROBE_ENV, repr(start))
    if args.data_dir is not None:
        os.environ["OCRPAD_DATA_DIR"] = str(args.data_dir)
    if args.weights is not None:
        os.environ["OCRPAD_WEIGHTS"] = str(args.weights)
    sys.argv = [sys.argv[0], *rest]  # leave only Qt's own options (e.g. -platform) for the app
    problem = qt_libraries.startup_problem(rest)
    if problem is not None:  # Qt would abort with a misleading message: say what is missing
        print(problem, file=sys.stderr)
        return 1
    from ocrpad.app.main import main as app_main

    return app_main()


def _borrow_parent_console() -> None:
    """A windowed Windows build starts without stdout: write to the calling console, if any."""
    if os.name != "nt" or sys.stdout is not None:
        return
    import ctypes

    kernel32 = getattr(ctypes, "windll").kernel32  # noqa: B009  (exists on Windows only)
    if kernel32.AttachConsole(-1):  # ATTACH_PARENT_PROCESS
        sys.stdout = Path("CONOUT$").open("w", encoding="utf-8")  # noqa: SIM115  (process-long)
        sys.stderr = sys.stdout


if __name__ == "__main__":
    sys.exit(main())
