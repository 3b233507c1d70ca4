"""Fine-tune a copy of a model on the user's drawings, without forgetting what it knew.

How it keeps the base model's knowledge (measured with ``ocrpad.devtools.finetune_eval``: fine-tune
on half of a unipen *test* writer's drawings, score their other half and drawings of other
writers; means over 6-8 writers, so differences under ~0.5 point are noise):
- every batch mixes the user's drawings with half as many again from the shipped rehearsal set
  (50 training drawings per class; on an early model, dropping rehearsal, L2-SP and freezing
  cost other writers 27 points);
- an L2-SP penalty pulls every weight toward its base value (0.01 -> 0.1: other writers'
  drop 2.7 -> 2.1 points on a weak model; 0.3 lowered it 1.1 -> 0.9 on a 79% model, but a
  new '+' learned from 10 drawings fell from 92% to 59% recognised, so 0.1);
- 64 rehearsal drawings per step instead of 32 (2.1 -> 1.1), Adam at 2e-4 (5e-4: drop 1.4);
  on the shipped model and scored on every drawing of the other test writers, 48 forget
  about as much as 64 (worst writer 0.47 / 0.24 / 0.07 points at 100 / 300 / 500 drawings,
  against 0.24 / 0.57 / -0.04), gain as much, and make a step 14% cheaper (500 drawings in
  19.4-19.7 s against 21.7-22.1), so 48;
- the first convolution and its batch norm stay frozen, so the backward pass stops at the
  second convolution (a step 9% faster: 500 drawings in 28.8 s instead of 31.4 on a 2-core
  AMD EPYC, the same gains; freezing conv2 too saved another 11% but cut the gain at 500
  drawings from +4.0 to +2.5 points);
- the user's few drawings are augmented (new random distortion each epoch);
- very small sets get at least 40 steps (a symbol from 10 drawings: 66-99% -> 94-99%);
- at most 240 steps, with the learning rate (3e-4) decayed to zero over them: every pass over
  up to 512 drawings, and no more steps for more drawings (finetune_plan);
- the base data's class priors are kept (logit adjustment, finetune_prior): a writer who
  teaches only digits no longer makes other writers' O into 0. Measured on test writers
  learning 300 drawings, on a loaded machine: before, one writer cost others 3.5 points and
  "gained" 23 by calling everything a digit; after, others lost -0.3 to 0.4 points and the
  writers gained 9.0 and 2.5 points (finetune_eval --drawings 100 300 500).
New characters grow the output layer. Starting their rows at the mean feature of their drawings
("imprinting") is available but off: measured on 10-drawing symbols it made the new class
swallow other inputs (rest-of-test accuracy 59% -> 26-36%, versus 60% without it).

Cancel contract: when ``cancel()`` returns True, ``fine_tune`` stops at the next step and returns
the **base model itself, untouched**, with a report flagged ``cancelled``. It is asked while the
drawings are prepared too (between renders and scored batches: 10,000 drawings take seconds),
so a Cancel then takes effect as quickly; that report has no drawings counted or compared.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ocrpad.learning.cancel import CancelFn, Cancelled, CountFn, stop_if
from ocrpad.learning.finetune_data import (
    Anchor,
    TrainSet,
    apply_penalties,
    imprint_new_classes,
    make_anchor,
    predict_labels,
    prepare,
)
from ocrpad.learning.finetune_plan import (
    DEFAULT_SETTINGS,
    FineTuneSettings,
    first_trainable,
    plan_steps,
    step_lr,
    steps_per_point,
)
from ocrpad.learning.finetune_prior import base_prior, logit_shift, stream_prior
from ocrpad.learning.finetune_report import Clock, CurvePoint, FineTuneProgress, FineTuneReport
from ocrpad.learning.rehearsal import default_rehearsal_path, rehearsal_file
from ocrpad.model import Model
from ocrpad.nn import Adam, arena, cross_entropy

__all__ = ["DEFAULT_REHEARSAL", "FineTuneSettings", "fine_tune"]

DEFAULT_REHEARSAL: Final = "default"


def prior_shift(work: Model, data: TrainSet, settings: FineTuneSettings) -> NDArray[np.float32]:
    """The logit adjustment that keeps the base model's class priors (finetune_prior)."""
    if not settings.keep_priors:
        return np.zeros(len(work.labels), dtype=np.float32)
    reh = () if data.rehearsal is None else data.rehearsal.labels
    stream = stream_prior(data.train_labels, reh, settings.batch_user, settings.batch_rehearsal)
    return logit_shift(work.labels, stream, base_prior(work.meta))


ProgressFn = Callable[[FineTuneProgress], None]
EpochCountFn = Callable[[int, int, int], None]
"""Told (epoch, done, total) while an epoch's drawings are distorted afresh."""


