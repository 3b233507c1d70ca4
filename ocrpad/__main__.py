"""``ocrpad`` / ``python -m ocrpad``: start the app, or run a command-line action; the bundle's
entry.

The actions (``--version``, ``--self-test``, ``--read``, ``--install-desktop-entry``) never
import Qt, so they run without a display. The app is imported lazily, only when it is about to
start. A windowed Windows build first attaches to the console it was started from, if any.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from ocrpad import __version__
from ocrpad.launch import console, qt_libraries

STARTUP_PROBE_ENV: Final = "OCRPAD_STARTUP_PROBE"
"""Launch time as ``time.time()`` seconds: set by a launcher that measures startup, or by
``--startup-time`` (when unset). An app that honours it prints
``startup: <seconds> s to a visible window`` once its main window is shown, then quits.
"""


def build_parser() -> argparse.ArgumentParser:
    """The command line: ``ocrpad [ACTION] [--weights FILE] [--data-dir DIR]``."""
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
        "--report",
        type=Path,
        metavar="FILE",
        help="with --self-test: also write its report to FILE (the windowed Windows build has "
        "no console when started from Explorer)",
    )
    parser.add_argument(
        "--read",
        type=Path,
        metavar="PICTURE",
        help="recognise a picture (PNG, JPG) of one character and print the answer, without "
        "opening the window",
    )
    parser.add_argument(
        "--install-desktop-entry",
        action="store_true",
        help="Linux: add ocrpad (this copy) to your applications menu, under "
        "$XDG_DATA_HOME or ~/.local/share",
    )
    parser.add_argument(
        "--uninstall-desktop-entry",
        action="store_true",
        help="Linux: remove the menu entry that --install-desktop-entry added",
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


def _action(args: argparse.Namespace) -> str | None:
    """The command-line action asked for (its option), or None for the window.

    An action never starts Qt, so options it does not know cannot be Qt's: they are refused
    rather than ignored (``--self-test --weigths other.npz`` would test the shipped model).
    """
    if args.self_test:
        return "--self-test"
    if args.read is not None:
        return "--read"
    if args.install_desktop_entry:
        return "--install-desktop-entry"
    if args.uninstall_desktop_entry:
        return "--uninstall-desktop-entry"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the action asked for, or the app; returns the exit status."""
    start = time.time()
    console.attach_parent_console()
    console.escape_unencodable_output()
    parser = build_parser()
    # known args only: what is left over goes to Qt (-platform, -style …) when the window opens
    args, rest = parser.parse_known_args(argv)
    if args.report is not None and not args.self_test:
        parser.error("--report goes with --self-test")
    action = _action(args)
    if action is not None and rest:  # no Qt here: a leftover is a mistyped option, not Qt's
        parser.error(f"unrecognized arguments with {action}: {' '.join(rest)}")
    if args.self_test:
        from ocrpad.launch import selftest

        return selftest.run(weights=args.weights, data_dir=args.data_dir, report=args.report)
    if args.read is not None:
        from ocrpad.launch import read_picture

        return read_picture.run(args.read, weights=args.weights)
    if args.install_desktop_entry or args.uninstall_desktop_entry:
        from ocrpad.launch import desktop_entry

        return desktop_entry.run(install_entry=args.install_desktop_entry)
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


if __name__ == "__main__":
    sys.exit(main())
