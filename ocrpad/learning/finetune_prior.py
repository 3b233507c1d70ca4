"""Keep the base model's class priors through a fine-tune (logit adjustment).

A fine-tune's batches are the user's drawings (often one group: a person who only teaches
digits) plus rehearsal drawings (the same number of every class). Trained on that stream as it
is, the network learns the stream's class frequencies as well as the user's shapes: other
writers' O becomes 0 and their o becomes O, which is most of what a large fine-tune used to
cost them. Adding log(stream prior / base prior) to the logits while training (Menon et al.,
"Long-tail learning via logit adjustment", 2021) makes the frequencies the loss sees the base
training data's, so the weights learn the shapes and keep the base's priors.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

FLOOR = 1e-6  # smallest prior used in a logarithm


def base_prior(meta: Mapping[str, Any]) -> dict[str, float] | None:
    """Class frequencies of the data a model was trained on (meta["data"]["class_counts"],
    written by `fit`), or None for a model file that does not record them."""
    data = meta.get("data")
    counts = data.get("class_counts") if isinstance(data, Mapping) else None
    if not isinstance(counts, Mapping) or not counts:
        return None
    total = float(sum(counts.values()))
    return {str(c): float(n) / total for c, n in counts.items()} if total > 0 else None


def stream_prior(
    user: Sequence[str], rehearsal: Sequence[str], batch_user: int, batch_rehearsal: int
) -> dict[str, float]:
    """Class frequencies of the fine-tune's batches: each epoch walks `user` in steps of at
    most `batch_user` drawings, each step with `batch_rehearsal` from `rehearsal`. A step
    holds len(user) / steps user drawings on average — fewer than `batch_user` when the user
    gave fewer (six corrections: 6 beside 64, not 32), or the user's classes are overstated
    and the shift pushes them down at reading time."""
    steps = max(1, -(-len(user) // max(1, batch_user)))
    parts = [(user, len(user) / steps), (rehearsal, batch_rehearsal if rehearsal else 0)]
    total = sum(weight for labels, weight in parts if labels)
    prior: dict[str, float] = {}
    for labels, weight in parts:
        if not labels or weight <= 0:
            continue
        for char, n in Counter(labels).items():
            prior[char] = prior.get(char, 0.0) + weight / total * n / len(labels)
    return prior


def logit_shift(
    labels: Sequence[str], stream: Mapping[str, float], base: Mapping[str, float] | None
) -> NDArray[np.float32]:
    """(C,) log(stream / base) per model class, added to the logits in training; 0 for a
    class the base prior does not know (new classes) and everywhere when `base` is None."""
    shift = np.zeros(len(labels), dtype=np.float32)
    if base is None:
        return shift
    for i, char in enumerate(labels):
        if char in base:
            shift[i] = np.log(max(stream.get(char, 0.0), FLOOR) / max(base[char], FLOOR))
    return shift
