"""Open one neuron: exactly how one number of one layer was computed from the input (no Qt).

``trace_neuron(model, image, layer, channel, row, col)`` runs the real network once on one
(28, 28) input and reads off the arithmetic behind one unit: for a convolution the input
patch it read, its kernel, bias and the elementwise products (with the batch norm and ReLU
that follow it), for a batch norm or ReLU its one input, for a max-pool its window and the
cell that won, for a dense unit the inputs that contributed most. Every value is the
network's own (``value`` is the number the layer's map shows); the products are computed in
float64 from the float32 operands, so they are exact and their sum differs from the
network's float32 result only by the rounding of the sum.

``NeuronTracer`` keeps the one forward pass, so that stepping from a unit to its strongest
input, down to the pixels, costs no further pass.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from ocrpad.explain.graph import layer_index, network_of
from ocrpad.explain.neuron_trace import (
    F32,
    TOP_CONTRIBUTIONS,
    Contribution,
    Kind,
    NeuronTrace,
    Step,
    Unit,
)
from ocrpad.explain.receptive import receptive_field
from ocrpad.model import Model
from ocrpad.nn import BatchNorm2d, Conv2d, Dense, Dropout, Flatten, MaxPool2d, ReLU, Sequential
from ocrpad.nn.module import Layer

KINDS: Final[dict[type[Layer], Kind]] = {
    Conv2d: "conv",
    BatchNorm2d: "batchnorm",
    ReLU: "relu",
    MaxPool2d: "pool",
    Dense: "dense",
}
PASS_THROUGH: Final = (Dropout, Flatten)
"""Layers that change no value at inference (dropout) or only the shape (flatten)."""


def trace_neuron(
    model: Model | Sequential, image: NDArray[Any], layer: str, channel: int, row: int, col: int
) -> NeuronTrace:
    """Trace one unit of `layer` for one (28, 28) network input (see NeuronTrace)."""
    return NeuronTracer(model, image).trace(layer, channel, row, col)


class NeuronTracer:
    """One inference pass of the network on one (H, W) image, then traces of any unit.

    Uses the network it is given (its layers keep forward caches: one thread at a time).
    """

    def __init__(self, model: Model | Sequential, image: NDArray[Any]) -> None:
        self.network = network_of(model)
        pixels = np.asarray(image, dtype=np.float32)
        if pixels.ndim != 2:
            raise ValueError(f"expected one (H, W) image, got shape {pixels.shape}")
        self.image: F32 = pixels
        pairs = self.network.forward_with_activations(pixels[None, None])
        self.network.release()
        # each layer's output for this image: (C, H, W) or (F,)
        self.outputs: dict[str, F32] = {name: np.array(a[0], np.float32) for name, a in pairs}

    def output(self, layer: str | None) -> F32:
        """The output of `layer` ((C, H, W) or (F,)); None: the input as (1, H, W)."""
        return self.image[None] if layer is None else self.outputs[layer]

    def below(self, layer: str) -> str | None:
        """The layer whose output `layer` reads, skipping dropout and flatten (None: input)."""
        index = layer_index(self.network, layer) - 1
        while index >= 0 and isinstance(self.network.layers[index][1], PASS_THROUGH):
            index -= 1
        return None if index < 0 else self.network.layers[index][0]

    def traceable(self) -> list[str]:
        """Names of the layers a unit can be traced in, in order."""
        return [n for n, layer in self.network.layers if type(layer) in KINDS]

    def trace(self, layer: str, channel: int, row: int = 0, col: int = 0) -> NeuronTrace:
        """The trace of unit (channel, row, col) of `layer`; ValueError for a unit or layer
        that does not exist or cannot be traced (dropout, flatten)."""
        channel, row, col = _whole(channel, row, col)
        obj = self.network[layer] if isinstance(layer, str) and layer in self.outputs else None
        kind = KINDS.get(type(obj)) if obj is not None else None
        if kind is None:
            raise ValueError(f"cannot trace layer {layer!r}; traceable: {self.traceable()}")
        value = self._value(layer, channel, row, col)
        unit = Unit(layer, channel, row, col)
        below = self.below(layer)
        common: dict[str, Any] = {
            "layer": layer,
            "kind": kind,
            "unit": unit,
            "value": value,
            "receptive_field": receptive_field(self.network, layer, row, col, self.image.shape),
        }
        if isinstance(obj, Conv2d):
            return self._conv(obj, unit, below, common)
        if isinstance(obj, MaxPool2d):
            return self._pool(obj, unit, below, common)
        if isinstance(obj, Dense):
            return self._dense(obj, unit, below, common)
        assert obj is not None
        out = self.outputs[layer]
        same = self._unit_at(below, int(np.ravel_multi_index(self._index(unit), out.shape)))
        step = self._step(layer, channel, float(self.output(below)[self._index(same)]), value)
        return NeuronTrace(**common, below=below, strongest=same, step=step)

    def _value(self, layer: str, channel: int, row: int, col: int) -> float:
        out = self.outputs[layer]
        index = (channel, row, col) if out.ndim == 3 else (channel,)
        if out.ndim == 1 and (row, col) != (0, 0):
            raise ValueError(f"{layer} is flat ({out.shape[0]} units): use row = col = 0")
        if any(not 0 <= i < n for i, n in zip(index, out.shape, strict=True)):
            raise ValueError(
                f"unit {(channel, row, col)} is outside {layer}, whose output is {out.shape}"
            )
        return float(out[index])

    def _index(self, unit: Unit) -> tuple[int, ...]:
        flat = self.output(unit.layer).ndim == 1
        return (unit.channel,) if flat else (unit.channel, unit.row, unit.col)

    def _step(self, layer: str, channel: int, x: float, value: float) -> Step:
        obj = self.network[layer]
        if not isinstance(obj, BatchNorm2d):
            return Step(layer, KINDS[type(obj)], x, value)
        stats, params = obj.buffers, obj.params
        return Step(
            layer,
            "batchnorm",
            x,
            value,
            mean=float(stats["running_mean"][channel]),
            var=float(stats["running_var"][channel]),
            eps=float(obj.eps),
            weight=float(params["weight"][channel]),
            bias=float(params["bias"][channel]),
        )

    def _chain(self, layer: str, unit: Unit) -> tuple[Step, ...]:
        """The batch norm / ReLU layers right after `layer`, at the same unit."""
        steps: list[Step] = []
        index = layer_index(self.network, layer) + 1
        x = self.outputs[layer][self._index(unit)]
        while index < len(self.network.layers):
            name, obj = self.network.layers[index]
            if not isinstance(obj, (BatchNorm2d, ReLU)):
                break
            value = self.outputs[name][self._index(unit)]
            steps.append(self._step(name, unit.channel, float(x), float(value)))
            x, index = value, index + 1
        return tuple(steps)

    def _unit_at(self, layer: str | None, flat: int) -> Unit:
        """The unit of `layer`'s output at index `flat` of its (C, H, W)-order flattening."""
        shape = self.output(layer).shape
        if len(shape) == 1:
            return Unit(layer, flat)
        channel, row, col = (int(i) for i in np.unravel_index(flat, shape))
        return Unit(layer, channel, row, col)

    def _conv(
        self, conv: Conv2d, unit: Unit, below: str | None, common: dict[str, Any]
    ) -> NeuronTrace:
        x = self.output(below)  # (C, H, W): the conv's input
        k, s, p = conv.kernel_size, conv.stride, conv.padding
        top, left = unit.row * s - p, unit.col * s - p
        patch = np.zeros((x.shape[0], k, k), np.float32)  # (C, kh, kw), zeros in the padding
        rows = slice(max(top, 0), min(top + k, x.shape[1]))
        cols = slice(max(left, 0), min(left + k, x.shape[2]))
        patch[:, rows.start - top : rows.stop - top, cols.start - left : cols.stop - left] = x[
            :, rows, cols
        ]
        kernel = np.array(conv.params["weight"][unit.channel], np.float32)  # (C, kh, kw)
        products = patch.astype(np.float64) * kernel.astype(np.float64)
        bias = float(conv.params["bias"][unit.channel])
        inside = np.full(products.shape, -np.inf)
        inside[:, rows.start - top : rows.stop - top, cols.start - left : cols.stop - left] = 0.0
        c, i, j = np.unravel_index(int(np.argmax(products + inside)), products.shape)
        strongest = Unit(below, int(c), top + int(i), left + int(j))
        return NeuronTrace(
            **common,
            below=below,
            strongest=strongest,
            patch=patch,
            kernel=kernel,
            products=products,
            origin=(top, left),
            bias=bias,
            total=float(products.sum() + bias),
            chain=self._chain(unit.layer or "", unit),
        )

    def _pool(
        self, pool: MaxPool2d, unit: Unit, below: str | None, common: dict[str, Any]
    ) -> NeuronTrace:
        x = self.output(below)  # (C, H, W): the pool's input
        k, s = pool.kernel_size, pool.stride
        top, left = unit.row * s, unit.col * s
        window = np.array(x[unit.channel, top : top + k, left : left + k], np.float32)  # (k, k)
        i, j = (int(v) for v in np.unravel_index(int(np.argmax(window)), window.shape))
        return NeuronTrace(
            **common,
            below=below,
            strongest=Unit(below, unit.channel, top + i, left + j),
            window=window,
            origin=(top, left),
            winner=(i, j),
            chain=self._chain(unit.layer or "", unit),
        )

    def _dense(
        self, dense: Dense, unit: Unit, below: str | None, common: dict[str, Any]
    ) -> NeuronTrace:
        x = self.output(below).reshape(-1).astype(np.float64)  # (F,), (C, H, W) order
        weight = dense.params["weight"][unit.channel].astype(np.float64)  # (F,)
        products = x * weight
        order = np.argsort(-np.abs(products), kind="stable")
        top = order[:TOP_CONTRIBUTIONS]
        contributions = tuple(
            Contribution(int(f), float(x[f]), float(weight[f]), float(products[f])) for f in top
        )
        bias = float(dense.params["bias"][unit.channel])
        return NeuronTrace(
            **common,
            below=below,
            strongest=self._unit_at(below, int(np.argmax(products))),
            contributions=contributions,
            rest=float(products[order[TOP_CONTRIBUTIONS:]].sum()),
            rest_count=max(0, len(products) - TOP_CONTRIBUTIONS),
            bias=bias,
            total=float(products.sum() + bias),
            chain=self._chain(unit.layer or "", unit),
        )


def strongest_path(tracer: NeuronTracer, unit: Unit) -> list[Unit]:
    """`unit`, then its strongest input, then that one's, ... down to an input pixel."""
    path = [unit]
    while path[-1].layer is not None:
        last = path[-1]
        assert last.layer is not None
        strongest = tracer.trace(last.layer, last.channel, last.row, last.col).strongest
        assert strongest is not None
        path.append(strongest)
    return path


def _whole(*indices: object) -> tuple[int, ...]:
    """Unit indices as ints; ValueError for anything but integers (bools and 2.0 included)."""
    if any(isinstance(i, bool | np.bool_) or not isinstance(i, int | np.integer) for i in indices):
        raise ValueError(f"a unit is three integers (channel, row, col), not {indices}")
    return tuple(int(i) for i in indices)  # type: ignore[call-overload]
