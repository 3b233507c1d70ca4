"""Fit the reader's context layer for a trained model (NumPy only; reproducible, seeded).

    python -m ocrpad.reading.fit --data ../shared/data/unipen --weights weights/ocrpad-default.npz \
        --out weights/ocrpad-default.npz

On the train split, with the same writer split as the network's training (its recipe's
`val_fraction` and `seed`):

1. usual heights: each class's log height against its writer's scale (median / MAD, alternating
   with each writer's scale, true labels) on the training writers;
2. the head (logit scale, height and mix weights, class weights and biases) by cross-entropy
   on the training writers, each drawing once with its history and once without;
3. the temperature on the held-out writers — the network has seen the training writers, so its
   odds there are over-confident; the held-out writers make them honest.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ocrpad.charsets import default_charset
from ocrpad.data.unipen import StrokeDataset, split_by_writer
from ocrpad.model import Model
from ocrpad.preprocess import render_params_of
from ocrpad.reading.context import ContextLayer, feature_count
from ocrpad.reading.families import GROUPS, group_of
from ocrpad.reading.history import session_history, stroke_sizes
from ocrpad.reading.scoring import expected_calibration_error

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
Progress = Callable[[str], None]


def network_logits(model: Model, data: StrokeDataset, batch: int = 512) -> NDArray[np.float32]:
    """The network's logits (N, C) for every drawing, rendered as the model was trained."""
    params = render_params_of(model.meta)
    parts = []
    for start in range(0, len(data), batch):
        idx = np.arange(start, min(start + batch, len(data)))
        parts.append(model.logits(data.render_all(params, idx)[:, None]).astype(np.float32))
    return np.concatenate(parts) if parts else np.zeros((0, model.num_classes), np.float32)


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


def frames(
    layer: ContextLayer, logits: F64, sizes: F64, history: list[list[int]], rows: I64
) -> tuple[F64, F64, F64]:
    """(scale (n,), θ (n, G), has (n,)) for drawings `rows`, from their history rows; all
    arrays are over the whole data set (logits (N, C), sizes (N, 2))."""
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs = e / e.sum(axis=1, keepdims=True)
    n = len(rows)
    scale, theta, has = np.zeros(n), np.tile(layer.group_prior, (n, 1)), np.zeros(n)
    for t, i in enumerate(rows.tolist()):
        past = [j for j in history[i] if np.isfinite(sizes[j, 0])]
        if past and np.isfinite(sizes[i, 0]):
            scale[t], theta[t] = layer.writer_frame(sizes[past, 0], probs[past])
            has[t] = 1.0
    return scale, theta, has


