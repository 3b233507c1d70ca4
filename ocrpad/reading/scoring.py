"""Figures about odds: expected calibration error, and a probability as a person is told it."""

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


def percent(probability: float, digits: int = 0) -> str:
    """'87%' (with `digits` decimals: '87.25%'); 'under 1%' and 'over 99%' (with decimals:
    'under 0.01%', 'over 99.99%') where the rounded figure would say none at all or
    certainty: a calibrated reader is never sure of either."""
    shown, step = f"{100 * probability:.{digits}f}", 10.0**-digits
    if float(shown) <= 0:
        return f"under {step:.{digits}f}%"
    if float(shown) >= 100:
        return f"over {100 - step:.{digits}f}%"
    return f"{shown}%"
