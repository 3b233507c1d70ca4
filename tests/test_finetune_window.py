"""The window-level fine-tune timer: a real Train tab, its estimate, a click on Start."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from ocrpad.devtools.finetune_window import main, shown_seconds
from ocrpad.model import ConvBlock, ModelConfig, build_model


def test_the_estimate_is_read_back_from_the_tabs_sentence() -> None:
    assert shown_seconds("12 drawings … Fine-tuning will take about 25 s on this computer.") == 25
    assert shown_seconds("Fine-tuning will take about 3 min on this computer.") == 180
    assert shown_seconds("Measuring how long fine-tuning takes on this computer…") is None


@pytest.mark.data
def test_a_timed_fine_tune_in_the_window_prints_the_estimate_beside_the_time(
    qtbot: QtBot, unipen_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tiny = ModelConfig(blocks=(ConvBlock(4, pool=True),), hidden=(16,))
    weights = tmp_path / "tiny.npz"
    build_model(tiny, list("0123456789"), np.random.default_rng(0)).save(weights)
    args = ["--data", str(unipen_dir), "--drawings", "12", "--weights", str(weights), "--json"]
    assert main(args) == 0
    (row,) = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert row["drawings"] == 12 and row["steps"] >= 40  # a few drawings still get min_steps
    assert row["estimate"] > 0 and row["estimate_shown"] >= 5
    assert row["seconds"] >= row["fine_tune_seconds"] > 0
    assert set(row) >= {"prepare_seconds", "render_seconds", "steps_seconds", "load"}
