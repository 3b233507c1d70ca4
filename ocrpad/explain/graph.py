"""Running a Sequential layer by layer: keep activations, backpropagate between any two layers.

Inside a Sequential, 4-D activations travel channels-last (N, H, W, C); these helpers keep
that layout internally (it is what every layer's ``forward_cl`` / ``backward_cl`` expects)
and convert to NCHW only where arrays leave this package.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ocrpad.model import Model
from ocrpad.nn import BatchNorm2d, Conv2d, MaxPool2d, ReLU, Sequential
from ocrpad.nn.module import to_cf, to_cl
from ocrpad.nn.parallel import blas_threads_for_batch

Array = NDArray[np.floating[Any]]


def network_of(model: Model | Sequential) -> Sequential:
    """The Sequential behind a Model (or the Sequential itself)."""
    return model.network if isinstance(model, Model) else model


def layer_index(network: Sequential, name: str) -> int:
    """Position of the layer called `name`; a ValueError names the layers that exist."""
    for index, (layer_name, _) in enumerate(network.layers):
        if layer_name == name:
            return index
    raise ValueError(f"no layer {name!r}; the layers are {[n for n, _ in network.layers]}")


def forward_to(network: Sequential, x: Array, stop: int) -> Array:
    """Run layers 0..stop (inclusive) in inference mode, keeping what backward needs.

    x: (N, C, H, W) -> the output of layer `stop`, channels-last (N, H, W, C) or (N, F).
    """
    return forward_range(network, to_cl(x), 0, stop)


def forward_range(network: Sequential, h: Array, start: int, stop: int) -> Array:
    """Run layers start..stop (inclusive) on `h`, the channels-last input of layer `start`."""
    with blas_threads_for_batch(len(h)):  # as Sequential does
        for _, layer in network.layers[start : stop + 1]:
            h = layer.forward_cl(h, training=False)
    return h


def backward_from(network: Sequential, dy: Array, top: int, bottom: int = 0) -> Array:
    """Backpropagate `dy` (gradient at the output of layer `top`, channels-last) down to the
    input of layer `bottom`; the forward pass must have run through `top`. Returns the
    gradient channels-last. Convolutions skip their weight gradients (half their work; an
    explanation never uses them); other layers' parameter gradients are overwritten."""
    g = dy
    with blas_threads_for_batch(len(g)):
        for index in range(top, bottom - 1, -1):
            layer = network.layers[index][1]
            if isinstance(layer, Conv2d):
                out = layer.backward_cl(g, need_input_grad=True, need_param_grad=False)
            else:
                out = layer.backward_cl(g, need_input_grad=True)
            assert out is not None
            g = out
    return g


def class_input_gradient(
    network: Sequential, x: Array, classes: NDArray[np.intp]
) -> tuple[Array, Array]:
    """Gradient of each image's class logit with respect to its input.

    x: (N, 1, H, W), classes: (N,) -> (logits (N, K), dx (N, 1, H, W)).
    """
    top = len(network.layers) - 1
    logits = forward_to(network, x, top)
    dy = np.zeros_like(logits)
    dy[np.arange(len(classes)), classes] = 1.0
    return logits, to_cf(backward_from(network, dy, top))


@dataclass(frozen=True)
class FeatureMap:
    """Where a conv layer's feature map is read: the output of layer `index` (the conv, or its
    batch norm / ReLU right after it); `rectify` when that output is not rectified yet
    because the network pools before its ReLU (max-pool and ReLU commute, so the ReLU of
    this map is what the rest of the network effectively sees)."""

    index: int
    rectify: bool


def conv_feature_map(network: Sequential, conv: int | None = None) -> FeatureMap:
    """The feature map of the conv layer at index `conv` (default: the last conv layer)."""
    if conv is None:
        convs = conv_indices(network)
        if not convs:
            raise ValueError("the network has no convolution layer")
        conv = convs[-1]
    index = conv
    while index + 1 < len(network.layers) and isinstance(
        network.layers[index + 1][1], (BatchNorm2d, ReLU)
    ):
        index += 1
    return FeatureMap(index, not isinstance(network.layers[index][1], ReLU))


@dataclass(frozen=True)
class Grid:
    """Where the pixels of a feature map sit on the input: pixel i is centred on input
    coordinate offset + i * step (the same along both axes); the map is side x side."""

    offset: float
    step: float
    side: int


def feature_grid(network: Sequential, index: int, size: int = 28) -> Grid:
    """Receptive-field centres and size of the output of layer `index` for a size x size
    input (convs and pools move and shrink them)."""
    offset, step, side = 0.0, 1.0, size
    for _, layer in network.layers[: index + 1]:
        if isinstance(layer, Conv2d):
            k, p, s = layer.kernel_size, layer.padding, layer.stride
            offset += ((k - 1) / 2 - p) * step
            step, side = step * s, (side + 2 * p - k) // s + 1
        elif isinstance(layer, MaxPool2d):
            k, s = layer.kernel_size, layer.stride
            offset += (k - 1) / 2 * step
            step, side = step * s, (side - k) // s + 1
    return Grid(offset, step, side)


def conv_indices(network: Sequential) -> list[int]:
    """Indices of the conv layers, in order."""
    return [i for i, (_, layer) in enumerate(network.layers) if isinstance(layer, Conv2d)]
