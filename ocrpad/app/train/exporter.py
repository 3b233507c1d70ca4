"""Exporting the drawings in the background, with a progress dialog and Cancel.

The work is the plain function ``exchange.export_all`` (tested without Qt; the file is written
under a temporary name and renamed, so a failure or a Cancel leaves nothing half written and an
earlier file whole); this only runs it off the GUI thread, so that thousands of drawings never
freeze the window, and turns the dialog's Cancel into the function's cancel flag.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from ocrpad.app.train.exchange import export_all
from ocrpad.app.train.progress import background_progress
from ocrpad.app.words import plural
from ocrpad.data.samples import SampleStore


class SampleExporter(QObject):
    """One export at a time; ``done`` carries how many drawings were written (0 after a
    failure or a Cancel) and what to say of it."""

    progress = Signal(int, int)  # drawings written so far, all of them
    done = Signal(int, str)
    running = Signal(bool)  # True when an export begins, False when it has ended

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._thread: threading.Thread | None = None
        self._cancel = threading.Event()
        self._running = False  # from start until ``done`` has reached the window
        self.dialog = background_progress(parent, "exportProgress", "Export", "Exporting drawings…")
        self.dialog.canceled.connect(self.cancel)
        self.progress.connect(self._show_progress)
        self.done.connect(lambda *_: self.dialog.reset())
        self.done.connect(self._ended)

    @property
    def busy(self) -> bool:
        """An export is running, or its ``done`` has not yet reached the window."""
        return self._running

    def start(self, store: SampleStore, path: Path, *, png_folders: bool) -> bool:
        """Begin writing every drawing of ``store`` to ``path`` (see ``export_all``); False
        if an export is already running."""
        if self.busy:
            return False
        self._cancel.clear()  # here, in the GUI thread: a Cancel right after this counts
        self.dialog.setLabelText(f"Exporting to {path.name}…")
        self.dialog.setRange(0, 0)
        self.dialog.setValue(0)  # starts its clock: it shows, with Cancel, after 400 ms
        self._thread = threading.Thread(
            target=self._run, args=(store, path, png_folders), name="export", daemon=True
        )
        self._running = True
        self._thread.start()
        self.running.emit(True)
        return True

    def cancel(self) -> None:
        """Stop at the next drawing (or before the file is renamed into place): nothing is
        written, an earlier file stays whole (thread-safe)."""
        self._cancel.set()

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self, store: SampleStore, path: Path, png_folders: bool) -> None:
        try:
            count, said = export_all(
                store,
                path,
                png_folders=png_folders,
                progress=self.progress.emit,
                cancel=self._cancel.is_set,
            )
        except Exception as exc:  # the thread's last word: never a silent end
            count, said = 0, f"Export failed: {type(exc).__name__}: {exc}"
        self.done.emit(count, said)

    def _ended(self) -> None:
        self._running = False
        self.running.emit(False)

    def _show_progress(self, done: int, total: int) -> None:
        self.dialog.setLabelText(f"Exporting {done:,} of {plural(total, 'drawing')}…")
        self.dialog.setRange(0, total)
        self.dialog.setValue(done)
