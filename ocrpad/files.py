"""The check every reader of a user's file makes first: that the path is a regular file.

Opening a named pipe blocks until something writes to it, and a device may never end, so a
command or the window given one would hang instead of saying what is wrong.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path


def check_regular_file(path: str | os.PathLike[str]) -> Path:
    """`path` as a Path if it is a regular file (symbolic links followed); else an OSError
    saying what it is: FileNotFoundError, IsADirectoryError, or an OSError for a pipe, socket
    or device."""
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise FileNotFoundError(errno.ENOENT, "no such file", str(path)) from None
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "a folder, not a file", str(path))
    if not stat.S_ISREG(mode):
        kind = "a pipe" if stat.S_ISFIFO(mode) else "a socket or device"
        raise OSError(errno.EINVAL, f"{kind}, not a regular file", str(path))
    return path
