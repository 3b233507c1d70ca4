"""DrawingKeeper: every drawing the user saves reaches the sample store, or a file, or the
user is asked — none is ever dropped silently.

A drawing the store refuses (full disk, read-only folder, another program's lock, no store at
all) is held in memory and retried every few seconds, and the store itself is opened again if
it could not be opened at start-up. At close, what is still held is written to
``unsaved-<time>.npz`` in the data folder (the shared stroke-array format), which the next
start imports; only if even that fails does the window ask the user (see ``wiring``).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final

from PySide6.QtCore import QLockFile, QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from ocrpad.app.draw.strokes import Drawing
from ocrpad.app.train.importer import SampleImporter
from ocrpad.app.train.questions import ask_to_save_elsewhere
from ocrpad.app.words import plural
from ocrpad.data import samples_io
from ocrpad.data.samples import (
    Sample,
    SampleStore,
    Source,
    StoreBusyError,
    StoreError,
    StoreWriteError,
    validate_label,
)
from ocrpad.data.samples_errors import NoSampleError
from ocrpad.data.samples_format import strokes_to_json, validate_strokes

RETRY_MS: Final = 5000
RETRY_WAIT_S: Final = 0.1  # a retry waits this long for another program's lock, not 2 s
RECOVERY_GLOB: Final = "unsaved-*.npz"
RECOVERY_LOCK: Final = "unsaved-import.lock"
RECOVERY_STALE_MS: Final = 600_000  # a lock older than this is stale even if its owner runs
STORED_KEPT: Final = 64  # stored drawings a save's undo can still find

Held = tuple[Drawing, str, str]  # strokes, label, source


class DrawingKeeper(QObject):
    """Holds drawings the store refused and retries them until they are stored."""

    message = Signal(str)
    stored = Signal()  # drawings that were held reached the store
    store_opened = Signal(object)  # SampleStore: the store could be opened after all

    def __init__(
        self,
        store: SampleStore | None,
        data_dir: Path | None = None,
        opener: Callable[[], SampleStore] | None = None,
        parent: QObject | None = None,
        *,
        store_path: Path | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self._store_path = store_path  # where the store is, even while it cannot be opened
        self.data_dir = data_dir
        self._opener = opener
        self.unsaved: list[Held] = []
        self.problem = ""  # why the held drawings are not stored yet
        self.last_id: int | None = None  # the id of the newest drawing stored
        self.stored_ids: list[int] = []  # the ids the latest `flush` stored, oldest first
        self.last_held: Held | None = None  # the newest drawing handed to `save`
        # Recent drawings that reached the store, by identity: (the drawing, its id). The entry
        # keeps the drawing alive, so its id() cannot be reused while it is listed.
        self._stored: dict[int, tuple[Held, int]] = {}
        self._busy = False  # the last refusal was another program's lock
        self._import: SampleImporter | None = None  # see `hold_during`
        self.timer = QTimer(self)
        self.timer.setInterval(RETRY_MS)
        self.timer.timeout.connect(self.retry)
        if store is None and opener is not None:
            self.timer.start()

    def save(self, strokes: Drawing, label: str, source: str) -> bool:
        """Hold the drawing and try to store everything held; True if all reached the store.

        While another program's lock holds earlier drawings back, the new one joins them
        without another wait for the store (each would hold up the window for the busy wait);
        the retry timer stores them all."""
        waiting = self.importing or (self._busy and bool(self.unsaved) and self.timer.isActive())
        held: Held = (tuple(strokes), label, source)
        self.last_held = held
        self.unsaved.append(held)
        self.stored_ids = []
        if self.importing:
            self._retry_later()
        return False if waiting else self.flush()

    def hold_during(self, importer: SampleImporter) -> None:
        """While ``importer`` writes to the store (its one transaction holds the store's lock
        all the while), drawings saved are held in memory without a wait for that lock, and
        stored as soon as it ends."""
        self._import = importer
        importer.ended.connect(self._import_ended)

    @property
    def importing(self) -> bool:
        return self._import is not None and self._import.writing

    def _import_ended(self) -> None:
        """Store what waited for the import, before its result is shown (which then counts
        them); if the store still refuses, the timer retries and says when they are in."""
        if self.unsaved and self.flush():
            self.stored.emit()

    def take_back(self, held: Held) -> None:
        """Undo the save of `held` (a drawing `save` was given): drop it if it still waits in
        memory, else delete the sample it became. KeyError if it is neither any more."""
        for i, waiting in enumerate(self.unsaved):
            if waiting is held:
                del self.unsaved[i]
                return
        store, sample_id = self._stored_as(held)
        store.delete(sample_id)
        del self._stored[id(held)]

    def relabel(self, held: Held, label: str) -> Held:
        """Give the drawing `held` (one `save` was given) a new label, whether it still waits
        in memory or reached the store; returns the drawing as held now, which `take_back`
        and `relabel` then take. KeyError if it is neither any more, ValueError for a label
        that is not one character."""
        label = validate_label(label)
        relabelled: Held = (held[0], label, held[2])
        for i, waiting in enumerate(self.unsaved):
            if waiting is held:
                self.unsaved[i] = relabelled
                return relabelled
        store, sample_id = self._stored_as(held)
        store.relabel(sample_id, label)
        del self._stored[id(held)]
        self._stored[id(relabelled)] = (relabelled, sample_id)
        return relabelled

    def _stored_as(self, held: Held) -> tuple[SampleStore, int]:
        """The store and the id of the sample `held` became; KeyError if that is not known
        any more (a StoreError leaves it listed: the caller can try again)."""
        entry = self._stored.get(id(held))
        if entry is None or entry[0] is not held or self.store is None:
            raise NoSampleError("ocrpad no longer knows which of your samples it became")
        try:
            stored = self.store.get(entry[1])
        except KeyError:
            del self._stored[id(held)]
            raise NoSampleError("it was deleted meanwhile, perhaps in another window") from None
        if not _same(stored, held):  # the store's file was replaced: its ids name others
            del self._stored[id(held)]
            raise NoSampleError("the sample store was replaced since, and it is not in it")
        return self.store, entry[1]

    def flush(self) -> bool:
        """Store what is held, oldest first; False (and a retry later) if some is still held."""
        self.stored_ids = []
        if self.store is None:
            self.problem = self.problem or "the sample store could not be opened"
            self._retry_later()
            return False
        while self.unsaved:
            held = self.unsaved[0]
            strokes, label, source = held
            try:
                self.last_id = self.store.add(strokes, label, _source(source))
            except StoreWriteError as exc:
                self.problem = str(exc)
                self._busy = isinstance(exc, StoreBusyError)
                self._retry_later()
                return False
            self.unsaved.pop(0)
            self.stored_ids.append(self.last_id)
            self._stored[id(held)] = (held, self.last_id)
            while len(self._stored) > STORED_KEPT:
                del self._stored[next(iter(self._stored))]
        self.problem, self._busy = "", False
        self.timer.stop()
        return True

    @property
    def store_file(self) -> Path | None:
        """The store's file (if known), which saving the held drawings elsewhere must not
        replace: that would destroy every drawing already stored."""
        return self.store.path if self.store is not None else self._store_path

    def held_message(self) -> str:
        if self.importing:
            return (
                f"Importing: {plural(len(self.unsaved), 'drawing')} kept in memory, to be "
                "saved as soon as the import finishes."
            )
        return (
            f"{self.problem}. {plural(len(self.unsaved), 'drawing')} kept in memory, to be "
            "saved as soon as the store can be written."
        )

    def _retry_later(self) -> None:
        if not self.timer.isActive():
            self.timer.start()

    @property
    def saved_unreadable(self) -> bool:
        """Whether drawings saved earlier exist but cannot be read now: the store's file is
        there and it could not be opened (nothing is saved while there is no file)."""
        return self.store is None and self._store_path is not None and self._store_path.exists()

    def open_now(self) -> str:
        """Before the saved drawings are read (a fine-tune): open the store if it is missing
        and store what is held. Returns why the saved drawings cannot be read, or ""."""
        if self.store is None and self._opener is not None:
            self.retry()
        if not self.saved_unreadable:
            return ""
        return self.problem or "the sample store could not be opened"

    def retry(self) -> None:
        """Open the store if it is missing, then store what is held (the timer calls this)."""
        if self.store is None and self._opener is not None:
            try:
                self.store = self._opener()
            except (OSError, StoreError) as exc:
                self.problem = str(exc)
                return
            self.store_opened.emit(self.store)
            self.message.emit("The sample store can be used again.")
            self.recover()
        if self.importing:
            return  # stored when it ends, without a wait for its lock every few seconds
        held = len(self.unsaved)
        with self.store.waiting(RETRY_WAIT_S) if self.store else contextlib.nullcontext():
            stored = self.flush()
        if stored:
            self.timer.stop()
            if held:
                self.message.emit(f"Saved {plural(held, 'drawing')} that waited in memory.")
                self.stored.emit()

    def rescue(self) -> Path | None:
        """At close: store what is held, else write it to ``unsaved-<time>.npz`` in the data
        folder (imported at the next start). Returns that file, or None if nothing was left.
        Raises OSError (or ValueError) if the file cannot be written either."""
        if not self.unsaved or self.flush():
            return None
        if self.data_dir is None:
            raise OSError("there is no data folder to keep them in")
        stamp = time.strftime("%Y%m%d-%H%M%S")
        names = (self.data_dir / _numbered(f"unsaved-{stamp}", n) for n in range(1, 10_000))
        drawings, labels, sources = zip(*self.unsaved, strict=True)
        kinds = [_source(s) for s in sources]
        path = samples_io.export_drawings_anew(names, drawings, labels, kinds)
        self.unsaved.clear()
        return path

    def recover(self) -> int:
        """Import the drawings an earlier close had to keep in files; returns how many.

        Each imported file is renamed ``*.imported`` (never deleted). One ocrpad at a time
        does this, holding a lock file in the data folder: two started together would each
        import every file. The lock of a process that died is taken over (Qt checks whether
        its owner still runs), so a file whose import was cut off is imported next time."""
        if self.store is None or self.data_dir is None:
            return 0
        lock = QLockFile(str(self.data_dir / RECOVERY_LOCK))
        lock.setStaleLockTime(RECOVERY_STALE_MS)
        if not lock.tryLock(0):
            return 0  # another ocrpad is bringing them back into the same store
        try:
            return self._recover(self.store, self.data_dir)
        finally:
            lock.unlock()

    def _recover(self, store: SampleStore, data_dir: Path) -> int:
        total = 0
        for path in sorted(data_dir.glob(RECOVERY_GLOB)):
            try:
                result = samples_io.import_npz(store, path, keep_sources=True)
            except (OSError, ValueError, StoreError) as exc:
                self.message.emit(f"Could not bring back the drawings in {path}: {exc}")
                continue
            with contextlib.suppress(OSError):
                path.replace(path.with_name(path.name + ".imported"))
            total += len(result.ids)
        if total:
            self.message.emit(
                f"Brought back {plural(total, 'drawing')} that could not be saved last time."
            )
            self.stored.emit()
        return total


def _numbered(stem: str, number: int) -> str:
    """``<stem>.npz``, and ``<stem>-<number>.npz`` from the second file of the same second."""
    return f"{stem}.npz" if number == 1 else f"{stem}-{number}.npz"


def _source(source: str) -> Source:
    return "correction" if source == "correction" else "prompt" if source == "prompt" else "free"


def ask_about_unsaved(parent: QWidget, count: int, reason: str, keeper: DrawingKeeper) -> bool:
    """The last resort at close: the drawings could be neither stored nor kept in the data
    folder. Save them elsewhere, close without them (the user's explicit choice), or stay.
    Returns True if the window may close."""

    def write(path: Path) -> None:
        drawings, labels, sources = zip(*keeper.unsaved, strict=True)
        kinds = [_source(s) for s in sources]
        samples_io.export_drawings(path, drawings, labels, kinds, store_path=keeper.store_file)

    closing = ask_to_save_elsewhere(
        parent,
        "Unsaved drawings",
        f"{plural(count, 'drawing')} could not be saved ({reason}).",
        "Save them to a file you choose, or close without them?",
        ("them", "ocrpad-unsaved.npz", ""),
        write,
    )
    if closing:
        keeper.unsaved.clear()
    return closing


def _same(stored: Sample, held: Held) -> bool:
    """Whether a stored sample is the held drawing: the same strokes, as the store keeps them.
    Not its label, which the browser may have changed since."""
    try:
        return strokes_to_json(stored.strokes) == strokes_to_json(validate_strokes(held[0]))
    except ValueError:
        return False
