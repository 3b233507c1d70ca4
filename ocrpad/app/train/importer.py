"""Importing a stroke-array file in the background, with a progress dialog and Cancel.

The work is the plain function ``samples_io.import_npz`` (tested without Qt: bounds, typed
arrays, one transaction: all or none); this only runs it off the GUI thread, so that a large
file never freezes the window, and turns the dialog's Cancel into the function's cancel flag.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from ocrpad.app.train.progress import background_progress
from ocrpad.app.words import plural
from ocrpad.data import samples_io
from ocrpad.data.samples import SampleStore, StoreError


class SampleImporter(QObject):
    """One import at a time; ``done`` carries an ImportResult, ``failed`` a message."""

    progress = Signal(int, int)  # drawings written so far (kept once all are), total
    ended = Signal()  # before done or failed: the import no longer holds the store's lock
    done = Signal(object)  # samples_io.ImportResult
    failed = Signal(str)
    running = Signal(bool)  # True when an import begins, False once its end reached the window

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None
        self._running = False  # from start until ``done`` or ``failed`` has reached the window
        self._name = ""  # of the file being imported
        self.dialog = background_progress(parent, "importProgress", "Import", "Importing drawings…")
        self.dialog.canceled.connect(self.cancel)
        self.progress.connect(self._show_progress)
        self.done.connect(lambda _: self.dialog.reset())
        self.failed.connect(lambda _: self.dialog.reset())
        self.done.connect(self._ended)  # before the browser hears: it may start another
        self.failed.connect(self._ended)

    @property
    def busy(self) -> bool:
        """An import is running, or its ``done`` / ``failed`` has not yet reached the window:
        a second one begun meanwhile would have its dialog closed, and its name said, by the
        first's end."""
        return self._running

    @property
    def writing(self) -> bool:
        """The import's thread is still at work (it holds the store's lock until ``ended``)."""
        return self._thread is not None and self._thread.is_alive()

    def start(self, store: SampleStore, path: Path) -> bool:
        """Begin importing ``path`` into ``store``; False if an import is already running."""
        if self.busy:
            return False
        self._cancel.clear()
        self._name = path.name
        self.dialog.setLabelText(f"Importing {path.name}…")
        self.dialog.setRange(0, 0)
        self.dialog.setValue(0)  # starts its clock: it shows, with Cancel, after 400 ms
        self._thread = threading.Thread(
            target=self._run, args=(store, path), name="import", daemon=True
        )
        self._running = True
        self._thread.start()
        self.running.emit(True)
        return True

    def cancel(self) -> None:
        """Stop at the next chunk; the import's transaction is rolled back (thread-safe)."""
        self._cancel.set()

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self, store: SampleStore, path: Path) -> None:
        try:
            result = samples_io.import_npz(
                store, path, progress=self.progress.emit, cancel=self._cancel.is_set
            )
        except (OSError, ValueError, StoreError, MemoryError) as exc:
            self.ended.emit()
            self.failed.emit(str(exc) or type(exc).__name__)
        except Exception as exc:  # the thread's last word: never a silent end
            self.ended.emit()
            self.failed.emit(f"{path}: could not be read ({type(exc).__name__}: {exc})")
        else:
            self.ended.emit()
            self.done.emit(result)

    def _ended(self) -> None:
        self._running = False
        self.running.emit(False)

    def _show_progress(self, done: int, total: int) -> None:
        self.dialog.setLabelText(f"Importing {self._name}: {done:,} of {plural(total, 'drawing')}…")
        self.dialog.setRange(0, total)
        self.dialog.setValue(done)
