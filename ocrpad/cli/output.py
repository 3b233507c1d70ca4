"""What the commands print goes to whoever reads it; a reader that stops early is not an error.

`ocrpad-train --print-recipe | head` closes the pipe after ten lines: the next write raises
BrokenPipeError, which ended with "error: [Errno 32] Broken pipe" or a traceback."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import TypeVar

Main = TypeVar("Main", bound=Callable[..., int])


def quiet_when_the_reader_leaves(main: Main) -> Main:
    """Wrap a command's `main` so that a closed stdout ends it quietly with status 1."""

    @functools.wraps(main)
    def run(*args: object, **kwargs: object) -> int:
        try:
            return main(*args, **kwargs)
        except BrokenPipeError:
            # Python flushes stdout again at exit: point it at nothing so that flush is silent
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return 1

    return run  # type: ignore[return-value]
