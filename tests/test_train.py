"""fit(): learning, deterministic resume from checkpoints, cancel, and the model record."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ocrpad.data.unipen import StrokeDataset
from ocrpad.learning.checkpoint import load_checkpoint
from ocrpad.learning.fit import CHECKPOINT_NAME, fit
from ocrpad.learning.recipe import Recipe
from ocrpad.model import ConvBlock, ModelConfig, load_model
from ocrpad.nn import ModelFileError

TINY = ModelConfig(
    blocks=(ConvBlock(4, batchnorm=True, pool=True),), hidden=(16,), conv_dropout=0.1
)


def synthetic_strokes(n: int, seed: int = 0) -> StrokeDataset:
    """n drawings of '0' (circle), '1' (bar) and '7' (hook) by 2-sample 'writers'."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 2 * np.pi, 24)
    shapes = [
        np.stack([np.cos(t), 1.3 * np.sin(t)], 1),
        np.array([[0.0, -1.0], [0.05, 0.0], [0.0, 1.0]]),
        np.array([[-0.8, -1.0], [0.8, -1.0], [-0.1, 1.0]]),
    ]
    labels = np.arange(n) % 3
    strokes = [shapes[k] @ (np.eye(2) + rng.normal(0, 0.15, (2, 2))) * 40 for k in labels]
    return StrokeDataset(
        points=np.concatenate(strokes).astype(np.float32),
        stroke_offsets=np.concatenate([[0], np.cumsum([len(s) for s in strokes])]).astype(np.int64),
        sample_offsets=np.arange(n + 1, dtype=np.int64),
        labels=labels.astype(np.int64),
        mapping=["0", "1", "7"],
        writers=np.array([f"w{i // 2}" for i in range(n)]),
        checksum="synthetic",
        source="synthetic.npz",
    )


def tiny_recipe(**changes: object) -> Recipe:
    base = Recipe(epochs=3, batch_size=16, lr=5e-3, warmup_steps=2, ema_decay=0.9, model=TINY)
    return base.replace(**changes)


def test_a_short_run_lowers_the_training_loss() -> None:
    result = fit(synthetic_strokes(96), tiny_recipe(epochs=4, val_fraction=0.2))
    losses = [h["loss"] for h in result.history]
    assert result.completed and len(losses) == 4
    assert losses[-1] < 0.8 * losses[0]


def test_the_model_record_holds_recipe_render_data_and_metrics(tmp_path: Path) -> None:
    test = synthetic_strokes(12, seed=5)
    result = fit(synthetic_strokes(48), tiny_recipe(epochs=1), test=test)
    meta = result.model.meta
    assert meta["data"]["sha256"] == "synthetic" and meta["epochs"] == 1
    assert meta["render"] == tiny_recipe().render.to_dict()
    assert Recipe.from_dict(meta["recipe"]) == tiny_recipe(epochs=1)
    assert set(meta["metrics"]) >= {"val", "test"}
    result.model.save(tmp_path / "m.npz")
    assert load_model(tmp_path / "m.npz").meta["best_epoch"] == meta["best_epoch"]


def test_the_test_split_is_scored_once_with_the_chosen_weights() -> None:
    test = synthetic_strokes(30, seed=7)
    result = fit(synthetic_strokes(60), tiny_recipe(epochs=3, val_fraction=0.2), test=test)
    assert all("test" not in record for record in result.history)  # never seen while choosing
    images = test.render_all(tiny_recipe().render)[:, None]
    predicted = np.argmax(result.model.logits(images), axis=1)
    truth = np.array([result.model.labels.index(c) for c in test.characters()])
    expected = float(np.mean(predicted == truth))
    assert result.model.meta["metrics"]["test"]["accuracy"] == pytest.approx(expected)


