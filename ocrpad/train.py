"""Training from scratch (`fit`). No Qt: progress goes out through callbacks.

A run: hold whole writers out of the training set for validation, render every sample with
fresh augmentation each epoch (background thread), Adam + cosine schedule + label smoothing +
weight averaging, score validation (selection) and test (report only) after every epoch, write
an atomic resumable checkpoint, and return the best-by-validation model with its record.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ocrpad.data.unipen import StrokeDataset, split_by_writer
from ocrpad.evaluate import metrics
from ocrpad.finetune import fine_tune  # the SAMPLES owner's; re-exported as the contract says
from ocrpad.model import Model, build_model
from ocrpad.nn import Adam, Dropout, cosine_lr
from ocrpad.training.batches import BatchPlan, epoch_batches
from ocrpad.training.checkpoint import (
    TrainState,
    generator_from_state,
    load_checkpoint,
    save_checkpoint,
)
from ocrpad.training.loop import StepStats, WeightAverage, predict, train_epoch
from ocrpad.training.recipe import Recipe

__all__ = ["FitResult", "Recipe", "StepStats", "fine_tune", "fit"]

CHECKPOINT_NAME = "checkpoint.npz"


@dataclass
class FitResult:
    """The trained model (best by validation), the per-epoch history and whether it finished."""

    model: Model
    history: list[dict[str, Any]] = field(default_factory=list)
    completed: bool = True


@dataclass
class _Run:
    """The live objects of one training run."""

    recipe: Recipe
    model: Model
    optimizer: Adam
    average: WeightAverage | None
    state: TrainState
    best: dict[str, NDArray[Any]]


def targets_for(data: StrokeDataset, labels: list[str]) -> NDArray[np.int64]:
    """Each sample's class index in `labels` (matched by character) → (N,) int64."""
    index = {c: i for i, c in enumerate(labels)}
    missing = sorted(set(data.mapping) - set(index))
    if missing:
        raise ValueError(f"data classes {missing} are not among the model's labels")
    lookup = np.array([index[c] for c in data.mapping], dtype=np.int64)
    return np.asarray(lookup[data.labels], dtype=np.int64)


def _start(recipe: Recipe, labels: list[str], resume: Path | None) -> _Run:
    model = build_model(recipe.model, labels, np.random.default_rng(recipe.seed))
    optimizer = Adam(model, recipe.lr, weight_decay=recipe.weight_decay)
    average = WeightAverage(model, recipe.ema_decay) if recipe.ema_decay > 0 else None
    state = TrainState(rng_state=dict(np.random.default_rng(recipe.seed).bit_generator.state))
    run = _Run(recipe, model, optimizer, average, state, model.state_dict())
    if resume is not None:
        groups, run.state, meta = load_checkpoint(resume)
        if Recipe.from_dict(meta.get("recipe", {})).model != recipe.model:
            raise ValueError(f"{resume}: checkpoint architecture differs from the recipe's")
        model.load_state_dict(groups["model"])
        optimizer.load_state_dict(groups["optim"])
        if average is not None and groups["ema"]:
            average.state = {k: v.astype(np.float32) for k, v in groups["ema"].items()}
            average.updates = run.state.step
        run.best = groups["best"] or model.state_dict()
    return run


def _checkpoint(run: _Run, directory: Path, data_checksum: str) -> None:
    groups = {
        "model": run.model.state_dict(),
        "optim": run.optimizer.state_dict(),
        "ema": {} if run.average is None else run.average.state,
        "best": run.best,
    }
    meta = {"recipe": run.recipe.to_dict(), "data_checksum": data_checksum}
    save_checkpoint(directory / CHECKPOINT_NAME, groups, run.state, meta)


def _score(model: Model, x: NDArray[np.float32], truth: list[str]) -> dict[str, Any]:
    result = metrics(predict(model, x), model.labels, truth)
    result.pop("per_class")
    return result


def _reseed_dropout(model: Model, rng: np.random.Generator) -> None:
    for _, layer in model.network.layers:
        if isinstance(layer, Dropout):
            layer.rng = np.random.default_rng(rng.integers(2**63))


