"""The neuron worker: traces clicked units off the GUI thread, on its own copy of the model.

Requests collapse into the newest one. The forward pass of a drawing is kept, so stepping
from unit to unit on the same drawing costs only the trace itself.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PySide6.QtCore import QObject, Qt, Signal, Slot

from ocrpad.explain.neuron import NeuronTracer
from ocrpad.explain.neuron_trace import Unit
from ocrpad.explain.neuron_view import NeuronView, neuron_view
from ocrpad.model import Model


@dataclass(frozen=True)
class TraceRequest:
    """Trace `unit` (or the strongest unit of the layer named) for the network input `image`
    (28, 28) float32 of drawing `request_id`."""

    request_id: int
    image: NDArray[np.float32]
    unit: Unit | str


@dataclass(frozen=True)
class TraceResult:
    request_id: int
    view: NeuronView
    model_serial: int


class NeuronWorker(QObject):
    """request() from any thread; set_model by queued signal; answers come as `traced`."""

    traced = Signal(object)  # TraceResult
    failed = Signal(str)
    _wake = Signal()

    def __init__(self, model: Model | None = None) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._request: TraceRequest | None = None
        self._model: Model | None = None
        self._tracer: NeuronTracer | None = None
        self._serial = 0
        self._wake.connect(self._work, Qt.ConnectionType.QueuedConnection)
        if model is not None:
            self.set_model(model)

    def request(self, request: TraceRequest) -> None:
        """Trace one unit; a request still waiting is replaced (newest wins)."""
        with self._lock:
            waiting, self._request = self._request is not None, request
        if not waiting:
            self._wake.emit()

    @Slot(object)
    def set_model(self, model: Model) -> None:
        """Trace with a copy of `model` from now on (its layers keep forward caches)."""
        self._model, self._tracer = model.copy(), None
        self._serial += 1

    @Slot()
    def _work(self) -> None:
        with self._lock:
            request, self._request = self._request, None
        if request is None or self._model is None:
            return
        try:  # a failure anywhere reaches the panel, which would otherwise wait for ever
            tracer = self._tracer
            if tracer is None or not np.array_equal(tracer.image, request.image):
                tracer = self._tracer = NeuronTracer(self._model, request.image)
            view = neuron_view(tracer, request.unit)
        except (ValueError, KeyError, MemoryError) as exc:
            self.failed.emit(f"Could not trace this unit: {exc}")
            return
        self.traced.emit(TraceResult(request.request_id, view, self._serial))
