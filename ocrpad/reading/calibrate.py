"""Temperatures fitted on held-out writers: the odds a reader shows, made honest per set."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ocrpad.charsets import default_charset
from ocrpad.model import Model
from ocrpad.reading.context import SETS

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


def fit_temperature(z: F64, y: I64) -> float:
    """The temperature T minimising the cross-entropy of softmax(z / T) (golden section)."""

    def nll(log_t: float) -> float:
        s = z / np.exp(log_t)
        s = s - s.max(axis=1, keepdims=True)
        return float((np.log(np.exp(s).sum(axis=1)) - s[np.arange(len(y)), y]).mean())

    lo, hi = np.log(0.25), np.log(4.0)
    ratio = (np.sqrt(5) - 1) / 2
    for _ in range(40):
        a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
        lo, hi = (lo, b) if nll(a) < nll(b) else (a, hi)
    return float(np.exp((lo + hi) / 2))


def within_own_set(z: F64, y: I64, model: Model) -> F64:
    """Logits (n, C) with the classes outside each drawing's own character set pushed far
    down: a letter or digit is read from the default set, a symbol from the symbols (how the
    reader is used), so the temperature calibrates the odds that are shown."""
    default = set(default_charset(model.labels))
    in_default = np.array([c in default for c in model.labels])
    own_default = in_default[y]  # (n,) the drawing's label is in the default set
    allowed = np.where(own_default[:, None], in_default[None, :], ~in_default[None, :])
    return np.where(allowed, z, z.min() - 1e3)


def fit_temperatures(z: F64, has: F64, y: I64, model: Model) -> tuple[float, F64]:
    """Held-out logits (n, C), has-history (n,) and labels (n,) → the temperature of all
    readings together (each drawing read from its own set, as before per-set temperatures)
    and per-set temperatures (len(SETS), 2) without / with history: "default" on letters
    and digits read from the default set, "symbols" on symbols read from the symbols, "all"
    on every drawing read from every class. A set without drawings takes the overall one."""
    own = within_own_set(z, y, model)
    overall = fit_temperature(own, y)
    default = set(default_charset(model.labels))
    in_default = np.array([c in default for c in model.labels])[y]  # (n,)
    out = np.full((len(SETS), 2), overall)
    for row, (name, rows) in enumerate(
        (("default", in_default), ("symbols", ~in_default), ("all", np.ones_like(in_default)))
    ):
        logits = z if name == "all" else own
        for column in (0, 1):
            chosen = rows & ((has > 0) == bool(column))
            if chosen.sum() >= 20:
                out[row, column] = fit_temperature(logits[chosen], y[chosen])
    return overall, out
