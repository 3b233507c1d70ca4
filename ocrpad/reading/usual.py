"""What is usual for a class against its writer: height and place (fitted on training
writers, true labels), and a free canvas's geometry for the fit to learn from."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


def usual_heights(
    log_h: F64, y: I64, writers: NDArray[Any], classes: int
) -> tuple[F64, F64, float]:
    """Per class: median and robust spread (1.4826·MAD) of log height against the writer's
    scale, and the clip (99th percentile of |r|). The writer's scale is the mean of its
    drawings' (log height − usual height), alternated with the classes' medians."""
    _, w = np.unique(writers, return_inverse=True)
    count = np.bincount(w)
    mu = np.zeros(classes)
    for _ in range(10):
        scale = np.bincount(w, log_h - mu[y]) / count
        r = log_h - scale[w]
        mu = np.array([np.median(r[y == c]) if (y == c).any() else 0.0 for c in range(classes)])
        mu -= mu.mean()
    scale = np.bincount(w, log_h - mu[y]) / count
    r = log_h - scale[w]
    clip = float(np.percentile(np.abs(r), 99))
    r = np.clip(r, -clip, clip)
    sd = np.array(
        [
            1.4826 * np.median(np.abs(r[y == c] - mu[c])) if (y == c).any() else 1.0
            for c in range(classes)
        ]
    )
    return mu, np.maximum(sd, 1e-3), clip


def usual_places(
    geometry: F64, y: I64, writers: NDArray[Any], height_mu: F64, classes: int
) -> tuple[F64, F64, float, float]:
    """Per class: median (C, 2) and robust spread (C, 2) of bottom and top against the
    writer's baseline, in units of the writer's scale; the clip (99th percentile of their
    size) and a steady writer's baseline wobble (the median writer's).

    A writer's baseline is the median of its drawings' (bottom − the class's usual bottom),
    alternated with the classes' medians (the median class sits on the baseline). The spreads
    come from the writers whose baseline wobbles less than the median writer's."""
    _, w = np.unique(writers, return_inverse=True)
    count = np.bincount(w)
    log_h, top, bottom = geometry[:, 0], geometry[:, 2], geometry[:, 3]
    unit = np.exp(np.bincount(w, log_h - height_mu[y]) / count)[w]  # (n,) writer's scale
    order = np.argsort(w, kind="stable")
    starts = np.r_[0, np.cumsum(count)[:-1]]

    def by_writer(v: F64) -> F64:  # (W,) median of v over each writer's drawings
        return np.array([np.median(part) for part in np.split(v[order], starts[1:])])

    mu = np.zeros((classes, 2))
    for _ in range(6):
        base = by_writer(bottom - unit * mu[y, 0])[w]
        at = np.column_stack([(bottom - base) / unit, (top - base) / unit])  # (n, 2)
        mu = np.array(
            [
                np.median(at[y == c], axis=0) if (y == c).any() else (0.0, -1.0)
                for c in range(classes)
            ]
        )
        mu -= np.median(mu[:, 0])
    base = by_writer(bottom - unit * mu[y, 0])
    wobble = 1.4826 * by_writer(np.abs((bottom - unit * mu[y, 0]) - base[w]) / unit)  # (W,)
    at = np.column_stack([(bottom - base[w]) / unit, (top - base[w]) / unit])
    steady = wobble[w] <= np.median(wobble)
    clip = float(np.percentile(np.abs(at[steady]), 99))
    at = np.clip(at, -clip, clip)
    sd = np.ones((classes, 2))
    for c in range(classes):
        rows = steady & (y == c)
        if rows.sum() >= 5:
            sd[c] = 1.4826 * np.median(np.abs(at[rows] - mu[c]), axis=0)
    return mu, np.maximum(sd, 0.02), clip, float(np.median(wobble))


def free_canvas(geometry: F64, writers: NDArray[Any], rng: np.random.Generator) -> F64:
    """Geometry (N, 5) as if drawn on a free canvas: every drawing keeps its size (and its
    coarseness, the fifth column) but is
    centred at one spot per writer, give or take a jitter (normal, σ drawn per writer from 0 to
    half the writer's median height) — what a window without writing guides gives."""
    _, w = np.unique(writers, return_inverse=True)
    log_h = np.nan_to_num(geometry[:, 0], nan=-np.inf)
    unit = np.exp([np.median(log_h[w == k]) for k in range(int(w.max()) + 1)])  # (W,)
    sigma = rng.uniform(0.0, 0.5, len(unit)) * unit
    centre = rng.normal(0.0, 1.0, len(w)) * sigma[w]
    half = (geometry[:, 3] - geometry[:, 2]) / 2
    return np.column_stack([geometry[:, :2], centre - half, centre + half, geometry[:, 4:]])
