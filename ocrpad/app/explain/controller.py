"""Wires explanations into the main window: heat-map overlays, the dream gallery and each
filter's ideal input in the feature-map viewer. The work runs in an ExplainWorker thread."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PySide6.QtCore import QObject, QRectF, QThread, Signal
from PySide6.QtWidgets import QToolButton, QWidget

from ocrpad.app.draw.prediction import LayerMaps, Prediction, layer_maps
from ocrpad.app.draw.tab import DrawTab
from ocrpad.app.explain.gallery import DreamGalleryDialog
from ocrpad.app.explain.methods import METHOD_NAMES, HeatmapButton
from ocrpad.app.explain.neuron.controller import NeuronController
from ocrpad.app.explain.overlay import HeatmapOverlay, input_square
from ocrpad.app.explain.worker import (
    FILTERS,
    DreamProgress,
    Dreams,
    ExplainWorker,
    HeatmapRequest,
    HeatmapResult,
)
from ocrpad.explain.attribution import Method
from ocrpad.explain.session import CLASSES
from ocrpad.model import Model
from ocrpad.nn import Conv2d
from ocrpad.preprocess import render_params_of


class ExplainController(QObject):
    """Owns the explain worker thread and the explanation widgets of one main window.

    The window hands it the Draw tab and the model, and connects ``on_prediction`` and
    ``on_model_changed`` to its own signals; messages for the status bar go out as
    ``status_message``.
    """

    heatmap_shown = Signal(object)  # HeatmapResult, after the overlays show it
    dreams_shown = Signal(object)  # Dreams, after the gallery or the viewer shows them
    status_message = Signal(str, int)  # text, milliseconds (0: until replaced)
    _model_to_worker = Signal(object)

    def __init__(
        self,
        parent: QWidget,
        draw: DrawTab,
        model: Model | None,
        dream_cache: Path | None = None,
    ) -> None:
        super().__init__(parent)
        self._dream_cache = dream_cache  # a folder: dreams computed once per model
        self.parent_widget = parent
        self.draw = draw
        self.model = model
        self.prediction: Prediction | None = None
        self.chosen: str | None = None  # a class clicked in the chart, else the top class
        self._said = False  # the status bar shows the heat map's message
        self.latency_ms: float | None = None  # prediction shown -> heat map shown
        self._square: tuple[float, float, float] | None = None  # the input over the drawing
        self._shown_at = 0.0
        self._serial = 0 if model is None else 1  # as the worker counts its models
        self._class_dreams: Dreams | None = None
        self._ideal: dict[str, NDArray[np.float32]] = {}
        self._blank: dict[str, tuple[int, ...]] = {}  # filters that respond to blank paper
        self._filters_asked = False  # the filters' ideal inputs, once per model
        self.gallery: DreamGalleryDialog | None = None
        self._build_tools()
        self.canvas_overlay = HeatmapOverlay(draw.canvas, self.canvas_rect, smooth=True)
        self.preview_overlay = HeatmapOverlay(draw.panel.preview, self._preview_rect)
        self._start_worker(model)
        self.neuron = NeuronController(parent, draw, model)  # the neuron panel, its own thread
        self.neuron.status_message.connect(self.status_message)
        draw.chart.class_clicked.connect(self.explain_class)
        draw.canvas.strokes_changed.connect(self._on_strokes_changed)

    # -- set-up ----------------------------------------------------------------------------
    def _build_tools(self) -> None:
        self.toggle = HeatmapButton()  # the method, from its drop-down arrow, Down or F4
        self.toggle.toggled.connect(self._on_toggled)
        self.method_actions = self.toggle.method_actions
        self.toggle.method_group.triggered.connect(lambda _: self._method_chosen())
        self.dreams_button = QToolButton()
        self.dreams_button.setObjectName("dreamsButton")
        self.dreams_button.setText("Dream&s…")
        self.dreams_button.setToolTip("What the network imagines each character looks like")
        self.dreams_button.clicked.connect(self.open_gallery)
        tools = self.draw.tools
        for widget in (self.toggle, self.dreams_button):
            tools.addWidget(widget)

    def _start_worker(self, model: Model | None) -> None:
        self.thread_ = QThread(self)
        self.thread_.setObjectName("explain")
        self.worker = ExplainWorker(model, self._dream_cache)
        self.worker.moveToThread(self.thread_)
        self.worker.heatmap_ready.connect(self._show_heatmap)
        self.worker.dreams_ready.connect(self._on_dreams)
        self.worker.progress.connect(self._on_progress)
        self.worker.failed.connect(lambda m: self.status_message.emit(m, 5000))
        self._model_to_worker.connect(self.worker.set_model)
        self.thread_.start(QThread.Priority.LowPriority)  # recognition comes first

    def shutdown(self) -> None:
        """Stop the worker threads (waits for at most one slice of dream work)."""
        self.neuron.shutdown()
        if self.thread_.isRunning():
            self.thread_.quit()
            self.thread_.wait(10_000)

    # -- heat maps -------------------------------------------------------------------------
    def current_method(self) -> Method:
        return self.toggle.current_method()

    def explain_class(self, label: str) -> None:
        """Show the heat map of `label` (a class clicked in the chart); turns the overlay on."""
        self.chosen = label
        if self.toggle.isChecked():
            self._request_heatmap()
        else:
            self.toggle.setChecked(True)

    def _method_chosen(self) -> None:
        """Choosing a method from the arrow's menu (or View ▸ Heat map) asks for its heat map:
        the toggle goes on (which draws it) if it was off."""
        if self.toggle.isChecked():
            self._request_heatmap()
        else:
            self.toggle.setChecked(True)

    def _on_toggled(self, on: bool) -> None:
        if on:
            self._request_heatmap()
        else:
            self._set_heat(None)

    def on_prediction(self, prediction: Prediction) -> None:
        """The window showed a new prediction: explain it (and dream the filters once)."""
        self.prediction = prediction
        self.neuron.on_prediction(prediction)
        model = self.model
        params = None if model is None else render_params_of(model.meta)
        self._square = input_square(self.draw.canvas.strokes(), params)
        self._shown_at = time.perf_counter()
        self._request_heatmap()
        if not self._filters_asked:  # the viewer now shows maps: dream their filters
            self._filters_asked = True
            self.worker.request_dreams(FILTERS)
            self._show_ideal_inputs()  # their places, kept until they come

    def _on_strokes_changed(self, strokes: object) -> None:
        self.worker.notify_activity()
        self._set_heat(None)  # stale until the new drawing is recognised
        if not strokes:
            self.chosen = None
            self.prediction = None

    def _request_heatmap(self) -> None:
        prediction = self.prediction
        if prediction is None or not self.toggle.isChecked():
            return
        label = self.chosen if self.chosen in prediction.labels else prediction.label
        if self.model is None or label not in self.model.labels:
            return  # the answer of a model just swapped out: its successor's answer follows
        index = self.model.labels.index(label)  # the chart shows a set; the network has all
        request = HeatmapRequest(
            prediction.request_id, prediction.input_image, index, self.current_method()
        )
        self.worker.request_heatmap(request)

    def _show_heatmap(self, result: HeatmapResult) -> None:
        current = self.prediction
        if current is None or result.request_id != current.request_id:
            return  # an older drawing's answer
        if not self.toggle.isChecked() or result.method != self.current_method():
            return
        self._set_heat(result.heat, result.label, METHOD_NAMES[result.method])
        self.latency_ms = 1000 * (time.perf_counter() - self._shown_at)
        name = METHOD_NAMES[result.method]
        self._said = True
        where = "" if self._square is not None else " (on the network input: no strokes to cover)"
        self.status_message.emit(f"{name}: where the network sees “{result.label}”{where}", 0)
        self.heatmap_shown.emit(result)

    def _set_heat(
        self, heat: NDArray[np.float32] | None, label: str | None = None, method: str = ""
    ) -> None:
        """Show a heat map of class `label` by `method` (None: hide it, with its status
        message). The legend names the method: each measures something else (saliency is
        sensitivity, occlusion evidence), and each map is scaled to its own peak."""
        self.preview_overlay.set_heat(heat)
        self.canvas_overlay.set_heat(heat, f"{method} for “{label}”".strip() if label else "")
        self.draw.chart.set_explained(label if heat is not None else None)
        if heat is None and self._said:
            self._said = False
            self.status_message.emit("", 0)  # the heat map's message goes with it

    def _preview_rect(self) -> QRectF | None:
        return QRectF(self.draw.panel.preview.image_rect())

    def canvas_rect(self) -> QRectF | None:
        """Where the network's input square lies over the canvas, in canvas widget pixels
        (None before a drawing has been explained): the canvas heat map covers it."""
        if self._square is None:
            return None
        left, top, side = self._square
        scale, dx, dy = self.draw.canvas.widget_transform()
        return QRectF(left * scale + dx, top * scale + dy, side * scale, side * scale)

    # -- dreams ----------------------------------------------------------------------------
    def open_gallery(self) -> DreamGalleryDialog:
        """Show the class dreams of the current model (computed in the worker if needed)."""
        if self.gallery is None:
            self.gallery = DreamGalleryDialog(self.parent_widget)
        dreams = self._class_dreams
        if dreams is not None:
            self.gallery.set_dreams(dreams.images, dreams.names)
        else:
            self.worker.request_dreams(CLASSES, first=True)
        self.gallery.show()
        self.gallery.raise_()
        return self.gallery

    def on_model_changed(self, model_and_description: tuple[Model, str]) -> None:
        """The window swapped its model: forget what was computed for the old one."""
        model, _ = model_and_description
        self.model = model
        self.neuron.on_model_changed(model)
        self._serial += 1
        self._class_dreams = None
        self._ideal = {}
        self._blank = {}
        self._filters_asked = False
        self.draw.feature_maps.set_ideal_inputs({})
        self._model_to_worker.emit(model)
        if self.gallery is not None:
            self.gallery.clear()
            if self.gallery.isVisible():
                self.worker.request_dreams(CLASSES, first=True)

    def _on_progress(self, progress: DreamProgress) -> None:
        if progress.kind == CLASSES and self.gallery is not None:
            self.gallery.show_progress(progress.done, progress.total)

    def _on_dreams(self, dreams: Dreams) -> None:
        if dreams.model_serial != self._serial:
            return  # dreamt for a model that has been replaced since
        if dreams.kind == CLASSES:
            if dreams.complete:
                self._class_dreams = dreams
            if self.gallery is not None:
                self.gallery.set_dreams(dreams.images, dreams.names, complete=dreams.complete)
        else:
            self._ideal[dreams.kind] = dreams.images
            self._blank[dreams.kind] = dreams.blank_paper
            self._show_ideal_inputs()
        if dreams.complete:
            self.dreams_shown.emit(dreams)

    def _show_ideal_inputs(self) -> None:
        notes = {
            name: f"{len(blank)} of {len(self._ideal[name])} are flat: those filters respond "
            "most to blank paper"
            for name, blank in self._blank.items()
            if blank
        }
        pending = tuple(name for name in self._conv_layers() if name not in self._ideal)
        self.draw.feature_maps.set_ideal_inputs(self.ideal_inputs(), notes, pending, self._blank)

    def _conv_layers(self) -> list[str]:
        model = self.model
        if model is None or not self._filters_asked:
            return []
        return [name for name, layer in model.network.layers if isinstance(layer, Conv2d)]

    def ideal_inputs(self) -> dict[str, LayerMaps]:
        """Each conv layer's filter dreams as viewer maps (cut like the layer's maps)."""
        return {
            name: layer_maps(f"{name} ideal inputs", images) for name, images in self._ideal.items()
        }
