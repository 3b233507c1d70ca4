"""What `fit` checks before its first batch, so a run that cannot be right fails at once with
the reason instead of after an hour (or never, reporting success):

- the writer split: something to train on, and validation when the recipe asks for it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ocrpad.data.unipen import StrokeDataset, split_by_writer
from ocrpad.learning.recipe import Recipe


def check_split(
    data: StrokeDataset, keep: NDArray[np.int64], held: NDArray[np.int64], val_fraction: float
) -> None:
    """ValueError when the writer split (`split_by_writer`) leaves nothing to train on, or no
    validation writers although `val_fraction` asks for some: validation holds out whole
    writers, so drawings by a single writer cannot have it."""
    if len(keep) == 0:
        raise ValueError("no drawings are left to train on after holding out validation writers")
    if val_fraction > 0 and len(held) == 0:
        raise ValueError(
            f"all {len(data)} drawings are by one writer ({str(data.writers[0])!r}), and "
            "validation holds out whole writers, so it needs two or more; train without validation "
            "(val_fraction 0, --val-fraction 0: the last epoch is kept) or add other writers"
        )


def checked_split(
    train: StrokeDataset, recipe: Recipe
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The recipe's writer split (`split_by_writer`) of `train` → (kept, held-out) sample
    indices, checked by `check_split`."""
    keep, held = split_by_writer(
        train.writers, recipe.val_fraction, np.random.default_rng(recipe.seed)
    )
    check_split(train, keep, held, recipe.val_fraction)
    return keep, held
