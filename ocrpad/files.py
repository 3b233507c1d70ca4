"""The checks made of a user's paths: that a file to read is a regular file, and whether two
paths name one file.

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


def same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` name one file: the same inode where both exist (a link, another
    case), else the same resolved path (where neither or only one exists yet)."""
    try:
        if a.exists() and b.exists():
            return a.samefile(b)
        return os.path.normcase(a.resolve()) == os.path.normcase(b.resolve())
    except (OSError, RuntimeError):  # unreadable, or a loop of links: no file to destroy
        return False
