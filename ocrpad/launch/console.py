"""Text output for the windowed Windows build, which starts without a console.

A windowed (GUI-subsystem) Windows program gets no stdout or stderr: Python sets both to None
and ``print`` writes nowhere. Started from a console (cmd.exe, PowerShell, Git Bash), ocrpad
attaches to that console, so ``--version``, ``--self-test`` and the other command-line options
print where the user typed them; double-clicked from Explorer there is no console to attach to,
and ``--self-test --report FILE`` is the way to read the self-test's lines. The exit status
comes back either way (``start /wait ocrpad.exe --self-test`` in cmd.exe shows it).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Final, Protocol

ATTACH_PARENT_PROCESS: Final = -1
CONSOLE_OUTPUT: Final = "CONOUT$"
"""The Windows name of the attached console's screen buffer."""


class Kernel32(Protocol):
    """The one kernel32 function used (``ctypes.windll.kernel32`` on Windows)."""

    def AttachConsole(self, process_id: int, /) -> int: ...  # noqa: N802  (the Win32 name)


def attach_parent_console(
    kernel32: Kernel32 | None = None, console: str | os.PathLike[str] = CONSOLE_OUTPUT
) -> bool:
    """Point a missing stdout and stderr at the parent process's console, if it has one.

    Returns True when they were attached. Does nothing (False) when stdout already exists (a
    console build, or output redirected to a file or pipe), off Windows, or without a parent
    console. ``kernel32`` and ``console`` stand in for the real ones in tests.
    """
    if sys.stdout is not None:
        return False
    if kernel32 is None:
        if os.name != "nt":
            return False
        import ctypes

        kernel32 = getattr(ctypes, "windll").kernel32  # noqa: B009  (exists on Windows only)
    if not kernel32.AttachConsole(ATTACH_PARENT_PROCESS):
        return False
    try:
        stream = Path(console).open("w", encoding="utf-8", errors="replace")  # noqa: SIM115
    except OSError:
        return False
    stream.reconfigure(line_buffering=True)
    sys.stdout = stream
    if sys.stderr is None:
        sys.stderr = stream
    return True


def escape_unencodable_output() -> None:
    """Write characters the output's encoding lacks as escapes (``\\u0394``) instead of failing.

    A legacy locale (ISO-8859, ASCII) or, on Windows, output redirected to a file in the
    console's code page cannot encode a Greek or Chinese folder name; one such path in a line
    used to end ``--self-test`` with a UnicodeEncodeError after every check had passed."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
