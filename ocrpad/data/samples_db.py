"""The sample store's SQLite file: opening a connection, creating or checking the schema, and
one write transaction with the store's own words for what went wrong.

``samples`` says what a store does with samples; this says how the file is kept, so that a
second connection (an import's one long transaction) is opened exactly like the first.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Final

from numpy.typing import ArrayLike

from ocrpad.data.samples_errors import (
    StoreBusyError,
    StoreCorruptError,
    StoreNewerError,
    StoreWriteError,
    is_busy,
    read_error,
    write_error,
)
from ocrpad.data.samples_format import SOURCES, Source
from ocrpad.files import check_regular_file

SCHEMA_VERSION: Final = 1
MAX_PATH_BYTES: Final = 512 - len("-journal")  # the longest store path SQLite can open on Unix
COLUMNS: Final = "id, label, created, strokes, source"  # what a Sample is read from
_COLUMN_NAMES: Final = ("id", "label", "created", "strokes", "png", "source")
INSERT: Final = "INSERT INTO samples (label, created, strokes, png, source) VALUES (?,?,?,?,?)"
RESTORE: Final = f"INSERT INTO samples ({', '.join(_COLUMN_NAMES)}) VALUES (?,?,?,?,?,?)"
# Drawings, labels and sources -> the rows INSERT stores (checked, pictures drawn): ValueError.
Prepare = Callable[
    [Sequence[Sequence[ArrayLike]], Sequence[str], Source | Sequence[Source]],
    list[tuple[object, ...]],
]

_SCHEMA: Final = f"""
CREATE TABLE samples (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    label   TEXT NOT NULL,
    created REAL NOT NULL,
    strokes TEXT NOT NULL,
    png     BLOB,
    source  TEXT NOT NULL CHECK (source IN {SOURCES!r})
);
CREATE INDEX samples_label ON samples (label);
PRAGMA user_version = {SCHEMA_VERSION};
"""


def check_path_length(path: Path) -> None:
    """StoreWriteError if SQLite cannot open a file at ``path``: on Unix its files' names, links
    followed, hold at most 512 bytes, and the journal's is 8 longer than the store's. (SQLite
    would say only that the location is read-only, or that it cannot open the file.)"""
    if sys.platform == "win32":
        return
    length = len(os.fsencode(os.path.realpath(path)))
    if length > MAX_PATH_BYTES:
        unit = "characters" if length == len(os.path.realpath(path)) else "bytes"
        raise StoreWriteError(
            f"the sample store {path} cannot be used: its path is too long: {length} {unit}, "
            f"at most {MAX_PATH_BYTES}. Choose a data folder with a shorter path (--data-dir "
            "or OCRPAD_DATA_DIR)"
        )


def connect(path: Path, busy_wait: float) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are begun explicitly), waiting at most
    ``busy_wait`` seconds for another program's lock. Undecodable text comes back as a damaged
    row when read, not as a failed query. Call ``durable`` (or ``open_schema``) next: that
    pragma already reads the file, so its errors are the file's. StoreWriteError saying what
    ``path`` is if it is a folder, pipe or device (SQLite would call a folder read-only and a
    pipe a disk I/O error), or if the path is too long for SQLite."""
    check_path_length(path)
    try:
        check_regular_file(path)
    except FileNotFoundError:
        pass  # a new store is made there
    except IsADirectoryError as error:
        raise StoreWriteError(f"the sample store {path} is a folder, not a file") from error
    except OSError as error:
        if error.errno == errno.EINVAL:  # a pipe, socket or device
            raise StoreWriteError(f"the sample store {path} is {error.strerror}") from error
        # anything else (no permission to look): SQLite's own answer below says what
    try:
        db = sqlite3.connect(path, timeout=busy_wait, check_same_thread=False, isolation_level=None)
    except sqlite3.Error as error:
        raise write_error(path, error) from error
    db.text_factory = lambda data: data.decode("utf-8", "surrogateescape")
    return db


def open_connection(path: Path, busy_wait: float) -> sqlite3.Connection:
    """``connect``, then ``open_schema`` (its errors close the connection again)."""
    db = connect(path, busy_wait)
    try:
        open_schema(db, path)
    except BaseException:
        db.close()
        raise
    return db


def durable(db: sqlite3.Connection) -> None:
    """Make each commit return only once it is on the disk (rollback journal, ``synchronous =
    FULL``), so that a killed process never loses an acknowledged change."""
    db.execute("PRAGMA synchronous = FULL")


