"""`fit` refuses, before its first batch, what it cannot train on honestly: an empty training
split, drawings it cannot render or label, and a checkpoint of another run."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_cli_train_eval import _save
from test_train import _after, _damaged, synthetic_strokes, tiny_recipe

from ocrpad.cli import train as train_cli
from ocrpad.data.unipen import StrokeDataset, split_by_writer
from ocrpad.learning.fit import CHECKPOINT_NAME, fit


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


def _emptied(data: StrokeDataset, i: int) -> StrokeDataset:
    """`data` with drawing i's points removed (its stroke left empty)."""
    lengths = np.diff(data.stroke_offsets)
    stroke = int(data.sample_offsets[i])
    gone = np.arange(data.stroke_offsets[stroke], data.stroke_offsets[stroke + 1])
    lengths[stroke] = 0
    return dataclasses.replace(
        data,
        points=np.delete(data.points, gone, axis=0),
        stroke_offsets=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
    )


def _relabelled(data: StrokeDataset, i: int, label: int) -> StrokeDataset:
    labels = data.labels.copy()
    labels[i] = label
    return dataclasses.replace(data, labels=labels)


def _nan_point(data: StrokeDataset, i: int) -> StrokeDataset:
    points = data.points.copy()
    points[data.stroke_offsets[data.sample_offsets[i]] + 1] = np.nan
    return dataclasses.replace(data, points=points)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: _relabelled(d, 3, -1), r"drawing\(s\) 3 have label\(s\) -1, outside .*0\.\.2"),
        (lambda d: _relabelled(d, 5, 3), r"drawing\(s\) 5 have label\(s\) 3, outside"),
        (lambda d: _emptied(d, 4), r"drawing\(s\) 4 have no points"),
        (lambda d: _nan_point(d, 7), r"drawing\(s\) 7 have NaN or infinite points"),
    ],
    ids=["label -1", "label past the mapping", "no points", "NaN point"],
)
@pytest.mark.parametrize("role", ["training", "test"])
def test_drawings_that_cannot_be_used_are_named_before_training(
    damage: Callable[[StrokeDataset], StrokeDataset], message: str, role: str
) -> None:
    train, test = synthetic_strokes(24), synthetic_strokes(12, seed=3)
    if role == "training":
        train = damage(train)
    else:
        test = damage(test)
    steps: list[int] = []
    with pytest.raises(ValueError, match=rf"{role} data \(synthetic\.npz\): {message}"):
        fit(train, tiny_recipe(epochs=1), test=test, on_step=lambda e, s: steps.append(s.step))
    assert steps == []  # a label of -1 used to train through the whole run, then fail


def _stopped_run(folder: Path) -> Path:
    """A checkpoint in the middle of epoch 2 of 2 (3 batches per epoch) of the tiny recipe."""
    first = fit(
        synthetic_strokes(48), tiny_recipe(epochs=2), checkpoint_dir=folder, cancel=_after(4)
    )
    assert not first.completed
    return folder / CHECKPOINT_NAME


def test_resuming_on_other_drawings_or_classes_is_refused(tmp_path: Path) -> None:
    checkpoint = _stopped_run(tmp_path)
    others = synthetic_strokes(48, seed=1)  # same file checksum and classes, other drawings
    with pytest.raises(ValueError, match="trained on other drawings"):
        fit(others, tiny_recipe(epochs=2), resume=checkpoint)
    renamed = dataclasses.replace(synthetic_strokes(48), mapping=["0", "1", "8"])
    with pytest.raises(ValueError, match=r"classes differ .*class 2 was '7', is now '8'"):
        fit(renamed, tiny_recipe(epochs=2), resume=checkpoint)
    assert fit(synthetic_strokes(48), tiny_recipe(epochs=2), resume=checkpoint).completed


def test_a_checkpoint_from_before_fingerprints_is_checked_by_its_file_checksum(
    tmp_path: Path,
) -> None:
    checkpoint = _stopped_run(tmp_path)

    def forget(arrays: dict[str, Any], meta: dict[str, Any]) -> None:
        meta.pop("labels", None), meta.pop("data_fingerprint", None)

    _damaged(checkpoint, forget)
    other_file = dataclasses.replace(synthetic_strokes(48), checksum="another file")
    with pytest.raises(ValueError, match="trained on other drawings"):
        fit(other_file, tiny_recipe(epochs=2), resume=checkpoint)
    assert fit(synthetic_strokes(48), tiny_recipe(epochs=2), resume=checkpoint).completed


@pytest.mark.parametrize(
    "position",
    [
        {"batch": 10**6},
        {"batch": -5},
        {"epoch": -3},
        {"epoch": 7},
        {"step": -100},
        {"history": []},
        {"best_epoch": 9},
    ],
    ids=lambda p: ", ".join(f"{k}={v}" for k, v in p.items()),
)
def test_a_checkpoint_at_a_position_the_run_never_reaches_is_refused(
    tmp_path: Path, position: dict[str, Any]
) -> None:
    checkpoint = _stopped_run(tmp_path)
    _damaged(checkpoint, lambda arrays, meta: meta.update(position))
    with pytest.raises(ValueError, match=rf"{CHECKPOINT_NAME}: the checkpoint's position"):
        fit(synthetic_strokes(48), tiny_recipe(epochs=2), resume=checkpoint)
