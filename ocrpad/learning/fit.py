"""Training from scratch (`fit`). No Qt: progress goes out through callbacks.

A run: hold whole writers out of the training set for validation, render every sample with
fresh augmentation each epoch (in a worker process or a background thread), Adam + cosine
schedule + label smoothing + weight averaging, score validation (selection) after every epoch,
write an atomic resumable checkpoint, and return the best-by-validation model with its record,
scored once on the test split (report only).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ocrpad.data.unipen import StrokeDataset
from ocrpad.learning.batches import BatchPlan, targets_for
from ocrpad.learning.checkpoint import (
    TrainState,
    generator_from_state,
    load_checkpoint,
    save_checkpoint,
)
from ocrpad.learning.environment import recorded_sessions, training_environment
from ocrpad.learning.evaluate import metrics
from ocrpad.learning.fit_checks import check_position, check_resume, checked_split, fingerprint
from ocrpad.learning.loop import StepStats, WeightAverage, predict, train_epoch
from ocrpad.learning.recipe import Recipe
from ocrpad.learning.render_process import EpochSource, epoch_source
from ocrpad.model import Model, build_model
from ocrpad.nn import Adam, Dropout, cosine_lr

__all__ = ["CHECKPOINT_NAME", "FitResult", "Recipe", "StepStats", "fit"]

CHECKPOINT_NAME = "checkpoint.npz"
BEST_MODEL_NAME = "best-model.npz"  # the best weights so far, as a model file


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
    data: tuple[str, str] = ("", "")  # the training data's (fingerprint, file checksum)
    started: float = field(default_factory=time.perf_counter)
    elapsed_before: float = 0.0  # wall time of earlier sessions (resumed runs)
    environments_before: list[dict[str, Any]] = field(default_factory=list)  # theirs, oldest first

    def elapsed(self) -> float:
        """Training wall time so far, seconds, across resumed sessions."""
        return self.elapsed_before + time.perf_counter() - self.started


def _start(
    recipe: Recipe,
    labels: list[str],
    resume: Path | None,
    init: Model | None,
    data: tuple[str, str],
) -> _Run:
    if init is None:
        model = build_model(recipe.model, labels, np.random.default_rng(recipe.seed))
        head = model.network["out"].params["weight"]
        head *= 0.1  # start near uniform predictions (loss ≈ ln C), not large random logits
    else:
        model = warm_start_model(init, recipe, labels)
    optimizer = Adam(model, recipe.lr, weight_decay=recipe.weight_decay)
    average = WeightAverage(model, recipe.ema_decay) if recipe.ema_decay > 0 else None
    state = TrainState(rng_state=dict(np.random.default_rng(recipe.seed).bit_generator.state))
    run = _Run(recipe, model, optimizer, average, state, model.state_dict(), data)
    if resume is not None:
        groups, run.state, meta = load_checkpoint(resume)
        check_resume(resume, meta, recipe, list(model.labels), data)
        try:  # a damaged checkpoint: name the file as well as the array
            model.load_state_dict(groups["model"])
            optimizer.load_state_dict(groups["optim"])
        except ValueError as exc:
            raise ValueError(f"{resume}: {exc}") from exc
        if average is not None and groups["ema"]:
            average.state = {k: v.astype(np.float32) for k, v in groups["ema"].items()}
            average.updates = run.state.step
        run.best = groups["best"] or model.state_dict()
        run.elapsed_before = run.state.elapsed
        run.environments_before = recorded_sessions(meta.get("environments"))
        _restore_dropout_states(run)
    return run


def warm_start_model(init: Model, recipe: Recipe, labels: list[str]) -> Model:
    """A copy of `init` whose output layer also covers `labels` it lacks (new rows start
    small, near uniform); its architecture must be the recipe's."""
    if init.config != recipe.model:
        raise ValueError("--init-from: the model's architecture differs from the recipe's")
    model = init.with_extra_classes(labels, np.random.default_rng(recipe.seed))
    new = [i for i, c in enumerate(model.labels) if c not in init.labels]
    model.network["out"].params["weight"][new] *= 0.1
    return model


def _checkpoint(run: _Run, directory: Path) -> None:
    run.state.elapsed = run.elapsed()
    _save_dropout_states(run)
    groups = {
        "model": run.model.state_dict(),
        "optim": run.optimizer.state_dict(),
        "ema": {} if run.average is None else run.average.state,
        "best": run.best,
    }
    meta: dict[str, Any] = {"recipe": run.recipe.to_dict(), "labels": list(run.model.labels)}
    meta |= {"data_fingerprint": run.data[0], "data_checksum": run.data[1]}  # resume checks
    meta["environments"] = [*run.environments_before, training_environment()]  # this session last
    save_checkpoint(directory / CHECKPOINT_NAME, groups, run.state, meta)


