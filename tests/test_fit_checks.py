"""`fit` refuses, before its first batch, what it cannot train on honestly: an empty training
split, or no validation split when the recipe asks for one."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from test_cli_train_eval import _save
from test_train import synthetic_strokes, tiny_recipe

from ocrpad.cli import train as train_cli
from ocrpad.data.unipen import StrokeDataset, split_by_writer
from ocrpad.learning.fit import fit


def _one_writer(data: StrokeDataset) -> StrokeDataset:
    return dataclasses.replace(data, writers=np.full(len(data), "only"))


def test_the_writer_split_always_keeps_a_writer_to_train_on() -> None:
    rng = np.random.default_rng
    keep, held = split_by_writer(np.array(["a"] * 5), 0.05, rng(0))
    assert keep.tolist() == [0, 1, 2, 3, 4] and held.size == 0
    keep, held = split_by_writer(np.array(["a", "a", "b"]), 0.99, rng(0))
    assert len(keep) and len(held) and len(keep) + len(held) == 3


def test_drawings_by_one_writer_need_validation_turned_off() -> None:
    data = _one_writer(synthetic_strokes(12))
    steps: list[int] = []
    with pytest.raises(ValueError, match=r"one writer \('only'\).*--val-fraction 0"):
        fit(data, tiny_recipe(epochs=1), on_step=lambda e, s: steps.append(s.step))
    assert steps == []  # it used to train on nothing and report a loss of 0
    result = fit(data, tiny_recipe(epochs=1, val_fraction=0.0))
    assert result.completed and result.history[0]["loss"] > 0


def test_ocrpad_train_on_one_drawing_fails_instead_of_writing_an_untrained_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "unipen"
    folder.mkdir()
    _save(synthetic_strokes(30), folder / "unipen-train.npz")
    out = tmp_path / "out" / "m.npz"
    argv = ["--data", str(folder), "--limit", "1", "--epochs", "1", "--no-test"]
    code = train_cli.main([*argv, "--out", str(out), "--checkpoint-every", "1"])
    assert code == 2 and not out.exists()
    assert "one writer" in capsys.readouterr().err
