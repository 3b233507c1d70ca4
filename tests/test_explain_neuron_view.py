"""The neuron panel's record: which unit is shown for a click, and its path down to a pixel."""

from __future__ import annotations

import numpy as np
import pytest

from ocrpad.explain.neuron import NeuronTracer
from ocrpad.explain.neuron_text import chain_line, output_line, softmax_at
from ocrpad.explain.neuron_trace import Unit
from ocrpad.explain.neuron_view import neuron_view, shown_unit
from ocrpad.model import Model, load_model
from ocrpad.preprocess import render_strokes


@pytest.fixture(scope="module")
def tracer() -> NeuronTracer:
    model: Model = load_model()
    strokes = [np.array([[10.0, 10], [10, 60]]), np.array([[10.0, 35], [40, 35]])]
    return NeuronTracer(model, render_strokes(strokes))


def test_a_batch_norm_or_relu_unit_is_shown_as_the_conv_or_pool_below_it(
    tracer: NeuronTracer,
) -> None:
    assert shown_unit(tracer, Unit("relu1", 3, 4, 5)) == Unit("conv1", 3, 4, 5)
    assert shown_unit(tracer, Unit("bn3", 3, 4, 5)) == Unit("conv3", 3, 4, 5)
    assert shown_unit(tracer, Unit("relu2", 3, 4, 5)) == Unit("pool2", 3, 4, 5)
    assert shown_unit(tracer, Unit("fc1_relu", 7)) == Unit("fc1", 7)
    assert shown_unit(tracer, Unit("pool4", 1, 2, 3)) == Unit("pool4", 1, 2, 3)


def test_the_view_of_a_relu_unit_carries_that_relu_in_its_chain(tracer: NeuronTracer) -> None:
    view = neuron_view(tracer, Unit("relu3", 5, 6, 7))
    assert view.clicked == Unit("relu3", 5, 6, 7)
    assert view.trace.layer == "conv3" and [s.layer for s in view.trace.chain] == ["bn3", "relu3"]
    assert view.trace.chain[-1].value == pytest.approx(float(tracer.outputs["relu3"][5, 6, 7]))
    assert view.line == chain_line(view.trace)


def test_the_path_visits_conv_pool_and_dense_units_down_to_a_pixel(tracer: NeuronTracer) -> None:
    view = neuron_view(tracer, Unit("out", 3))
    kinds = {"conv", "pool", "dense"}
    assert view.path[0] == Unit("out", 3) and view.path[-1].layer is None
    layers = [u.layer for u in view.path[:-1]]
    head, tail = ["out", "fc1", "pool5", "conv5", "pool4"], ["conv4", "conv3", "pool2", "conv2"]
    assert layers == [*head, *tail, "conv1"]
    for upper, lower in zip(view.path[:-1], view.path[1:], strict=True):
        assert upper.layer is not None
        trace = tracer.trace(upper.layer, upper.channel, upper.row, upper.col)
        assert trace.kind in kinds
        assert trace.strongest is not None and shown_unit(tracer, trace.strongest) == lower
    assert view.below_map is None  # a dense unit reads a whole layer
    conv = neuron_view(tracer, view.path[-2])
    assert conv.below_map is not None and conv.below_map.shape == (28, 28)
    assert {b.name for b in conv.blocks} >= {"conv1", "pool2", "fc1", "out"}


def test_a_pixel_has_no_trace(tracer: NeuronTracer) -> None:
    with pytest.raises(ValueError, match="a pixel has no trace"):
        neuron_view(tracer, Unit(None, 0, 3, 3))


def test_a_layer_named_instead_of_a_unit_opens_its_strongest_unit(tracer: NeuronTracer) -> None:
    logits = tracer.outputs["out"]
    view = neuron_view(tracer, "out")
    assert view.clicked == Unit("out", int(np.argmax(logits)))  # the class it reads
    assert view.trace.value == pytest.approx(float(logits.max()))
    conv = neuron_view(tracer, "conv4")
    assert conv.trace.value == pytest.approx(float(tracer.outputs["conv4"].max()))


def test_an_output_unit_goes_on_to_the_softmax_of_all_the_outputs(tracer: NeuronTracer) -> None:
    logits = tracer.outputs["out"].astype(np.float64)
    answer = int(np.argmax(logits))
    view = neuron_view(tracer, Unit("out", answer))
    expected = np.exp(logits - logits.max())[answer] / np.exp(logits - logits.max()).sum()
    assert view.softmax == pytest.approx(expected)
    assert view.line.startswith(chain_line(view.trace))
    assert view.line.endswith(f"(of {len(logits)} outputs)") and "→ softmax " in view.line
    assert neuron_view(tracer, Unit("fc1", 7)).softmax is None  # a hidden unit: no softmax


def test_the_softmax_line_is_stable_for_huge_scores() -> None:
    logits = np.array([1000.0, 990.0, -1000.0])
    assert softmax_at(logits, 0) == pytest.approx(1 / (1 + np.exp(-10)))
    assert output_line("x = 1000", logits, 2) == "x = 1000 → softmax under 1% (of 3 outputs)"
