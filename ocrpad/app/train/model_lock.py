"""The lock on the user's model file: two ocrpad windows sharing a data folder take turns.

Keep, Restore and Bring back each look at ``user-model.npz`` and then rename or write it; a
second window doing the same in between would have its model set aside, or overwritten, by
the first. Each takes ``user-model.npz.lock`` (a Qt lock file: one left by a process that
died is taken over) for as long as it changes the file, waiting a few seconds for another
window to finish. One that cannot take it raises `ModelFileBusyError` and changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from PySide6.QtCore import QLockFile

LOCK_SUFFIX: Final = ".lock"
LOCK_WAIT_MS: Final = 3000  # how long a Keep, Restore or Bring back waits for another window
STALE_MS: Final = 30_000  # a lock this old is another window's that hung: it is taken over


class ModelFileBusyError(OSError):
    """The user's model file is locked by another ocrpad window, or cannot be locked."""


def lock_path(user_model: Path) -> Path:
    """``<folder>/user-model.npz.lock``."""
    return user_model.with_name(user_model.name + LOCK_SUFFIX)


@contextmanager
def model_file_locked(user_model: Path, wait_ms: int | None = None) -> Iterator[None]:
    """Hold the lock on ``user_model`` (waiting up to ``wait_ms``, default `LOCK_WAIT_MS`)
    while the body runs. Raises `ModelFileBusyError` if it cannot be taken (another window holds
    it; the folder cannot be written), OSError if the folder cannot be made."""
    user_model.parent.mkdir(parents=True, exist_ok=True)
    lock = QLockFile(str(lock_path(user_model)))
    lock.setStaleLockTime(STALE_MS)
    if not lock.tryLock(LOCK_WAIT_MS if wait_ms is None else wait_ms):
        error = lock.error()
        if error == QLockFile.LockError.LockFailedError:
            reason = f"another ocrpad window is changing {user_model.name} right now"
        elif error == QLockFile.LockError.PermissionError:
            reason = f"{user_model.parent} cannot be written to (permission denied)"
        else:
            reason = f"{lock_path(user_model)} cannot be created"
        raise ModelFileBusyError(reason)
    try:
        yield
    finally:
        lock.unlock()
