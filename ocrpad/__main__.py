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
from ocrpad.launch.qt_options import split_qt_options

STARTUP_PROBE_ENV: Final = "OCRPAD_STARTUP_PROBE"
"""Launch time as ``time.time()`` seconds: set by a launcher that measures startup, or by
``--startup-time`` (when unset). An app that honours it prints
``startup: <seconds> s to a visible window`` once its main window is shown, then quits.
"""


def build_parser() -> argparse.ArgumentParser:
    """The command line: ``ocrpad [ACTION] [--weights FILE] [--data-dir DIR] [PICTURE]``."""
    parser = argparse.ArgumentParser(
        prog="ocrpad",
        description="Draw a character; a convolutional network written in NumPy reads it live.",
        epilog="Qt's own options (-platform, -style, -reverse …) pass to the window.",
    )
    parser.add_argument(
        "picture",
        nargs="?",
        type=Path,
        help="a picture (PNG, JPG) of one character to open in the window and read",
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


def _actions(args: argparse.Namespace) -> list[str]:
    """The command-line actions asked for (their options); none: the window. An action never
    starts Qt, so Qt's options are refused with it rather than ignored."""
    asked = {
        "--self-test": args.self_test,
        "--read": args.read is not None,
        "--install-desktop-entry": args.install_desktop_entry,
        "--uninstall-desktop-entry": args.uninstall_desktop_entry,
    }
    return [option for option, given in asked.items() if given]


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the action asked for, or the app; returns the exit status."""
    start = time.time()
    console.attach_parent_console()
    console.escape_unencodable_output()
    parser = build_parser()
    ours, rest = split_qt_options(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(ours)  # anything neither ocrpad's nor Qt's is refused
    if args.report is not None and not args.self_test:
        parser.error("--report goes with --self-test")
    actions = _actions(args)
    if len(actions) > 1:  # one would be dropped without a word
        parser.error(f"one action at a time: {' and '.join(actions)}")
    action = actions[0] if actions else None
    if action is not None and rest:  # no Qt here: Qt's options go with the window only
        parser.error(f"unrecognized arguments with {action}: {' '.join(rest)}")
    if action is not None and args.picture is not None:
        parser.error(f"a picture opens in the window, not with {action} (use --read PICTURE)")
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
    sys.argv = [sys.argv[0], *rest]  # leave only Qt's own options (e.g. -platform) for the app
    problem = qt_libraries.startup_problem(rest)
    if problem is not None:  # Qt would abort with a misleading message: say what is missing
        print(problem, file=sys.stderr)
        return 1
    from ocrpad.app.main import main as app_main

    return app_main(weights=args.weights, picture=args.picture)


if __name__ == "__main__":
    sys.exit(main())