def test_resuming_from_a_checkpoint_gives_the_same_weights_as_an_unbroken_run(
    tmp_path: Path,
) -> None:
    data = synthetic_strokes(48)
    straight = fit(data, tiny_recipe(epochs=2), checkpoint_dir=tmp_path / "a")
    # 3 batches per epoch: stop after the first batch of epoch 2, then resume from there
    first = fit(data, tiny_recipe(epochs=2), checkpoint_dir=tmp_path / "c", cancel=_after(4))
    assert not first.completed
    groups, state, _ = load_checkpoint(tmp_path / "c" / CHECKPOINT_NAME)
    assert (state.epoch, state.batch) == (1, 1)
    assert groups["model"] and groups["optim"] and groups["ema"] and groups["best"]
    resumed = fit(
        data,
        tiny_recipe(epochs=2),
        checkpoint_dir=tmp_path / "c",
        resume=tmp_path / "c" / CHECKPOINT_NAME,
    )
    assert resumed.completed and [h["epoch"] for h in resumed.history] == [1, 2]
    for key, value in straight.model.state_dict().items():
        np.testing.assert_array_equal(resumed.model.state_dict()[key], value, err_msg=key)

    # the resumed epoch's loss and accuracy cover all its batches, not only those after the
    # resume, so the record (and the model file's metrics) equal the unbroken run's
    def figures(history: list[dict[str, object]]) -> list[tuple[object, object]]:
        return [(h["loss"], h["train_accuracy"]) for h in history]

    assert figures(resumed.history) == figures(straight.history)
    assert resumed.model.meta["metrics"]["loss"] == straight.model.meta["metrics"]["loss"]


def _after(batches: int) -> object:
    """A cancel() that turns True after `batches` calls."""
    calls = {"n": 0}

    def cancel() -> bool:
        calls["n"] += 1
        return calls["n"] > batches

    return cancel


def test_resuming_with_a_different_recipe_is_refused(tmp_path: Path) -> None:
    data = synthetic_strokes(48)
    fit(data, tiny_recipe(epochs=1), checkpoint_dir=tmp_path)
    with pytest.raises(ValueError, match="lr"):
        fit(data, tiny_recipe(epochs=1, lr=0.1), resume=tmp_path / CHECKPOINT_NAME)


def test_cancelling_before_any_batch_writes_no_checkpoint(tmp_path: Path) -> None:
    result = fit(synthetic_strokes(48), tiny_recipe(), checkpoint_dir=tmp_path, cancel=lambda: True)
    assert not result.completed and result.history == []
    assert not (tmp_path / CHECKPOINT_NAME).exists()


def test_a_model_file_is_not_accepted_as_a_checkpoint(tmp_path: Path) -> None:
    result = fit(synthetic_strokes(24), tiny_recipe(epochs=1, val_fraction=0.0))
    result.model.save(tmp_path / "model.npz")
    with pytest.raises(ModelFileError, match="checkpoint"):
        fit(synthetic_strokes(24), tiny_recipe(), resume=tmp_path / "model.npz")


def _damaged(path: Path, change: Callable[[dict[str, Any], dict[str, Any]], None]) -> None:
    """Rewrite the checkpoint at `path` with change(arrays, meta) applied, as a foreign
    writer would (no checks)."""
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    meta = json.loads(str(arrays.pop("__meta__")))
    change(arrays, meta)
    np.savez(path, __meta__=np.array(json.dumps(meta)), **arrays)


@pytest.mark.parametrize(
    "change",
    [
        lambda arrays, meta: meta.update(epoch=float("inf")),
        lambda arrays, meta: meta.update(rng_state={"bit_generator": "PCG64", "state": 5}),
        lambda arrays, meta: meta.update(dropout_states=[{"bit_generator": "PCG64"}]),
        lambda arrays, meta: meta.update(dropout_states=[7]),
        lambda arrays, meta: arrays.pop("optim:steps"),
    ],
    ids=["infinite epoch", "rng state", "dropout state", "dropout not a state", "no steps"],
)
def test_a_damaged_checkpoint_is_refused_naming_the_file(
    tmp_path: Path, change: Callable[[dict[str, Any], dict[str, Any]], None]
) -> None:
    data = synthetic_strokes(48)
    fit(data, tiny_recipe(epochs=1), checkpoint_dir=tmp_path)
    checkpoint = tmp_path / CHECKPOINT_NAME
    _damaged(checkpoint, change)
    with pytest.raises(ModelFileError, match=str(checkpoint)):
        fit(data, tiny_recipe(epochs=2), resume=checkpoint)


def test_recipes_round_trip_through_json_dicts() -> None:
    recipe = tiny_recipe(label_smoothing=0.0)
    assert Recipe.from_dict(recipe.to_dict()) == recipe
    assert Recipe.from_dict({"model": "reference"}).model == ModelConfig()
    with pytest.raises(ValueError, match="unknown"):
        Recipe.from_dict({"epochz": 3})
