"""What `fit` checks before its first batch, so a run that cannot be right fails at once with
the reason instead of after an hour (or never, reporting success):

- the drawings: labels inside the mapping, at least one point each, finite coordinates;
- the writer split: something to train on, and validation when the recipe asks for it;
- a resumed checkpoint: the same recipe, classes and data, and a position this run can reach.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ocrpad.data.unipen import StrokeDataset, split_by_writer
from ocrpad.learning.checkpoint import TrainState
from ocrpad.learning.recipe import Recipe


def _few(values: NDArray[Any], limit: int = 5) -> str:
    """The first `limit` of `values` as "1, 5, 9" (and "… (12 in all)" when there are more)."""
    shown = ", ".join(str(v) for v in values[:limit].tolist())
    return shown if len(values) <= limit else f"{shown}, … ({len(values)} in all)"


def check_drawings(data: StrokeDataset, role: str) -> None:
    """ValueError naming the drawings of `data` (`role`: "training", "test") that cannot be
    trained on or scored: labels outside the mapping (they would train on a wrong class, then
    fail when the classes are counted), drawings without points and non-finite coordinates
    (they cannot be rendered). `load_unipen` checks a file's labels and points already; data
    built in memory has had no such check."""
    labels, so, sso = np.asarray(data.labels), data.stroke_offsets, data.sample_offsets
    where = f"{role} data" + (f" ({Path(data.source).name})" if data.source else "")
    if len(labels) == 0:
        raise ValueError(f"the {where} holds no drawings")
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"{where}: labels must be whole numbers, not {labels.dtype}")
    outside = np.flatnonzero((labels < 0) | (labels >= len(data.mapping)))
    if outside.size:
        raise ValueError(
            f"{where}: drawing(s) {_few(outside)} have label(s) {_few(labels[outside])}, "
            f"outside the mapping's 0..{len(data.mapping) - 1}"
        )
    if (
        len(sso) != len(labels) + 1
        or len(so) == 0
        or sso[0] != 0
        or sso[-1] != len(so) - 1
        or so[0] != 0
        or so[-1] != len(data.points)
        or np.any(np.diff(so) < 0)
        or np.any(np.diff(sso) < 0)
    ):
        raise ValueError(f"{where}: the stroke and drawing offsets do not match the points")
    empty = np.flatnonzero(so[sso[1:]] - so[sso[:-1]] == 0)
    if empty.size:
        raise ValueError(f"{where}: drawing(s) {_few(empty)} have no points (empty strokes)")
    bad_points = np.flatnonzero(~np.isfinite(data.points).all(axis=1))
    if bad_points.size:
        strokes = np.searchsorted(so, bad_points, side="right") - 1
        drawings = np.unique(np.searchsorted(sso, strokes, side="right") - 1)
        raise ValueError(f"{where}: drawing(s) {_few(drawings)} have NaN or infinite points")


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
    train: StrokeDataset, test: StrokeDataset | None, recipe: Recipe
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """`check_drawings` of both splits, then the recipe's writer split (`split_by_writer`) of
    `train` → (kept, held-out) sample indices, checked by `check_split`."""
    check_drawings(train, "training")
    if test is not None and len(test):
        check_drawings(test, "test")
    keep, held = split_by_writer(
        train.writers, recipe.val_fraction, np.random.default_rng(recipe.seed)
    )
    check_split(train, keep, held, recipe.val_fraction)
    return keep, held


def fingerprint(data: StrokeDataset) -> str:
    """sha256 of the drawings themselves (points, offsets, labels, mapping, writers): unlike the
    file checksum it also tells apart two subsets of one file (another --limit or seed)."""
    digest = hashlib.sha256()
    for array in (data.points, data.stroke_offsets, data.sample_offsets, data.labels):
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update("\x00".join(data.mapping).encode())
    digest.update("\x00".join(data.writers.tolist()).encode())
    return digest.hexdigest()


def check_resume(
    path: Path,
    meta: dict[str, Any],
    recipe: Recipe,
    labels: list[str],
    data: tuple[str, str],
) -> None:
    """ValueError when checkpoint `path` (its JSON `meta`) belongs to another run: another
    recipe, other classes (its output rows would be read as other characters) or other data
    (`data`: (fingerprint, file checksum) of this run's; its epoch order and validation writers
    would no longer be the ones it saved). Checkpoints from before classes and fingerprints
    were recorded are checked by their data file's checksum."""
    saved = Recipe.from_dict(meta.get("recipe", {})).to_dict()
    changed = sorted(k for k, v in recipe.to_dict().items() if saved.get(k) != v)
    if changed:
        raise ValueError(f"{path}: the recipe differs from the checkpoint's in {changed}")
    advice = "resume with the data it was started with, or start a new run without resuming"
    old = meta.get("labels")
    if old is not None and list(old) != list(labels):
        raise ValueError(
            f"{path}: the checkpoint's classes differ from this data's "
            f"({_label_change(old, labels)}); resuming would read its outputs as other "
            f"characters: {advice}"
        )
    fingerprint, checksum = data
    if "data_fingerprint" in meta:
        same = meta["data_fingerprint"] == fingerprint
    else:
        same = meta.get("data_checksum", checksum) == checksum
    if not same:
        raise ValueError(
            f"{path}: the checkpoint was trained on other drawings than these (another data "
            f"file, --limit or seed): {advice}"
        )


def _label_change(old: list[Any], new: list[str]) -> str:
    """The first difference between two class lists, in words."""
    for k, (a, b) in enumerate(zip(old, new, strict=False)):
        if a != b:
            return f"class {k} was {a!r}, is now {b!r}"
    return f"{len(old)} classes then, {len(new)} now"


def check_position(path: Path, state: TrainState, epochs: int, batches_per_epoch: int) -> None:
    """ValueError when a checkpoint's position (epoch, batch, step, history) is not one this
    run passes through: a damaged or hand-edited file, which would otherwise skip training or
    run it with a negative step count."""
    epoch, batch = state.epoch, state.batch
    reachable = (
        0 <= epoch <= epochs
        and 0 <= batch < batches_per_epoch
        and (epoch < epochs or batch == 0)
        and state.step == epoch * batches_per_epoch + batch
        and len(state.history) == epoch
        and 0 <= state.best_epoch <= epoch
    )
    if not reachable:
        raise ValueError(
            f"{path}: the checkpoint's position (epoch {epoch}, batch {batch}, step "
            f"{state.step}, history of {len(state.history)}) is not one of this run's "
            f"({epochs} epochs of {batches_per_epoch} batches): the file is damaged"
        )
