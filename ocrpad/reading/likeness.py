"""The likeness term: the writer's earlier drawings shaped like this one vote for what they
were read as.

A person draws a character the same way each time, and their own way may be ambiguous to the
network (an r that looks like a z, a q like a 9). Each earlier drawing j votes for the classes
it was read as (the network's probabilities, or its class where the person gave it), weighed
by how alike the network finds the two drawings:

    weight_j = exp((cos(ẑ, ẑ_j) − 1) / width),   like_c = log(1 + Σ_j weight_j · p_j(c))

where ẑ are the network's logits centred over the classes: the direction of its whole
reading, not only its winner. `ContextLayer` adds `like_weight · like_c` to the logits; both
numbers are fitted (`ocrpad.reading.fit`). Unlike drawings (cos well below 1) add nothing, so
a mixed history barely moves a drawing unlike all of it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]
WIDTHS = (0.1, 0.2, 0.4)
"""The widths the fit tries (the one with the lowest training loss is kept)."""


def _cosines(current: F64, earlier: F64) -> F64:
    """(k,) cosine between the centred logits of the drawing (C,) and of each earlier one
    (k, C)."""
    a = current - current.mean()
    b = earlier - earlier.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(b, axis=1) * np.linalg.norm(a)
    return np.asarray(b @ a / np.maximum(norms, 1e-12))


def likeness(current: F64, earlier: F64, readings: F64, width: float) -> F64:
    """(C,) log(1 + votes) for the drawing whose network logits are `current` (C,), from
    earlier drawings with network logits `earlier` (k, C) and class probabilities `readings`
    (k, C; one-hot where the class was given)."""
    if not len(earlier):
        return np.zeros(len(current))
    weight = np.exp((_cosines(current, earlier) - 1.0) / width)
    return np.asarray(np.log1p(weight @ readings))


def closest(current: F64, earlier: F64, width: float) -> tuple[int, float]:
    """(index of the earlier drawing most like this one, its weight 0 … 1); (-1, 0) for
    none."""
    if not len(earlier):
        return -1, 0.0
    weight = np.exp((_cosines(current, earlier) - 1.0) / width)
    best = int(np.argmax(weight))
    return best, float(weight[best])
