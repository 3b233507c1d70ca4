"""Why the reader chose its answer over the runner-up, in the context layer's terms.

The calibrated logits are the sum of the head's terms over a temperature
(`ContextLayer.head_parts`, `temperature_of`), and the log odds of two classes of one reading
are the difference of their logits, so they split exactly into one value per term:

    log(p_answer / p_runner_up) = Σ_part (part[answer] − part[runner_up]) / T

`PARTS` names them as a person would ask about them. The fitted linear term is split by its
features (r, r², rw → size; the mix by group → mix; has-history → prior), and the network's
logits into the network's own reading of the image (`shape`), the trace network's reading of
the pen's path (`trace`) and the correction for coarse traces (`coarse`). A positive value
pushed towards the answer, a negative one towards the runner-up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import numpy as np
from numpy.typing import NDArray

from ocrpad.reading.context import ContextLayer, Frame, HeadParts

F64 = NDArray[np.float64]
PARTS: Final = ("shape", "trace", "coarse", "size", "mix", "place", "likeness", "prior")
"""shape: the network's reading of the drawing's image alone; trace: the trace network's
reading of its path, the order and direction of its strokes (`reading.trace`); coarse: the
correction for coarse traces (`reading.device`); size: its height and width against the
writer's scale; mix: the history's mix of digits, capitals and small letters; place: where it
sits against the writer's baseline; likeness: the earlier drawings shaped like it
(`reading.likeness`); prior: the classes' fitted offsets (with and without history)."""
Reasons = tuple[tuple[str, float], ...]


def named_parts(
    layer: ContextLayer, parts: HeadParts, network: F64 | None = None, image: F64 | None = None
) -> dict[str, F64]:
    """The head's terms (each (N, C)) regrouped under `PARTS`; their sum is `parts.total()` to
    float rounding. `network` (N, C): the network's logits before the correction for coarse
    traces (None: no correction was made, `coarse` is 0); `image` (N, C): before the trace
    network's term (None: no such term, `trace` is 0)."""
    groups = len(layer.groups)
    by_feature = parts.f[:, None, :] * layer.weights[None, :, :]  # (N, C, K)
    read = parts.shape if network is None else layer.logit_scale * network
    shape = read if image is None else layer.logit_scale * image
    return {
        "shape": shape,
        "trace": read - shape,
        "coarse": parts.shape - read,
        "size": parts.size + by_feature[:, :, :3].sum(axis=2),
        "mix": parts.mix + by_feature[:, :, 3 : 3 + groups].sum(axis=2),
        "place": parts.place,
        "likeness": parts.likeness,
        "prior": parts.bias + by_feature[:, :, 3 + groups],
    }


def contributions(
    named: dict[str, F64], temperature: float, answer: int, runner_up: int
) -> Reasons:
    """Each part's share of log(p_answer / p_runner_up) for the first drawing of `named`
    (`named_parts`) read at `temperature`: (part, value) pairs, largest |value| first.
    `answer` and `runner_up` index the layer's labels."""
    values = [
        (part, float((named[part][0, answer] - named[part][0, runner_up]) / temperature))
        for part in PARTS
    ]
    return tuple(sorted(values, key=lambda pair: -abs(pair[1])))


def scored(
    context: ContextLayer | None,
    kind: str,
    network: F64,
    read: F64,
    geometry: F64 | None,
    frame: Frame | None,
    told: bool = False,
    *,
    image: F64 | None = None,
) -> tuple[F64, Callable[[tuple[int, int]], Reasons]]:
    """Calibrated logits (N, C) of N drawings, and what gives the `contributions` to the first
    one's answer over another class: (answer, runner-up), indices into the labels.

    `network` and `read` (N, C): the network's logits before and after the correction for
    coarse traces; `image` (N, C): before the trace network's term (None: `network`);
    `geometry` (N, 5) and `frame` (None: read without history); `context`'s head for a
    history mostly labelled or not (`told`) answers from set `kind`. Without a context
    layer (None) the logits are the network's own."""
    if context is None:
        return read, lambda pair: bare(network if image is None else image, pair)
    layer, n = context.for_history(told), len(read)
    if geometry is None or frame is None:
        geometry, frame = np.zeros((n, 5)), Frame.empty(layer, n)
    parts = layer.head_parts(read, geometry, frame)
    temperature = layer.temperature_of(kind, frame.has)  # (N, 1)

    def reasons(pair: tuple[int, int]) -> Reasons:
        named = named_parts(layer, parts, network, image)
        return contributions(named, float(temperature[0, 0]), *pair)

    return np.asarray(parts.total() / temperature), reasons


def bare(network: F64, pair: tuple[int, int]) -> Reasons:
    """The reasons of a reader without a context layer: the network's logits (1, C) alone."""
    return (("shape", float(network[0, pair[0]] - network[0, pair[1]])),)
