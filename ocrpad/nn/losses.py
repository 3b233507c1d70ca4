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
    """
    n, c = logits.shape
    logp = log_softmax(logits)  # (N, C)
    target = np.full((n, c), label_smoothing / c, dtype=logits.dtype)
    target[np.arange(n), targets] += 1.0 - label_smoothing
    loss = float(-(target * logp).sum() / n)
    dlogits = (np.exp(logp) - target) / n
    return loss, dlogits.astype(logits.dtype, copy=False)
