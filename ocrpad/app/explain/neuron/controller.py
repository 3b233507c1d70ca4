"""Wires the neuron panel: a click on a cell of an enlarged feature map traces that unit in
the neuron worker's thread; the panel, the receptive field on the canvas and the arrows
follow, a cleared canvas empties them, and a new drawing re-traces the same unit."""

from __future__ import annotations

import time

import numpy as np
from numpy.typing import NDArray
from PySide6.QtCore import QObject, QRectF, QThread, Signal
from PySide6.QtWidgets import QWidget

from ocrpad.app.draw.prediction import Prediction
from ocrpad.app.draw.tab import DrawTab
from ocrpad.app.explain.neuron.field import FieldOverlay
from ocrpad.app.explain.neuron.panel import NeuronPanel
from ocrpad.app.explain.neuron.worker import NeuronWorker, TraceRequest, TraceResult
from ocrpad.app.explain.overlay import input_square
from ocrpad.explain.neuron_trace import Unit
from ocrpad.model import Model
from ocrpad.preprocess import render_params_of


class NeuronController(QObject):
    """Owns the neuron worker thread, the panel and the canvas outline of one window."""

    trace_shown = Signal(object)  # NeuronView, once the panel shows it
    status_message = Signal(str, int)
    _model_to_worker = Signal(object)

    def __init__(self, parent: QWidget, draw: DrawTab, model: Model | None) -> None:
        super().__init__(parent)
        self.parent_widget, self.draw, self.model = parent, draw, model
        self.panel: NeuronPanel | None = None
        self.unit: Unit | str | None = None  # the unit picked or stepped to (a layer's name:
        # its strongest unit, until the answer names it)
        self.origin: Unit | None = None  # the unit `unit` was stepped down from (None: picked)
        # the units stepped away from, each with its origin, newest last (for Back)
        self.history: list[tuple[Unit | str, Unit | None]] = []
        self.image: NDArray[np.float32] | None = None
        self.answer: str | None = None  # the class the window shows for it
        self.chart: dict[str, float] = {}  # the chart's share of each allowed class
        self.request_id = 0
        self.latency_ms: float | None = None  # click -> panel shows the trace
        self._asked_at = 0.0
        self._waiting = False  # a trace asked for and not shown yet
        self._serial = 0 if model is None else 1  # counts set_model calls, as the worker does
        self.canvas_field = FieldOverlay(draw.canvas, self._canvas_rect)
        preview = draw.panel.preview
        self.preview_field = FieldOverlay(preview, lambda: QRectF(preview.image_rect()))
        self.thread_ = QThread(self)
        self.thread_.setObjectName("neuron")
        self.worker = NeuronWorker(model)
        self.worker.moveToThread(self.thread_)
        self.worker.traced.connect(self._show)
        self.worker.failed.connect(lambda m: self.status_message.emit(m, 5000))
        self._model_to_worker.connect(self.worker.set_model)
        self.thread_.start()
        draw.feature_maps.neuron_clicked.connect(self.open_unit)
        draw.canvas.strokes_changed.connect(self._on_strokes)
        self._new_panel()  # hidden until a trace: findable (objectName neuronView) from the start

    def shutdown(self) -> None:
        if self.thread_.isRunning():
            self.thread_.quit()
            self.thread_.wait(10_000)

    # -- what the user asks for --------------------------------------------------------------
    def open_unit(self, layer: str, channel: int, row: int, col: int) -> None:
        """Trace a unit picked in a feature map (starts a new path)."""
        self.history = []
        self._go(Unit(layer, channel, row, col), None)

    def step_down(self) -> None:
        """Go to the shown neuron's strongest input in the layer below."""
        view = self.panel.view if self.panel is not None else None
        if view is None or view.trace.strongest is None or self.unit is None:
            return
        target = view.trace.strongest
        if target.layer is None:  # a pixel: nothing to trace, show where it is
            value = float(view.image[target.row, target.col])
            where = f"row {target.row}, col {target.col}"
            self.status_message.emit(f"Input pixel ({where}) = {value:.3g}", 5000)
            return
        self.history.append((self.unit, self.origin))
        self._go(target, view.trace.unit)

    def step_back(self) -> None:
        if self.history:
            self._go(*self.history.pop())

    def jump(self, unit: Unit | str) -> None:
        """A block of the architecture strip: go to that unit of the path (or to the
        strongest unit of a layer off the path, given by name; for the output layer, the
        class read)."""
        unit = self._answer_unit(unit) if isinstance(unit, str) else unit
        if unit != self.unit and self.unit is not None:
            self.history.append((self.unit, self.origin))
            self._go(unit, None)

    def _answer_unit(self, layer: str) -> Unit | str:
        """The output layer's unit of the class the window shows — not its highest logit: an
        answer from a character set or from the writer's history can be another class."""
        model, answer = self.model, self.answer
        if model is None or answer not in model.labels or layer != model.network.layers[-1][0]:
            return layer
        return Unit(layer, model.labels.index(answer))

    def _go(self, unit: Unit | str, origin: Unit | None) -> None:
        """Trace `unit`, reached from `origin` (None: the user picked it)."""
        self.unit, self.origin = unit, origin
        self._asked_at = time.perf_counter()
        self._request()

    def _request(self) -> None:
        if self.unit is None or self.image is None:
            return
        self._waiting = True
        self.worker.request(TraceRequest(self.request_id, self.image, self.unit))

    # -- what the window tells ---------------------------------------------------------------
    def on_prediction(self, prediction: Prediction) -> None:
        """A new drawing: keep its input; the open panel follows it."""
        self.image, self.request_id = prediction.input_image, prediction.request_id
        self.answer = prediction.label
        self.chart = dict(zip(prediction.labels, prediction.probabilities.tolist(), strict=True))
        open_ = self.panel is not None and self.panel.isVisible()
        if self.unit is not None and (open_ or self._waiting):
            self._asked_at = time.perf_counter()
            self._request()

    def _on_strokes(self, strokes: object) -> None:
        """An empty canvas: nothing to trace. The outlines go, the panel says so, and answers
        for the old drawing still on their way are dropped; the next drawing re-traces."""
        if strokes:
            return  # a new drawing: its prediction re-traces
        self.image, self.request_id = None, -1
        self._set_field(None)
        if self.panel is not None and self.panel.isVisible():
            self.panel.show_empty()

    def on_model_changed(self, model: Model) -> None:
        self.model = model
        self._serial += 1
        self._model_to_worker.emit(model)
        self.unit, self.origin, self.history, self._waiting = None, None, [], False
        self._set_field(None)
        if self.panel is not None:
            self.panel.hide()

    def _show(self, result: TraceResult) -> None:
        if result.request_id != self.request_id or result.model_serial != self._serial:
            return  # an older drawing's or model's answer
        view = result.view
        self._waiting = False
        self.unit = view.clicked
        self.panel = self.panel or self._new_panel()
        self.panel.labels = [] if self.model is None else list(self.model.labels)
        self.panel.chart = self.chart
        self.panel.show_view(view, can_go_back=bool(self.history), reached_from=self.origin)
        self.panel.show()
        self._set_field(view.trace.receptive_field)
        self.latency_ms = 1000 * (time.perf_counter() - self._asked_at)
        self.trace_shown.emit(view)

    def _new_panel(self) -> NeuronPanel:
        self.panel = NeuronPanel(self.parent_widget)
        self.panel.down_clicked.connect(self.step_down)
        self.panel.back_clicked.connect(self.step_back)
        self.panel.unit_clicked.connect(self.jump)
        self.panel.finished.connect(lambda _: self._set_field(None))
        return self.panel

    def _set_field(self, field: tuple[int, int, int, int] | None) -> None:
        """Outline input pixels (top, left, bottom, right) on the canvas and the preview."""
        self.canvas_field.set_field(field)
        self.preview_field.set_field(field)

    def _canvas_rect(self) -> QRectF | None:
        model = self.model
        params = None if model is None else render_params_of(model.meta)
        square = input_square(self.draw.canvas.strokes(), params)
        if square is None:
            return None
        left, top, side = square
        scale, dx, dy = self.draw.canvas.widget_transform()
        return QRectF(left * scale + dx, top * scale + dy, side * scale, side * scale)
