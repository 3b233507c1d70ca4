"""Everything the window's neuron panel shows for one clicked unit, in one record (no Qt).

A unit of a batch-norm or ReLU layer shares its place with the conv, pool or dense unit below
it (those layers work one number at a time), so the panel shows that unit's trace with the
batch norm and ReLU as its chain. The path steps from strongest input to strongest input down
to a pixel, the same way.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ocrpad.explain.architecture import LayerBlock, layer_blocks
from ocrpad.explain.neuron import PASS_THROUGH, NeuronTracer, strongest_path
from ocrpad.explain.neuron_text import chain_line, output_line, softmax_at
from ocrpad.explain.neuron_trace import F32, NeuronTrace, Unit
from ocrpad.nn import BatchNorm2d, ReLU


@dataclass(frozen=True)
class NeuronView:
    """`trace`: the unit shown (conv, pool or dense; `clicked` may be a batch norm or ReLU
    in its chain); `line`: its arithmetic in one line; `path`: the shown unit, then each
    strongest input (conv, pool or dense units) down to a pixel (layer None); `below_map`:
    (H, W) the map of the layer below that holds the strongest input (the input image for
    the first conv), for showing the window or patch there; `image` (H, W) the input;
    `blocks` the architecture; `compute_ms` the time the trace took; `softmax`: for a unit of
    the output layer, the softmax of all output units at it (the network's own probability of
    that class, before the reader weighs history, character set and calibration), else None."""

    clicked: Unit
    trace: NeuronTrace
    line: str
    path: tuple[Unit, ...]
    below_map: F32 | None
    image: F32
    blocks: tuple[LayerBlock, ...]
    compute_ms: float = 0.0
    softmax: float | None = None


def output_layer(tracer: NeuronTracer) -> str:
    """The name of the network's last layer, whose units are the class scores (logits)."""
    return tracer.network.layers[-1][0]


def shown_unit(tracer: NeuronTracer, unit: Unit) -> Unit:
    """The conv, pool or dense unit whose trace explains `unit` (itself for those layers;
    for a batch norm or ReLU the computing layer below it, at the same place)."""
    network = tracer.network
    names = [name for name, _ in network.layers]
    if unit.layer is None:
        return unit
    index = names.index(unit.layer)
    while index > 0 and isinstance(network.layers[index][1], (BatchNorm2d, ReLU, *PASS_THROUGH)):
        index -= 1
    layer = network.layers[index][1]
    if isinstance(layer, (BatchNorm2d, ReLU, *PASS_THROUGH)):
        return unit  # a network that starts with a per-unit layer: nothing below to show
    return Unit(names[index], unit.channel, unit.row, unit.col)


def strongest_unit(tracer: NeuronTracer, layer: str) -> Unit:
    """The unit of `layer` with the largest output for this drawing (for the output layer:
    the class the network reads)."""
    out = tracer.outputs[layer]  # (C, H, W) or (F,)
    at = [int(i) for i in np.unravel_index(int(np.argmax(out)), out.shape)]
    return Unit(layer, *at)


def neuron_view(tracer: NeuronTracer, clicked: Unit | str) -> NeuronView:
    """The panel's record for `clicked`: a unit of any traceable layer, or a layer's name
    (its strongest unit)."""
    start = time.perf_counter()
    if isinstance(clicked, str):
        clicked = strongest_unit(tracer, clicked)
    shown = shown_unit(tracer, clicked)
    if shown.layer is None:
        raise ValueError("a pixel has no trace: it is the input itself")
    trace = tracer.trace(shown.layer, shown.channel, shown.row, shown.col)
    path: list[Unit] = []
    for unit in strongest_path(tracer, shown):
        below = shown_unit(tracer, unit)
        if not path or below != path[-1]:
            path.append(below)
    strongest = trace.strongest
    below_map = None
    if strongest is not None and trace.kind != "dense":
        below_map = np.array(tracer.output(strongest.layer)[strongest.channel], np.float32)
    line, softmax = chain_line(trace), None
    if trace.kind == "dense" and trace.layer == output_layer(tracer):
        logits = tracer.outputs[trace.layer]  # (C,) every class's score for this drawing
        softmax = softmax_at(logits, trace.unit.channel)
        line = output_line(line, logits, trace.unit.channel)
    return NeuronView(
        clicked=clicked,
        trace=trace,
        line=line,
        path=tuple(path),
        below_map=below_map,
        image=tracer.image,
        blocks=tuple(layer_blocks(tracer.network, tracer.image.shape[-1])),
        compute_ms=1000 * (time.perf_counter() - start),
        softmax=softmax,
    )
