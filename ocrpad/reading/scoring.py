"""Figures about odds: expected calibration error."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray


def expected_calibration_error(
    probs: NDArray[np.floating[Any]], truth: NDArray[np.integer[Any]], bins: int = 15
) -> float:
    """ECE of the top answer: probs (N, C), truth (N,) column indices (−1: never right).

    The shown confidence (the top probability) is put in `bins` equal-width bins; ECE is the
    sample-weighted mean |confidence − accuracy| over the bins."""
    if len(probs) == 0:
        return 0.0
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == truth
    which = np.clip(np.ceil(confidence * bins).astype(np.int64) - 1, 0, bins - 1)
    total = 0.0
    for b in range(bins):
        chosen = which == b
        if chosen.any():
            total += chosen.mean() * abs(confidence[chosen].mean() - correct[chosen].mean())
    return float(total)