def fit(
    train: StrokeDataset,
    recipe: Recipe | None = None,
    *,
    test: StrokeDataset | None = None,
    checkpoint_dir: str | Path | None = None,
    resume: str | Path | None = None,
    on_step: Callable[[int, StepStats], None] | None = None,
    on_epoch: Callable[[dict[str, Any]], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> FitResult:
    """Train a new model on `train` (strokes) following `recipe`.

    test: scored and recorded every epoch, never used for selection. checkpoint_dir: where
    `checkpoint.npz` is replaced atomically after every epoch; resume: such a file.
    on_step(epoch, stats) after every batch; on_epoch(record) after every epoch; cancel()
    returning True stops at the next batch (the last checkpoint stays valid).
    """
    recipe = Recipe() if recipe is None else recipe
    keep, held = split_by_writer(
        train.writers, recipe.val_fraction, np.random.default_rng(recipe.seed)
    )
    fit_data, val_data = train.subset(keep), train.subset(held)
    run = _start(recipe, list(train.mapping), None if resume is None else Path(resume))
    labels = run.model.labels
    plan = BatchPlan(
        fit_data,
        targets_for(fit_data, labels),
        recipe.batch_size,
        recipe.augmentation if recipe.augment else None,
        recipe.render,
    )
    total = recipe.epochs * plan.batches_per_epoch()

    def schedule(step: int) -> float:
        return cosine_lr(step, total, recipe.lr, recipe.warmup_steps, recipe.final_lr)

    scored_sets = {"val": val_data, "test": test}
    rendered = {
        name: (d.render_all(recipe.render)[:, None], d.characters())
        for name, d in scored_sets.items()
        if d is not None and len(d)
    }
    directory = None if checkpoint_dir is None else Path(checkpoint_dir)
    completed = True
    while run.state.epoch < recipe.epochs:
        epoch = run.state.epoch
        started = time.perf_counter()
        master = generator_from_state(run.state.rng_state, recipe.seed)
        epoch_rng = np.random.default_rng(master.integers(2**63))
        _reseed_dropout(run.model, epoch_rng)
        loss, acc, steps = train_epoch(
            run.model,
            run.optimizer,
            epoch_batches(plan, epoch_rng),
            schedule=schedule,
            first_step=run.state.step,
            total_batches=plan.batches_per_epoch(),
            label_smoothing=recipe.label_smoothing,
            average=run.average,
            on_step=None if on_step is None else functools.partial(on_step, epoch),
            cancel=cancel,
        )
        if steps < plan.batches_per_epoch():
            completed = False
            break
        candidate = run.model if run.average is None else run.average.averaged(run.model)
        record: dict[str, Any] = {"epoch": epoch + 1, "loss": loss, "train_accuracy": acc}
        for name, (x, truth) in rendered.items():
            record[name] = _score(candidate, x, truth)
        run.state.epoch, run.state.step = epoch + 1, run.state.step + steps
        run.state.elapsed += time.perf_counter() - started
        record["seconds"] = run.state.elapsed
        score = record["val"]["accuracy"] if "val" in record else float(epoch)
        if score >= run.state.best_score:
            run.state.best_score, run.state.best_epoch = score, epoch + 1
            run.best = candidate.state_dict()
        run.state.history.append(record)
        run.state.rng_state = dict(master.bit_generator.state)
        if directory is not None:
            _checkpoint(run, directory, train.checksum)
        if on_epoch is not None:
            on_epoch(record)
    return FitResult(_final_model(run, train), run.state.history, completed)


def _final_model(run: _Run, train: StrokeDataset) -> Model:
    """The best-by-validation weights with the training record in `meta`."""
    model = run.model.copy()
    model.load_state_dict(run.best)
    best = next((h for h in run.state.history if h["epoch"] == run.state.best_epoch), {})
    model.meta = {
        "render": run.recipe.render.to_dict(),
        "recipe": run.recipe.to_dict(),
        "data": {
            "source": Path(train.source).name,
            "sha256": train.checksum,
            "samples": len(train),
        },
        "epochs": run.state.epoch,
        "best_epoch": run.state.best_epoch,
        "metrics": {k: v for k, v in best.items() if k in ("val", "test", "loss")},
        "wall_time_s": round(run.state.elapsed, 1),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "trained_by": "ocrpad-train",
    }
    return model
