"""The recognition worker: one long-lived QObject in a QThread that answers the newest drawing.

The work itself is a plain function (`recognise`) that tests call without Qt: one network pass
(keeping the activations for the viewer), then the answer through `ocrpad.reading.Reader` with
the request's history, guides and character set. Requests that arrive while the worker is busy
collapse into the newest one; model swaps arrive by queued signal to `set_model`, so they never
race a recognition.
"""

from __future__ import annotations

import contextlib
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image
from PySide6.QtCore import QObject, Qt, Signal, Slot

from ocrpad.app.draw.prediction import Failure, LayerMaps, ModelInfo, Prediction, layer_maps
from ocrpad.charsets import default_charset, taught_labels
from ocrpad.model import Model
from ocrpad.nn import Conv2d, MaxPool2d
from ocrpad.preprocess import (
    DEFAULT_PARAMS,
    picture_input,
    render_params_of,
    render_strokes,
)
from ocrpad.reading import Reader, WritingGuides
from ocrpad.reading.answers import HistoryItem

FloatArray = NDArray[np.float32]


@dataclass(frozen=True)
class Request:
    """A drawing (strokes: (k, 2) arrays) or a picture file to recognise.

    history: the person's earlier drawings, newest last (same units as strokes; `Labelled` when
    the person gave their character); guides: the
    canvas's writing guides when shown; charset: the classes to answer from (None: the model's
    default set)."""

    request_id: int
    strokes: tuple[FloatArray, ...] = ()
    image_path: str | None = None
    preview: int = 0  # a picture: also send back a grey copy this many pixels long (0: none)
    history: tuple[HistoryItem, ...] = ()
    guides: WritingGuides | None = None
    charset: tuple[str, ...] | None = None


class Readers:
    """One Reader per character set for the current model, sharing one history cache."""

    def __init__(self) -> None:
        self._model: Model | None = None
        self._readers: dict[tuple[str, ...], Reader] = {}

    def get(self, model: Model, charset: tuple[str, ...] | None) -> Reader:
        if model is not self._model:
            self._model, self._readers = model, {(): Reader(model)}
        if charset is None:
            charset = tuple(default_charset(model.labels, taught_labels(model.meta)))
        if charset not in self._readers:
            self._readers[charset] = self._readers[()].restricted(charset)
        return self._readers[charset]


def to_input(request: Request, model: Model | None = None) -> FloatArray:
    """The (28, 28) float32 network input for a request (raises ValueError subclasses)."""
    return _read(request, model)[0]


def _read(request: Request, model: Model | None) -> tuple[FloatArray, NDArray[np.uint8] | None]:
    """(network input (28, 28), the picture's grey preview or None)."""
    params = DEFAULT_PARAMS if model is None else render_params_of(model.meta)
    if request.image_path is None:
        return render_strokes(request.strokes, params), None
    image, grey = picture_input(Path(request.image_path), params)  # as `ocrpad --read` reads
    return image, shrink(grey, request.preview) if request.preview else None


