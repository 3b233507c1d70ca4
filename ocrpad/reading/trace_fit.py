"""Fitting the trace network (`reading.trace`): a step of `ocrpad-fit-reader`.

Trained on the training writers' drawings as written and `TRACE_COPIES` times distorted as
the convolutional network's training distorts them (`augment_flat`), half of the distorted
copies also made coarse (joined, resampled to a few points, or sampled in time:
`TRACE_COARSE`), so that it reads other devices' traces as well as a tablet's. Its weight
beside the convolutional network's logits is then chosen on the held-out writers, by the
cross-entropy of the two added. Seeded: the same data, labels and seed give the same network
on the same machine, however the distorting is shared among processes.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from ocrpad.data.augment import DEFAULT_AUGMENT, augment_flat
from ocrpad.data.coarse import CoarseParams, coarsen_randomly
from ocrpad.data.unipen import StrokeDataset
from ocrpad.model import Model
from ocrpad.nn.functional import log_softmax
from ocrpad.nn.losses import cross_entropy
from ocrpad.nn.optim import Adam
from ocrpad.nn.sequential import Sequential
from ocrpad.preprocess import render_params_of
from ocrpad.reading.trace import (
    FEATURE_COUNT,
    TraceNet,
    build_trace_network,
    dataset_features,
    trace_features,
)

F32 = NDArray[np.float32]
F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
TRACE_COPIES: Final = 6
TRACE_EPOCHS: Final = 6
TRACE_HIDDEN: Final = 512
TRACE_COARSE: Final = CoarseParams(probability=0.5, join=0.8, points=(4, 12), decimate=0.3)
CHUNK: Final = 4096  # drawings distorted per task; each task has its own seed
WEIGHTS: Final = np.round(np.arange(0.0, 2.0001, 0.05), 2)  # the weights tried
_shared: dict[str, StrokeDataset] = {}


def network_logits(model: Model, data: StrokeDataset, batch: int = 512) -> F32:
    """The network's logits (N, C) for every drawing, rendered as the model was trained."""
    params = render_params_of(model.meta)
    parts = []
    for start in range(0, len(data), batch):
        idx = np.arange(start, min(start + batch, len(data)))
        parts.append(model.logits(data.render_all(params, idx)[:, None]).astype(np.float32))
    return np.concatenate(parts) if parts else np.zeros((0, model.num_classes), np.float32)


def shape_logits(
    model: Model, trace: TraceFit | None, data: StrokeDataset, rows: I64 | None = None
) -> F64:
    """(N, C) what the fit counts as the network's logits of `data`'s drawings before the
    correction for coarse traces: the network's, plus the trace network's term (if any; for
    drawing k of the fit's data set's row `rows[k]`, `TraceFit.term`)."""
    logits = np.asarray(network_logits(model, data), np.float64)
    if trace is None:
        return logits
    rows = np.full(len(data), -1, dtype=np.int64) if rows is None else rows
    return np.asarray(logits + trace.term(dataset_features(data), rows))


def _remember(data: StrokeDataset) -> None:
    _shared["data"] = data


def _distorted(task: tuple[NDArray[np.int64], int]) -> F32:
    """`trace_features` of drawings `rows` of the shared data, distorted with seed `seed`."""
    rows, seed = task
    data, rng = _shared["data"], np.random.default_rng(seed)
    out = np.zeros((len(rows), FEATURE_COUNT), np.float32)
    for k, i in enumerate(rows.tolist()):
        points, offsets = augment_flat(*data.flat(i), rng, DEFAULT_AUGMENT)
        out[k] = trace_features(*coarsen_randomly(points, offsets, rng, TRACE_COARSE))
    return out


def distorted_features(
    data: StrokeDataset, rows: I64, copies: int, seed: int, workers: int | None = None
) -> F32:
    """(copies × len(rows), F): every drawing of `rows` distorted `copies` times, copy by copy."""
    tasks = [
        (chunk, seed * 1_000_003 + copy * 1_009 + number)
        for copy in range(copies)
        for number, chunk in enumerate(np.array_split(rows, max(1, math.ceil(len(rows) / CHUNK))))
    ]
    workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    if workers <= 1 or len(rows) < CHUNK:
        _remember(data)
        parts = [_distorted(task) for task in tasks]
    else:
        with ProcessPoolExecutor(workers, initializer=_remember, initargs=(data,)) as pool:
            parts = list(pool.map(_distorted, tasks))
    return np.concatenate(parts) if parts else np.zeros((0, FEATURE_COUNT), np.float32)


