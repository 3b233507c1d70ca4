"""Open a unit of the reader's trace network: the arithmetic that made one of its numbers from
the pen's path (no Qt).

The trace network (`reading.trace`) reads the drawing's path as `trace_features` gives it: 32
points along the joined strokes, in box units, with the direction of travel at each. It is
four dense layers: fc1, fc2, fc3 (512 units each, then ReLU) and out (a unit per class), whose
log-probabilities, times the network's weight, the reader adds to the picture network's logits.
`PathTracer(trace, features)` runs it once on one drawing's features, as the network runs
(``x @ weight.T + bias`` in float32, ReLU between the layers), and `unit(layer, index)` reads
off one unit: its inputs, weights and their products (in float64: the exact products of the
float32 operands), the 16 that weigh most, the sum of the rest, the bias and the total. It
reads only the network's arrays, so it may run beside a reader using the same network.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ocrpad.explain.neuron_trace import TOP_CONTRIBUTIONS, Contribution
from ocrpad.nn.functional import log_softmax
from ocrpad.nn.layers import Dense
from ocrpad.reading.trace import FEATURE_COUNT, TRACE_POINTS, TraceNet
from ocrpad.strokes import flatten_strokes

F32 = NDArray[np.float32]
LAYERS: Final = ("fc1", "fc2", "fc3", "out")
INPUT_PARTS: Final = ("x", "y", "direction across", "direction down")
"""What each run of `TRACE_POINTS` numbers of `trace_features` is, in order."""


def input_name(index: int) -> str:
    """The name of path number `index` of `trace_features`: 'x at point 7' (points from 1)."""
    if not 0 <= index < FEATURE_COUNT:
        raise ValueError(f"the path has {FEATURE_COUNT} numbers, not an index {index}")
    part, point = divmod(index, TRACE_POINTS)
    return f"{INPUT_PARTS[part]} at point {point + 1}"


def input_point(index: int) -> int:
    """The point (0-based, along the path) that path number `index` describes."""
    return index % TRACE_POINTS


def lifted_steps(strokes: Sequence[ArrayLike]) -> NDArray[np.bool_]:
    """(TRACE_POINTS - 1,) for each step between neighbouring points of the path that
    `trace_features` reads from `strokes` (each (k, 2)), whether most of it is a move with
    the pen lifted between two strokes. The network reads those moves as ink, as it reads a
    device that loses its pen-up events; a view can draw them apart."""
    points, offsets = flatten_strokes(strokes)
    p = points.astype(np.float64)
    steps = np.hypot(*np.diff(p, axis=0).T) if len(p) > 1 else np.zeros(0)
    lifted = np.zeros(len(steps))
    starts = offsets[1:-1]  # the first point of every stroke after the first
    lifted[starts[(starts >= 1) & (starts < len(p))] - 1] = 1.0
    travelled = np.concatenate([[0.0], np.cumsum(steps)])
    if travelled[-1] <= 0.0:
        return np.zeros(TRACE_POINTS - 1, dtype=bool)
    up = np.interp(
        np.linspace(0.0, travelled[-1], TRACE_POINTS),
        travelled,
        np.concatenate([[0.0], np.cumsum(steps * lifted)]),
    )
    return np.asarray(np.diff(up) > 0.5 * travelled[-1] / (TRACE_POINTS - 1))


@dataclass(frozen=True)
class PathUnit:
    """How unit `index` of dense layer `layer` was computed: `total` = the products of its
    inputs and weights summed, plus `bias` (`contributions`: the TOP_CONTRIBUTIONS largest by
    size, largest first; `rest`: the sum of the other `rest_count`). `value` is the layer's
    own float32 output (it differs from `total` only by the rounding of the sum); `after_relu`
    what the next layer reads of it (None for `out`). `below`: the layer whose output it read
    (None: the path's numbers), `strongest` the index there of the largest product. For `out`:
    `label`, the trace network's `probability` of it and `added`, what the reader adds to
    the picture network's logit for it (the weight times its log-probability)."""

    layer: str
    index: int
    value: float
    after_relu: float | None
    contributions: tuple[Contribution, ...]
    rest: float
    rest_count: int
    bias: float
    total: float
    below: str | None
    strongest: int
    label: str | None = None
    probability: float | None = None
    added: float | None = None

    def input_name(self, index: int) -> str:
        """What input `index` of this unit is: a path number, or a unit of the layer below."""
        if self.below is None:
            return input_name(index)
        return f"{self.below} unit {index + 1}"


class PathTracer:
    """The trace network `trace` run once on one drawing's `trace_features` (F,)."""

    def __init__(self, trace: TraceNet, features: ArrayLike) -> None:
        path = np.asarray(features, np.float32).reshape(-1)
        if path.shape != (FEATURE_COUNT,) or not np.isfinite(path).all():
            raise ValueError(f"expected {FEATURE_COUNT} finite path numbers, got {path.shape}")
        self.trace = trace
        self.path: F32 = np.ascontiguousarray(path)
        self.inputs: dict[str, F32] = {}  # what each layer read: (in,)
        self.outputs: dict[str, F32] = {}  # its output before ReLU: (out,)
        x = self.path
        for name in LAYERS:
            layer = self._dense(name)
            self.inputs[name] = x
            y = (x[None] @ layer.params["weight"].T)[0] + layer.params["bias"]
            self.outputs[name] = y.astype(np.float32)
            x = np.maximum(y, 0).astype(np.float32)
        self.log_probs: NDArray[np.float64] = np.asarray(
            log_softmax(self.outputs["out"][None].astype(np.float64))[0]
        )

    def _dense(self, name: str) -> Dense:
        layer = self.trace.network[name]
        assert isinstance(layer, Dense)
        return layer

    def sizes(self) -> list[tuple[str, int]]:
        """Every layer's name and unit count, in order."""
        return [(name, len(self.outputs[name])) for name in LAYERS]

    def shown(self, layer: str) -> F32:
        """What a view colours for `layer` (units,): the hidden layers' outputs after ReLU, the
        output layer's probabilities."""
        if layer == "out":
            return np.exp(self.log_probs).astype(np.float32)
        return np.asarray(np.maximum(self.outputs[self._known(layer)], 0), np.float32)

    def strongest_unit(self, layer: str) -> int:
        """The unit of `layer` that `shown` makes largest."""
        return int(np.argmax(self.shown(layer)))

    def _known(self, layer: str) -> str:
        if layer not in self.outputs:
            raise ValueError(f"the trace network has no layer {layer!r}; it has {LAYERS}")
        return layer

    def unit(self, layer: str, index: int) -> PathUnit:
        """Unit `index` (from 0) of `layer`; ValueError for one that does not exist."""
        out = self.outputs[self._known(layer)]
        if isinstance(index, bool) or not isinstance(index, int | np.integer):
            raise ValueError(f"a unit is a whole number, not {index!r}")
        if not 0 <= index < len(out):
            raise ValueError(f"{layer} has {len(out)} units, not a unit {index + 1}")
        dense = self._dense(layer)
        x = self.inputs[layer].astype(np.float64)
        weight = dense.params["weight"][index].astype(np.float64)
        products = x * weight
        order = np.argsort(-np.abs(products), kind="stable")
        top = order[:TOP_CONTRIBUTIONS]
        bias = float(dense.params["bias"][index])
        place = LAYERS.index(layer)
        label, probability, added = None, None, None
        if layer == "out":
            log_p = float(self.log_probs[index])
            label, probability = self.trace.labels[index], float(np.exp(log_p))
            added = self.trace.weight * log_p
        return PathUnit(
            layer=layer,
            index=int(index),
            value=float(out[index]),
            after_relu=None if layer == "out" else max(float(out[index]), 0.0),
            contributions=tuple(
                Contribution(int(f), float(x[f]), float(weight[f]), float(products[f])) for f in top
            ),
            rest=float(products[order[TOP_CONTRIBUTIONS:]].sum()),
            rest_count=max(0, len(products) - TOP_CONTRIBUTIONS),
            bias=bias,
            total=float(products.sum() + bias),
            below=None if place == 0 else LAYERS[place - 1],
            strongest=int(np.argmax(products)),
            label=label,
            probability=probability,
            added=added,
        )
