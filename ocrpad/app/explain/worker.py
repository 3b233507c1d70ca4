"""The explain worker: heat maps and dreams off the GUI thread, cached per model.

One long-lived QObject in its own QThread. Heat-map requests collapse into the newest one and
are answered before anything else; dreams run a few ascent steps at a time between them, so a
heat map never waits for a whole dream. Results leave as signals carrying frozen dataclasses.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
from numpy.typing import NDArray
from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

from ocrpad.explain.attribution import Method
from ocrpad.explain.dream_cache import DreamCache
from ocrpad.explain.session import CLASSES, Explainer, Progress
from ocrpad.model import Model

FloatArray = NDArray[np.float32]
SLICE_SECONDS: Final = 0.03  # dream work between two looks at the request queue
QUIET_SECONDS: Final = 0.4  # dream work pauses this long after drawing or a heat-map request
KEEP_MODELS: Final = 3  # explainers (with their dream caches) kept for recent models


@dataclass(frozen=True)
class HeatmapRequest:
    """Explain `class_index` for one network input (28, 28) float32."""

    request_id: int
    image: FloatArray
    class_index: int
    method: Method = "gradcam"


@dataclass(frozen=True)
class HeatmapResult:
    """heat: (28, 28) float32 in [0, 1] for `label` (the class at `class_index`)."""

    request_id: int
    class_index: int
    label: str
    method: Method
    heat: FloatArray
    compute_ms: float


@dataclass(frozen=True)
class Dreams:
    """Dream images (K, 28, 28) float32 in [0, 1]: one per class (kind 'classes', names are
    the labels) or per filter of a conv layer (kind = the layer name)."""

    kind: str
    names: list[str]
    images: FloatArray
    model_serial: int
    blank_paper: tuple[int, ...] = ()  # filters that respond most to blank paper (flat dreams)
    complete: bool = True  # False: the classes dreamt so far, the others still black


@dataclass(frozen=True)
class DreamProgress:
    kind: str
    done: int
    total: int


FILTERS: Final = "filters"  # request: the filter dreams of every conv layer


class ExplainWorker(QObject):
    """request_* from any thread; set_model by queued signal; results come back as signals."""

    heatmap_ready = Signal(object)  # HeatmapResult
    dreams_ready = Signal(object)  # Dreams
    progress = Signal(object)  # DreamProgress
    failed = Signal(str)
    _wake = Signal()

    def __init__(self, model: Model | None = None, cache_dir: Path | None = None) -> None:
        super().__init__()
        self._cache = None if cache_dir is None else DreamCache(cache_dir)
        self._lock = threading.Lock()
        self._heatmap: HeatmapRequest | None = None
        self._wanted: list[str] = []  # dream kinds asked for, in order
        self._woken = False
        self._explainers: list[tuple[Model, Explainer]] = []
        self._explainer: Explainer | None = None
        self._serial = 0
        self._job: tuple[str, Iterator[Progress]] | None = None
        self._quiet_until = 0.0  # the user is drawing: leave the cores to recognition
        self._preempt = False  # a dream request jumped the queue: pause the current job
        self._shown_so_far: dict[int, int] = {}  # model serial -> class dreams already shown
        self._wake.connect(self._work, Qt.ConnectionType.QueuedConnection)
        if model is not None:
            self.set_model(model)

    # -- requests (any thread) -------------------------------------------------------------
    def request_heatmap(self, request: HeatmapRequest) -> None:
        """Explain one input; a request still waiting is replaced (newest wins)."""
        with self._lock:
            self._heatmap = request
        self._poke()

    def request_dreams(self, kind: str = CLASSES, *, first: bool = False) -> None:
        """Dream every class (CLASSES), or every filter of every conv layer (FILTERS).

        `first`: before anything else asked for, pausing a dream job in progress (someone
        is waiting for these); otherwise after the others.
        """
        with self._lock:
            if kind in self._wanted:
                self._wanted.remove(kind)
            if first:
                self._wanted.insert(0, kind)
                self._preempt = True
            else:
                self._wanted.append(kind)
        self._poke()

    def notify_activity(self) -> None:
        """The user is drawing: pause dream work for a moment, recognition needs the cores."""
        with self._lock:
            self._quiet_until = time.perf_counter() + QUIET_SECONDS

    def _poke(self) -> None:
        with self._lock:
            if self._woken:
                return
            self._woken = True
        self._wake.emit()

    # -- worker thread ---------------------------------------------------------------------
    @Slot(object)
    def set_model(self, model: Model) -> None:
        """Use `model` from now on (queued from the GUI thread); an interrupted dream job is
        queued again for it."""
        for known, explainer in self._explainers:
            if known is model:
                self._explainer = explainer
                break
        else:
            self._explainer = Explainer(model, cache=self._cache)
            self._explainers = [(model, self._explainer), *self._explainers][:KEEP_MODELS]
        self._serial += 1
        if self._job is not None:
            with self._lock:
                self._wanted = list(dict.fromkeys([self._job[0], *self._wanted]))
            self._job = None
        self._poke()

    @Slot()
    def _work(self) -> None:
        with self._lock:
            self._woken = False
            request, self._heatmap = self._heatmap, None
        if request is not None:
            self._answer(request)
            self.notify_activity()
        with self._lock:
            quiet = self._quiet_until - time.perf_counter()
        if quiet > 0:
            with self._lock:
                dreams_waiting = self._job is not None or bool(self._wanted)
            if dreams_waiting:
                QTimer.singleShot(int(1000 * quiet) + 1, self._poke)
            return
        self._advance_dreams()
        with self._lock:
            more = self._heatmap is not None or self._job is not None or bool(self._wanted)
        if more:
            self._poke()

    def _answer(self, request: HeatmapRequest) -> None:
        explainer = self._explainer
        if explainer is None:
            return
        start = time.perf_counter()
        try:
            heat = explainer.heatmap(request.image, request.class_index, request.method)
        except (ValueError, IndexError) as exc:
            self.failed.emit(f"Could not explain this drawing: {exc}")
            return
        except MemoryError:
            self.failed.emit("Could not explain this drawing: there was not enough memory")
            return
        label = explainer.labels[request.class_index]
        ms = 1000 * (time.perf_counter() - start)
        self.heatmap_ready.emit(
            HeatmapResult(request.request_id, request.class_index, label, request.method, heat, ms)
        )

    def _advance_dreams(self) -> None:
        """Run the current dream job for about SLICE_SECONDS (less if a heat map is asked
        for meanwhile: it waits one ascent step at most), starting the next if needed."""
        explainer = self._explainer
        if explainer is None:
            return
        with self._lock:
            if self._preempt and self._job is not None and self._wanted:
                urgent, current = self._wanted[0], self._job[0]
                if urgent == current:  # already on it
                    self._wanted.pop(0)
                else:  # pause it (finished batches stay cached) and resume it next
                    self._wanted.insert(1, current)
                    self._job = None
            self._preempt = False
        if self._job is None:
            kind = self._next_kind(explainer)
            if kind is None:
                return
            self._job = (kind, explainer.dream_steps(kind))
        kind, steps = self._job
        deadline = time.perf_counter() + SLICE_SECONDS
        for done, total in steps:
            if time.perf_counter() > deadline or self._heatmap is not None:
                self.progress.emit(DreamProgress(kind, done, total))
                if kind == CLASSES:
                    self._show_so_far(explainer)
                return
        self._job = None
        self._publish(explainer, kind)

    def _show_so_far(self, explainer: Explainer) -> None:
        """Emit the class dreams finished so far, when more have finished since last time,
        so that the gallery fills in batch by batch instead of after the last one."""
        images, done = explainer.partial(CLASSES)
        if done > self._shown_so_far.get(self._serial, 0) and done < len(images):
            self._shown_so_far[self._serial] = done
            names = list(explainer.labels)
            self.dreams_ready.emit(Dreams(CLASSES, names, images, self._serial, complete=False))

    def _next_kind(self, explainer: Explainer) -> str | None:
        """The next kind to compute; kinds already cached are published straight away."""
        while True:
            with self._lock:
                if not self._wanted:
                    return None
                kind = self._wanted.pop(0)
                if kind == FILTERS:  # expands into the conv layers, in order
                    self._wanted[:0] = explainer.conv_layers()
                    continue
            if kind != CLASSES and kind not in explainer.conv_layers():
                continue  # not a conv layer of this model
            if not self._publish(explainer, kind):
                return kind

    def _publish(self, explainer: Explainer, kind: str) -> bool:
        """Emit the dreams of `kind` if they are all computed; True if it did."""
        blank: tuple[int, ...] = ()
        if kind == CLASSES:
            images, names = explainer.dreams(kind), list(explainer.labels)
        else:
            images = explainer.filter_tiles(kind)
            names = [f"{kind}:{i}" for i in range(0 if images is None else len(images))]
            blank = tuple(explainer.blank_paper_filters(kind) or ())
        if images is None:
            return False
        self.dreams_ready.emit(Dreams(kind, names, images, self._serial, blank))
        return True
