"""Training that starts from a model file, and training on several data folders at once."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from test_cli_train_eval import _save
from test_train import synthetic_strokes, tiny_recipe

from ocrpad.cli import train as train_cli
from ocrpad.data.combine import concat_datasets, load_split
from ocrpad.data.unipen import DatasetFileError, StrokeDataset, file_checksum
from ocrpad.learning.fit import fit
from ocrpad.learning.recipe import Recipe
from ocrpad.model import load_model


def _symbols(n: int, seed: int = 3) -> StrokeDataset:
    """n drawings of '-' (a bar across) and '+' by the same 2-sample writers as the digits."""
    digits = synthetic_strokes(n, seed)
    rng = np.random.default_rng(seed)
    strokes, counts = [], []
    for i in range(n):
        bar = np.array([[-1.0, 0.0], [0.0, 0.02], [1.0, 0.0]]) * 40 + rng.normal(0, 2, (3, 2))
        strokes.append(bar)
        if i % 2:
            strokes.append(bar[:, ::-1].copy())
        counts.append(1 + i % 2)
    return dataclasses.replace(
        digits,
        points=np.concatenate(strokes).astype(np.float32),
        stroke_offsets=np.concatenate([[0], np.cumsum([len(s) for s in strokes])]).astype(np.int64),
        sample_offsets=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        labels=(np.arange(n) % 2).astype(np.int64),
        mapping=["-", "+"],
        checksum="symbols",
    )


def test_combined_datasets_keep_every_drawing_under_its_own_character() -> None:
    digits, symbols = synthetic_strokes(6), _symbols(4)
    both = concat_datasets([digits, symbols])
    assert both.mapping == ["0", "1", "7", "-", "+"] and len(both) == 10
    assert both.characters() == digits.characters() + symbols.characters()
    for i in range(4):
        np.testing.assert_array_equal(both.flat(6 + i)[0], symbols.flat(i)[0])
        np.testing.assert_array_equal(both.flat(6 + i)[1], symbols.flat(i)[1])
    assert both.writers.tolist() == digits.writers.tolist() + symbols.writers.tolist()
    assert both.checksum not in (digits.checksum, symbols.checksum)


def test_a_missing_split_is_named(tmp_path: Path) -> None:
    with pytest.raises(DatasetFileError, match=r"unipen-train\.npz"):
        load_split([tmp_path], "train")
    assert load_split([tmp_path], "test") is None


def test_a_warm_start_keeps_what_the_model_knew_and_learns_the_new_classes() -> None:
    base = fit(synthetic_strokes(96), tiny_recipe(epochs=4, val_fraction=0.0)).model
    base.extras = {"reader.bias": np.zeros(3, np.float32)}  # a reader fitted to the old network
    data = concat_datasets([synthetic_strokes(96, seed=5), _symbols(96)])
    recipe = tiny_recipe(epochs=3, lr=2e-3, val_fraction=0.0, init_sha256="abc")
    grown = fit(data, recipe, init=base).model
    assert grown.labels == ["0", "1", "7", "-", "+"]
    assert grown.meta["init"]["labels"] == 3
    assert grown.extras == {} and "reader" not in grown.meta  # ocrpad-fit-reader refits it
    assert grown.meta["init"]["recipe"] == base.meta["recipe"]
    test = concat_datasets([synthetic_strokes(30, seed=11), _symbols(30, seed=12)])
    guesses = np.argmax(grown.predict_proba(test.render_all()[:, None]), axis=1)
    truth = np.array([grown.labels.index(c) for c in test.characters()])
    assert np.mean(guesses[:30] == truth[:30]) >= 0.9  # the digits it knew
    assert np.mean(guesses[30:] == truth[30:]) >= 0.9  # the symbols it learnt


def test_a_warm_start_needs_the_recipes_architecture() -> None:
    base = fit(synthetic_strokes(24), tiny_recipe(epochs=1, val_fraction=0.0)).model
    with pytest.raises(ValueError, match="architecture"):
        fit(synthetic_strokes(24), Recipe(epochs=1, val_fraction=0.0), init=base)


def test_ocrpad_train_combines_folders_and_starts_from_a_model_file(tmp_path: Path) -> None:
    digits, symbols = tmp_path / "unipen", tmp_path / "unipen-symbols"
    digits.mkdir()
    symbols.mkdir()
    _save(synthetic_strokes(48), digits / "unipen-train.npz")
    _save(_symbols(24), symbols / "unipen-symbols-train.npz")
    config = tmp_path / "recipe.json"
    config.write_text(json.dumps(tiny_recipe(epochs=1, val_fraction=0.0).to_dict()))
    base = tmp_path / "base.npz"
    assert train_cli.main(["--data", str(digits), "--out", str(base), "--config", str(config)]) == 0
    out = tmp_path / "grown.npz"
    args = [
        "--data",
        str(digits),
        "--data",
        str(symbols),
        "--out",
        str(out),
        "--config",
        str(config),
    ]
    assert train_cli.main([*args, "--init-from", str(base), "--coarse", "0.4", "--no-test"]) == 0
    grown = load_model(out)
    assert grown.labels == ["0", "1", "7", "-", "+"]
    recipe = Recipe.from_dict(grown.meta["recipe"])
    assert recipe.init_sha256 == file_checksum(base) and recipe.augmentation.coarse == 0.4
    assert grown.meta["data"]["samples"] == 72
