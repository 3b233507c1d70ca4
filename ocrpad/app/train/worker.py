"""TrainWorker: runs one fine-tune at a time in its own QThread and reports by signals.

The work is the plain function ``ocrpad.learning.fine_tune`` (tested without Qt); this class only
moves it off the GUI thread, forwards its progress, and turns ``cancel()`` — callable from
any thread — into the function's cancel flag.
"""

from __future__ import annotations

import contextlib
import threading
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from ocrpad.data.samples_errors import StoreError
from ocrpad.explain.filter_drift import FilterDrift, filter_drift
from ocrpad.learning.cancel import Cancelled
from ocrpad.learning.finetune import fine_tune
from ocrpad.learning.finetune_plan import DEFAULT_SETTINGS, Speed, measure_speed
from ocrpad.learning.finetune_report import FineTuneReport
from ocrpad.learning.rehearsal import (
    default_rehearsal_path,
    rehearsal_count,
    rehearsal_to_render,
    rendered_rehearsal,
)
from ocrpad.preprocess import render_params_of

FineTuneFn = Callable[..., tuple[Any, FineTuneReport]]


@dataclass(frozen=True)
class TrainJob:
    """What to fine-tune: a private copy of the model and the user's drawings.

    ``load`` (optional) reads the stored drawings in the worker's thread, so that a large
    store is not decoded on the GUI thread; they come before ``strokes`` / ``labels``.
    """

    model: Any  # ocrpad.model.Model, already copied: the worker owns it
    strokes: tuple[Sequence[Any], ...]
    labels: tuple[str, ...]
    load: Callable[[], tuple[list[Any], list[str]]] | None = None


@dataclass(frozen=True)
class TrainResult:
    """The fine-tuned model (owned by the receiver from now on), its report and how far
    each conv filter moved from the model it started from."""

    model: Any
    report: FineTuneReport
    drift: tuple[FilterDrift, ...] = ()
    drift_problem: str = ""  # why the filters' movement could not be measured, or ""


@dataclass(frozen=True)
class Measured:
    """This computer's fine-tuning speed (None: it could not be measured, e.g. a damaged
    model) and the rehearsal drawings a run still has to render (none once the measurement
    has rendered them for the session)."""

    speed: Speed | None
    rehearsal: int


class TrainWorker(QObject):
    """Lives in a QThread; ``start`` (queued) runs a job, ``cancel`` stops it from anywhere."""

    progress = Signal(object)  # FineTuneProgress
    preparing = Signal(int, int)  # drawings prepared (checked, rendered) so far, all of them
    scoring = Signal(int, int)  # held-back drawings the base model has read so far, all of them
    distorting = Signal(int, int, int)  # epoch, drawings distorted afresh so far, all of them
    finished = Signal(object)  # TrainResult (report.cancelled tells whether it was stopped)
    failed = Signal(str)  # a readable message
    speed_measured = Signal(object)  # Measured: how fast a fine-tune runs here

    def __init__(
        self, fine_tune_fn: FineTuneFn = fine_tune, *, warm_rehearsal: bool = True
    ) -> None:
        super().__init__()
        self._fine_tune = fine_tune_fn
        self._warm = warm_rehearsal  # render the shipped rehearsal set while measuring
        self._cancel = threading.Event()
        self.busy = False

    def cancel(self) -> None:
        """Ask the running (or about to run) fine-tune to stop at its next step (thread-safe)."""
        self._cancel.set()

    @property
    def cancelling(self) -> bool:
        """Whether the job was asked to stop (Cancel) and has not been armed again since."""
        return self._cancel.is_set()

    def arm(self) -> None:
        """Clear an old cancel before a new job is queued (call from the thread that queues
        it, so that a Cancel pressed right after Start is never forgotten)."""
        self._cancel.clear()

    @Slot(object)
    def measure(self, model: Any) -> None:
        """Time one fine-tune step of a copy of ``model`` (owned by the worker), render the
        shipped rehearsal set for the session's fine-tunes (when warming), and report. Always
        reports: a failure is a speed that could not be measured, not a summary that says
        "Measuring…" for ever."""
        try:
            measured = self._measured(model)
        except (ValueError, MemoryError, FloatingPointError):
            measured = Measured(None, 0)  # fine-tuning will say what is wrong
        except Exception:  # a bug: the estimate is left out, the app goes on
            traceback.print_exc()
            measured = Measured(None, 0)
        self.speed_measured.emit(measured)

    def _measured(self, model: Any) -> Measured:
        path = default_rehearsal_path()
        speed = measure_speed(model, DEFAULT_SETTINGS)
        params = render_params_of(model.meta)
        if not self._warm:
            return Measured(speed, rehearsal_count(path))
        # a damaged file: the fine-tune says why; a close meanwhile (cancel) stops the rendering
        with contextlib.suppress(ValueError, OSError, MemoryError, Cancelled):
            rendered_rehearsal(path, params, self._cancel.is_set)
        return Measured(speed, rehearsal_to_render(path, params))

    @Slot(object)
    def start(self, job: TrainJob) -> None:
        """Run ``job`` and emit ``finished`` or ``failed``: one of them, whatever goes wrong
        (the panel shows "running" until it hears)."""
        self.busy = True
        try:
            result = self._run(job)
        except StoreError as exc:
            self.failed.emit(f"Your saved drawings cannot be read right now: {exc}")
        except (ValueError, MemoryError, FloatingPointError) as exc:
            self.failed.emit(f"Fine-tuning failed: {exc}")
        except Exception as exc:  # a bug: keep the app alive, show what happened
            traceback.print_exc()
            self.failed.emit(f"Fine-tuning stopped by an internal error: {exc!r}")
        else:
            self.finished.emit(result)
        finally:
            self.busy = False

    def _run(self, job: TrainJob) -> TrainResult:
        strokes, labels = list(job.strokes), list(job.labels)
        if job.load is not None:
            stored, stored_labels = job.load()
            strokes, labels = stored + strokes, stored_labels + labels
        if not strokes:
            raise ValueError("there are no drawings to learn from")
        model, report = self._fine_tune(
            job.model,
            strokes,
            labels,
            progress=self.progress.emit,
            cancel=self._cancel.is_set,
            preparing=self.preparing.emit,
            scoring=self.scoring.emit,
            distorting=self.distorting.emit,
        )
        if report.cancelled:
            return TrainResult(model, report)
        return TrainResult(model, report, *_drift(job.model, model))


def _drift(before: Any, after: Any) -> tuple[tuple[FilterDrift, ...], str]:
    """How far each conv filter moved, and why not when it could not be measured: the
    fine-tuned model is worth keeping all the same, so no failure here ends the job."""
    try:
        return tuple(filter_drift(before, after)), ""
    except (ValueError, AttributeError) as exc:  # two models that cannot be compared
        return (), str(exc)
    except MemoryError:
        return (), "not enough memory"
    except Exception as exc:  # a bug: the result stays, the Filters view says so
        traceback.print_exc()
        return (), f"an internal error ({exc!r})"


def start_thread(worker: TrainWorker, parent: QObject) -> QThread:
    """A running QThread named 'training' that hosts ``worker``."""
    thread = QThread(parent)
    thread.setObjectName("training")
    worker.moveToThread(thread)
    thread.start()
    return thread
