"""The user's own drawings: one SQLite file, every save one durable transaction.

Each row holds the label (one Unicode character), the creation time, the strokes as JSON, a
28x28 PNG rendered with the shared preprocessing, and where the sample came from. ``add`` returns
only after the commit has reached the disk (rollback journal with ``synchronous=FULL``), so a
killed process never loses an acknowledged sample. Export and import: ``samples_io``.
"""

from __future__ import annotations

import contextlib
import functools
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ocrpad.data.samples_db import (
    COLUMNS,
    INSERT,
    RESTORE,
    SampleBatch,
    open_batch,
    open_connection,
    transaction,
)
from ocrpad.data.samples_errors import (
    BUSY_WAIT_S,
    NoSampleError,
    StoreBusyError,
    StoreCorruptError,
    StoreError,
    StoreMovedError,
    StoreNewerError,
    StoreWriteError,
    move_aside,
    read_error,
    reopened,
)
from ocrpad.data.samples_format import (
    MAX_ID,
    SOURCES,
    Sample,
    Source,
    Strokes,
    Taken,
    decode_png,
    default_renderer,
    encode_png,
    new_rows,
    restored_row,
    row_to_sample,
    validate_id,
    validate_label,
    validate_strokes,
)

__all__ = [
    "SOURCES",
    "Sample",
    "SampleBatch",
    "SampleStore",
    "Source",
    "StoreBusyError",
    "StoreCorruptError",
    "StoreError",
    "StoreMovedError",
    "StoreNewerError",
    "StoreWriteError",
    "Strokes",
    "Taken",
    "decode_png",
    "encode_png",
    "move_aside",
    "open_store",
    "validate_id",
    "validate_label",
    "validate_strokes",
]

Renderer = Callable[[Sequence[NDArray[np.float32]]], NDArray[np.float32]]