def fit_head(
    layer: ContextLayer,
    logits: F64,
    sizes: F64,
    frame: tuple[F64, F64, F64],
    y: I64,
    *,
    seed: int = 0,
    epochs: int = 8,
    batch: int = 2048,
    lr: float = 0.03,
    l2: float = 1e-4,
) -> ContextLayer:
    """Cross-entropy fit of logit scale, height and mix weights, class weights and biases."""
    scale, theta, has = frame
    log_h, log_w = np.nan_to_num(sizes[:, 0]), np.nan_to_num(sizes[:, 1])
    f, gauss, mix = layer.terms(log_h, log_w, scale, theta, has)
    c, k = layer.weights.shape
    params = {
        "a": np.ones(1),
        "g": np.zeros(1),
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
            z += f[rows] @ params["W"].T + params["b"]
            e = np.exp(z - z.max(axis=1, keepdims=True))
            d = e / e.sum(axis=1, keepdims=True)
            d[np.arange(len(rows)), y[rows]] -= 1.0
            d /= len(rows)  # dloss/dz (B, C)
            grads = {
                "a": np.array([(d * logits[rows]).sum()]),
                "g": np.array([(d * gauss[rows]).sum()]),
                "m": np.array([(d * mix[rows]).sum()]),
                "W": d.T @ f[rows] + l2 * params["W"],
                "b": d.sum(axis=0) + l2 * params["b"],
            }
            for name, p in params.items():
                m1, m2 = moments[name]
                m1 *= 0.9
                m1 += 0.1 * grads[name]
                m2 *= 0.999
                m2 += 0.001 * grads[name] ** 2
                p -= lr * (m1 / (1 - 0.9**step)) / (np.sqrt(m2 / (1 - 0.999**step)) + 1e-8)
    return _replace(
        layer,
        logit_scale=float(params["a"][0]),
        gauss_weight=float(params["g"][0]),
        mix_weight=float(params["m"][0]),
        weights=params["W"],
        bias=params["b"],
    )


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


def fit_reader(
    model: Model,
    data: StrokeDataset,
    *,
    logits: NDArray[np.floating[Any]] | None = None,
    seed: int = 0,
    progress: Progress = print,
) -> tuple[Model, dict[str, Any]]:
    """A copy of `model` carrying a fitted context layer, and a report of held-out figures."""
    start = time.perf_counter()
    recipe = model.meta.get("recipe", {}) if isinstance(model.meta.get("recipe"), dict) else {}
    index = {c: i for i, c in enumerate(model.labels)}
    y_all = np.array([index.get(c, -1) for c in data.characters()], dtype=np.int64)
    if logits is None:
        progress(f"reading {len(data)} drawings with the network")
        logits = network_logits(model, data)
    net = np.asarray(logits, dtype=np.float64)
    sizes = stroke_sizes(data.points, data.stroke_offsets, data.sample_offsets)
    keep, held = split_by_writer(
        data.writers,
        float(recipe.get("val_fraction", 0.05)),
        np.random.default_rng(int(recipe.get("seed", 0))),
    )
    known = (y_all >= 0) & np.isfinite(sizes[:, 0])
    fit_rows = keep[known[keep]]
    mu, sd, clip = usual_heights(
        sizes[fit_rows, 0], y_all[fit_rows], data.writers[fit_rows], model.num_classes
    )
    groups = tuple(g for g in GROUPS if any(group_of(c) == g for c in model.labels))
    prior = np.array(
        [np.mean([group_of(model.labels[k]) == g for k in y_all[fit_rows]]) for g in groups]
    )
    layer = ContextLayer(
        labels=tuple(model.labels),
        groups=groups,
        height_mu=mu,
        height_sd=sd,
        group_prior=np.maximum(prior, 1e-3) / np.maximum(prior, 1e-3).sum(),
        weights=np.zeros((model.num_classes, feature_count(len(groups)))),
        bias=np.zeros(model.num_classes),
        clip=clip,
    )
    history = session_history(data.writers, seed)
    writers = len(np.unique(data.writers[keep]))
    progress(f"fitting the context layer on {len(keep)} drawings of {writers} writers")
    keep_y = keep[y_all[keep] >= 0]
    both = _with_and_without(layer, net, sizes, history, keep_y)
    layer = fit_head(
        layer,
        net[np.r_[keep_y, keep_y]],
        np.r_[sizes[keep_y], sizes[keep_y]],
        both,
        np.r_[y_all[keep_y], y_all[keep_y]],
        seed=seed,
    )
    held_y = held[y_all[held] >= 0]
    y_held = np.r_[y_all[held_y], y_all[held_y]]
    z_held = within_own_set(_held_logits(layer, net, sizes, history, held_y), y_held, model)
    layer = _replace(layer, temperature=fit_temperature(z_held, y_held))
    report = _report(layer, net, sizes, history, held_y, y_all, time.perf_counter() - start)
    out = model.copy()
    arrays, meta = layer.to_file()
    out.extras = {**{k: v for k, v in out.extras.items() if not k.startswith("reader.")}, **arrays}
    out.meta = {**out.meta, "reader": {**meta, "fit": report}}
    return out, report


def _with_and_without(
    layer: ContextLayer, net: F64, sizes: F64, history: list[list[int]], rows: I64
) -> tuple[F64, F64, F64]:
    scale, theta, has = frames(layer, net, sizes, history, rows)
    n = len(rows)
    return (
        np.r_[scale, np.zeros(n)],
        np.r_[theta, np.tile(layer.group_prior, (n, 1))],
        np.r_[has, np.zeros(n)],
    )


def _held_logits(
    layer: ContextLayer, net: F64, sizes: F64, history: list[list[int]], rows: I64
) -> F64:
    scale, theta, has = _with_and_without(layer, net, sizes, history, rows)
    s2, l2 = np.r_[sizes[rows], sizes[rows]], np.r_[net[rows], net[rows]]
    return layer.logits(l2, np.nan_to_num(s2[:, 0]), np.nan_to_num(s2[:, 1]), scale, theta, has)


def _report(
    layer: ContextLayer,
    net: F64,
    sizes: F64,
    history: list[list[int]],
    rows: I64,
    y: I64,
    seconds: float,
) -> dict[str, Any]:
    z = _held_logits(layer, net, sizes, history, rows)
    n = len(rows)
    out: dict[str, Any] = {
        "held_out_drawings": int(n),
        "seconds": round(seconds, 1),
        "temperature": layer.temperature,
    }
    for name, part in (("with_history", slice(0, n)), ("without_history", slice(n, 2 * n))):
        e = np.exp(z[part] - z[part].max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True)
        out[name] = {
            "accuracy": round(float((p.argmax(axis=1) == y[rows]).mean()), 4),
            "ece": round(expected_calibration_error(p, y[rows]), 4),
        }
    return out


def _replace(layer: ContextLayer, **changes: Any) -> ContextLayer:
    from dataclasses import replace

    return replace(layer, **changes)