def _score(model: Model, x: NDArray[np.float32], truth: list[str]) -> dict[str, Any]:
    scores = metrics(predict(model, x), model.labels, truth)
    return {key: value for key, value in scores.items() if key != "per_class"}


def _dropouts(model: Model) -> list[Dropout]:
    return [layer for _, layer in model.network.layers if isinstance(layer, Dropout)]


def _begin_epoch(run: _Run) -> None:
    """Draw the next epoch's seed from the run's generator and reseed the dropout masks."""
    master = generator_from_state(run.state.rng_state, run.recipe.seed)
    run.state.epoch_seed = int(master.integers(2**63))
    run.state.rng_state = dict(master.bit_generator.state)
    run.state.epoch_sums = [0.0, 0.0, 0.0]
    for k, layer in enumerate(_dropouts(run.model)):
        layer.rng = np.random.default_rng([run.state.epoch_seed, k])


def _save_dropout_states(run: _Run) -> None:
    run.state.dropout_states = [dict(d.rng.bit_generator.state) for d in _dropouts(run.model)]


def _restore_dropout_states(run: _Run) -> None:
    for layer, state in zip(_dropouts(run.model), run.state.dropout_states, strict=False):
        layer.rng = np.random.default_rng()
        layer.rng.bit_generator.state = state


@dataclass(frozen=True)
class _Hooks:
    on_step: Callable[[int, StepStats], None] | None
    on_epoch: Callable[[dict[str, Any]], None] | None
    cancel: Callable[[], bool] | None
    directory: Path | None
    every: int  # checkpoint every this many batches inside an epoch


def _train_one_epoch(
    run: _Run,
    plan: BatchPlan,
    batches: EpochSource,
    schedule: Callable[[int], float],
    hooks: _Hooks,
) -> tuple[float, float, bool]:
    """Run (the rest of) the current epoch → (loss, accuracy, finished)."""
    epoch, total = run.state.epoch, plan.batches_per_epoch()

    def after_step(stats: StepStats) -> None:
        run.state.step, run.state.batch = stats.step, stats.batch
        if hooks.on_step is not None:
            hooks.on_step(epoch, stats)
        if hooks.directory is not None and stats.batch % hooks.every == 0 and stats.batch < total:
            _checkpoint(run, hooks.directory)

    loss, acc, _ = train_epoch(
        run.model,
        run.optimizer,
        batches(run.state.epoch_seed, run.state.batch),
        schedule=schedule,
        first_step=run.state.step,
        first_batch=run.state.batch,
        total_batches=total,
        label_smoothing=run.recipe.label_smoothing,
        average=run.average,
        on_step=after_step,
        cancel=hooks.cancel,
        sums=run.state.epoch_sums,
    )
    finished = run.state.batch >= total
    if not finished and hooks.directory is not None and run.state.batch > 0:
        _checkpoint(run, hooks.directory)  # stopped mid-epoch: resumable from this batch
    return loss, acc, finished


def _end_epoch(
    run: _Run, rendered: dict[str, tuple[NDArray[np.float32], list[str]]], loss: float, acc: float
) -> dict[str, Any]:
    """Score validation / test, keep the best weights, record the epoch."""
    candidate = run.model if run.average is None else run.average.averaged(run.model)
    run.state.epoch, run.state.batch = run.state.epoch + 1, 0
    record: dict[str, Any] = {"epoch": run.state.epoch, "loss": loss, "train_accuracy": acc}
    for name, (x, truth) in rendered.items():
        record[name] = _score(candidate, x, truth)
    score = record["val"]["accuracy"] if "val" in record else float(run.state.epoch)
    if score >= run.state.best_score:
        run.state.best_score, run.state.best_epoch = score, run.state.epoch
        run.best = candidate.state_dict()
    run.state.history.append(record)
    return record


