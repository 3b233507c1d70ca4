"""The recognition worker: the plain recognise() function and newest-request-wins collapsing."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import Qt, QThread
from pytestqt.qtbot import QtBot

from ocrpad.app.about import about_text
from ocrpad.app.colormap import colorize
from ocrpad.app.draw.prediction import Prediction, layer_maps
from ocrpad.app.draw.worker import InferenceWorker, Request, first_filters, recognise
from ocrpad.model import Model, build_model
from ocrpad.preprocess import render_strokes

V_SHAPE = (np.array([[0, 0], [5, 10], [10, 0]], np.float32),)


@pytest.fixture(scope="module")
def model() -> Model:
    return build_model(rng=np.random.default_rng(3))


def test_recognise_matches_predict_proba_and_returns_conv_and_pool_maps(model: Model) -> None:
    prediction = recognise(model, Request(7, V_SHAPE))
    x = render_strokes(V_SHAPE)[None, None]
    np.testing.assert_allclose(prediction.probabilities, model.predict_proba(x)[0], atol=1e-5)
    assert prediction.request_id == 7 and prediction.label in prediction.labels
    assert [m.name for m in prediction.layers] == ["conv1", "conv2", "pool2"]
    first = prediction.layers[0]
    assert first.tiles.shape == (32 * 26, 26, 3) and first.tiles.dtype == np.uint8
    assert prediction.top[0][0] == prediction.label


def test_an_empty_drawing_is_a_value_error_not_a_crash(model: Model) -> None:
    with pytest.raises(ValueError):
        recognise(model, Request(1, ()))


def test_the_first_layer_filters_use_a_symmetric_diverging_scale(model: Model) -> None:
    filters = first_filters(model)
    assert filters is not None and filters.maps.shape == (32, 3, 3)
    assert filters.diverging and filters.vmin == -filters.vmax


def test_colour_scales_handle_flat_maps() -> None:
    assert colorize(np.ones((2, 2)), 1.0, 1.0).shape == (2, 2, 3)
    assert layer_maps("flat", np.zeros((1, 2, 4, 4))).vmin == 0.0


def test_requests_arriving_while_busy_collapse_into_the_newest(model: Model, qtbot: QtBot) -> None:
    worker = InferenceWorker(model)  # lives in this thread: nothing runs until events are processed
    answered: list[Prediction] = []
    worker.prediction_ready.connect(answered.append)
    for request_id in (1, 2, 3):
        worker.submit(Request(request_id, V_SHAPE))
    qtbot.waitUntil(lambda: bool(answered))
    qtbot.wait(20)
    assert [p.request_id for p in answered] == [3]


def test_the_worker_runs_in_its_own_thread(model: Model, qtbot: QtBot) -> None:
    thread = QThread()
    worker = InferenceWorker(model)
    worker.moveToThread(thread)
    where: list[int] = []
    direct = Qt.ConnectionType.DirectConnection  # runs in the emitting (worker) thread
    worker.prediction_ready.connect(lambda _: where.append(threading.get_ident()), direct)
    thread.start()
    try:
        worker.submit(Request(1, V_SHAPE))
        qtbot.waitUntil(lambda: bool(where), timeout=5000)
    finally:
        thread.quit()
        thread.wait()
    assert where[0] != threading.get_ident()


def test_the_about_box_names_the_version_and_credits_unipen() -> None:
    from ocrpad import __version__

    text = about_text()
    assert __version__ in text and "UNIPEN" in text and "Guyon" in text
    # a newcomer learns there what there is to look at and how to reach a neuron
    assert all(part in text for part in ("Heat map", "Dreams", "arithmetic", "Train"))
