"""What the commands print goes to whoever reads it: a path their output cannot encode is
escaped, and a reader that stops early is not an error.

A file name that is not valid UTF-8 (a folder named in Latin-1, kept by Python as surrogate
escapes) cannot be written to a strict UTF-8 stdout, as under a usual desktop locale: printing
it raised UnicodeEncodeError. `ocrpad-train --print-recipe | head` closes the pipe after ten
lines: the next write raises BrokenPipeError, which ended with "error: [Errno 32] Broken pipe"
or a traceback."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import TypeVar

from ocrpad.launch.console import escape_unencodable_output

Main = TypeVar("Main", bound=Callable[..., int])


def quiet_when_the_reader_leaves(main: Main) -> Main:
    """Wrap a command's `main` so that what its output cannot encode is printed as escapes
    (``\\udce9``), as the app's own output is, and a closed stdout ends it quietly with
    status 1."""

    @functools.wraps(main)
    def run(*args: object, **kwargs: object) -> int:
        escape_unencodable_output()
        try:
            return main(*args, **kwargs)
        except BrokenPipeError:
            # Python flushes stdout again at exit: point it at nothing so that flush is silent
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return 1

    return run  # type: ignore[return-value]