def train_trace_network(
    features: F32,
    targets: I64,
    classes: int,
    *,
    hidden: int = TRACE_HIDDEN,
    epochs: int = TRACE_EPOCHS,
    seed: int = 0,
    progress: Callable[[str], None] = print,
) -> Sequential:
    """A trace network (`build_trace_network`) trained on `features` (N, F) of class
    `targets` (N,): AdamW (lr 1e-3 cosine-decayed to 1e-5, weight decay 1e-4), batch 256."""
    rng = np.random.default_rng(seed)
    network = build_trace_network(hidden, classes, rng)
    optimizer = Adam(network, lr=1e-3, weight_decay=1e-4)
    batch = 256
    per_epoch = max(1, len(features) // batch)
    total, step = epochs * per_epoch, 0
    for epoch in range(epochs):
        order = rng.permutation(len(features))
        losses = []
        for k in range(per_epoch):
            rows = order[k * batch : (k + 1) * batch]
            optimizer.lr = 1e-5 + (1e-3 - 1e-5) * 0.5 * (1 + math.cos(math.pi * step / total))
            step += 1
            network.zero_grad()
            loss, grad = cross_entropy(
                network.forward(features[rows], training=True), targets[rows]
            )
            network.backward(grad)
            optimizer.step()
            losses.append(float(loss))
        progress(f"trace network epoch {epoch + 1}/{epochs}: loss {np.mean(losses):.4f}")
    network.release()
    return network


def best_weight(net_logits: NDArray[np.floating[Any]], trace_log_probs: F64, y: I64) -> float:
    """The weight in `WEIGHTS` whose sum net_logits + weight × trace_log_probs (both (N, C))
    has the least cross-entropy on classes `y` (N,)."""
    net = np.asarray(net_logits, np.float64)
    rows = np.arange(len(y))
    losses = [float(-log_softmax(net + w * trace_log_probs)[rows, y].mean()) for w in WEIGHTS]
    return float(WEIGHTS[int(np.argmin(losses))])


@dataclass(frozen=True)
class TraceFit:
    """A fitted trace network (`net`, trained on all the training writers) and what the rest
    of the fit counts as its term for every drawing of the data set (`counted`, (N, C)):
    for a training writer's drawing, `weight` × the log-probabilities of a network trained
    on the other half of the training writers (`halves`, `half_of`: 0 or 1 for each drawing,
    −1 for the rest), so that the head, fitted on those writers, learns how far the trace
    goes on writers it has never seen; the full network's term for the others."""

    net: TraceNet
    halves: tuple[TraceNet, TraceNet]
    half_of: I64
    counted: F64
    report: dict[str, Any]

    def term(self, features: F32, rows: I64) -> F64:
        """(len(rows), C) the term of drawings whose `trace_features` are `features` (e.g. made
        coarse), drawing k being row `rows[k]` of the fit's data set: its half's other network,
        or the full one."""
        out = self.net.term(features, self.net.labels)
        for half, other in ((0, self.halves[1]), (1, self.halves[0])):
            mine = self.half_of[rows] == half
            if mine.any():
                out[mine] = other.term(features[mine], self.net.labels)
        return out


def fit_trace(
    data: StrokeDataset,
    labels: list[str],
    y_all: I64,
    split: tuple[I64, I64],
    net_logits: NDArray[np.floating[Any]],
    *,
    seed: int = 0,
    copies: int = TRACE_COPIES,
    epochs: int = TRACE_EPOCHS,
    hidden: int = TRACE_HIDDEN,
    progress: Callable[[str], None] = print,
) -> TraceFit:
    """The trace network for a model with `labels`, trained on the `split[0]` drawings of
    `data` whose class index `y_all` is known (≥ 0), and on each half of their writers; its
    weight chosen on the `split[1]` drawings with the convolutional network's `net_logits`
    (N, C) of all of `data`."""
    keep, held = (rows[y_all[rows] >= 0] for rows in split)
    progress(f"trace network: reading the paths of {len(data)} drawings")
    plain = dataset_features(data)
    progress(f"trace network: distorting {len(keep)} drawings {copies} times")
    extra = distorted_features(data, keep, copies, seed).reshape(copies, len(keep), -1)
    writers = np.unique(data.writers[keep])
    second = set(np.random.default_rng(seed).permutation(writers)[len(writers) // 2 :].tolist())
    in_second = np.array([w in second for w in data.writers[keep].tolist()], dtype=bool)

    def trained(part: NDArray[np.bool_], name: str) -> TraceNet:
        progress(f"trace network ({name}): {int(part.sum())} drawings")
        features = np.concatenate([plain[keep[part]], extra[:, part].reshape(-1, FEATURE_COUNT)])
        targets = np.tile(y_all[keep[part]], copies + 1)
        network = train_trace_network(
            features,
            targets,
            len(labels),
            hidden=hidden,
            epochs=epochs,
            seed=seed,
            progress=progress,
        )
        return TraceNet(tuple(labels), network, 1.0)

    full = trained(np.ones(len(keep), dtype=bool), "all training writers")
    halves = (trained(~in_second, "first half"), trained(in_second, "second half"))
    held_log_probs = full.log_probs(plain[held])
    weight = best_weight(np.asarray(net_logits)[held], held_log_probs, y_all[held])
    half_of = np.full(len(data), -1, dtype=np.int64)
    half_of[keep] = in_second
    weighted = [replace(net, weight=weight, in_history=False) for net in (full, *halves)]
    fitted = TraceFit(weighted[0], (weighted[1], weighted[2]), half_of, np.zeros(0), {})
    counted = fitted.term(plain, np.arange(len(data)))
    y_held = y_all[held]
    both = np.asarray(net_logits)[held] + weight * held_log_probs
    report = {
        "weight": weight,
        "held_out": {
            "network": round(float((np.argmax(net_logits[held], 1) == y_held).mean()), 4),
            "trace": round(float((held_log_probs.argmax(1) == y_held).mean()), 4),
            "both": round(float((np.argmax(both, 1) == y_held).mean()), 4),
        },
    }
    progress(f"trace network: weight {weight:g}; held-out writers {report['held_out']}")
    return replace(fitted, counted=counted, report=report)