class SampleStore:
    """The user's samples in one SQLite file (created if missing). Thread-safe."""

    def __init__(
        self,
        path: str | Path,
        *,
        renderer: Renderer | None = default_renderer,
        busy_wait: float = BUSY_WAIT_S,
    ) -> None:
        self.path = Path(path)
        self._renderer = renderer
        self._busy_wait = busy_wait
        self._lock = threading.RLock()
        self.damaged: dict[int, str] = {}  # rows skipped when read: id -> what is wrong
        self._db = open_connection(self.path, busy_wait)

    @contextlib.contextmanager
    def waiting(self, seconds: float) -> Iterator[None]:
        """Inside the block, wait at most ``seconds`` for another program's lock (background
        retries use a short wait so that they never hold up the window)."""
        with self._lock:
            self._db.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")
            try:
                yield
            finally:
                self._db.execute(f"PRAGMA busy_timeout = {int(self._busy_wait * 1000)}")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _reopen(self) -> None:
        """Connect again to whatever is at ``path`` now: the file was moved, replaced or
        deleted (then a new store is begun there, in a new folder if that went too). The old
        connection stays if this fails, so that the next change tries again."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db, old = open_connection(self.path, self._busy_wait), self._db
        old.close()

    def __enter__(self) -> SampleStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """One write transaction (see ``transaction``). If the file was moved or replaced, the
        store opens the file at its path again: the change was not made, the next one can be."""
        with self._lock:
            try:
                with transaction(self._db, self.path):
                    yield
            except StoreMovedError as moved:
                raise reopened(moved, self._reopen) from moved

    def _write(self, sql: str, rows: Sequence[tuple[object, ...]]) -> list[int]:
        """Run one statement per row inside one transaction; return the rows' lastrowids."""
        with self._transaction():
            return [int(self._db.execute(sql, row).lastrowid or 0) for row in rows]

    def _png(self, strokes: Strokes) -> bytes | None:
        if self._renderer is None:
            return None
        try:
            return encode_png(self._renderer(strokes))
        except ImportError:
            return None

    def add(self, strokes: Sequence[ArrayLike], label: str, source: Source = "free") -> int:
        """Save one drawing; returns its id once the commit is durable on disk."""
        return self.add_many([strokes], [label], source)[0]

    def add_many(
        self,
        strokes: Sequence[Sequence[ArrayLike]],
        labels: Sequence[str],
        source: Source | Sequence[Source],
    ) -> list[int]:
        """Save many drawings in one transaction (all or none); returns their ids. ``source``
        is one for all of them, or one per drawing."""
        return self._write(INSERT, new_rows(strokes, labels, source, self._png))

    def batch(self) -> contextlib.AbstractContextManager[SampleBatch]:
        """A long series of ``add_many`` calls (an import) as one transaction: all or none.

        Committed, durably, when the block ends; rolled back if it raises, and by SQLite when
        the file is next opened if the process dies meanwhile. It runs on a connection of its
        own, so the store's other calls never queue behind it: reads go on, and a save waits
        ``busy_wait`` and then says busy, as while any other program writes."""
        return open_batch(self.path, self._busy_wait, functools.partial(new_rows, png=self._png))

    def _change(self, sql: str, rows: Sequence[tuple[object, ...]]) -> None:
        """UPDATE or DELETE by rows ending in a sample id, all or none (KeyError if one went)."""
        with self._transaction():
            for args in rows:
                if self._db.execute(sql, args).rowcount != 1:
                    raise NoSampleError(f"no sample with id {args[-1]}")

    def relabel(self, sample_id: int, label: str) -> None:
        """Give one sample a new label (see ``relabel_many``)."""
        self.relabel_many([sample_id], label)

    def relabel_many(self, sample_ids: Sequence[int], label: str) -> None:
        """Give samples one new label in one transaction, all or none: KeyError if one does not
        exist, ValueError if an id is not a whole number (see ``validate_id``) or the label not
        one character."""
        keys, new = [self.get(sample_id).id for sample_id in sample_ids], validate_label(label)
        self._change("UPDATE samples SET label = ? WHERE id = ?", [(new, key) for key in keys])

    def delete(self, sample_id: int) -> Sample:
        """Remove one sample and return it, so that ``restore`` can undo the deletion (see
        ``delete_taking``)."""
        return self.delete_taking([sample_id])[0].sample

    def delete_taking(self, sample_ids: Sequence[int]) -> list[Taken]:
        """Remove samples in one transaction, all or none, and return them with their stored
        pictures in the order asked, so that ``restore_many`` can undo it: KeyError if one
        does not exist (or went meanwhile), StoreCorruptError if one is damaged, ValueError if
        an id is not a whole number."""
        keys = [self._key(sample_id) for sample_id in sample_ids]
        taken: list[Taken] = []
        with self._transaction():
            for key in keys:
                rows = self._db.execute(f"SELECT {COLUMNS}, png FROM samples WHERE id = ?", (key,))
                found = rows.fetchall()
                picture = found[0][-1] if found else None
                sample = self._only(key, [row[:-1] for row in found])
                taken.append(Taken(sample, bytes(picture) if picture is not None else None))
                self._db.execute("DELETE FROM samples WHERE id = ?", (key,))
        return taken

    def delete_many(self, sample_ids: Sequence[int]) -> None:
        """Remove many samples in one transaction (missing ids are ignored; an id that is not a
        whole number is a ValueError before anything is removed)."""
        keys = [key for key in map(validate_id, sample_ids) if -MAX_ID - 1 <= key <= MAX_ID]
        if keys:
            self._write("DELETE FROM samples WHERE id = ?", [(key,) for key in keys])

    def restore(self, sample: Sample) -> int:
        """Put a deleted sample back under its old id (see ``restore_many``)."""
        return self.restore_many([sample])[0]

    def restore_many(self, samples: Sequence[Sample | Taken]) -> list[int]:
        """Put deleted samples back under their old ids (ids are never reused) in one
        transaction, all or none; a ``Taken`` one gets its stored picture back, the others
        are drawn again. Checked like new ones, so that no row is written that could not be
        read back: ValueError if an id is not a positive whole number or is taken, or a time,
        label, strokes or source is wrong."""
        rows = [restored_row(sample, self._png) for sample in samples]
        return self._write(RESTORE, rows)

    # -- reading ------------------------------------------------------------------------------
    def _query(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return list(self._db.execute(sql, args).fetchall())
            except sqlite3.DatabaseError as error:
                raise read_error(self.path, error) from error

    def count(self) -> int:
        return int(self._query("SELECT COUNT(*) FROM samples")[0][0])

    def counts_by_label(self) -> dict[str, int]:
        rows = self._query("SELECT label, COUNT(*) FROM samples GROUP BY label ORDER BY label")
        return {str(label): int(n) for label, n in rows}

    def _key(self, sample_id: object) -> int:
        """``sample_id`` as SQLite stores it: ValueError unless it is a whole number (see
        ``validate_id``), KeyError if it is one no sample can have."""
        key = validate_id(sample_id)
        if not -MAX_ID - 1 <= key <= MAX_ID:
            raise NoSampleError(f"no sample with id {key}")
        return key

    def get(self, sample_id: int) -> Sample:
        """One sample; KeyError if there is none, StoreCorruptError if its row is damaged,
        ValueError if the id is not a whole number (a float or bool is never taken for one)."""
        key = self._key(sample_id)
        return self._only(key, self._query(f"SELECT {COLUMNS} FROM samples WHERE id = ?", (key,)))

    def _only(self, key: int, rows: list[tuple[Any, ...]]) -> Sample:
        """The sample of the rows read for ``key``: KeyError if none, StoreCorruptError if
        damaged."""
        samples = self._parse(rows)
        if samples:
            return samples[0]
        if not rows:
            raise NoSampleError(f"no sample with id {key}")
        raise StoreCorruptError(f"sample {key} is damaged: {self.damaged[key]}")

    def _parse(self, rows: list[tuple[Any, ...]]) -> list[Sample]:
        """The rows that are valid samples; damaged ones are noted in ``damaged`` and skipped
        (they stay in the file, untouched, for a later ocrpad or a person to rescue)."""
        samples = []
        for row in rows:
            try:
                samples.append(row_to_sample(row))
            except (ValueError, TypeError, RecursionError) as error:
                self.damaged[int(row[0])] = str(error)[:200] or type(error).__name__
        return samples

    def damaged_rows(self) -> dict[int, str]:
        """Read every row once; returns the damaged ones (id -> what is wrong)."""
        self.samples()
        return dict(self.damaged)

    def samples(self, label: str | None = None, *, newest: int = -1) -> list[Sample]:
        """All samples (of one label if given; only its ``newest`` if >= 0), oldest first."""
        if label is None:
            rows = self._query(f"SELECT {COLUMNS} FROM samples ORDER BY id")
            self.damaged.clear()  # a full read finds all of them again
        else:
            sql = f"SELECT {COLUMNS} FROM samples WHERE label = ? ORDER BY id DESC LIMIT ?"
            rows = self._query(sql, (label, newest))[::-1]
        return self._parse(rows)

    def newest(self, count: int, sources: Sequence[str] = SOURCES) -> list[Sample]:
        """The `count` most recently added samples from `sources`, oldest first."""
        marks = ",".join("?" * len(sources))
        sql = f"SELECT {COLUMNS} FROM samples WHERE source IN ({marks}) ORDER BY id DESC LIMIT ?"
        return self._parse(self._query(sql, (*sources, count))[::-1])

    def __iter__(self) -> Iterator[Sample]:
        return iter(self.samples())

    def __len__(self) -> int:
        return self.count()

    def png(self, sample_id: int) -> bytes | None:
        """The stored 28x28 PNG of one sample (None if it was saved without a renderer)."""
        key = self._key(sample_id)
        rows = self._query("SELECT png FROM samples WHERE id = ?", (key,))
        if not rows:
            raise NoSampleError(f"no sample with id {key}")
        data = rows[0][0]
        return bytes(data) if isinstance(data, bytes | bytearray | memoryview) else None

    def integrity_check(self) -> str:
        return str(self._query("PRAGMA integrity_check")[0][0])


def open_store(
    path: str | Path,
    *,
    renderer: Renderer | None = default_renderer,
    busy_wait: float = BUSY_WAIT_S,
) -> tuple[SampleStore, Path | None]:
    """Open the store; if it is damaged, set it aside and start a fresh one.

    Returns the store and, when a damaged file was moved aside, where it went (for a message).
    """
    try:
        return SampleStore(path, renderer=renderer, busy_wait=busy_wait), None
    except StoreCorruptError:
        moved = move_aside(path)
        return SampleStore(path, renderer=renderer, busy_wait=busy_wait), moved
