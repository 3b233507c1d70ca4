"""Opening a unit of the trace network: every number as the network computes it, its inputs
named by the point of the path they describe, and what the output units add to the reading."""

from __future__ import annotations

import numpy as np
import pytest

from ocrpad.explain.path_units import (
    LAYERS,
    PathTracer,
    input_name,
    input_point,
    lifted_steps,
)
from ocrpad.model import load_model
from ocrpad.reading import context_of
from ocrpad.reading.trace import FEATURE_COUNT, TraceNet, build_trace_network, traces_of


def _strokes() -> list[np.ndarray]:
    """A 4 in two strokes: down and across, then the long down stroke."""
    first = np.array([[30, 0], [10, 40], [45, 40]], np.float32)
    second = np.array([[40, 10], [40, 70]], np.float32)
    return [first, second]


def _small(weight: float = 0.4) -> TraceNet:
    network = build_trace_network(16, 5, np.random.default_rng(3))
    return TraceNet(tuple("abcde"), network, weight)


@pytest.fixture(scope="module")
def shipped() -> TraceNet:
    context = context_of(load_model())
    assert context is not None and context.trace is not None
    return context.trace


def test_every_layer_reads_as_the_trace_network_computes_it(shipped: TraceNet) -> None:
    features = traces_of([_strokes()])[0]
    tracer = PathTracer(shipped, features)
    own = dict(shipped.network.forward_with_activations(features[None]))
    shipped.network.release()
    for name in LAYERS:
        np.testing.assert_allclose(tracer.outputs[name], own[name][0], rtol=1e-6, atol=1e-6)
        sizes = dict(tracer.sizes())
        assert sizes[name] == own[name].shape[1]
    for name, index in (("fc1", 0), ("fc2", 100), ("fc3", 511), ("out", 7)):
        unit = tracer.unit(name, index)
        assert unit.value == pytest.approx(float(own[name][0, index]))
        assert unit.total == pytest.approx(unit.value, abs=1e-4)
        listed = sum(c.product for c in unit.contributions)
        assert listed + unit.rest + unit.bias == pytest.approx(unit.total, abs=1e-9)
        sizes_of = [abs(c.product) for c in unit.contributions]
        assert sizes_of == sorted(sizes_of, reverse=True) and len(sizes_of) == 16
        assert unit.rest_count == (128 if name == "fc1" else 512) - 16
        for c in unit.contributions:
            assert c.product == c.input * c.weight


def test_a_hidden_unit_reads_the_relu_of_the_layer_below(shipped: TraceNet) -> None:
    tracer = PathTracer(shipped, traces_of([_strokes()])[0])
    below = np.maximum(tracer.outputs["fc1"], 0)
    unit = tracer.unit("fc2", 3)
    assert unit.below == "fc1" and unit.after_relu == max(unit.value, 0.0)
    for c in unit.contributions:
        assert c.input == pytest.approx(float(below[c.index]))
    products = below.astype(np.float64) * shipped.network["fc2"].params["weight"][3]
    assert unit.strongest == int(np.argmax(products))
    assert unit.input_name(unit.strongest) == f"fc1 unit {unit.strongest + 1}"
    np.testing.assert_array_equal(tracer.shown("fc2"), np.maximum(tracer.outputs["fc2"], 0))


def test_an_output_unit_is_what_the_reader_adds_for_its_class() -> None:
    trace = _small(weight=0.4)
    features = traces_of([_strokes()])[0]
    tracer = PathTracer(trace, features)
    added = trace.term(features[None], list(trace.labels))[0]
    probabilities = tracer.shown("out")
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-6)
    for index, label in enumerate(trace.labels):
        unit = tracer.unit("out", index)
        assert unit.label == label and unit.after_relu is None
        assert unit.added == pytest.approx(added[index])
        assert unit.probability == pytest.approx(float(probabilities[index]), rel=1e-5)
    assert tracer.strongest_unit("out") == int(np.argmax(added))


def test_the_path_numbers_are_named_by_their_point() -> None:
    assert input_name(0) == "x at point 1"
    assert input_name(33) == "y at point 2"
    assert input_name(64 + 31) == "direction across at point 32"
    assert input_name(FEATURE_COUNT - 1) == "direction down at point 32"
    assert [input_point(i) for i in (0, 33, 95, 127)] == [0, 1, 31, 31]
    unit = PathTracer(_small(), traces_of([_strokes()])[0]).unit("fc1", 2)
    assert unit.below is None
    assert unit.input_name(unit.strongest) == input_name(unit.strongest)
    with pytest.raises(ValueError, match="128 numbers"):
        input_name(FEATURE_COUNT)


@pytest.mark.parametrize(
    ("layer", "index", "message"),
    [
        ("conv1", 0, "no layer"),
        ("fc1", 16, "16 units"),
        ("out", -1, "5 units"),
        ("fc2", True, "whole"),
    ],
)
def test_a_unit_that_does_not_exist_is_refused_by_name(
    layer: str, index: int, message: str
) -> None:
    tracer = PathTracer(_small(), traces_of([_strokes()])[0])
    with pytest.raises(ValueError, match=message):
        tracer.unit(layer, index)


def test_a_path_of_the_wrong_size_or_with_holes_is_refused() -> None:
    with pytest.raises(ValueError, match="128 finite"):
        PathTracer(_small(), np.zeros(100, np.float32))
    bad = traces_of([_strokes()])[0]
    bad[5] = np.nan
    with pytest.raises(ValueError, match="128 finite"):
        PathTracer(_small(), bad)


def test_opening_units_leaves_the_network_as_the_reader_uses_it() -> None:
    """The tracer reads the arrays only: a reader running the same network in another thread
    keeps its own forward state."""
    trace = _small()
    features = traces_of([_strokes()])[0][None]
    before = trace.log_probs(features)
    layer = trace.network["fc1"]
    cached = {k: getattr(layer, k, None) for k in ("_x",)}
    tracer = PathTracer(trace, features[0])
    tracer.unit("fc1", 0)
    assert {k: getattr(layer, k, None) for k in ("_x",)} == cached
    np.testing.assert_array_equal(trace.log_probs(features), before)


def test_the_moves_between_strokes_are_told_from_the_ink() -> None:
    """Two strokes 10 long, the move between them 10 long too: the middle third of the path's
    steps is the move, the rest ink; one stroke has none."""
    down = np.array([[0, 0], [0, 10]], np.float32)
    up = np.array([[10, 10], [10, 0]], np.float32)
    lifted = lifted_steps([down, up])  # down, across at the bottom with the pen up, up
    assert lifted.shape == (31,) and lifted.dtype == bool
    np.testing.assert_array_equal(np.flatnonzero(lifted), np.arange(10, 21))
    assert not lifted_steps([np.concatenate([down, up])]).any()  # the same path as one stroke
    assert not lifted_steps([np.array([[3, 3]], np.float32)]).any()  # a dot
