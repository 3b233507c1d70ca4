"""Loss functions returning (loss, gradient w.r.t. the logits)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ocrpad.nn.functional import log_softmax
from ocrpad.nn.module import Array


def cross_entropy(
    logits: Array, targets: NDArray[np.integer], label_smoothing: float = 0.0
) -> tuple[float, Array]:
    """logits: (N, C), targets: (N,) int class indices -> (mean loss, dlogits (N, C)).

    With ``label_smoothing`` = e the target distribution is (1 - e) * one_hot + e / C, as in
    PyTorch's ``cross_entropy(..., label_smoothing=e)``.

    ValueError for an empty batch, or targets that are not (N,) integers in [0, C): NumPy
    indexing would wrap a negative one and broadcast a single one over the batch, training on
    wrong answers without a word. The check is two shape comparisons and one min and max.
    """
    n, c = logits.shape
    targets = np.asarray(targets)
    if n == 0:
        raise ValueError("cross_entropy needs at least one sample; the batch is empty")
    if targets.shape != (n,) or targets.dtype.kind not in "iu":
        raise ValueError(
            f"targets must be {n} integer class indices (shape ({n},)) for logits of shape "
            f"{logits.shape}, got shape {targets.shape} of {targets.dtype}"
        )
    low, high = int(targets.min()), int(targets.max())
    if low < 0 or high >= c:
        raise ValueError(f"targets must be class indices in [0, {c}), got {low}..{high}")
    logp = log_softmax(logits)  # (N, C)
    target = np.full((n, c), label_smoothing / c, dtype=logits.dtype)
    target[np.arange(n), targets] += 1.0 - label_smoothing
    loss = float(-(target * logp).sum() / n)
    dlogits = (np.exp(logp) - target) / n
    return loss, dlogits.astype(logits.dtype, copy=False)
