"""One optimisation step, one epoch, weight averaging and batched scoring."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ocrpad.learning.batches import Batch
from ocrpad.model import Model
from ocrpad.nn import cross_entropy
from ocrpad.nn.optim import Optimizer


@dataclass(frozen=True)
class StepStats:
    """Progress of an epoch after one more batch (for bars and callbacks)."""

    step: int  # global optimiser step
    batch: int  # batch index within the epoch (1-based)
    batches: int  # batches in the epoch (0 if unknown)
    loss: float  # running mean loss of the epoch
    accuracy: float  # running training accuracy of the epoch
    images_per_second: float
    lr: float


def train_step(
    model: Model,
    optimizer: Optimizer,
    x: NDArray[np.float32],
    y: NDArray[np.int64],
    *,
    lr: float,
    label_smoothing: float = 0.0,
) -> tuple[float, int]:
    """Forward, loss, backward, update on x (B, 1, 28, 28), y (B,) → (loss, correct count)."""
    optimizer.lr = lr
    logits = model.forward(x, training=True)
    loss, dlogits = cross_entropy(logits, y, label_smoothing)
    model.backward(dlogits, need_input_grad=False)
    optimizer.step()
    return loss, int((np.argmax(logits, axis=1) == y).sum())


class WeightAverage:
    """Exponential moving average of every state entry (weights and batch-norm statistics)."""

    def __init__(self, model: Model, decay: float) -> None:
        self.decay = decay
        self.state = {k: v.astype(np.float32, copy=True) for k, v in model.state_dict().items()}
        self.updates = 0

    def update(self, model: Model) -> None:
        self.updates += 1
        d = min(self.decay, (1 + self.updates) / (10 + self.updates))  # warm start
        for key, value in model.state_dict().items():
            avg = self.state[key]
            avg *= d
            avg += (1.0 - d) * value

    def averaged(self, model: Model) -> Model:
        """A copy of `model` holding the averaged weights."""
        out = model.copy()
        out.load_state_dict(self.state)
        return out


def train_epoch(
    model: Model,
    optimizer: Optimizer,
    batches: Iterable[Batch],
    *,
    schedule: Callable[[int], float],
    first_step: int = 0,
    first_batch: int = 0,
    total_batches: int = 0,
    label_smoothing: float = 0.0,
    average: WeightAverage | None = None,
    on_step: Callable[[StepStats], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    sums: list[float] | None = None,
) -> tuple[float, float, int]:
    """Train over `batches`; schedule(step) gives the learning rate of each global step.

    `first_batch` batches of this epoch were done before (a resumed epoch); `sums`, the
    epoch's [loss sum, right answers, drawings] over those, is carried on and updated in place
    after every batch (so a checkpoint holds it). Returns (mean loss, training accuracy, steps
    done), the means over the whole epoch so far. Stops early when cancel() is True.
    """
    tally = [0.0, 0.0, 0.0] if sums is None else sums
    step, seen_here, batch = first_step, 0, 0
    start = time.perf_counter()
    for batch, (x, y) in enumerate(batches, start=first_batch + 1):
        if cancel is not None and cancel():
            break
        lr = schedule(step)
        loss, hits = train_step(model, optimizer, x, y, lr=lr, label_smoothing=label_smoothing)
        step += 1
        tally[0] += loss * len(y)
        tally[1] += hits
        tally[2] += len(y)
        seen_here += len(y)
        if average is not None:
            average.update(model)
        if on_step is not None:
            rate = seen_here / max(time.perf_counter() - start, 1e-9)
            loss_mean, accuracy = tally[0] / tally[2], tally[1] / tally[2]
            on_step(StepStats(step, batch, total_batches, loss_mean, accuracy, rate, lr))
    seen = max(tally[2], 1.0)
    return tally[0] / seen, tally[1] / seen, step - first_step


def predict(model: Model, x: NDArray[np.float32], batch_size: int = 512) -> NDArray[np.float32]:
    """x: (N, 1, 28, 28) → probabilities (N, C) in inference mode."""
    parts = [model.predict_proba(x[i : i + batch_size]) for i in range(0, len(x), batch_size)]
    return np.concatenate(parts) if parts else np.zeros((0, model.num_classes), np.float32)
