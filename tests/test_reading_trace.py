"""The trace network: the pen's path as numbers, its network, its file form and its fit."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from ocrpad.cli.eval import read_all
from ocrpad.model import Model, load_model
from ocrpad.reading import Reader, context_of, trace_fit
from ocrpad.reading.context_file import array_shapes
from ocrpad.reading.geometry import size_of
from ocrpad.reading.history import drawing_key
from ocrpad.reading.trace import (
    FEATURE_COUNT,
    TRACE_POINTS,
    TraceNet,
    build_trace_network,
    trace_features,
    traces_of,
    with_trace,
)
from ocrpad.strokes import flatten_strokes
from tests.reading_helpers import (
    LABELS,
    _dataset,
    circle,
    context_before_and_after_the_file,
    cross,
    fitted_model,
    writers,
)

T = TRACE_POINTS


def features(*strokes: list[list[float]]) -> NDArray[np.float32]:
    return trace_features(*flatten_strokes([np.array(s, np.float32) for s in strokes]))


def test_the_path_is_in_box_units_whatever_its_place_and_size() -> None:
    zigzag = [[0, 0], [10, 30], [20, 0], [30, 30]]
    moved = [[x * 7 + 500, y * 7 - 90] for x, y in zigzag]
    a, b = features(zigzag), features(moved)
    assert a.shape == (FEATURE_COUNT,) and a.dtype == np.float32
    np.testing.assert_allclose(a, b, atol=1e-5)
    xy = a[: 2 * T]
    assert xy.min() >= -0.5 - 1e-6 and xy.max() <= 0.5 + 1e-6
    assert np.isclose(a[:T].min(), -0.5) and np.isclose(a[:T].max(), 0.5)  # the longer side
    directions = a[2 * T :].reshape(2, T)
    np.testing.assert_allclose(np.hypot(*directions), 1.0, atol=1e-5)


def test_the_order_and_direction_of_the_strokes_count() -> None:
    """What the image cannot show: the same ink drawn the other way, or in another order."""
    down, across = [[0, 0], [0, 10]], [[-5, 0], [5, 0]]
    assert not np.allclose(features(down), features(down[::-1]))
    assert not np.allclose(features(down, across), features(across, down))


def test_strokes_are_joined_by_their_pen_up_moves() -> None:
    """As a device that loses pen-up events gives it: the same numbers either way."""
    first, second = [[0, 0], [0, 10]], [[5, 0], [5, 10]]
    np.testing.assert_allclose(features(first, second), features(first + second), atol=1e-6)


def test_a_dot_has_a_place_but_no_direction() -> None:
    dot = features([[3, 3], [3, 3]])
    assert np.isfinite(dot).all()
    np.testing.assert_array_equal(dot, 0.0)


def _net(labels: tuple[str, ...], weight: float = 0.5) -> TraceNet:
    return TraceNet(labels, build_trace_network(8, len(labels), np.random.default_rng(1)), weight)


def test_a_class_the_trace_network_does_not_know_gets_no_say_against_it() -> None:
    """A class taught later (a fine-tune's "Δ") gets the row's best: the trace never pushes
    the answer away from it, and the classes it knows keep their own order."""
    net = _net(("a", "b", "c"), weight=0.5)
    x = np.random.default_rng(0).normal(size=(4, FEATURE_COUNT)).astype(np.float32)
    own = net.log_probs(x)
    term = net.term(x, ["c", "Δ", "a", "b"])
    np.testing.assert_allclose(term[:, [2, 3, 0]], 0.5 * own)
    np.testing.assert_allclose(term[:, 1], 0.5 * own.max(axis=1))
    np.testing.assert_allclose(np.exp(own).sum(axis=1), 1.0)


def test_with_trace_adds_the_term_of_each_drawing() -> None:
    net = _net(("a", "b"), weight=1.0)
    drawings = [[np.array([[0, 0], [0, 9]], np.float32)], [np.array([[0, 0], [9, 0]], np.float32)]]
    logits = np.zeros((2, 2))
    added = with_trace(net, logits, drawings, ["a", "b"])
    want = np.stack([features([[0, 0], [0, 9]]), features([[0, 0], [9, 0]])])
    np.testing.assert_allclose(added, net.log_probs(want))
    assert with_trace(None, logits, drawings, ["a", "b"]) is logits


def test_the_file_form_reads_back_the_same_network() -> None:
    net = _net(("x", "y", "z"), weight=0.35)
    arrays, meta = net.to_file()
    assert set(arrays) == set(TraceNet.array_shapes(meta))
    back = TraceNet.from_file(arrays, meta)
    x = np.random.default_rng(2).normal(size=(5, FEATURE_COUNT)).astype(np.float32)
    np.testing.assert_array_equal(back.log_probs(x), net.log_probs(x))
    assert back.labels == net.labels and back.weight == 0.35


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a, m: a.pop("reader.trace.fc2.bias"), "lacks reader.trace.fc2.bias"),
        (lambda a, m: a.update({"reader.trace.out.weight": np.zeros((3, 3))}), "shape"),
        (lambda a, m: a["reader.trace.fc1.weight"].__setitem__((0, 0), np.nan), "not finite"),
        (lambda a, m: m.update(weight=float("inf")), "weight"),
        (lambda a, m: m.pop("labels"), "incomplete"),
        (lambda a, m: m.update(points=16), "16 points"),
        (lambda a, m: m.update(hidden=10**9), "units"),
    ],
)
def test_a_damaged_trace_network_is_refused_by_name(change: object, message: str) -> None:
    arrays, meta = _net(("x", "y", "z")).to_file()
    change(arrays, meta)  # type: ignore[operator]
    with pytest.raises(ValueError, match=message):
        TraceNet.from_file(arrays, meta)


def test_a_model_file_may_hold_the_trace_arrays_its_reader_describes() -> None:
    arrays, trace_meta = _net(("x", "y")).to_file()
    reader_meta = {"labels": "xy", "groups": ["small"], "trace": trace_meta}
    shapes = array_shapes(reader_meta)
    assert all(shapes[k] == v.shape for k, v in arrays.items())
    hostile = {**reader_meta, "trace": {**trace_meta, "hidden": 10**9}}
    assert not any(k.startswith("reader.trace.") for k in array_shapes(hostile))


def _lines(count: int, seed: int) -> tuple[list[list[NDArray[np.float32]]], list[int]]:
    """Strokes whose image is the same but whose path is not: down, up, left, right."""
    rng = np.random.default_rng(seed)
    ends = {0: ((0, 0), (0, 1)), 1: ((0, 1), (0, 0)), 2: ((1, 0), (0, 0)), 3: ((0, 0), (1, 0))}
    drawings, labels = [], []
    for k in range(count):
        label = k % 4
        (x0, y0), (x1, y1) = ends[label]
        t = np.linspace(0, 1, 12)[:, None]
        line = np.array([x0, y0]) * (1 - t) + np.array([x1, y1]) * t
        line = line * rng.uniform(20, 80) + rng.normal(0, 0.5, size=line.shape)
        drawings.append([line.astype(np.float32)])
        labels.append(label)
    return drawings, labels


def test_the_fit_learns_what_only_the_path_tells_and_weighs_it_on_held_out_writers() -> None:
    drawings, labels = _lines(240, seed=0)
    data = _dataset(drawings, labels, [f"w{k // 6}" for k in range(240)], ["↓", "↑", "←", "→"])
    y = np.asarray(labels, np.int64)
    keep, held = np.arange(0, 180), np.arange(180, 240)
    blind = np.zeros((240, 4))  # the image network cannot tell them apart
    fitted = trace_fit.fit_trace(
        data,
        ["↓", "↑", "←", "→"],
        y,
        (keep, held),
        blind,
        epochs=20,
        hidden=32,
        progress=lambda _: None,
    )
    report, net = fitted.report, fitted.net
    assert report["held_out"]["network"] == 0.25  # a blind guess among four
    assert report["held_out"]["trace"] >= 0.9
    assert net.weight > 0 and report["held_out"]["both"] == report["held_out"]["trace"]
    # the training writers' term comes from the network trained on the other half of them
    halves = fitted.half_of[keep]
    assert set(halves.tolist()) == {0, 1} and (fitted.half_of[held] == -1).all()
    for writer in np.unique(data.writers[keep]):  # a writer's drawings are on one side
        assert len(set(halves[data.writers[keep] == writer].tolist())) == 1
    paths = traces_of([data.strokes(i) for i in range(240)])
    first = keep[halves == 0]
    np.testing.assert_allclose(
        fitted.counted[first], fitted.halves[1].term(paths[first], net.labels), rtol=1e-5
    )
    np.testing.assert_allclose(fitted.counted[held], net.term(paths[held], net.labels), rtol=1e-5)
    assert all(half.weight == net.weight for half in fitted.halves)


def test_a_trace_that_says_nothing_gets_no_weight() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, size=300)
    net_logits = np.eye(3)[y] * 2.0  # the image network is right and fairly sure
    noise = np.log(rng.dirichlet(np.ones(3), size=300))
    assert trace_fit.best_weight(net_logits, noise, y) == 0.0
    assert trace_fit.best_weight(np.zeros((300, 3)), np.log(np.eye(3)[y] * 0.9 + 0.05), y) > 0


def test_distorting_gives_the_same_copies_in_one_process_or_several(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    drawings, labels = _lines(40, seed=1)
    data = _dataset(drawings, labels, ["w"] * 40, ["↓", "↑", "←", "→"])
    rows = np.arange(40)
    monkeypatch.setattr(trace_fit, "CHUNK", 16)
    serial = trace_fit.distorted_features(data, rows, 2, seed=5, workers=1)
    shared = trace_fit.distorted_features(data, rows, 2, seed=5, workers=2)
    assert serial.shape == (80, FEATURE_COUNT)
    np.testing.assert_array_equal(serial, shared)
    assert not np.array_equal(serial[:40], serial[40:])  # each copy distorted afresh


def test_a_fitted_reader_keeps_its_trace_network_through_the_file_and_a_fine_tune(
    tmp_path: Path,
) -> None:
    layer, loaded = context_before_and_after_the_file(fitted_model(), tmp_path)
    assert layer.trace is not None and loaded.trace is not None
    x = traces_of([circle(40), cross(40)])
    np.testing.assert_array_equal(loaded.trace.log_probs(x), layer.trace.log_probs(x))
    grown = load_model(tmp_path / "reader.npz").with_extra_classes(["Δ"], np.random.default_rng(0))
    reading = Reader(grown).read(circle(40))
    assert reading.labels == ["O", "o", "Δ"] and np.isfinite(reading.probabilities).all()


def test_the_window_and_ocrpad_eval_add_the_same_trace_term() -> None:
    """`Reader.read` (the window) and `read_all` (`ocrpad-eval`, `read_batch` with the data
    set's traces) read the same drawings the same way, and without the trace they differ."""
    model = fitted_model()
    data = writers(3, seed=7)
    window = np.stack([Reader(model).read(data.strokes(i)).probabilities for i in range(len(data))])
    batch = read_all(model, data, list(model.labels), None)
    np.testing.assert_allclose(batch, window, atol=1e-5)
    layer = context_of(model)
    assert layer is not None and layer.trace is not None and layer.trace.weight > 0
    without = Reader(model).read_batch(
        trace_fit.network_logits(model, data), np.zeros((len(data), 2)), None
    )
    assert not np.allclose(without, batch, atol=1e-4)


def test_a_picture_has_no_path_and_reads_without_the_trace() -> None:
    model = fitted_model()
    strokes = circle(40)
    logits = trace_fit.network_logits(model, writers(1))[:1]
    picture = Reader(model).answer(logits, [])
    assert picture.reasons is not None
    assert dict(picture.reasons).get("trace", 0.0) == 0.0
    drawn = Reader(model).answer(logits, strokes)
    assert drawn.reasons is not None and "trace" in dict(drawn.reasons)


def test_whether_history_counts_with_the_trace_is_kept_in_the_file() -> None:
    arrays, meta = _net(("x", "y")).to_file()
    assert TraceNet.from_file(arrays, meta).in_history  # the default
    arrays, meta = replace(_net(("x", "y")), in_history=False).to_file()
    assert meta["in_history"] is False
    assert not TraceNet.from_file(arrays, meta).in_history
    del meta["in_history"]  # the first files with a trace network counted it in history
    assert TraceNet.from_file(arrays, meta).in_history


def _counting_the_trace(model: Model) -> Model:
    """The same model, its earlier drawings counted with the trace term."""
    out = model.copy()
    reader = dict(out.meta["reader"])
    reader["trace"] = {**reader["trace"], "in_history": True}
    out.meta = {**out.meta, "reader": reader}
    return out


def test_earlier_drawings_count_as_answered_without_the_trace_term_on_every_road() -> None:
    """A writer's unusual stroke order weighs once, on the drawing being read: the history
    counts as the reader answers it without the trace term, in the window (one drawing
    after another) and in `ocrpad-eval` (`read_batch`) alike."""
    model = fitted_model()
    layer = context_of(model)
    assert layer is not None and layer.trace is not None and not layer.trace.in_history
    drawings = [circle(50, x=1), cross(60, x=2), circle(90, x=3)]
    window = Reader(model)
    one_by_one = [window.read(d, history=drawings[:k]) for k, d in enumerate(drawings)]
    sizes = np.array([size_of(d).geometry() for d in drawings])  # type: ignore[union-attr]
    logits = trace_fit.network_logits(model, _dataset(drawings, [0, 1, 0], ["w"] * 3, LABELS))
    rows = [list(range(k)) for k in range(len(drawings))]
    batch = Reader(model).read_batch(logits, sizes, rows, traces=traces_of(drawings))
    np.testing.assert_allclose(batch, np.stack([r.probabilities for r in one_by_one]), atol=1e-5)
    # what the window keeps of an earlier drawing: read with the trace term, counted without
    seen = window._memory.get(drawing_key(drawings[0]))
    assert seen is not None and seen.plain is not None
    assert not np.allclose(seen.plain, seen.logits)
    # counting it with the trace term reads the last drawing otherwise
    counting = Reader(_counting_the_trace(model)).read_batch(
        logits, sizes, rows, traces=traces_of(drawings)
    )
    np.testing.assert_allclose(counting[0], batch[0], atol=1e-6)  # no history: the same
    assert np.abs(np.log(counting[2]) - np.log(batch[2])).max() > 1e-4