def shrink(grey: NDArray[np.uint8], side: int) -> NDArray[np.uint8]:
    """A grey picture (H, W) scaled down so that its longer side is at most `side` pixels."""
    picture = Image.fromarray(grey)
    picture.thumbnail((side, side), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return np.asarray(picture, dtype=np.uint8).copy()


def recognise(model: Model, request: Request, readers: Readers | None = None) -> Prediction:
    """Preprocess, run the network once with activations, and answer through the reader."""
    start = time.perf_counter()
    image, preview = _read(request, model)
    x = image[None, None]  # (1, 1, 28, 28)
    logits, activations = _forward(model, x)
    layers = tuple(layer_maps(name, a[0]) for name, a in activations)
    reader = (readers or Readers()).get(model, request.charset)
    reading = reader.answer(logits, request.strokes, history=request.history, guides=request.guides)
    probabilities, labels = reading.probabilities, reading.labels
    order = np.argsort(-probabilities)[:3]
    return Prediction(
        request_id=request.request_id,
        label=reading.label,
        labels=labels,
        probabilities=probabilities,
        input_image=image,
        layers=layers,
        compute_ms=(time.perf_counter() - start) * 1000.0,
        top=tuple((labels[int(i)], float(probabilities[i])) for i in order),
        picture=preview,
        look_alikes=reading.look_alikes,
        height_ratio=reading.height_ratio,
        history_used=reading.history_used,
        below_line=reading.below_line,
        like_earlier=reading.like_earlier,
        coarse_trace=reading.coarse_trace,
        by_guides=reading.by_guides,
        guides_shown=request.guides is not None,
        runner_up=reading.runner_up,
        reasons=reading.reasons,
    )


def _forward(model: Model, x: FloatArray) -> tuple[FloatArray, list[tuple[str, FloatArray]]]:
    """One pass: logits (C,) and the conv / pool outputs (1, C, H, W) for x."""
    outputs = model.network.forward_with_activations(x)
    shown = [
        (name, out)
        for (name, out), (_, layer) in zip(outputs, model.network.layers, strict=True)
        if isinstance(layer, (Conv2d, MaxPool2d))
    ]
    return np.asarray(outputs[-1][1][0], dtype=np.float64), shown  # (C,) logits


def model_info(model: Model, description: str) -> ModelInfo:
    """Labels, a description and the first conv layer's filters (out, kh, kw) for the viewer."""
    return ModelInfo(list(model.labels), description, first_filters(model))


def first_filters(model: Model) -> LayerMaps | None:
    for name, layer in model.network.layers:
        if isinstance(layer, Conv2d):
            weight = np.asarray(layer.params["weight"], dtype=np.float32)  # (out, in, kh, kw)
            return layer_maps(name, weight.mean(axis=1), diverging=True)
    return None


class InferenceWorker(QObject):
    """Lives in its own QThread; submit() from any thread, results come back as signals."""

    prediction_ready = Signal(object)  # Prediction
    failed = Signal(object)  # Failure
    model_ready = Signal(object)  # ModelInfo
    _wake = Signal()

    def __init__(self, model: Model | None = None, description: str = "") -> None:
        super().__init__()
        self._model = model
        self._description = description
        self._lock = threading.Lock()
        self._pending: Request | None = None
        self._last: Request | None = None
        self._readers = Readers()
        self._wake.connect(self._run_pending, Qt.ConnectionType.QueuedConnection)

    def submit(self, request: Request) -> None:
        """Queue a request; if one is already waiting it is replaced (newest wins)."""
        with self._lock:
            wake = self._pending is None
            self._pending = request
        if wake:
            self._wake.emit()

    @Slot()
    def announce_model(self) -> None:
        """Emit model_ready for the current model (call once the thread runs)."""
        if self._model is not None:
            self.model_ready.emit(model_info(self._model, self._description))

    @Slot(object)
    def set_model(self, model_and_description: tuple[Model, str]) -> None:
        """Swap the model (queued from the GUI thread) and answer the last drawing again."""
        self._model, self._description = model_and_description
        self.announce_model()
        with self._lock:
            again = self._pending is None and self._last is not None
        if again and self._last is not None:
            self._answer(self._last)

    @Slot(object)
    def remember(self, history: tuple[HistoryItem, ...]) -> None:
        """Read the person's earlier drawings ahead of their next drawing (queued)."""
        if self._model is not None:
            # a damaged context layer raises ValueError: the next answer reports it
            with contextlib.suppress(ValueError):
                self._readers.get(self._model, None).remember(history)

    @Slot()
    def _run_pending(self) -> None:
        with self._lock:
            request, self._pending = self._pending, None
        if request is not None:
            self._last = request
            self._answer(request)

    def _answer(self, request: Request) -> None:
        if self._model is None:
            self.failed.emit(Failure(request.request_id, "No model is loaded."))
            return
        try:
            self.prediction_ready.emit(recognise(self._model, request, self._readers))
        except ValueError as exc:  # unreadable picture, empty drawing, damaged input
            self.failed.emit(Failure(request.request_id, str(exc)))
        except MemoryError:
            self.failed.emit(Failure(request.request_id, "there was not enough memory to read it"))
        except Exception as exc:  # a bug: the user still hears of it, the worker lives on
            traceback.print_exc()
            self.failed.emit(Failure(request.request_id, f"an internal error stopped it ({exc!r})"))