def fit(
    train: StrokeDataset,
    recipe: Recipe | None = None,
    *,
    test: StrokeDataset | None = None,
    checkpoint_dir: str | Path | None = None,
    checkpoint_every: int = 100,
    resume: str | Path | None = None,
    on_step: Callable[[int, StepStats], None] | None = None,
    on_epoch: Callable[[dict[str, Any]], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    init: Model | None = None,
    render_in_process: bool = False,
) -> FitResult:
    """Train a new model on `train` (strokes) following `recipe`.

    test: scored once, with the chosen weights after the last epoch (never used for
    selection; scoring it every epoch cost a retraining of the shipped recipe about 35 s, and
    its curve invited choosing by it). checkpoint_dir: where `checkpoint.npz` is replaced
    atomically after every epoch, every `checkpoint_every` batches and when cancelled, and
    `best-model.npz` (a model file, recording `training_environment()`) after every epoch;
    resume: such a checkpoint (continues at the same batch).
    on_step(epoch, stats) after every batch; on_epoch(record) after every epoch; cancel()
    returning True stops before the next batch. init: start from this model's weights (a warm
    start; classes of `train` it lacks are added) instead of a fresh network; its own record
    is kept in the result's meta["init"]. render_in_process: render the augmented batches in a
    worker process (the same batches, faster on a long run; the process takes a second to start)
    instead of a thread. Raises ValueError before the first batch when the data cannot be
    trained on or scored, or `resume` belongs to another run (`fit_checks`).
    """
    recipe = Recipe() if recipe is None else recipe
    keep, held = checked_split(train, test, recipe)  # ValueError before any work
    fit_data, val_data = train.subset(keep), train.subset(held)
    resume = None if resume is None else Path(resume)
    run = _start(recipe, list(train.mapping), resume, init, (fingerprint(train), train.checksum))
    plan = BatchPlan(
        fit_data,
        targets_for(fit_data, run.model.labels),
        recipe.batch_size,
        recipe.augmentation if recipe.augment else None,
        recipe.render,
    )
    total = recipe.epochs * plan.batches_per_epoch()
    if resume is not None:
        check_position(resume, run.state, recipe.epochs, plan.batches_per_epoch())

    def schedule(step: int) -> float:
        return cosine_lr(step, total, recipe.lr, recipe.warmup_steps, recipe.final_lr)

    rendered = (
        {"val": (val_data.render_all(recipe.render)[:, None], val_data.characters())}
        if len(val_data)
        else {}
    )
    directory = None if checkpoint_dir is None else Path(checkpoint_dir)
    hooks = _Hooks(on_step, on_epoch, cancel, directory, max(1, checkpoint_every))
    completed = True
    with epoch_source(plan, in_process=render_in_process) as batches:
        while run.state.epoch < recipe.epochs:
            if run.state.batch == 0:
                _begin_epoch(run)
            loss, acc, finished = _train_one_epoch(run, plan, batches, schedule, hooks)
            if not finished:
                completed = False
                break
            record = _end_epoch(run, rendered, loss, acc)
            record["seconds"] = run.elapsed()
            if directory is not None:
                _checkpoint(run, directory)
                _final_model(run, train, init).save(directory / BEST_MODEL_NAME)
            if on_epoch is not None:
                on_epoch(record)
    model = _final_model(run, train, init)
    if completed and test is not None and len(test):
        x = test.render_all(recipe.render)[:, None]
        model.meta["metrics"]["test"] = _score(model, x, test.characters())
    return FitResult(model, run.state.history, completed)


def class_counts(data: StrokeDataset) -> dict[str, int]:
    """How many drawings of each character `data` holds (fine-tuning keeps these priors)."""
    counts = np.bincount(data.labels, minlength=len(data.mapping))
    return {c: int(n) for c, n in zip(data.mapping, counts, strict=True) if n}


def _lineage(init: Model) -> dict[str, Any]:
    """What a warm-started model started from: the parent's own training record."""
    keep = ("recipe", "data", "epochs", "best_epoch", "metrics", "wall_time_s", "init")
    return {"labels": len(init.labels), **{k: init.meta[k] for k in keep if k in init.meta}}


def _final_model(run: _Run, train: StrokeDataset, init: Model | None = None) -> Model:
    """The best-by-validation weights with the training record in `meta`."""
    model = run.model.copy()
    model.load_state_dict(run.best)
    model.extras = {}  # a warm start's reader layer fits the old network: refit it (fit_reader)
    best = next((h for h in run.state.history if h["epoch"] == run.state.best_epoch), {})
    model.meta = {
        "render": run.recipe.render.to_dict(),
        "recipe": run.recipe.to_dict(),
        "data": {
            "source": Path(train.source).name,
            "sha256": train.checksum,
            "samples": len(train),
            "class_counts": class_counts(train),
        },
        "epochs": run.state.epoch,
        "best_epoch": run.state.best_epoch,
        "metrics": {k: v for k, v in best.items() if k in ("val", "test", "loss")},
        "wall_time_s": round(run.elapsed(), 1),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "trained_by": "ocrpad-train",
        "environment": training_environment(),  # what bit-for-bit reruns need the same
    }
    if run.environments_before:  # a resumed run: where its earlier sessions ran
        model.meta["environments_before"] = run.environments_before
    if init is not None:
        model.meta["init"] = _lineage(init)
    return model
