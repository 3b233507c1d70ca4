"""The Train tab: collect drawings, browse them, fine-tune a copy of the model in a worker thread,
see what changed, keep or discard it. ``wiring.install(window, data_dir)`` puts it in the window.

The tab gets everything by injection: the sample store, a getter for the current model and the
fine-tune function (for tests). It hands a kept model out through ``model_accepted``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from PySide6.QtCore import Qt, QThread, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QGroupBox, QSplitter, QVBoxLayout, QWidget

from ocrpad.app.draw.strokes import Drawing
from ocrpad.app.train.browser import SampleBrowser
from ocrpad.app.train.collect import CollectPanel
from ocrpad.app.train.data_folder import DataFolderLine
from ocrpad.app.train.elided import ElidedLabel
from ocrpad.app.train.keeper import DrawingKeeper, Held
from ocrpad.app.train.outcome import show_result
from ocrpad.app.train.panel import FineTunePanel, duration_text
from ocrpad.app.train.short_texts import ShortWhenNarrowGroupBox
from ocrpad.app.train.summary import summary_text, unreadable_text
from ocrpad.app.train.tips import named
from ocrpad.app.train.worker import (
    FineTuneFn,
    Measured,
    TrainJob,
    TrainResult,
    TrainWorker,
    start_thread,
)
from ocrpad.app.words import plural
from ocrpad.data.samples import SampleStore, StoreError, validate_label
from ocrpad.learning.finetune import fine_tune
from ocrpad.learning.finetune_plan import DEFAULT_SETTINGS, estimate_seconds
from ocrpad.learning.finetune_report import FineTuneProgress

STORE_NAME: Final = "samples.sqlite"
USER_MODEL_NAME: Final = "user-model.npz"


def _group(box: QGroupBox, *widgets: QWidget) -> QGroupBox:
    """A titled column; narrow margins, so the three columns fit a window 800 pixels wide."""
    layout = QVBoxLayout(box)
    layout.setContentsMargins(4, 4, 4, 4)
    for widget in widgets:
        layout.addWidget(widget, 1 if widget is widgets[0] else 0)
    return box


class TrainTab(QSplitter):
    """Collect | Your samples | Fine-tune.

    ``warm_rehearsal``: render the shipped rehearsal set in the worker when the speed is
    measured, so the session's fine-tunes start without rendering it (off for a
    ``fine_tune_fn`` that uses no rehearsal).
    """

    model_accepted = Signal(object)  # the kept fine-tuned Model
    restore_factory_requested = Signal()
    message = Signal(str)
    progress_shown = Signal(object)  # FineTuneProgress, after the panel showed it
    fine_tune_done = Signal(object)  # FineTuneReport (or None on failure), after it is shown
    fine_tune_started = Signal(object)  # the TrainJob, queued to the worker thread
    drawing_saved = Signal(object, str, str)  # strokes, label, source: stored or held
    _measure = Signal(object)  # a model copy, queued to the worker thread to time a step

    def __init__(
        self,
        store: SampleStore | None,
        current_model: Callable[[], Any],
        fine_tune_fn: FineTuneFn = fine_tune,
        parent: QWidget | None = None,
        *,
        keeper: DrawingKeeper | None = None,
        warm_rehearsal: bool = True,
    ) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setObjectName("trainTab")
        self.store = store
        self.current_model = current_model
        self.keeper = keeper or DrawingKeeper(store)  # holds drawings the store refused
        self.keeper.setParent(self)
        self._reported: set[int] = set()
        self.last_held: Held | None = None  # the newest drawing saved (an undo takes it back)
        self.pending: TrainResult | None = None  # a fine-tuned model awaiting keep / discard
        self.collect = CollectPanel(self.save)
        self.browser = SampleBrowser(store)
        self.panel = FineTunePanel()
        self.status = named(ElidedLabel(" "), "trainStatus")  # one line: the page never jumps
        self.data_folder = DataFolderLine(self.keeper.store_file)  # where the store is
        self.samples_box = ShortWhenNarrowGroupBox("Your samples")  # the count when it fits
        _group(self.samples_box, self.browser, self.data_folder)
        collect_box = ShortWhenNarrowGroupBox("Collect drawings")
        collect_box.set_titles("Collect drawings", "Collect")
        self.addWidget(_group(collect_box, self.collect))
        middle = QWidget()
        column = QVBoxLayout(middle)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.samples_box, 1)
        column.addWidget(self.status)
        self.addWidget(middle)
        self.addWidget(_group(QGroupBox("Fine-tune"), self.panel))
        self.setStretchFactor(0, 4)  # room to draw on, and for several columns of samples
        self.setStretchFactor(1, 5)
        self.setStretchFactor(2, 3)
        self.setChildrenCollapsible(False)
        self.worker = TrainWorker(fine_tune_fn, warm_rehearsal=warm_rehearsal)
        self.thread_: QThread | None = None
        self.measured: Measured | None = None  # how fast fine-tuning runs on this computer
        self._measuring = False
        self._closed = False  # after shutdown() late reports change nothing
        self._connect()
        self._update_summary()

    def _connect(self) -> None:
        for source in (self.collect.message, self.browser.message):
            source.connect(self.show_message)
        self.browser.changed.connect(self._update_summary)
        self.keeper.message.connect(self.show_message)
        self.keeper.stored.connect(self.refresh)
        self.keeper.store_opened.connect(self._store_opened)
        self.keeper.hold_during(self.browser.importer)  # a save never waits for an import
        self.panel.start_button.clicked.connect(self.start_fine_tune)
        self.panel.cancel_button.clicked.connect(self.cancel_fine_tune)
        self.panel.keep_button.clicked.connect(self.keep)
        self.panel.discard_button.clicked.connect(self.discard)
        self.panel.restore_button.clicked.connect(self.restore_factory_requested.emit)
        self.worker.progress.connect(self._progress)
        self.worker.preparing.connect(self.panel.show_preparing)
        self.worker.scoring.connect(self.panel.show_scoring)
        self.worker.distorting.connect(self.panel.show_distorting)
        self.worker.finished.connect(self._finished)
        self.worker.failed.connect(self._failed)
        self.fine_tune_started.connect(self.worker.start, Qt.ConnectionType.QueuedConnection)
        self._measure.connect(self.worker.measure, Qt.ConnectionType.QueuedConnection)
        self.worker.speed_measured.connect(self._speed_measured)

    def show_message(self, text: str) -> None:
        self.status.setText(text)
        self.message.emit(text)

    # -- samples -------------------------------------------------------------------------
    def save(self, strokes: Drawing, label: str, source: str) -> bool:
        """Store one drawing; if the disk refuses, keep it in memory and say so."""
        try:
            label = validate_label(label)
        except ValueError as exc:
            self.show_message(str(exc))
            return False
        stored = self.keeper.save(strokes, label, source)
        self.last_held = self.keeper.last_held
        if stored:
            self.show_message(f"Saved “{label}” ({plural(self._count(), 'drawing')} in all)")
        else:
            self.show_message(self.keeper.held_message())
        self.browser.show_saved(self.keeper.stored_ids)
        self._update_summary()
        self.drawing_saved.emit(strokes, label, source)
        return True

    @property
    def unsaved(self) -> list[tuple[Drawing, str, str]]:
        """Drawings held in memory because the store refused them (retried every few s)."""
        return self.keeper.unsaved

    def refresh(self) -> None:
        """Re-read the store: its counts and the drawings of the class shown."""
        self.browser.refresh()
        self._update_summary()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802  (Qt's name)
        super().showEvent(event)  # counts only (another window may have saved drawings):
        self._update_summary()  # the grid keeps the drawing the user picked, and is not redrawn

    def _store_opened(self, store: SampleStore) -> None:
        self.store = store
        self.browser.store = store
        self.refresh()

    def unsave(self, held: Held) -> bool:
        """Take back the save of `held` (``last_held`` after a save), whether it still waits in
        memory or reached the store. False (and a message) if it cannot be done."""
        try:
            self.keeper.take_back(held)
        except (KeyError, StoreError) as exc:
            self.show_message(f"Could not take the drawing back ({exc})")
            return False
        self.browser.refresh()
        self._update_summary()
        return True

    def _count(self) -> int:
        try:
            return (self.store.count() if self.store else 0) + len(self.unsaved)
        except StoreError:
            return len(self.unsaved)

    def training_data(self) -> tuple[list[Drawing], list[str]]:
        """Every stored drawing that can be read, plus those held in memory. Damaged rows
        are skipped (and reported); a busy store is reported and only the held ones come."""
        try:
            strokes, labels = self.stored_drawings()
        except StoreError as exc:
            self.show_message(f"Your saved drawings cannot be read right now: {exc}")
            strokes, labels = [], []
        self._report_damage()
        return strokes + [u[0] for u in self.unsaved], labels + [u[1] for u in self.unsaved]

    def stored_drawings(self) -> tuple[list[Drawing], list[str]]:
        """The store's readable drawings and labels (no widget is touched: the fine-tune's
        worker thread calls this). Raises StoreError when the store cannot be read."""
        samples = self.store.samples() if self.store is not None else []
        return [s.strokes for s in samples], [s.label for s in samples]

    def _report_damage(self) -> None:
        damaged = {} if self.store is None else self.store.damaged
        if damaged and set(damaged) != self._reported:
            self._reported = set(damaged)
            ids = ", ".join(f"#{i}" for i in sorted(damaged)[:5])
            self.show_message(
                f"Skipped {plural(len(damaged), 'damaged drawing')} ({ids}); they "
                f"stay in {self.store.path if self.store else 'the store'} untouched."
            )

    def _update_summary(self) -> None:
        """Counts only: reading every drawing's strokes here would make start-up as slow
        (and as hungry) as the store is large."""
        known = True
        try:
            counts = self.store.counts_by_label() if self.store is not None else {}
        except StoreError:  # busy or damaged: Fine-tune stays on and the worker says which
            counts, known = {}, False
        for _, label, _ in self.unsaved:
            counts[label] = counts.get(label, 0) + 1
        n = sum(counts.values())
        self.panel.set_ready(n > 0 or not known or self.keeper.saved_unreadable)
        drawings, characters = plural(n, "drawing"), plural(len(counts), "character")
        self.samples_box.set_titles(f"Your samples: {drawings}", "Your samples")  # the count
        self.samples_box.setToolTip(f"{drawings} of {characters}")  # where there is room
        if self.keeper.saved_unreadable:
            self.panel.summary.setText(unreadable_text(n))
        else:
            self.panel.summary.setText(summary_text(counts, self._duration(n) if n else ""))

    def _duration(self, drawings: int) -> str:
        """What the fine-tune will cost, said before it starts (measured once per session)."""
        if self.measured is None:
            self._measure_speed()
            return "Measuring how long fine-tuning takes on this computer…"
        m = self.measured
        if m.speed is None:
            return "How long it takes could not be measured here."
        seconds = estimate_seconds(drawings, DEFAULT_SETTINGS, m.speed, m.rehearsal)
        return f"Fine-tuning will take about {duration_text(seconds)} on this computer."

    def _measure_speed(self) -> None:
        model = self.current_model()
        if self._measuring or model is None:
            return
        if self.thread_ is None:
            self.thread_ = start_thread(self.worker, self)
        self._measuring = True
        self._measure.emit(model.copy())

    def _speed_measured(self, measured: Measured) -> None:
        self.measured, self._measuring = measured, False
        if not self._closed:
            self._update_summary()

    # -- fine-tuning ---------------------------------------------------------------------
    def start_fine_tune(self) -> bool:
        model = self.current_model()
        unreadable = self.keeper.open_now()  # the store may open now: what is held goes in
        if unreadable and model is not None:  # a fine-tune on part of them would replace
            self.show_message(  # a model that learnt from all of them
                f"Your saved drawings cannot be read right now: {unreadable}. ocrpad keeps "
                "trying; fine-tune once they can be read, so that it learns from all of them."
            )
            return False
        held = list(self.unsaved)
        try:
            stored = self.store.count() if self.store is not None else 0
        except StoreError:
            stored = 1  # not known now: the worker reads the store and says what is wrong
        if model is None or not (held or stored):
            self.show_message("No model is loaded." if model is None else "No drawings yet.")
            return False
        strokes, labels = tuple(h[0] for h in held), tuple(h[1] for h in held)
        try:  # before the panel says "running": nothing would ever end it
            job = TrainJob(model.copy(), strokes, labels, load=self.stored_drawings)
        except MemoryError:
            self.show_message("Not enough memory to fine-tune a copy of the model.")
            return False
        if self.thread_ is None:
            self.thread_ = start_thread(self.worker, self)
        self.pending = None
        self.panel.begin()
        self.worker.arm()  # here, not in the worker: a Cancel pressed from now on counts
        self.fine_tune_started.emit(job)
        return True

    def cancel_fine_tune(self) -> None:
        self.worker.cancel()
        self.panel.eta.setText("Cancelling…")

    def _progress(self, figures: FineTuneProgress) -> None:
        self._report_damage()  # rows the worker skipped reading the store (said once)
        self.panel.show_progress(figures)
        self.progress_shown.emit(figures)

    def _finished(self, result: TrainResult) -> None:
        self.pending = None if result.report.cancelled else result
        self.message.emit(show_result(self.panel, result))  # guarded: never left "running"
        self.fine_tune_done.emit(result.report)

    def _failed(self, message: str) -> None:
        self.panel.show_failure(message)
        self.message.emit("The fine-tune failed (see Fine-tune).")
        self.fine_tune_done.emit(None)

    def keep(self) -> None:
        if self.pending is not None:
            model, self.pending = self.pending.model, None
            self.panel.set_state("idle")
            self.show_message("Kept: the fine-tuned model is now in use.")
            self.model_accepted.emit(model)  # last: a model that cannot be saved says so

    def discard(self) -> None:
        self.pending = None
        self.panel.set_state("idle")
        self.show_message("Discarded: the previous model stays in use.")

    def shutdown(self) -> None:
        """Cancel a running fine-tune and import, let an export end, and stop their threads:
        an import is rolled back by its own thread, not cut off by the interpreter's exit."""
        self._closed = True
        self.browser.importer.cancel()
        self.browser.importer.wait()  # it rolls back what it had written
        self.browser.exporter.wait()  # its file is whole or not there, never half written
        self.worker.cancel()
        if self.thread_ is not None and self.thread_.isRunning():
            self.thread_.quit()
            self.thread_.wait(30_000)
