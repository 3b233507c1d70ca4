"""The context layer's head: its weights fitted by cross-entropy (`ocrpad.reading.fit` calls
these with the frames of the training writers' histories)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from ocrpad.reading.adam import adam_step
from ocrpad.reading.context import ContextLayer, Frame

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


def fit_head(
    layer: ContextLayer,
    logits: F64,
    geometry: F64,
    frame: Frame,
    y: I64,
    *,
    seed: int = 0,
    epochs: int = 8,
    batch: int = 2048,
    lr: float = 0.03,
    l2: float = 1e-4,
    balance: float = 0.0,
) -> ContextLayer:
    """Cross-entropy fit of logit scale, height, place and mix weights, class weights and
    biases. `balance` b weighs each drawing by (its class's count)^−b (0: plain)."""
    sized = np.column_stack([np.nan_to_num(geometry[:, :2]), geometry[:, 2:]])
    f, gauss, mix = layer.terms(sized[:, 0], sized[:, 1], frame.scale, frame.theta, frame.has)
    place = layer.place(sized[:, 2], sized[:, 3], frame)
    lined = frame.lined[:, None]
    wobbly = place * (1 - lined)
    place = place * lined
    weight = np.bincount(y, minlength=len(layer.labels)).astype(np.float64)[y] ** -balance
    weight /= weight.mean()
    c, k = layer.weights.shape
    params = {
        "a": np.ones(1),
        "g": np.zeros(1),
        "q": np.zeros(1),
        "q2": np.zeros(1),
        "m": np.zeros(1),
        "W": np.zeros((c, k)),
        "b": np.zeros(c),
    }
    moments = {name: (np.zeros_like(p), np.zeros_like(p)) for name, p in params.items()}
    rng = np.random.default_rng(seed)
    step = 0
    for _ in range(epochs):
        for rows in np.array_split(rng.permutation(len(y)), max(1, len(y) // batch)):
            step += 1
            z = params["a"] * logits[rows] + params["g"] * gauss[rows] + params["m"] * mix[rows]
            z += (
                params["q"] * place[rows]
                + params["q2"] * wobbly[rows]
                + f[rows] @ params["W"].T
                + params["b"]
            )
            e = np.exp(z - z.max(axis=1, keepdims=True))
            d = e / e.sum(axis=1, keepdims=True)
            d[np.arange(len(rows)), y[rows]] -= 1.0
            d *= weight[rows, None] / len(rows)  # dloss/dz (B, C)
            grads = {
                "a": np.array([(d * logits[rows]).sum()]),
                "g": np.array([(d * gauss[rows]).sum()]),
                "q": np.array([(d * place[rows]).sum()]),
                "q2": np.array([(d * wobbly[rows]).sum()]),
                "m": np.array([(d * mix[rows]).sum()]),
                "W": d.T @ f[rows] + l2 * params["W"],
                "b": d.sum(axis=0) + l2 * params["b"],
            }
            adam_step(params, grads, moments, lr, step)
    return replace(
        layer,
        logit_scale=float(params["a"][0]),
        gauss_weight=float(params["g"][0]),
        place_weight=float(params["q"][0]) if layer.knows_place else 0.0,
        wobbly_weight=float(params["q2"][0]) if layer.knows_place else 0.0,
        mix_weight=float(params["m"][0]),
        weights=params["W"],
        bias=params["b"],
    )


def fit_wobbly_weight(
    layer: ContextLayer, logits: F64, geometry: F64, frame: Frame, y: I64
) -> ContextLayer:
    """The weight of the place term for histories of centred drawings (`Frame.lined` near 0),
    by cross-entropy with every other parameter kept (golden section over −1 … 4)."""
    sized = np.column_stack([np.nan_to_num(geometry[:, :2]), geometry[:, 2:]])
    base = replace(layer, wobbly_weight=0.0).head(logits, sized, frame)  # (n, C)
    term = layer.place(sized[:, 2], sized[:, 3], frame) * (1 - frame.lined)[:, None]
    weight, _ = _one_weight(base, term, y)
    return replace(layer, wobbly_weight=weight)


def fit_like_weight(
    layer: ContextLayer, logits: F64, geometry: F64, frame: Frame, y: I64
) -> tuple[ContextLayer, float]:
    """The weight of the likeness term (`Frame.like`) by cross-entropy with every other
    parameter kept (golden section over −1 … 4), and the loss it reaches."""
    sized = np.column_stack([np.nan_to_num(geometry[:, :2]), geometry[:, 2:]])
    base = replace(layer, like_weight=0.0).head(logits, sized, frame)  # (n, C)
    term = np.zeros_like(base) if frame.like is None else frame.like
    weight, loss = _one_weight(base, term, y)
    return replace(layer, like_weight=weight), loss


def _one_weight(base: F64, term: F64, y: I64) -> tuple[float, float]:
    """The w in −1 … 4 minimising the mean cross-entropy of logits base + w·term (both (n,
    C)) for classes y (n,), by golden section; (w, that loss)."""
    rows = np.arange(len(y))

    def nll(q: float) -> float:
        z = base + q * term
        z = z - z.max(axis=1, keepdims=True)
        return float((np.log(np.exp(z).sum(axis=1)) - z[rows, y]).mean())

    lo, hi = -1.0, 4.0
    ratio = (np.sqrt(5) - 1) / 2
    for _ in range(25):
        a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
        lo, hi = (lo, b) if nll(a) < nll(b) else (a, hi)
    return (lo + hi) / 2, nll((lo + hi) / 2)
