"""The architecture strip's figures, how far fine-tuned filters moved, and the chain line."""

from __future__ import annotations

import numpy as np
import pytest

from ocrpad.explain.architecture import layer_blocks
from ocrpad.explain.filter_drift import filter_drift
from ocrpad.explain.neuron import trace_neuron
from ocrpad.explain.neuron_text import chain_line, number
from ocrpad.model import ConvBlock, ModelConfig, build_model, load_model
from ocrpad.nn import Conv2d, Dense, Flatten, ReLU, Sequential


def test_blocks_give_each_layers_output_shape_as_a_real_forward_pass_does() -> None:
    model = load_model()
    blocks = layer_blocks(model)
    outputs = model.network.forward_with_activations(np.zeros((1, 1, 28, 28), np.float32))
    assert [b.name for b in blocks] == [name for name, _ in outputs]
    assert [b.shape for b in blocks] == [a.shape[1:] for _, a in outputs]


def test_blocks_count_the_trained_parameters_of_the_shipped_model() -> None:
    blocks = {b.name: b for b in layer_blocks(load_model())}
    assert blocks["conv1"].params == 32 * 1 * 9 + 32
    assert blocks["bn1"].params == 2 * 32
    assert blocks["fc1"].params == 1152 * 256 + 256
    assert blocks["relu1"].params == blocks["pool2"].params == 0
    # the model card's 459,454 also counts the batch-norm running statistics (2 per channel)
    statistics = 2 * (32 + 32 + 64 + 64 + 128)
    assert sum(b.params for b in blocks.values()) + statistics == 459_454
    assert (blocks["conv1"].detail, blocks["pool2"].detail) == ("3×3, pad 1", "2×2 max")


def test_filter_drift_ranks_the_filters_a_fine_tune_changed_most() -> None:
    config = ModelConfig(blocks=(ConvBlock(4), ConvBlock(3, pool=True)), hidden=(8,))
    before = build_model(config, rng=np.random.default_rng(0))
    after = before.with_extra_classes(["@"], np.random.default_rng(1))  # one more class
    conv2 = after.network["conv2"]
    w = conv2.params["weight"]
    w[2] *= 1.5  # moved by half its size
    w[0, 1] += 0.2 * np.linalg.norm(w[0])  # 9 taps: moved by 0.6, all in input channel 1
    drifts = filter_drift(before, after)
    assert [d.layer for d in drifts] == ["conv1", "conv2"]
    assert np.all(drifts[0].moved == 0)
    np.testing.assert_allclose(drifts[1].moved, [0.6, 0, 0.5], rtol=1e-5)
    assert drifts[1].most_moved(2) == [0, 2]
    assert drifts[1].strongest_channel(0) == 1


def test_filter_drift_refuses_networks_with_other_convolutions() -> None:
    small = build_model(ModelConfig(blocks=(ConvBlock(4),)))
    with pytest.raises(ValueError, match="different conv layers"):
        filter_drift(small, build_model())


def test_the_chain_line_reads_like_the_arithmetic_it_shows() -> None:
    conv = Conv2d(1, 1, 3)
    conv.params["weight"][...] = 0.0
    conv.params["weight"][0, 0, 1, 1] = 2.0
    conv.params["weight"][0, 0, 0, 1] = -0.5
    conv.params["bias"][0] = -0.25
    dense = Dense(26 * 26, 1)
    network = Sequential([("conv", conv), ("relu", ReLU()), ("flat", Flatten()), ("out", dense)])
    image = np.zeros((28, 28), np.float32)
    image[4, 5], image[3, 5] = 0.75, 1.0
    line = chain_line(trace_neuron(network, image, "conv", 0, 3, 4))
    assert line == "0.75·2 + 1·(−0.5) + … 7 more + bias −0.25 = 0.75 → ReLU 0.75"
    assert chain_line(trace_neuron(network, image, "relu", 0, 0, 0)) == "ReLU(−0.25) = 0"
    assert number(-0.1304) == "−0.13"
