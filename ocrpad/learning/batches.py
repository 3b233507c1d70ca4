"""Augmented mini-batches rendered from strokes in a background thread.

The producer renders batch k+1… while the network trains on batch k, so rendering with fresh
augmentation every epoch costs little wall time (NumPy's matrix multiplies release the GIL).
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ocrpad.data.augment import DEFAULT_AUGMENT, AugmentParams, render_augmented
from ocrpad.data.unipen import StrokeDataset
from ocrpad.preprocess import DEFAULT_PARAMS, RenderParams, render_flat

Batch = tuple[NDArray[np.float32], NDArray[np.int64]]  # x (B, 1, 28, 28), y (B,)


@dataclass(frozen=True)
class BatchPlan:
    """What to render: the samples, their class targets and how to distort them."""

    data: StrokeDataset
    targets: NDArray[np.int64]  # (len(data),) model class index of every sample
    batch_size: int
    augment: AugmentParams | None = DEFAULT_AUGMENT  # None: canonical renderings
    render: RenderParams = DEFAULT_PARAMS

    def batches_per_epoch(self) -> int:
        return -(-len(self.data) // self.batch_size)


def targets_for(data: StrokeDataset, labels: list[str]) -> NDArray[np.int64]:
    """Each sample's class index in `labels` (matched by character) → (N,) int64."""
    index = {c: i for i, c in enumerate(labels)}
    missing = sorted(set(data.mapping) - set(index))
    if missing:
        raise ValueError(f"data classes {missing} are not among the model's labels")
    lookup = np.array([index[c] for c in data.mapping], dtype=np.int64)
    return np.asarray(lookup[data.labels], dtype=np.int64)


def render_batch_of(plan: BatchPlan, indices: NDArray[np.int64], rng: np.random.Generator) -> Batch:
    """Render samples `indices` (augmented when the plan says so) → (x, y)."""
    size = plan.render.size
    x = np.empty((len(indices), 1, size, size), dtype=np.float32)
    for j, i in enumerate(indices):
        points, offsets = plan.data.flat(int(i))
        if plan.augment is None:
            x[j, 0] = render_flat(points, offsets, plan.render)
        else:
            x[j, 0] = render_augmented(points, offsets, rng, plan.augment, plan.render)
    return x, plan.targets[indices]


def epoch_chunks(
    plan: BatchPlan, seed: int, *, start: int = 0
) -> Iterator[tuple[int, NDArray[np.int64]]]:
    """(k, sample indices (≤ batch_size,)) of an epoch's batches k = start, start + 1, …: the
    order is a permutation drawn from `seed`, so a resumed epoch gets the same batches."""
    order = np.random.default_rng(seed).permutation(len(plan.data))
    firsts = range(start * plan.batch_size, len(order), plan.batch_size)
    for k, first in enumerate(firsts, start=start):
        yield k, order[first : first + plan.batch_size]


def batch_rng(seed: int, k: int) -> np.random.Generator:
    """The random draws of batch k's augmentation in the epoch of `seed`."""
    return np.random.default_rng([seed, k])


def epoch_batches(
    plan: BatchPlan, seed: int, *, start: int = 0, prefetch: int = 6
) -> Iterator[Batch]:
    """One shuffled epoch of batches from batch `start` on, rendered ahead by a daemon thread.

    The order comes from `seed` (`epoch_chunks`), and batch k's augmentation from (seed, k)
    (`batch_rng`): an epoch can be resumed in the middle and gives the same batches. Stopping
    early stops the producer.
    """
    slots: queue.Queue[Any] = queue.Queue(maxsize=prefetch)
    stop = threading.Event()

    def produce() -> None:
        try:
            for k, chunk in epoch_chunks(plan, seed, start=start):
                if stop.is_set():
                    return
                slots.put(render_batch_of(plan, chunk, batch_rng(seed, k)))
            slots.put(None)
        except BaseException as exc:  # handed to the consumer, re-raised there
            slots.put(exc)

    worker = threading.Thread(target=produce, name="ocrpad-batches", daemon=True)
    worker.start()
    try:
        while (item := slots.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # drain so a blocked put() can see the stop flag
            with contextlib.suppress(queue.Empty):
                slots.get(timeout=0.05)
        worker.join()
