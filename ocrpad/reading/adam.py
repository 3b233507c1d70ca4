"""One Adam step for the reader's small cross-entropy fits (`head`, `device`)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]
Moments = dict[str, tuple[F64, F64]]


def adam_step(
    params: dict[str, F64], grads: dict[str, F64], moments: Moments, lr: float, step: int
) -> None:
    """Update `params` in place from `grads` (same keys) and their running `moments`;
    `step` counts from 1 (bias correction)."""
    for name, p in params.items():
        m1, m2 = moments[name]
        m1 *= 0.9
        m1 += 0.1 * grads[name]
        m2 *= 0.999
        m2 += 0.001 * grads[name] ** 2
        p -= lr * (m1 / (1 - 0.9**step)) / (np.sqrt(m2 / (1 - 0.999**step)) + 1e-8)
