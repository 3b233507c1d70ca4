"""The network at a glance: every layer's output shape and parameter count (no Qt).

Computed from the model's own configuration (each layer's ``get_config`` and the input
size), not from a forward pass, so it describes any model file the window loads.
"""

from __future__ import annotations

from dataclasses import dataclass

from ocrpad.explain.graph import network_of
from ocrpad.model import Model
from ocrpad.nn import BatchNorm2d, Conv2d, Dense, Dropout, Flatten, MaxPool2d, ReLU, Sequential
from ocrpad.nn.module import Layer


@dataclass(frozen=True)
class LayerBlock:
    """One layer as the architecture strip shows it: `name`, `kind` (conv, batchnorm, relu,
    pool, dropout, flatten, dense), a short `detail` ("3×3, pad 1"), its output `shape`
    ((C, H, W) or (F,)) and its number of trained parameters."""

    name: str
    kind: str
    detail: str
    shape: tuple[int, ...]
    params: int


def layer_blocks(model: Model | Sequential, input_size: int | None = None) -> list[LayerBlock]:
    """Every layer of the network in order, for a (1, size, size) input (default: the
    model's configured input size, else 28)."""
    if input_size is None:
        input_size = model.config.input_size if isinstance(model, Model) else 28
    shape: tuple[int, ...] = (1, input_size, input_size)
    blocks = []
    for name, layer in network_of(model).layers:
        shape = _output_shape(layer, shape)
        count = sum(int(p.size) for p in layer.params.values())
        blocks.append(LayerBlock(name, _kind(layer), _detail(layer), shape, count))
    return blocks


def _kind(layer: Layer) -> str:
    kinds: dict[type[Layer], str] = {
        Conv2d: "conv",
        BatchNorm2d: "batchnorm",
        ReLU: "relu",
        MaxPool2d: "pool",
        Dropout: "dropout",
        Flatten: "flatten",
        Dense: "dense",
    }
    return kinds.get(type(layer), type(layer).__name__.lower())


def _detail(layer: Layer) -> str:
    if isinstance(layer, Conv2d):
        k = layer.kernel_size
        parts = [f"{k}×{k}"]
        parts += [f"stride {layer.stride}"] if layer.stride != 1 else []
        parts += [f"pad {layer.padding}"] if layer.padding else []
        return ", ".join(parts)
    if isinstance(layer, MaxPool2d):
        k = layer.kernel_size
        return f"{k}×{k} max" + (f", stride {layer.stride}" if layer.stride != k else "")
    if isinstance(layer, Dropout):
        return f"p {layer.p:g}"
    return ""


def _output_shape(layer: Layer, shape: tuple[int, ...]) -> tuple[int, ...]:
    """(C, H, W) or (F,) after `layer` for an input of `shape`."""
    if isinstance(layer, Conv2d):
        k, s, p = layer.kernel_size, layer.stride, layer.padding
        _, h, w = shape
        return layer.out_channels, (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
    if isinstance(layer, MaxPool2d):
        k, s = layer.kernel_size, layer.stride
        c, h, w = shape
        return c, (h - k) // s + 1, (w - k) // s + 1
    if isinstance(layer, Flatten):
        size = 1
        for n in shape:
            size *= n
        return (size,)
    if isinstance(layer, Dense):
        return (layer.out_features,)
    return shape


def shape_text(shape: tuple[int, ...]) -> str:
    """(32, 28, 28) -> "32×28×28"."""
    return "×".join(str(n) for n in shape)
