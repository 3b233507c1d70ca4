"""Fit the reader's context layer for a trained model (NumPy only; reproducible, seeded).

    ocrpad-fit-reader --data ../shared/data/unipen --weights runs/ocrpad-default.npz \
        --out runs/ocrpad-default.npz   (the command: ocrpad/cli/fit_reader.py)

On the train split, with the same writer split as the network's training (its recipe's
`val_fraction` and `seed`):

0. the device correction (`reading.device`): per-class offsets and their gate on the
   drawings' coarseness, by cross-entropy on the training writers' drawings as written and
   joined and resampled to 4–16 points along the ink or in time (`DEVICE_POINTS`); every
   later step reads the network's logits with it;
1. usual heights: each class's log height against its writer's scale (median / MAD, alternating
   with each writer's scale, true labels) on the training writers; usual places: each class's
   bottom and top against its writer's baseline in units of the writer's scale (alternating
   with each writer's baseline; the spread from the writers whose baseline is steadier than
   the median writer's — the others wrote on several rows of a form);
2. the head (logit scale, height, place and mix weights, class weights and biases) by
   cross-entropy on the training writers (rare classes weighed up, `BALANCE`), each drawing
   once with its history (as the network reads it) and once without; then the place weight
   for histories of centred drawings, on the same drawings with their real history and with a
   free canvas's (`usual.free_canvas`: a window without guides);
3. the temperatures on the held-out writers, one per character set (letters and digits,
   symbols, all) and for readings with and without history — the network has seen the
   training writers, so its odds there are over-confident; the held-out writers make them
   honest;
4. steps 2 and 3 again, with every history drawing counted as the head of steps 2 and 3
   answers it rather than as the network reads it (`rereading`; `ContextLayer.reads_history`);
   the temperatures and the report with the history counted as the new head answers it;
5. steps 2 and 3 again with every history's characters known, for the head that reads
   labelled histories (`ContextLayer.labelled`: the person's saved samples and corrections).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ocrpad.data.unipen import StrokeDataset
from ocrpad.model import Model
from ocrpad.nn.functional import softmax
from ocrpad.reading.calibrate import fit_temperatures
from ocrpad.reading.context import ContextLayer, Frame, feature_count, given
from ocrpad.reading.context_file import to_file
from ocrpad.reading.device import DEVICE_POINTS, device_step
from ocrpad.reading.families import GROUPS, group_of
from ocrpad.reading.head import fit_head, fit_like_weight, fit_wobbly_weight
from ocrpad.reading.history import session_history, stroke_geometry, writer_split
from ocrpad.reading.likeness import WIDTHS
from ocrpad.reading.rereading import counted_as, history_frames, likes, reading_history
from ocrpad.reading.scoring import expected_calibration_error
from ocrpad.reading.trace_fit import fit_trace, network_logits, shape_logits
from ocrpad.reading.usual import free_canvas, usual_heights, usual_places

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
Progress = Callable[[str], None]
BALANCE = 0.3
"""The head weighs each training drawing by (its class's count)^−0.3: between the plain
cross-entropy (0), which lets the commoner member of a look-alike family win (q read as 9, v as
V in mixed sessions), and a fully balanced one (1). Chosen on the held-out validation writers
among 0, 0.3 and 0.5 for both networks at hand: it raised accuracy with history and balanced
accuracy with and without it (docs: weights/README.md)."""


def frames(
    layer: ContextLayer,
    logits: F64,
    geometry: F64,
    history: list[list[int]],
    rows: I64,
    counted: F64,
) -> Frame:
    """The writers' frames of drawings `rows` from their history rows, each history drawing
    counting as `counted` (N, C) says (`rereading`); logits (N, C) and geometry (N, 5) are
    over the whole data set."""
    return history_frames(layer, logits, geometry, history, counted, rows)[0]


def fit_reader(
    model: Model,
    data: StrokeDataset,
    *,
    logits: NDArray[np.floating[Any]] | None = None,
    seed: int = 0,
    balance: float = BALANCE,
    place: bool = True,
    reads_history: bool = True,
    device: tuple[int, int] | None = DEVICE_POINTS,
    trace: bool = True,
    progress: Progress = print,
) -> tuple[Model, dict[str, Any]]:
    """A copy of `model` carrying a fitted context layer, and a report of held-out figures.
    `balance`: see `fit_head` and `BALANCE`; `place`: fit the position term (False: size and
    mix only, as before it existed); `reads_history`: count each earlier drawing as the reader
    answered it (`rereading`; False: as the network reads it, as before that existed);
    `device`: fit the correction for coarse traces (`reading.device`) on the training
    writers' drawings joined and resampled to this many points (fewest, most); None: none;
    `trace`: train the trace network (`reading.trace`) and add its term first."""
    start = time.perf_counter()
    recipe = model.meta.get("recipe", {}) if isinstance(model.meta.get("recipe"), dict) else {}
    index = {c: i for i, c in enumerate(model.labels)}
    y_all = np.array([index.get(c, -1) for c in data.characters()], dtype=np.int64)
    keep, held = writer_split(data, y_all, recipe)
    if logits is None:
        progress(f"reading {len(data)} drawings with the network")
        logits = network_logits(model, data)
    net = np.asarray(logits, dtype=np.float64)
    paths, plain = None, net  # plain: what a drawing counts by as history (no trace term)
    if trace:  # the trace network's term, each training writer's from the other half's
        paths = fit_trace(
            data, model.labels, y_all, (keep, held), net, seed=seed, progress=progress
        )
        net = net + paths.counted
    geometry = stroke_geometry(data.points, data.stroke_offsets, data.sample_offsets)
    known = (y_all >= 0) & np.isfinite(geometry[:, 0])
    fit_rows = keep[known[keep]]
    correction = None
    if device is not None:
        progress(f"fitting the device correction on {len(fit_rows)} drawings, also made coarse")
        correction, device_report = device_step(
            lambda drawings, rows: shape_logits(model, paths, drawings, rows),
            data,
            net,
            geometry,
            y_all,
            (keep, held),
            device,
            seed,
        )
        net, plain = (correction.applied(z, geometry[:, 4]) for z in (net, plain))
    mu, sd, clip = usual_heights(
        geometry[fit_rows, 0], y_all[fit_rows], data.writers[fit_rows], model.num_classes
    )
    places: dict[str, Any] = {}
    if place:
        p_mu, p_sd, p_clip, wobble = usual_places(
            geometry[fit_rows], y_all[fit_rows], data.writers[fit_rows], mu, model.num_classes
        )
        places = {"place_mu": p_mu, "place_sd": p_sd, "place_clip": p_clip, "guide_spread": wobble}
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
        device=correction,
        trace=None if paths is None else paths.net,
        **places,
    )
    history = session_history(data.writers, seed)
    writers = len(np.unique(data.writers[keep]))
    progress(f"fitting the context layer on {len(keep)} drawings of {writers} writers")
    keep_y, held_y = keep[y_all[keep] >= 0], held[y_all[held] >= 0]
    network, unknown = np.asarray(softmax(plain), np.float64), np.full(len(net), -1)
    free = free_canvas(geometry, data.writers, np.random.default_rng(seed))
    fit = _Fit(
        net,
        geometry,
        history,
        y_all,
        keep_y,
        held_y,
        seed,
        balance,
        place,
        counted=network,
        free=free,
        counted_free=network,
    )
    first = fit.temperatures(fit.head(layer), model)
    if reads_history:  # again, each earlier drawing counted as that reader answered it
        progress("fitting it again with earlier drawings counted as the reader answered them")
        reader = reading_history(first)
        answers = counted_as(reader, plain, geometry, history, unknown)
        fit = fit.counting(answers, free, counted_as(reader, plain, free, history, unknown))
        first = fit.temperatures(reading_history(fit.head(layer)), model)
        # the temperatures and the report with the history counted as this head answers it
        fit = replace(fit, counted=counted_as(first, plain, geometry, history, unknown))
        first = fit.temperatures(first, model)
    # a second head for histories whose characters are known (`reader.Labelled`): fitting one
    # head on both kinds cost the unlabelled figure (model card)
    progress("fitting it again for histories of labelled drawings")
    labels = given(network, y_all)
    told = fit.counting(labels, free, labels)
    labelled = told.temperatures(told.head(first), model)
    layer = replace(first, labelled=replace(labelled, reads_history=first.reads_history))
    report = fit.report(first, time.perf_counter() - start)
    report["with_labelled_history"] = told.report(labelled, 0.0)["with_history"]
    if device is not None:
        report["device"] = device_report
    if paths is not None:
        report["trace"] = paths.report
    out = model.copy()
    arrays, meta = to_file(layer)
    out.extras = {**{k: v for k, v in out.extras.items() if not k.startswith("reader.")}, **arrays}
    out.meta = {**out.meta, "reader": {**meta, "fit": report}}
    return out, report


_FRAME_FIELDS = ("scale", "theta", "base", "spread", "lined", "has", "like")


@dataclass(frozen=True)
class _Fit:
    """The head's fit on the training writers' histories (each history drawing counted as
    `counted` says: the network's reading, a reader's answer or its known class), its
    temperatures and its report on the held-out writers. Arrays indexed by drawing are over
    the whole data set."""

    net: F64  # (N, C) the network's logits
    geometry: F64  # (N, 5) `stroke_geometry`
    history: list[list[int]]
    y: I64  # (N,) class index, -1 outside the model's labels
    rows: I64  # the training writers' drawings of known class
    held: I64  # the held-out writers' drawings of known class
    seed: int
    balance: float
    place: bool
    counted: F64  # (N, C) how each drawing counts as another's history (`counted_as`)
    free: F64  # (N, 5) the geometry as on a free canvas (`usual.free_canvas`)
    counted_free: F64  # (N, C) `counted` with that geometry

    def counting(self, counted: F64, free: F64, counted_free: F64) -> _Fit:
        """The same fit with the history counted as `counted` (N, C) says, and on a free
        canvas (geometry `free`) as `counted_free` says."""
        return replace(self, counted=counted, free=free, counted_free=counted_free)

    def head(self, layer: ContextLayer) -> ContextLayer:
        layer = replace(layer, like_weight=0.0)  # fitted last, with everything else fitted
        net, geometry, rows, y = self.net, self.geometry, self.rows, self.y
        frame = self._with_and_without(layer, rows)
        both_rows, geo = np.r_[rows, rows], np.r_[geometry[rows], geometry[rows]]
        layer = fit_head(
            layer, net[both_rows], geo, frame, y[both_rows], seed=self.seed, balance=self.balance
        )
        if self.place:
            layer = self._wobbly(layer, frame)
        return self._like(layer)

    def _like(self, layer: ContextLayer) -> ContextLayer:
        """The likeness term's width and weight (`fit_like_weight`), with the rest fitted, on
        the held-out writers: the network has learnt the training writers' drawings, so there
        its readings of a history are right far more often than a new writer's would be."""
        rows = self.held
        frame = self._with_and_without(layer, rows)
        both_rows, geo = np.r_[rows, rows], np.r_[self.geometry[rows], self.geometry[rows]]
        best: tuple[float, ContextLayer] | None = None
        for width in WIDTHS:
            like = likes(width, self.net, self.geometry, self.history, self.counted, rows)
            trial = replace(frame, like=np.r_[like, np.zeros_like(like)])
            fitted, loss = fit_like_weight(
                replace(layer, like_width=width), self.net[both_rows], geo, trial, self.y[both_rows]
            )
            if best is None or loss < best[0]:
                best = (loss, fitted)
        assert best is not None
        return best[1]

    def _wobbly(self, layer: ContextLayer, frame: Frame) -> ContextLayer:
        """The place term's weight for histories of centred drawings."""
        net, geometry, rows, y = self.net, self.geometry, self.rows, self.y
        both_rows = np.r_[rows, rows]
        # how much a history of centred drawings says: with a free canvas's too
        free = self.free
        canvas = frames(layer, net, free, self.history, rows, self.counted_free)
        n = len(rows)
        real = Frame(*(getattr(frame, k)[:n] for k in _FRAME_FIELDS))
        both = Frame(*(np.r_[getattr(real, k), getattr(canvas, k)] for k in _FRAME_FIELDS))
        return fit_wobbly_weight(
            layer, net[both_rows], np.r_[geometry[rows], free[rows]], both, y[both_rows]
        )

    def temperatures(self, layer: ContextLayer, model: Model) -> ContextLayer:
        z_held, has_held = self._held_logits(layer)
        y_held = np.r_[self.y[self.held], self.y[self.held]]
        overall, temperatures = fit_temperatures(z_held, has_held, y_held, model)
        return replace(layer, temperature=overall, temperatures=temperatures)

    def report(self, layer: ContextLayer, seconds: float) -> dict[str, Any]:
        """Held-out accuracy and calibration error with and without history."""
        z, has = self._held_logits(layer)
        z = z / layer.temperature_of("all", has)
        n, y = len(self.held), self.y[self.held]
        out: dict[str, Any] = {
            "held_out_drawings": int(n),
            "seconds": round(seconds, 1),
            "temperature": layer.temperature,
            "temperatures": to_file(layer)[1].get("temperatures"),
        }
        for name, part in (("with_history", slice(0, n)), ("without_history", slice(n, 2 * n))):
            e = np.exp(z[part] - z[part].max(axis=1, keepdims=True))
            p = e / e.sum(axis=1, keepdims=True)
            out[name] = {
                "accuracy": round(float((p.argmax(axis=1) == y).mean()), 4),
                "ece": round(expected_calibration_error(p, y), 4),
            }
        return out

    def _with_and_without(self, layer: ContextLayer, rows: I64) -> Frame:
        """The frames of drawings `rows` with their history, then (as many) without."""
        frame = frames(layer, self.net, self.geometry, self.history, rows, self.counted)
        none = Frame.empty(layer, len(rows))
        return Frame(*(np.r_[getattr(frame, k), getattr(none, k)] for k in _FRAME_FIELDS))

    def _held_logits(self, layer: ContextLayer) -> tuple[F64, F64]:
        """Uncalibrated logits (2n, C) of the held-out drawings with, then without history;
        has (2n,)."""
        rows = self.held
        frame = self._with_and_without(layer, rows)
        g2 = np.r_[self.geometry[rows], self.geometry[rows]]
        g2 = np.column_stack([np.nan_to_num(g2[:, :2]), g2[:, 2:]])
        return layer.head(np.r_[self.net[rows], self.net[rows]], g2, frame), frame.has
