"""Numeric gradients (central differences) and the relative error used by the tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.floating[Any]]


def numeric_gradient(f: Callable[[], float], x: Array, h: float = 1e-6) -> Array:
    """d f() / d x by central differences, perturbing ``x`` in place (float64 recommended)."""
    grad = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        old = x[idx]
        x[idx] = old + h
        plus = f()
        x[idx] = old - h
        minus = f()
        x[idx] = old
        grad[idx] = (plus - minus) / (2 * h)
    return grad


def rel_error(a: NDArray[Any], b: NDArray[Any]) -> float:
    """max |a - b| / max(|a| + |b|, 1e-8), elementwise."""
    a64, b64 = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a64 - b64) / np.maximum(np.abs(a64) + np.abs(b64), 1e-8)))
