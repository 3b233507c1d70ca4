"""Qt's own command-line options, told apart from ocrpad's before the window starts.

Qt reads its options (``-platform offscreen``, ``-style=fusion``; one dash or two) from the
command line it is given and ignores anything else without a word. ocrpad therefore takes out
the options Qt documents for every application, with their values, and parses the rest
strictly: a mistyped ``--weigths`` is refused, not silently dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

WITH_VALUE: Final = frozenset(
    {
        "platform",
        "platformpluginpath",
        "platformtheme",
        "plugin",
        "qwindowgeometry",
        "qwindowicon",
        "qwindowtitle",
        "session",
        "display",
        "geometry",
        "style",
        "stylesheet",
        "qmljsdebugger",
        "dialogs",
        "fontengine",
    }
)
"""Qt options that take a value, as ``-name value`` or ``-name=value``."""
FLAGS: Final = frozenset({"reverse", "widgetcount", "nograb", "dograb", "sync"})
"""Qt options that stand alone."""


def _qt_name(argument: str) -> str | None:
    """The option's name if `argument` is written as one of Qt's (one or two dashes)."""
    if not argument.startswith("-") or argument in ("-", "--"):
        return None
    name = argument.lstrip("-").split("=", 1)[0]
    return name if name in WITH_VALUE or name in FLAGS else None


def split_qt_options(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """argv → (ocrpad's arguments, Qt's options with their values), each in order. After a
    bare ``--`` everything is ocrpad's (a picture whose name starts with a dash)."""
    ours: list[str] = []
    qts: list[str] = []
    index = 0
    while index < len(argv):
        argument = argv[index]
        if argument == "--":
            ours.extend(argv[index:])
            break
        name = _qt_name(argument)
        if argument.startswith("-psn_"):  # macOS's process serial number, from the Finder
            qts.append(argument)
        elif name is None:
            ours.append(argument)
        else:
            qts.append(argument)
            if name in WITH_VALUE and "=" not in argument and index + 1 < len(argv):
                index += 1
                qts.append(argv[index])
        index += 1
    return ours, qts