def open_schema(db: sqlite3.Connection, path: Path) -> None:
    """Create the schema in a new, empty file; else check that the file is an ocrpad store of
    this version. StoreCorruptError (damaged or foreign: to be set aside), StoreNewerError (to
    be left alone) or StoreBusyError (another program's lock: neither)."""
    try:
        durable(db)
        version = db.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
        if version == 0 and not tables:
            _create_schema(db, path)
            return
        if version > SCHEMA_VERSION:
            raise StoreNewerError(
                f"{path} was written by a newer ocrpad (schema {version}): left as it is"
            )
        if version != SCHEMA_VERSION or "samples" not in tables:
            raise StoreCorruptError(f"{path} is not an ocrpad sample store")
        _check_columns(db, path)
        check = db.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as error:
        if is_busy(error):  # another program's lock: busy, not damaged
            raise StoreBusyError(str(read_error(path, error))) from error
        raise StoreCorruptError(f"{path} is damaged: {error}") from error
    if check != "ok":
        raise StoreCorruptError(f"{path} is damaged: {check}")


def _check_columns(db: sqlite3.Connection, path: Path) -> None:
    """StoreCorruptError unless the ``samples`` table has exactly the columns of this schema
    with ``id`` its integer key: another program's database of the same name and version
    would open and then fail every read and save."""
    info = db.execute("PRAGMA table_info(samples)").fetchall()  # (cid, name, type, _, _, pk)
    columns = {str(row[1]): (str(row[2]).upper(), int(row[5])) for row in info}
    if set(columns) != set(_COLUMN_NAMES) or columns["id"] != ("INTEGER", 1):
        raise StoreCorruptError(
            f"{path} is not an ocrpad sample store: its samples table has the columns "
            f"{', '.join(columns) or 'none'}"
        )


def _create_schema(db: sqlite3.Connection, path: Path) -> None:
    with transaction(db, path):
        # another ocrpad may have created it meanwhile
        if not db.execute("SELECT name FROM sqlite_master").fetchall():
            for statement in filter(str.strip, _SCHEMA.split(";")):
                db.execute(statement)


def rollback(db: sqlite3.Connection) -> None:
    """Undo an open transaction, if SQLite has not already (it does after a full disk)."""
    if db.in_transaction:
        with contextlib.suppress(sqlite3.Error):
            db.execute("ROLLBACK")


@contextlib.contextmanager
def transaction(db: sqlite3.Connection, path: Path) -> Iterator[None]:
    """One write transaction (``BEGIN IMMEDIATE``): committed when the block ends, rolled back
    if it raises. SQLite's errors become ValueError (a constraint refused the change) or
    StoreWriteError (busy, read-only, full disk, I/O); either way nothing changed."""
    try:
        db.execute("BEGIN IMMEDIATE")
        try:
            yield
            db.execute("COMMIT")
        finally:
            rollback(db)
    except sqlite3.IntegrityError as error:
        raise ValueError(f"the sample store refused the change: {error}") from error
    except sqlite3.Error as error:
        raise write_error(path, error) from error


class SampleBatch:
    """Drawings being added inside ``SampleStore.batch()``: none is visible to anyone else, nor
    kept, until the block ends without an error."""

    def __init__(self, db: sqlite3.Connection, prepare: Prepare) -> None:
        self._db, self._prepare = db, prepare

    def add_many(
        self,
        strokes: Sequence[Sequence[ArrayLike]],
        labels: Sequence[str],
        source: Source | Sequence[Source],
    ) -> list[int]:
        """As ``SampleStore.add_many``, inside the batch's transaction; returns the new ids."""
        rows = self._prepare(strokes, labels, source)
        return [int(self._db.execute(INSERT, row).lastrowid or 0) for row in rows]


BATCH_CACHE_KIB: Final = 512 * 1024
"""Page cache of a batch's connection, in KiB (SQLite takes pages as they are used). With the
default 2 MB, a long import spilled changed pages into the file before its commit, and SQLite
then held the file locked against every read until the commit: the store's own reads said
"in use by another program". The largest import ocrpad takes (`ImportLimits`) fits in it."""


@contextlib.contextmanager
def open_batch(path: Path, busy_wait: float, prepare: Prepare) -> Iterator[SampleBatch]:
    """One transaction on a new connection of its own (see ``SampleStore.batch``); the
    connection is closed when the block ends, whatever happened."""
    db = connect(path, busy_wait)
    try:
        try:
            durable(db)
            db.execute(f"PRAGMA cache_size = -{BATCH_CACHE_KIB}")
        except sqlite3.Error as error:
            raise write_error(path, error) from error
        with transaction(db, path):
            yield SampleBatch(db, prepare)
    finally:
        db.close()
