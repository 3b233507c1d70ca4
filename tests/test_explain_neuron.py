"""Neuron traces: every number equals what the network computed, checked against plain loops."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from neuron_reference import reference_field, reference_outputs
from numpy.typing import NDArray

from ocrpad.explain.neuron import NeuronTracer, strongest_path, trace_neuron
from ocrpad.explain.neuron_trace import TOP_CONTRIBUTIONS, NeuronTrace, Unit
from ocrpad.model import ConvBlock, Model, ModelConfig, build_model, load_model
from ocrpad.nn import Conv2d, Dense, Flatten, ReLU, Sequential
from ocrpad.preprocess import render_strokes

TOL = {"rtol": 1e-4, "atol": 1e-4}  # float32 network against the float64 loops
NEAR = {"rel": 1e-4, "abs": 1e-4}


def drawing() -> NDArray[np.float32]:
    """A rendered '4': two strokes, as the canvas would give them."""
    strokes = [np.array([[30.0, 5], [8, 60], [55, 60]]), np.array([[42.0, 30], [42, 95]])]
    return render_strokes(strokes)


@pytest.fixture(scope="module")
def shipped() -> Model:
    return load_model()


def units_to_check(outputs: dict[str, NDArray[np.float64]], layer: str) -> list[Unit]:
    """The strongest unit, a corner (where the padding is read) and a fixed random one."""
    out = outputs[layer]
    if out.ndim == 1:
        return [Unit(layer, int(np.argmax(out))), Unit(layer, 0), Unit(layer, out.shape[0] - 1)]
    c, r, col = (int(i) for i in np.unravel_index(int(np.argmax(out)), out.shape))
    rng = np.random.default_rng(len(layer))
    rc, _, rcol = (int(rng.integers(n)) for n in out.shape)
    last = out.shape[1] - 1
    return [Unit(layer, c, r, col), Unit(layer, 0, 0, 0), Unit(layer, rc, last, rcol)]


def check_against_loops(
    trace: NeuronTrace,
    network: Sequential,
    image: NDArray[np.float32],
    outputs: dict[str, NDArray[np.float64]],
) -> None:
    """Every field of `trace` against the plain-loop outputs of `network` for `image`."""
    unit = trace.unit
    out = outputs[trace.layer]
    at = (unit.channel,) if out.ndim == 1 else (unit.channel, unit.row, unit.col)
    assert trace.value == pytest.approx(out[at], **NEAR)
    assert trace.receptive_field == reference_field(network, trace.layer, unit.row, unit.col)
    below = outputs[trace.below] if trace.below else np.asarray(image, np.float64)[None]
    for step in trace.chain:
        assert step.value == pytest.approx(outputs[step.layer][at], **NEAR)
    if trace.kind == "conv":
        check_conv(trace, network[trace.layer], below)
    elif trace.kind == "pool":
        assert trace.window is not None
        k = trace.window.shape[0]
        top, left = trace.origin
        window = below[unit.channel, top : top + k, left : left + k]
        np.testing.assert_allclose(trace.window, window, **TOL)
        assert trace.window[trace.winner] == trace.value == trace.window.max()
    elif trace.kind == "dense":
        dense = network[trace.layer]
        assert isinstance(dense, Dense)
        products = below.reshape(-1) * dense.params["weight"][unit.channel].astype(np.float64)
        strongest_first = np.argsort(-np.abs(products), kind="stable")[:TOP_CONTRIBUTIONS]
        assert [c.index for c in trace.contributions] == [int(i) for i in strongest_first]
        for c in trace.contributions:
            assert c.product == pytest.approx(products[c.index], **NEAR)
        summed = sum(c.product for c in trace.contributions) + trace.rest + trace.bias
        assert summed == pytest.approx(trace.value, **NEAR)
        assert len(trace.contributions) + trace.rest_count == products.size
    else:
        step = trace.step
        assert step is not None
        assert step.input == pytest.approx(below.reshape(out.shape)[at], **NEAR)
        if trace.kind == "relu":
            assert trace.value == max(step.input, 0.0)
        else:
            scaled = (step.input - step.mean) / np.sqrt(step.var + step.eps) * step.weight
            assert scaled + step.bias == pytest.approx(trace.value, **NEAR)


def check_conv(trace: NeuronTrace, conv: object, below: NDArray[np.float64]) -> None:
    assert isinstance(conv, Conv2d)
    assert trace.patch is not None and trace.kernel is not None and trace.products is not None
    unit, k, s, p = trace.unit, conv.kernel_size, conv.stride, conv.padding
    padded = np.pad(below, ((0, 0), (p, p), (p, p)))
    rows, cols = slice(unit.row * s, unit.row * s + k), slice(unit.col * s, unit.col * s + k)
    np.testing.assert_allclose(trace.patch, padded[:, rows, cols], **TOL)
    np.testing.assert_array_equal(trace.kernel, conv.params["weight"][unit.channel])
    np.testing.assert_array_equal(trace.products, trace.patch.astype(float) * trace.kernel)
    assert trace.bias == float(conv.params["bias"][unit.channel])
    assert trace.total == pytest.approx(float(trace.products.sum()) + trace.bias, abs=1e-9)
    assert trace.total == pytest.approx(trace.value, **NEAR)
    assert trace.origin == (unit.row * s - p, unit.col * s - p)


def test_every_layer_of_the_shipped_model_traces_exactly_as_plain_loops_compute_it(
    shipped: Model,
) -> None:
    image = drawing()
    outputs = reference_outputs(shipped.network, image)
    tracer = NeuronTracer(shipped, image)
    kinds = set()
    for layer in tracer.traceable():
        for unit in units_to_check(outputs, layer):
            trace = tracer.trace(layer, unit.channel, unit.row, unit.col)
            check_against_loops(trace, shipped.network, image, outputs)
            kinds.add(trace.kind)
    assert kinds == {"conv", "batchnorm", "relu", "pool", "dense"}


def test_a_conv_trace_carries_the_batch_norm_and_relu_that_follow_it(shipped: Model) -> None:
    image = drawing()
    trace = trace_neuron(shipped, image, "conv1", 3, 12, 14)
    assert [(s.layer, s.kind) for s in trace.chain] == [("bn1", "batchnorm"), ("relu1", "relu")]
    assert trace.chain[0].input == trace.value
    assert trace.chain[1].value == max(trace.chain[0].value, 0.0)
    pooled = trace_neuron(shipped, image, "conv2", 3, 12, 14)  # the pool comes before its ReLU
    assert [s.layer for s in pooled.chain] == ["bn2"]
    assert [s.layer for s in trace_neuron(shipped, image, "pool2", 3, 6, 7).chain] == ["relu2"]
    assert [s.layer for s in trace_neuron(shipped, image, "fc1", 3, 0, 0).chain] == ["fc1_relu"]


def test_sum_of_products_plus_bias_is_the_conv_layers_output_at_every_position(
    shipped: Model,
) -> None:
    image = drawing()
    tracer = NeuronTracer(shipped, image)
    for layer in ("conv1", "conv3", "conv5"):
        out = tracer.outputs[layer]
        channel = out.shape[0] // 2
        for row in range(out.shape[1]):
            for col in range(out.shape[2]):
                trace = tracer.trace(layer, channel, row, col)
                assert trace.products is not None
                total = float(trace.products.sum()) + trace.bias
                assert total == pytest.approx(float(out[channel, row, col]), rel=1e-5, abs=1e-5)


VARIANTS = {
    "reference": ModelConfig(),  # valid convs, no batch norm, dropout
    "bn-pooled": ModelConfig(
        blocks=(ConvBlock(4, batchnorm=True, pool=True), ConvBlock(6, batchnorm=True, pool=True)),
        padding=1,
        hidden=(16,),
    ),
}


@pytest.mark.parametrize("name", VARIANTS)
def test_other_architectures_trace_as_plain_loops_compute_them(name: str) -> None:
    model = build_model(VARIANTS[name], rng=np.random.default_rng(5))
    for _, layer in model.network.layers:  # batch-norm statistics other than 0 and 1
        if "running_mean" in layer.buffers:
            rng = np.random.default_rng(1)
            layer.buffers["running_mean"][...] = rng.normal(
                size=layer.buffers["running_mean"].shape
            )
            layer.buffers["running_var"][...] = rng.uniform(
                0.5, 2.0, layer.buffers["running_var"].shape
            )
    image = drawing()
    outputs = reference_outputs(model.network, image)
    tracer = NeuronTracer(model, image)
    for layer in tracer.traceable():
        for unit in units_to_check(outputs, layer):
            trace = tracer.trace(layer, unit.channel, unit.row, unit.col)
            check_against_loops(trace, model.network, image, outputs)


PLUS = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], dtype=np.float32)


def test_a_plus_detector_shows_the_arithmetic_one_would_do_by_hand() -> None:
    conv = Conv2d(1, 1, 3)
    conv.params["weight"][0, 0] = np.where(PLUS > 0, 1.0, -1.0)
    conv.params["bias"][0] = -4.0
    dense = Dense(26 * 26, 1)
    network = Sequential([("conv", conv), ("relu", ReLU()), ("flat", Flatten()), ("out", dense)])
    image = np.zeros((28, 28), np.float32)
    image[9:12, 4:7] = PLUS
    trace = trace_neuron(network, image, "conv", 0, 9, 4)  # centred on the plus at (10, 5)
    np.testing.assert_array_equal(trace.patch, PLUS[None])
    np.testing.assert_array_equal(trace.products, PLUS[None])
    assert (trace.value, trace.total, trace.bias) == (1.0, 1.0, -4.0)
    assert trace.receptive_field == (9, 4, 12, 7)
    assert trace.strongest == Unit(None, 0, 9, 5)  # the first pixel of the plus
    assert [(s.layer, s.value) for s in trace.chain] == [("relu", 1.0)]


def test_strongest_inputs_lead_from_a_class_down_to_a_pixel_inside_each_field(
    shipped: Model,
) -> None:
    tracer = NeuronTracer(shipped, drawing())
    path = strongest_path(tracer, Unit("out", shipped.labels.index("4")))
    assert path[-1].layer is None and path[-2].layer == "conv1"
    assert [u.layer for u in path[:-1]] == [n for n in reversed(tracer.traceable())]
    pixel = path[-1]
    for upper, lower in itertools.pairwise(path):
        assert upper.layer is not None
        assert lower.layer == tracer.below(upper.layer)
        trace = tracer.trace(upper.layer, upper.channel, upper.row, upper.col)
        top, left, bottom, right = trace.receptive_field
        assert top <= pixel.row < bottom and left <= pixel.col < right


@pytest.mark.parametrize(
    ("layer", "unit", "message"),
    [
        ("nope", (0, 0, 0), "cannot trace layer 'nope'"),
        ("dropout", (0, 0, 0), "cannot trace layer 'dropout'"),
        ("conv1", (32, 0, 0), "outside conv1"),
        ("conv1", (0, 28, 0), "outside conv1"),
        ("fc1", (3, 1, 0), "use row = col = 0"),
        ("conv1", (1.5, 0, 0), r"three integers \(channel, row, col\), not \(1.5, 0, 0\)"),
        ("conv1", ("2", 0, 0), "three integers"),
        ("conv1", (0, True, 0), "three integers"),
        (["conv1"], (0, 0, 0), r"cannot trace layer \['conv1'\]"),
    ],
)
def test_a_unit_that_does_not_exist_gets_a_clear_message(
    shipped: Model, layer: str, unit: tuple[int, int, int], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        trace_neuron(shipped, drawing(), layer, *unit)
    assert trace_neuron(shipped, drawing(), "conv1", np.int64(2), 3, 3).unit.channel == 2  # type: ignore[arg-type]
