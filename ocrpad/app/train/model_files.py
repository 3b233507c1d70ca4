"""The user's fine-tuned models in the data folder: ``user-model.npz`` is the one in use, and
"Restore factory model" sets it aside as ``user-model.set-aside-<time>.npz``.

A set-aside model is never overwritten or deleted by ocrpad: each Restore sets one more aside
under a new name, and "Bring back my model" renames the newest back to ``user-model.npz``.
A Keep sets aside, the same way, a ``user-model.npz`` that the window did not load or write
itself (another window's Keep, a file it could not load), and only then writes its own.
``user-model.previous.npz`` is where earlier versions set a model aside; it counts as the
oldest. No Qt, no model loading: only the names and the renames.
"""

from __future__ import annotations

import re
import stat
import time
from pathlib import Path
from typing import Final

SET_ASIDE_INFIX: Final = ".set-aside-"
EARLIER_SET_ASIDE: Final = ".previous.npz"  # the one name earlier versions used
_STAMP: Final = re.compile(r"\.set-aside-(\d{8}-\d{6})(?:-(\d+))?\.npz$")


Signature = tuple[int, int, int]
"""(inode, size, modification time in ns) of a file: an atomic write changes it."""


def signature(path: Path) -> Signature | None:
    """The file's `Signature`; None if there is no file, or no regular one (a folder in its
    place is no model to set aside: the write fails naming it). OSError if it cannot be
    looked at."""
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(status.st_mode):
        return None
    return status.st_ino, status.st_size, status.st_mtime_ns


def set_aside_name(user_model: Path, stamp: str, number: int = 1) -> Path:
    """``<folder>/user-model.set-aside-<stamp>.npz`` (``-<number>`` added from the second one
    set aside within the same second)."""
    suffix = stamp if number == 1 else f"{stamp}-{number}"
    return user_model.with_name(f"{user_model.stem}{SET_ASIDE_INFIX}{suffix}.npz")


def set_aside_pattern(user_model: Path) -> str:
    """How the names `set_aside` gives read to a person: ``user-model.set-aside-<time>.npz``."""
    return f"{user_model.stem}{SET_ASIDE_INFIX}<time>.npz"


def set_aside(user_model: Path) -> Path:
    """Rename ``user_model`` to a set-aside name no file has yet; returns the new path.
    Raises OSError when it cannot be renamed."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    number = 1
    while (target := set_aside_name(user_model, stamp, number)).exists():
        number += 1
    user_model.rename(target)
    return target


def set_aside_models(user_model: Path) -> list[Path]:
    """The models set aside beside ``user_model``, oldest first (an unreadable folder: none)."""
    try:
        named = list(user_model.parent.glob(f"{user_model.stem}{SET_ASIDE_INFIX}*.npz"))
        earlier = user_model.with_suffix(EARLIER_SET_ASIDE)
        found = [earlier] if earlier.is_file() else []
    except OSError:
        return []
    ordered = []
    for path in named:
        match = _STAMP.search(path.name)
        if match is not None and path.is_file():
            ordered.append(((match.group(1), int(match.group(2) or 1)), path))
    return found + [path for _, path in sorted(ordered)]


def newest_set_aside(user_model: Path) -> Path | None:
    """The model the last Restore set aside, or None."""
    models = set_aside_models(user_model)
    return models[-1] if models else None
