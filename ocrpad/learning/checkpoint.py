"""Resumable training checkpoints: one atomic `.npz` (arrays + JSON meta), never a pickle.

Arrays are stored under prefixes: `model:` (weights and batch-norm statistics), `optim:`
(optimiser slots), `ema:` (averaged weights) and `best:` (the best weights by validation).
The JSON meta holds the epoch, global step, history, recipe and the model's own file meta.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from ocrpad.nn import ModelFileError, load_arrays, save_arrays

FORMAT: Final = "ocrpad-checkpoint"
VERSION: Final = 1
PREFIXES: Final = ("model", "optim", "ema", "best")
OPTIMIZER_KEYS: Final = frozenset({"steps", "lr"})  # besides its slots (`Optimizer.state_dict`)

Arrays = dict[str, NDArray[Any]]


@dataclass
class TrainState:
    """Everything besides the recipe that a resumed run needs."""

    epoch: int = 0  # epochs completed
    batch: int = 0  # batches done in the current (unfinished) epoch
    step: int = 0  # optimiser steps done
    epoch_seed: int = 0  # seed of the current epoch's order and augmentation
    dropout_states: list[dict[str, Any]] = field(default_factory=list)  # mask generators
    history: list[dict[str, Any]] = field(default_factory=list)
    best_epoch: int = 0
    best_score: float = -1.0
    elapsed: float = 0.0  # training wall time so far, seconds
    rng_state: dict[str, Any] = field(default_factory=dict)  # next epoch's generator state
    epoch_sums: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    """The current epoch's [loss sum, right answers, drawings] over its batches done."""


def save_checkpoint(
    path: str | Path, groups: dict[str, Arrays], state: TrainState, meta: dict[str, Any]
) -> None:
    """Write groups (prefix -> arrays), the train state and extra meta atomically."""
    arrays = {f"{prefix}:{key}": value for prefix, d in groups.items() for key, value in d.items()}
    info = {
        "format": FORMAT,
        "version": VERSION,
        "epoch": state.epoch,
        "batch": state.batch,
        "step": state.step,
        "epoch_seed": state.epoch_seed,
        "dropout_states": state.dropout_states,
        "history": state.history,
        "best_epoch": state.best_epoch,
        "best_score": state.best_score,
        "elapsed": state.elapsed,
        "rng_state": state.rng_state,
        "epoch_sums": state.epoch_sums,
        **meta,
    }
    save_arrays(path, arrays, info)


def load_checkpoint(path: str | Path) -> tuple[dict[str, Arrays], TrainState, dict[str, Any]]:
    """Read a checkpoint → (groups, state, meta). Raises ModelFileError for foreign files."""
    arrays, meta = load_arrays(path)
    if meta.get("format") != FORMAT or meta.get("version") != VERSION:
        raise ModelFileError(
            path,
            "not an ocrpad training checkpoint (a model file to start from goes to --init-from)",
        )
    groups: dict[str, Arrays] = {p: {} for p in PREFIXES}
    for key, value in arrays.items():
        prefix, _, name = key.partition(":")
        if prefix not in groups:
            raise ModelFileError(path, f"unexpected array {key!r}")
        groups[prefix][name] = value
    try:
        state = TrainState(
            epoch=int(meta["epoch"]),
            batch=int(meta["batch"]),
            step=int(meta["step"]),
            epoch_seed=int(meta["epoch_seed"]),
            dropout_states=list(meta["dropout_states"]),
            history=list(meta["history"]),
            best_epoch=int(meta["best_epoch"]),
            best_score=float(meta["best_score"]),
            elapsed=float(meta["elapsed"]),
            rng_state=dict(meta["rng_state"]),
            epoch_sums=[float(v) for v in meta.get("epoch_sums", [0.0, 0.0, 0.0])],
        )
        if len(state.epoch_sums) != 3:
            raise ValueError(f"epoch_sums holds {len(state.epoch_sums)} numbers, not 3")
        for generator in (state.rng_state, *state.dropout_states):
            generator_from_state(dict(generator), 0)  # a damaged state fails now, not mid-run
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise ModelFileError(path, f"incomplete checkpoint metadata ({exc!r})") from exc
    missing = sorted(OPTIMIZER_KEYS - groups["optim"].keys())
    if missing:
        raise ModelFileError(path, f"no optimiser {' or '.join(missing)} (incomplete checkpoint)")
    return groups, state, meta


def generator_from_state(state: dict[str, Any], seed: int) -> np.random.Generator:
    """Rebuild a PCG64 Generator from its saved `bit_generator.state` (or seed a new one)."""
    rng = np.random.default_rng(seed)
    if state:
        rng.bit_generator.state = state
    return rng


def set_aside_run(directory: Path, names: Iterable[str]) -> list[Path]:
    """Rename the files of ``names`` found in ``directory`` (an earlier run's checkpoint and
    best model) to ``<stem>.set-aside-<time>.npz`` names no file has (``-2``, ``-3``…
    within one second), so that a run begun anew writes over none of them. Returns the new
    paths; OSError if one cannot be renamed (those before it stay renamed, none is lost)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    moved = []
    for name in names:
        path = directory / name
        if not path.is_file():
            continue
        number = 1
        while (target := _aside_name(path, stamp, number)).exists():
            number += 1
        path.rename(target)
        moved.append(target)
    return moved


def _aside_name(path: Path, stamp: str, number: int) -> Path:
    suffix = stamp if number == 1 else f"{stamp}-{number}"
    return path.with_name(f"{path.stem}.set-aside-{suffix}{path.suffix}")
