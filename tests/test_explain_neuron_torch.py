"""Neuron traces against PyTorch forward hooks (skipped when PyTorch is not importable)."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np
import pytest

from ocrpad.explain.neuron import NeuronTracer
from ocrpad.model import load_model
from ocrpad.nn import BatchNorm2d, Conv2d, Dense, Dropout, Flatten, MaxPool2d, ReLU, Sequential
from ocrpad.preprocess import render_strokes

torch = pytest.importorskip("torch")


def torch_twin(network: Sequential) -> Any:
    """The same layers in PyTorch, with the network's weights and statistics, in eval mode."""
    nn = torch.nn
    modules: OrderedDict[str, Any] = OrderedDict()
    for name, layer in network.layers:
        config = layer.get_config()
        if isinstance(layer, Conv2d):
            modules[name] = nn.Conv2d(**config)
        elif isinstance(layer, BatchNorm2d):
            modules[name] = nn.BatchNorm2d(**config)
        elif isinstance(layer, MaxPool2d):
            modules[name] = nn.MaxPool2d(**config)
        elif isinstance(layer, ReLU):
            modules[name] = nn.ReLU()
        elif isinstance(layer, Dropout):
            modules[name] = nn.Dropout(**config)
        elif isinstance(layer, Flatten):
            modules[name] = nn.Flatten()
        else:
            assert isinstance(layer, Dense)
            modules[name] = nn.Linear(**config)
    twin = nn.Sequential(modules)
    state = {k: torch.from_numpy(np.array(v)) for k, v in network.state_dict().items()}
    twin.load_state_dict(state, strict=False)  # strict except BN's num_batches_tracked
    return twin.eval()


def test_every_traced_value_equals_what_pytorch_forward_hooks_see() -> None:
    model = load_model()
    strokes = [np.array([[10.0, 10], [50, 10], [10, 60], [50, 60]])]  # a 'Z'
    image = render_strokes(strokes)
    twin = torch_twin(model.network)
    seen: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def hook(name: str) -> Any:
        def keep(module: Any, inputs: tuple[Any, ...], output: Any) -> None:
            seen[name] = (inputs[0][0].detach().numpy(), output[0].detach().numpy())

        return keep

    for name, module in twin.named_children():
        module.register_forward_hook(hook(name))
    with torch.no_grad():
        twin(torch.from_numpy(image[None, None]))
    tracer = NeuronTracer(model, image)
    for layer in tracer.traceable():
        taken, made = seen[layer]
        at = np.unravel_index(int(np.argmax(made)), made.shape)
        unit = (int(at[0]), int(at[1]), int(at[2])) if made.ndim == 3 else (int(at[0]), 0, 0)
        trace = tracer.trace(layer, *unit)
        assert trace.value == pytest.approx(float(made[at]), rel=1e-4, abs=1e-4)
        if trace.kind == "conv":
            assert trace.patch is not None
            top, left = trace.origin
            k = trace.patch.shape[-1]
            padded = np.pad(taken, ((0, 0), (k, k), (k, k)))
            expected = padded[:, top + k : top + 2 * k, left + k : left + 2 * k]
            np.testing.assert_allclose(trace.patch, expected, rtol=1e-4, atol=1e-4)
            for step in trace.chain:
                after = seen[step.layer][1][at]
                assert step.value == pytest.approx(float(after), rel=1e-4, abs=1e-4)
        if trace.step is not None:
            assert trace.step.input == pytest.approx(float(taken.reshape(made.shape)[at]), abs=1e-4)
