"""ocrpad-train and ocrpad-eval end to end on tiny files in temporary folders."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from test_train import TINY, synthetic_strokes

from ocrpad.cli import eval as eval_cli
from ocrpad.cli import train as train_cli
from ocrpad.data.unipen import StrokeDataset
from ocrpad.learning.evaluate import METRIC_KEYS
from ocrpad.learning.recipe import Recipe
from ocrpad.model import load_model


def _save(data: StrokeDataset, path: Path) -> Path:
    np.savez(
        path,
        points=data.points,
        stroke_offsets=data.stroke_offsets,
        sample_stroke_offsets=data.sample_offsets,
        labels=data.labels.astype(np.int16),
        mapping=np.array(data.mapping),
        writer=data.writers,
    )
    return path


@pytest.fixture
def tiny_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "unipen"
    folder.mkdir()
    _save(synthetic_strokes(60), folder / "unipen-train.npz")
    _save(synthetic_strokes(15, seed=9), folder / "unipen-test.npz")
    config = Recipe(epochs=1, batch_size=16, warmup_steps=2, model=TINY).to_dict()
    (tmp_path / "recipe.json").write_text(json.dumps(config))
    return folder


def test_train_then_eval_writes_a_model_and_prints_the_json_keys(
    tiny_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tiny_folder.parent / "model.npz"
    config = tiny_folder.parent / "recipe.json"
    code = train_cli.main(["--data", str(tiny_folder), "--out", str(out), "--config", str(config)])
    assert code == 0 and out.is_file()
    assert (tiny_folder.parent / "model.npz.checkpoints" / "checkpoint.npz").is_file()
    assert (tiny_folder.parent / "model.npz.checkpoints" / "best-model.npz").is_file()
    model = load_model(out)
    assert model.labels == ["0", "1", "7"] and model.meta["epochs"] == 1
    capsys.readouterr()
    test_file = tiny_folder / "unipen-test.npz"
    png = tiny_folder.parent / "confusion.png"
    code = eval_cli.main(
        ["--data", str(test_file), "--weights", str(out), "--json", "--confusion", str(png)]
    )
    last = capsys.readouterr().out.strip().splitlines()[-1]
    result = json.loads(last)
    assert code == 0 and tuple(result) == (*METRIC_KEYS, "ece", "worst_class")
    assert result["samples"] == 15
    assert png.is_file()
    assert eval_cli.main(["--data", str(test_file), "--weights", str(out)]) == 0
    assert "most confused" in capsys.readouterr().out


def test_flags_override_the_config_file(
    tiny_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tiny_folder.parent / "recipe.json"
    args = ["--data", str(tiny_folder), "--out", "x.npz", "--config", str(config)]
    assert train_cli.main([*args, "--epochs", "7", "--center", "mass", "--print-recipe"]) == 0
    recipe = Recipe.from_dict(json.loads(capsys.readouterr().out))
    assert recipe.epochs == 7 and recipe.render.center == "mass" and recipe.model == TINY


def test_missing_files_give_a_clear_error_and_exit_code_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert eval_cli.main(["--data", str(tmp_path / "nope.npz"), "--weights", "x.npz"]) == 2
    assert "error" in capsys.readouterr().err
    assert train_cli.main(["--data", str(tmp_path), "--out", str(tmp_path / "m.npz")]) == 2
    assert "unipen-train.npz" in capsys.readouterr().err
