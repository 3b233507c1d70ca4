"""Earlier drawings count as the reader answered them, not as the network alone read them."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from numpy.typing import NDArray
from reading_helpers import bare_model, circle, fitted_model, writers

from ocrpad.data.unipen import StrokeDataset
from ocrpad.model import Model
from ocrpad.preprocess import render_params_of, render_strokes
from ocrpad.reading import Labelled, Reader, context_of
from ocrpad.reading.fit import fit_reader
from ocrpad.reading.geometry import size_of
from ocrpad.reading.history import session_history, stroke_geometry
from ocrpad.reading.rereading import PASSES, counted_as
from ocrpad.reading.trace import traces_of

Drawing = list[NDArray[np.float32]]


def _logits(model: Model, drawings: list[Drawing]) -> NDArray[np.float64]:
    params = render_params_of(model.meta)
    images = np.stack([render_strokes(d, params) for d in drawings])[:, None]
    return np.asarray(model.logits(images), dtype=np.float64)


def _without_the_count(model: Model) -> Model:
    """The same model as a file from before the count: its history counts as the network reads
    it."""
    older = model.copy()
    older.meta = {**older.meta, "reader": {**older.meta["reader"]}}
    del older.meta["reader"]["reads_history"]
    return older


def test_a_batch_read_in_passes_is_the_window_reading_one_drawing_after_another() -> None:
    """In the window each drawing is answered with the ones before it, and counts as that
    answer from then on. `read_batch` (`ocrpad-eval`) reads the whole set in passes: for the
    first PASSES + 1 drawings of a writer the two are the same arithmetic."""
    model = fitted_model()
    drawings = [circle(50, x=1), circle(90, x=2), circle(53, x=3), circle(88, x=4)]
    drawings = drawings[: PASSES + 1]
    window = Reader(model)
    one_by_one = [window.read(d, history=drawings[:k]) for k, d in enumerate(drawings)]
    sizes = np.array([size_of(d).geometry() for d in drawings])  # type: ignore[union-attr]
    history = [list(range(k)) for k in range(len(drawings))]
    traces = traces_of(drawings)  # the pen's path, as the window's reading has it
    batch = Reader(model).read_batch(_logits(model, drawings), sizes, history, traces=traces)
    np.testing.assert_allclose(batch, np.stack([r.probabilities for r in one_by_one]), atol=1e-5)
    # a file from before the count reads the same drawings otherwise
    older = Reader(_without_the_count(model)).read_batch(
        _logits(model, drawings), sizes, history, traces=traces
    )
    assert np.abs(np.log(older) - np.log(batch)).max() > 0.1


def test_the_readers_answers_count_righter_than_the_networks_and_labels_stay_whole() -> None:
    """On writers the fit never saw, the network cannot tell O from o (both are circles);
    the reader, with each writer's other drawings, can. Counted as the reader answers them,
    the earlier drawings say far more often what they are."""
    data: StrokeDataset = writers(8, seed=11)
    model = fitted_model()
    context = context_of(model)
    assert context is not None and context.reads_history
    logits = _logits(model, [data.strokes(i) for i in range(len(data))])
    geometry = stroke_geometry(data.points, data.stroke_offsets, data.sample_offsets)
    history = session_history(data.writers, 0)
    truth = data.labels
    known = np.full(len(truth), -1)
    known[:5] = truth[:5]  # five drawings the person labelled
    answered = counted_as(context, logits, geometry, history, known)
    network = counted_as(replace(context, reads_history=False), logits, geometry, history, known)
    right = (answered.argmax(axis=1) == truth)[5:].mean()
    guessed = (network.argmax(axis=1) == truth)[5:].mean()
    assert right > 0.9 and guessed < 0.7
    np.testing.assert_array_equal(answered[:5], np.eye(2)[truth[:5]])
    np.testing.assert_allclose(answered.sum(axis=1), 1.0)


def test_a_labelled_history_drawing_counts_as_its_label_whatever_the_reader_answered() -> None:
    reader = Reader(fitted_model())
    small = circle(50, x=7)
    first = reader.read(small, history=[circle(90), circle(88)])  # answered with two O
    told = reader.read(circle(51, x=8), history=[Labelled(small, "O")])
    assert first.label == "o" and told.like_earlier is not None
    assert told.like_earlier[0] == "O"


def test_the_count_is_fitted_and_stored_and_older_files_count_as_the_network_reads() -> None:
    model = fitted_model()
    meta = model.meta["reader"]
    assert meta["reads_history"] is True
    layer = context_of(model)
    assert layer is not None and layer.labelled is not None and layer.labelled.reads_history
    old_layer = context_of(_without_the_count(model))
    assert old_layer is not None and not old_layer.reads_history
    plain, _ = fit_reader(bare_model(), writers(40), reads_history=False, progress=lambda _: None)
    assert "reads_history" not in plain.meta["reader"]


def test_a_damaged_count_is_named() -> None:
    model = fitted_model().copy()
    model.meta = {**model.meta, "reader": {**model.meta["reader"], "reads_history": "yes"}}
    with pytest.raises(ValueError, match="reads_history"):
        context_of(model)
