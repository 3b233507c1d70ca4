"""How long a fine-tune will run, said before it starts: its settings, its steps, its time.

`plan_steps` fixes the number of steps from the number of drawings (the same function the
fine-tune itself uses), and `estimate_seconds` turns that into seconds from this computer's
measured speed (`measure_speed`: one timed training step on a copy of the model and a few
renderings), so the Train tab can say "about 25 s" before anything is trained.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np

from ocrpad.bounds import float_in, int_in
from ocrpad.model import Model
from ocrpad.nn import Adam, cross_entropy
from ocrpad.preprocess import render_params_of, render_strokes


@dataclass(frozen=True)
class FineTuneSettings:
    """Recipe knobs; the defaults suit an interactive fine-tune (seconds, not minutes)."""

    epochs: int = 15  # passes over the user's training drawings
    batch_user: int = 32  # user drawings per step
    batch_rehearsal: int = 48  # rehearsal drawings per step (0 = none)
    min_steps: int = 40  # more epochs when there are very few drawings (e.g. 10 of a symbol)
    max_steps: int = 240  # 15 passes over up to 512 drawings, ≤ 30 s (500 took 18–29 s here)
    lr: float = 3e-4  # Adam's peak learning rate
    l2sp: float = 0.1  # strength of the pull toward the base weights (0 = off)
    frozen: tuple[str, ...] = ("conv1", "bn1")  # layers left untouched (name prefixes)
    held_out: float = 0.2  # fraction of each class kept back to measure before/after
    augment: bool = True  # distort the user's drawings afresh every epoch
    imprint: bool = False  # start new classes' output rows at their mean feature
    decay: bool = True  # cosine learning-rate decay to zero over the run
    keep_priors: bool = True  # logit adjustment toward the base data's class priors

    def __post_init__(self) -> None:
        """ValueError naming the first knob out of its range (checked as `Recipe` checks its
        own: `ocrpad.bounds`)."""
        values = vars(self)
        for name, least in (("epochs", 1), ("batch_user", 1), ("batch_rehearsal", 0)):
            int_in(values, name, least, 1 << 16)
        int_in(values, "min_steps", 0, 1 << 30)
        int_in(values, "max_steps", 1, 1 << 30)
        if float_in(values, "lr", 0.0, 10.0) == 0.0:
            raise ValueError("lr must be above 0: a rate of 0 trains nothing")
        float_in(values, "l2sp", 0.0, 1e6)
        float_in(values, "held_out", 0.0, 1.0, open_high=True)
        frozen: object = self.frozen  # a JSON settings file may give anything
        if isinstance(frozen, str) or not all(isinstance(n, str) for n in self.frozen):
            raise ValueError(f"frozen must be layer names, not {frozen!r}")


DEFAULT_SETTINGS: Final = FineTuneSettings()


def plan_steps(n_train: int, settings: FineTuneSettings) -> tuple[int, int]:
    """(epochs, steps per epoch) for `n_train` drawings: `settings.epochs` passes, more for
    very few drawings (`min_steps`), fewer for many (`max_steps` caps the time)."""
    per_epoch = max(1, -(-n_train // settings.batch_user))
    wanted = max(settings.epochs, -(-settings.min_steps // per_epoch))
    return max(1, min(wanted, settings.max_steps // per_epoch)), per_epoch


POINTS_PER_RUN: Final = 24  # curve points a run of long epochs gets, about
MIN_STEPS_PER_POINT: Final = 10  # and no closer together than this


def steps_per_point(epochs: int, per_epoch: int) -> int:
    """Steps between the curve points taken inside an epoch, so that the curves move while a
    long one runs (4,800 drawings or more make one or two epochs of the whole run): about
    `POINTS_PER_RUN` a run, at least `MIN_STEPS_PER_POINT` steps apart. 0 when the epochs
    are short enough that their ends alone draw the curves."""
    every = max(MIN_STEPS_PER_POINT, -(-epochs * per_epoch // POINTS_PER_RUN))
    return every if per_epoch >= 2 * every else 0


def is_frozen(layer_name: str, frozen: Sequence[str]) -> bool:
    """Whether `frozen` (layer names or dotted prefixes, `FineTuneSettings.frozen`) holds
    the layer: its parameters stay as they were."""
    return any(layer_name == p or layer_name.startswith(p + ".") for p in frozen)


def first_trainable(model: Model, frozen: Sequence[str]) -> int:
    """The index of the lowest layer with parameters that are not `frozen`. Nothing below it
    learns, so the backward pass stops there (`Sequential.backward`'s `frozen_below`)."""
    for index, (name, layer) in enumerate(model.network.layers):
        if layer.params and not is_frozen(name, frozen):
            return index
    return len(model.network.layers) - 1


def step_lr(step: int, total: int, settings: FineTuneSettings) -> float:
    """The learning rate of step `step` of `total`: constant, or cosine-decayed to zero when
    `settings.decay` (the last steps barely move the weights, so less is forgotten)."""
    if not settings.decay or total <= 1:
        return settings.lr
    return settings.lr * 0.5 * (1.0 + math.cos(math.pi * step / total))


@dataclass(frozen=True)
class Speed:
    """This computer's measured speed: one training step, rendering one drawing, and scoring
    one held-back drawing."""

    step_seconds: float
    render_seconds: float
    score_seconds: float = 0.0


def estimate_seconds(
    drawings: int, settings: FineTuneSettings, speed: Speed, rehearsal: int = 0
) -> float:
    """Seconds a fine-tune of `drawings` drawings should take: render them and the
    `rehearsal` drawings once, re-render three in four of the learnt ones every epoch, run
    the planned steps, score the held-back ones before the first step and at every epoch's
    end (the last end's scoring is the "after" one)."""
    held = round(drawings * settings.held_out) if drawings >= 3 else 0
    learnt = max(drawings - held, 1)
    epochs, per_epoch = plan_steps(learnt, settings)
    renders = drawings + rehearsal + (0.75 * learnt * epochs if settings.augment else 0.0)
    scored = held * (epochs + 1)
    return (
        renders * speed.render_seconds
        + epochs * per_epoch * speed.step_seconds
        + scored * speed.score_seconds
    )


def measure_speed(model: Model, settings: FineTuneSettings, rounds: int = 3) -> Speed:
    """Time training steps of a copy of `model` on one fine-tune batch (one untimed step
    first, which sets up the batch's arrays, then the median of `rounds`: on a busy computer
    the fastest step promises more than the run will keep), renderings of a typical drawing
    and scoring a batch of held-back drawings (the model itself is not touched)."""
    work = model.copy()
    size = render_params_of(model.meta).size
    batch = settings.batch_user + settings.batch_rehearsal
    x = np.zeros((batch, 1, size, size), dtype=np.float32)
    y = np.arange(batch, dtype=np.int64) % len(work.labels)
    optimizer = Adam(work, lr=0.0)
    frozen_below = first_trainable(work, settings.frozen)
    steps = []
    for _ in range(max(rounds, 1) + 1):
        start = time.perf_counter()
        work.network.zero_grad()
        _, dlogits = cross_entropy(work.forward(x, training=True), y)
        work.backward(dlogits, need_input_grad=False, frozen_below=frozen_below)
        optimizer.step()
        steps.append(time.perf_counter() - start)
    t = np.linspace(0.0, 2 * np.pi, 40)
    ring = [np.stack([np.cos(t), np.sin(t)], axis=1) * 50.0]
    start = time.perf_counter()
    for _ in range(10):
        render_strokes(ring, render_params_of(model.meta))
    render = (time.perf_counter() - start) / 10
    start = time.perf_counter()
    work.predict_proba(x[: settings.batch_user])
    score = (time.perf_counter() - start) / settings.batch_user
    return Speed(float(np.median(steps[1:])), render, score)
