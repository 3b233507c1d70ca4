"""What a fine-tune reports: progress figures while it runs, and the before/after comparison.

Plain frozen dataclasses of numbers and strings, safe to send across threads (no Qt here).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class CurvePoint:
    """One point of the learning curves, taken at the end of an epoch and, inside a long
    epoch, every few steps (``mid_epoch``: training figures only, the held-back drawings are
    scored at epoch ends). Its figures cover the steps since the previous point."""

    step: int  # steps done when it was taken
    epoch: int
    loss: float  # mean training loss over those steps (user + rehearsal samples)
    accuracy: float  # accuracy on their (augmented) user samples
    held_out_accuracy: float | None  # on the held-back user samples: at epoch ends, if any
    mid_epoch: bool = False  # taken inside an epoch (no held-back score)


@dataclass(frozen=True)
class FineTuneProgress:
    """Figures sent to ``progress`` after every optimisation step."""

    step: int  # steps done, 1 … total_steps
    total_steps: int
    epoch: int  # current epoch, 1 … epochs
    epochs: int
    loss: float  # loss of the last step
    elapsed: float  # seconds since the fine-tune started (including preparation)
    eta: float  # estimated seconds left
    point: CurvePoint | None = None  # set on a step that takes a curve point (CurvePoint)

    @property
    def fraction(self) -> float:
        return self.step / max(1, self.total_steps)


PHASES = ("prepare", "render", "steps", "evaluate")


class Clock:
    """Wall seconds spent in each phase of a fine-tune (`PHASES`): preparing (checking and
    rendering the drawings, the rehearsal set, the model copy), re-rendering distorted
    drawings each epoch, the training steps, and scoring the held-back drawings."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = dict.fromkeys(PHASES, 0.0)

    def add(self, phase: str, seconds: float) -> None:
        self.seconds[phase] = self.seconds.get(phase, 0.0) + seconds

    @contextlib.contextmanager
    def timing(self, phase: str) -> Iterator[None]:
        """Add the time the ``with`` block takes to ``phase``."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.add(phase, time.perf_counter() - start)


def per_class_accuracy(truth: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    """Character -> fraction of its samples predicted correctly (classes present in ``truth``)."""
    result: dict[str, float] = {}
    for label in sorted(set(truth)):
        hits = [p == t for t, p in zip(truth, predicted, strict=True) if t == label]
        result[label] = float(np.mean(hits))
    return result


def accuracy(truth: Sequence[str], predicted: Sequence[str]) -> float | None:
    if not truth:
        return None
    return float(np.mean([p == t for t, p in zip(truth, predicted, strict=True)]))


@dataclass(frozen=True)
class FineTuneReport:
    """The outcome of ``fine_tune``.

    ``held_out_*`` compare the base model ("before") and the fine-tuned one ("after") on user
    samples that were kept out of training. When the run was cancelled, ``fine_tune`` returned
    the base model unchanged and the "after" figures are empty.
    """

    labels: tuple[str, ...]  # classes of the returned model
    new_labels: tuple[str, ...]  # classes the base model did not know
    train_count: int
    held_out_truth: tuple[str, ...]
    predicted_before: tuple[str, ...]
    predicted_after: tuple[str, ...]
    curve: tuple[CurvePoint, ...]
    wall_time: float  # seconds
    steps: int
    cancelled: bool
    settings: Mapping[str, object] = field(default_factory=dict)
    skipped: tuple[str, ...] = ()  # drawings that could not be used, one line each saying why
    phases: Mapping[str, float] = field(default_factory=dict)  # wall seconds by phase (Clock)

    @property
    def held_out_count(self) -> int:
        return len(self.held_out_truth)

    @property
    def accuracy_before(self) -> float | None:
        return accuracy(self.held_out_truth, self.predicted_before)

    @property
    def accuracy_after(self) -> float | None:
        if self.cancelled:
            return None
        return accuracy(self.held_out_truth, self.predicted_after)

    @property
    def per_class_before(self) -> dict[str, float]:
        return per_class_accuracy(self.held_out_truth, self.predicted_before)

    @property
    def per_class_after(self) -> dict[str, float]:
        if self.cancelled:
            return {}
        return per_class_accuracy(self.held_out_truth, self.predicted_after)

    def confusion(self, after: bool = True) -> tuple[list[str], NDArray[np.int64]]:
        """Held-out confusion: (characters, counts (K, K)) with rows = truth, cols = prediction.

        Only characters that occur as truth or prediction are listed.
        """
        predicted = self.predicted_after if after else self.predicted_before
        chars = sorted(set(self.held_out_truth) | set(predicted))
        index = {c: i for i, c in enumerate(chars)}
        counts = np.zeros((len(chars), len(chars)), dtype=np.int64)
        for truth, guess in zip(self.held_out_truth, predicted, strict=True):
            counts[index[truth], index[guess]] += 1
        return chars, counts