def fine_tune(
    model: Model,
    strokes: Sequence[Sequence[ArrayLike]],
    labels: Sequence[str],
    *,
    epochs: int | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
    preparing: CountFn | None = None,
    scoring: CountFn | None = None,
    distorting: EpochCountFn | None = None,
    seed: int | np.random.Generator = 0,
    settings: FineTuneSettings = DEFAULT_SETTINGS,
    rehearsal: str | Path | None = DEFAULT_REHEARSAL,
) -> tuple[Model, FineTuneReport]:
    """Adapt a copy of ``model`` to drawings ``strokes`` (each a list of (k, 2) x, y arrays).

    ``labels`` are single characters; characters the model does not know become new classes.
    ``rehearsal``: a stroke-array ``.npz`` of base-class drawings, ``"default"`` for the one
    shipped beside the weights (skipped if absent), or None. A named file that is missing
    raises FileNotFoundError; a folder, or a file with a damaged drawing, ValueError.
    ``preparing(done, total)`` counts the drawings checked and rendered before the first step
    (``progress`` then reports each step), ``scoring(done, total)`` the held-back drawings
    the base model reads before training starts, ``distorting(epoch, done, total)`` those distorted
    afresh at the start of each epoch (told only every few hundred drawings). Returns
    the fine-tuned copy and a :class:`FineTuneReport`; on cancel, the untouched ``model``
    (see the module docstring).
    """
    start = time.perf_counter()
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    if epochs is not None:
        settings = FineTuneSettings(**{**asdict(settings), "epochs": epochs})
    if rehearsal == DEFAULT_REHEARSAL:
        reh_path = rehearsal_file(default_rehearsal_path(), shipped=True)
    else:
        reh_path = rehearsal_file(rehearsal)
    clock = Clock()
    try:  # thousands of drawings take seconds to render and score: Cancel is asked meanwhile
        data = prepare(model, strokes, labels, settings.held_out, reh_path, cancel, preparing)
        new_labels = [c for c in dict.fromkeys(data.labels) if c not in model.labels]
        work = model.with_extra_classes(new_labels, rng) if new_labels else model.copy()
        if settings.imprint and new_labels:
            imprint_new_classes(work, data, new_labels)
        clock.add("prepare", time.perf_counter() - start)
        with clock.timing("evaluate"):
            before = predict_labels(model, data.held_out_images, cancel=cancel, counted=scoring)
    except Cancelled:
        return model, _cancelled_before_training(model, settings, start, clock)
    run = _Run(
        work, data, settings, rng, start, progress, cancel, len(model.labels), clock, distorting
    )
    cancelled = run.train()
    arena.clear()  # the app goes on: let the training batches' arrays go
    try:
        with clock.timing("evaluate"):
            after = () if cancelled else run.held_out_guesses()
    except Cancelled:
        cancelled, after = True, ()
    report = FineTuneReport(
        labels=tuple(model.labels if cancelled else work.labels),
        new_labels=tuple(new_labels),
        train_count=len(data.train_labels),
        held_out_truth=data.held_out_labels,
        predicted_before=before,
        predicted_after=after,
        curve=tuple(run.curve),
        wall_time=time.perf_counter() - start,
        steps=run.step,
        cancelled=cancelled,
        settings={**asdict(settings), "rehearsal_size": data.rehearsal_size},
        skipped=data.skipped,
        phases=clock.seconds,
    )
    if not cancelled:
        taught = sorted(set(data.train_labels) | set(data.held_out_labels))
        work.meta = {**work.meta, "fine_tune": {**_record(report), "taught_labels": taught}}
    return (model if cancelled else work), report


def _cancelled_before_training(
    model: Model, settings: FineTuneSettings, start: float, clock: Clock
) -> FineTuneReport:
    """The report of a fine-tune cancelled while its drawings were prepared or first scored:
    nothing trained, nothing compared."""
    elapsed = time.perf_counter() - start
    clock.add("prepare", elapsed - sum(clock.seconds.values()))
    return FineTuneReport(
        labels=tuple(model.labels),
        new_labels=(),
        train_count=0,
        held_out_truth=(),
        predicted_before=(),
        predicted_after=(),
        curve=(),
        wall_time=elapsed,
        steps=0,
        cancelled=True,
        settings={**asdict(settings), "rehearsal_size": 0},
        phases=clock.seconds,
    )


