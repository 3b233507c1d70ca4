"""A context layer carried over to another model's labels (a fine-tune's grown classes)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from ocrpad.reading.context import ContextLayer

F64 = NDArray[np.float64]


def aligned(layer: ContextLayer, labels: Sequence[str]) -> ContextLayer:
    """`layer` over `labels` (e.g. a fine-tuned model's grown classes): classes it was not
    fitted for get no context terms (weights 0, usual height 0, spread 1, no group, the
    usual place)."""
    if tuple(labels) == layer.labels:
        return layer
    where = {c: i for i, c in enumerate(layer.labels)}
    rows = np.array([where.get(c, -1) for c in labels])
    known = rows >= 0

    def take(a: F64, fill: float) -> F64:
        out = np.full((len(labels), *a.shape[1:]), fill, dtype=np.float64)
        out[known] = a[rows[known]]
        return out

    def usual(a: F64 | None) -> F64 | None:  # a class it does not know: the usual place
        if a is None:
            return None
        out = take(a, 0.0)
        out[~known] = np.median(a, axis=0)
        return out

    return replace(
        layer,
        labels=tuple(labels),
        height_mu=take(layer.height_mu, 0.0),
        height_sd=take(layer.height_sd, 1.0),
        weights=take(layer.weights, 0.0),
        bias=take(layer.bias, float(layer.bias.mean())),
        place_mu=usual(layer.place_mu),
        place_sd=usual(layer.place_sd),
        device=None
        if layer.device is None
        else replace(layer.device, bias=take(layer.device.bias, 0.0)),
        labelled=None if layer.labelled is None else aligned(layer.labelled, labels),
        unfitted=layer.unfitted | (set(labels) - set(layer.labels)),
    )
