"""What can go wrong with the sample store, told apart so the app can answer each one rightly.

A busy store (another program holds a lock) is not a damaged one: it is waited for, then
reported, and never moved aside. A full disk, a read-only folder and a damaged file each get
their own words instead of SQLite's (which may name only a failed rollback).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final

BUSY_WAIT_S: Final = 2.0
"""How long one store operation waits for another program's lock before giving up."""
DBMOVED: Final = 1032  # SQLITE_READONLY_DBMOVED: the open file is no longer at its path


class StoreError(Exception):
    """Base class of the sample store's errors."""


class NoSampleError(KeyError):
    """There is no sample with that id (it was deleted meanwhile, perhaps by another window).
    Said in plain words: a KeyError's message would show in quotes."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "no such sample"


class StoreCorruptError(StoreError, ValueError):
    """The file is not a readable ocrpad sample store (damaged or foreign)."""


class StoreNewerError(StoreError, ValueError):
    """The store was written by a newer ocrpad: sound, but not for this version to change. It
    is left as it is (not set aside as a damaged one is), for the newer version to use."""


class StoreWriteError(StoreError, OSError):
    """A change could not be saved (read-only location, full disk, I/O error); nothing changed."""


class StoreMovedError(StoreWriteError):
    """The store's file was moved, replaced or deleted while it was open (SQLite's
    SQLITE_READONLY_DBMOVED): nothing changed, and the open connection can change nothing
    more; the file at the store's path has to be opened anew."""


class StoreBusyError(StoreWriteError):
    """Another program held the store locked for longer than ``BUSY_WAIT_S``; nothing changed
    and nothing is damaged: try again later."""


def is_busy(error: sqlite3.Error) -> bool:
    """Whether SQLite gave up waiting for a lock (SQLITE_BUSY / SQLITE_LOCKED)."""
    name = getattr(error, "sqlite_errorname", "")
    text = str(error).lower()
    return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in text or "busy" in text


def busy_error(path: Path) -> StoreBusyError:
    return StoreBusyError(
        f"the sample store {path} is in use by another program (it holds a lock); nothing "
        "was changed"
    )


def write_error(path: Path, error: sqlite3.Error) -> StoreWriteError:
    """The store's words for a failed change (busy, missing folder, read-only, full, I/O)."""
    if is_busy(error):
        return busy_error(path)
    text = str(error).lower()
    name = getattr(error, "sqlite_errorname", "")
    moved = getattr(error, "sqlite_errorcode", None) == DBMOVED  # Python 3.11 and later;
    if moved or ("readonly" in text and not path.exists()):  # 3.10 sees only the file gone
        return StoreMovedError(
            f"could not save to the sample store {path}: its file was moved, replaced or "
            "deleted while ocrpad was running"
        )
    if "unable to open" in text and not path.parent.is_dir():
        why = f"the folder {path.parent} does not exist"
    elif "readonly" in text or "read-only" in text or "unable to open" in text:
        why = "the location is read-only"
    elif "full" in text or name == "SQLITE_FULL":
        why = "the disk is full"
    elif "disk i/o" in text or name.startswith("SQLITE_IOERR"):
        why = "the disk reported an input/output error (is it full or removed?)"
    else:
        why = f"the database reported: {error}"
    return StoreWriteError(f"could not save to the sample store {path}: {why}")


def reopened(moved: StoreMovedError, reopen: Callable[[], None]) -> StoreMovedError:
    """``moved``, once ``reopen`` has opened the file at the store's path again, saying
    whether that worked (if not, the next change tries again)."""
    try:
        reopen()
    except (OSError, StoreError) as error:
        return StoreMovedError(f"{moved}; it could not be opened again: {error}")
    now = "the store there is used from now on (a new, empty one if the file was gone)"
    return StoreMovedError(f"{moved}; {now}")


def read_error(path: Path, error: sqlite3.Error) -> StoreError:
    """A failed read: busy (try later) or damaged."""
    if is_busy(error):
        return busy_error(path)
    return StoreCorruptError(f"{path} could not be read: {error}")


def move_aside(path: str | Path) -> Path:
    """Rename a damaged store (and its journal) to ``<name>.corrupt-<timestamp>``; never deletes.

    Returns the new path of the database file.
    """
    source = Path(path)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = source.with_name(f"{source.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = source.with_name(f"{source.name}.corrupt-{stamp}-{n}")
    for suffix in ("-journal", "-wal", "-shm"):
        side = source.with_name(source.name + suffix)
        if side.exists():
            side.rename(target.with_name(target.name + suffix))
    source.rename(target)
    return target