def _record(report: FineTuneReport) -> dict[str, object]:
    """A JSON-ready summary stored in the fine-tuned model's metadata."""
    return {
        "train_count": report.train_count,
        "held_out_count": report.held_out_count,
        "accuracy_before": report.accuracy_before,
        "accuracy_after": report.accuracy_after,
        "new_labels": list(report.new_labels),
        "steps": report.steps,
        "settings": {k: list(v) if isinstance(v, tuple) else v for k, v in report.settings.items()},
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


class _Run:
    """The optimisation loop of one fine-tune (state kept between steps)."""

    def __init__(
        self,
        work: Model,
        data: TrainSet,
        settings: FineTuneSettings,
        rng: np.random.Generator,
        start: float,
        progress: ProgressFn | None,
        cancel: CancelFn | None,
        old_classes: int,
        clock: Clock,
        distorting: EpochCountFn | None = None,
    ) -> None:
        self.work, self.data, self.settings, self.rng = work, data, settings, rng
        self.clock = clock
        self.start, self.progress, self.cancel = start, progress, cancel
        self.anchor: Anchor = make_anchor(work, settings.frozen, old_classes)
        self.frozen_below = first_trainable(work, settings.frozen)
        self.optimizer = Adam(work, lr=settings.lr)
        self.epochs, self.per_epoch = plan_steps(len(data.train_labels), settings)
        self.shift = prior_shift(work, data, settings)
        self.total = self.epochs * self.per_epoch
        self.every = steps_per_point(self.epochs, self.per_epoch)  # 0: at epoch ends only
        self.step = 0
        self.curve: list[CurvePoint] = []
        self.index = {c: i for i, c in enumerate(work.labels)}
        self.train_start = time.perf_counter()
        self.distorting = distorting  # told while each epoch's drawings are distorted afresh
        self._scored: tuple[str, ...] | None = None  # held-back readings by the current weights

    def train(self) -> bool:
        """Run every epoch; returns True if cancelled."""
        try:
            for epoch in range(1, self.epochs + 1):
                self._epoch(epoch)
        except Cancelled:
            return True
        return False

    def _epoch(self, epoch: int) -> None:
        """One pass over the training drawings; raises ``Cancelled`` when asked to stop."""
        with self.clock.timing("render"):
            augment = self.settings.augment
            told = self.distorting
            counted = None if told is None else lambda done, total: told(epoch, done, total)
            images = self.data.train_images(
                self.rng, augment=augment, cancel=self.cancel, counted=counted
            )
        order = self.rng.permutation(len(images))
        losses: list[float] = []  # of the steps since the last curve point
        hits: list[float] = []
        for k in range(self.per_epoch):
            stop_if(self.cancel)
            rows = order[k * self.settings.batch_user : (k + 1) * self.settings.batch_user]
            with self.clock.timing("steps"):
                loss, hit = self._step(images[rows], rows)
            losses.append(loss)
            hits.extend(hit)
            point = None
            if k + 1 == self.per_epoch or self._mid_epoch_point_due(k + 1):
                point = self._point(epoch, losses, hits, end=k + 1 == self.per_epoch)
                losses, hits = [], []
            self._report(epoch, loss, point)

    def _mid_epoch_point_due(self, done: int) -> bool:
        """Whether a long epoch gets a curve point after its step ``done`` (not one so near
        its end that the end's point would cover only a few steps)."""
        left = self.per_epoch - done
        return self.every > 0 and done % self.every == 0 and left >= self.every // 2

    def _step(
        self, x_user: NDArray[np.float32], rows: NDArray[np.int64]
    ) -> tuple[float, list[float]]:
        y_user = np.array([self.index[self.data.train_labels[i]] for i in rows], dtype=np.int64)
        x, y = x_user, y_user
        reh = self.data.rehearsal_batch(self.rng, self.settings.batch_rehearsal, self.index)
        if reh is not None:
            x, y = np.concatenate([x_user, reh[0]]), np.concatenate([y_user, reh[1]])
        self._scored = None  # the weights change: an earlier scoring no longer holds
        self.work.network.zero_grad()
        logits = self.work.forward(x, training=True)
        loss, dlogits = cross_entropy(logits + self.shift, y)
        self.work.backward(dlogits, need_input_grad=False, frozen_below=self.frozen_below)
        apply_penalties(self.anchor, self.settings.l2sp)
        self.optimizer.lr = step_lr(self.step, self.total, self.settings)
        self.optimizer.step()
        self.step += 1
        hits = (np.argmax(logits[: len(y_user)], axis=1) == y_user).astype(float).tolist()
        return float(loss), hits

    def _point(self, epoch: int, losses: list[float], hits: list[float], end: bool) -> CurvePoint:
        """A curve point of the steps since the last one. At an epoch's ``end`` it scores the
        held-back drawings too (raising ``Cancelled`` if asked meanwhile); inside a long
        epoch it does not: that costs seconds with thousands of them."""
        held = None
        if end and self.data.held_out_labels:
            with self.clock.timing("evaluate"):
                guesses = predict_labels(self.work, self.data.held_out_images, cancel=self.cancel)
            self._scored = guesses
            truth = self.data.held_out_labels
            held = float(np.mean([g == t for g, t in zip(guesses, truth, strict=True)]))
        loss, accuracy = float(np.mean(losses)), float(np.mean(hits))
        point = CurvePoint(self.step, epoch, loss, accuracy, held, mid_epoch=not end)
        self.curve.append(point)
        return point

    def held_out_guesses(self) -> tuple[str, ...]:
        """The fine-tuned copy's reading of the held-back drawings. The last epoch's end
        scored them with these very weights, and that reading serves: they used to be read
        a second time. Read afresh only if no reading holds."""
        if self._scored is None:
            self._scored = predict_labels(self.work, self.data.held_out_images, cancel=self.cancel)
        return self._scored

    def _report(self, epoch: int, loss: float, point: CurvePoint | None) -> None:
        if self.progress is None:
            return
        now = time.perf_counter()
        eta = (now - self.train_start) / self.step * (self.total - self.step)
        elapsed = now - self.start
        self.progress(
            FineTuneProgress(self.step, self.total, epoch, self.epochs, loss, elapsed, eta, point)
        )
