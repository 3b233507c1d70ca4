"""ocrpad-fit-reader under failure: a save that fails or is stopped half-way leaves the model
file as it was and no temp file beside it; a killed run's temp file goes with the next run."""

from __future__ import annotations

import errno
import json
import os
import signal
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_cli_train_eval import _save
from test_train import TINY, synthetic_strokes

from ocrpad.cli import fit_reader as fit_reader_cli
from ocrpad.cli import train as train_cli
from ocrpad.learning.recipe import Recipe


@pytest.fixture
def trained(tmp_path: Path) -> tuple[Path, Path]:
    """(a data folder, the tiny model ocrpad-train made of it)."""
    data = tmp_path / "unipen"
    data.mkdir()
    _save(synthetic_strokes(60), data / "unipen-train.npz")
    recipe = Recipe(epochs=1, batch_size=16, warmup_steps=2, model=TINY).to_dict()
    (tmp_path / "recipe.json").write_text(json.dumps(recipe))
    model = tmp_path / "runs" / "model.npz"
    flags = ["--config", str(tmp_path / "recipe.json"), "--no-test", "--render-in-thread"]
    assert train_cli.main(["--data", str(data), "--out", str(model), *flags]) == 0
    return data, model


def _fit(data: Path, model: Path) -> int:
    return fit_reader_cli.main(["--data", str(data), "--weights", str(model), "--out", str(model)])


def _break_the_write_of(
    target: Path, monkeypatch: pytest.MonkeyPatch, failure: Callable[[], None]
) -> list[str]:
    """Half-way through the atomic write of `target`, `failure()` happens; returns the temp
    files that write went through."""
    real_savez, real_mkstemp = np.savez, tempfile.mkstemp
    temp_files: list[str] = []

    def recording_mkstemp(*args: Any, **kwargs: Any) -> tuple[int, str]:
        fd, name = real_mkstemp(*args, **kwargs)
        temp_files.append(name)
        return fd, name

    def breaking_savez(file: Any, *args: Any, **kwargs: Any) -> None:
        if temp_files and Path(temp_files[-1]).name.startswith(f".{target.name}."):
            file.write(b"PK\x03\x04 half a model")
            failure()
        real_savez(file, *args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", recording_mkstemp)
    monkeypatch.setattr(np, "savez", breaking_savez)
    return temp_files


def _disk_full() -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def _terminated() -> None:
    signal.raise_signal(signal.SIGTERM)


@pytest.mark.parametrize(("failure", "code"), [(_disk_full, 2), (_terminated, 130)])
def test_a_save_that_fails_or_is_stopped_half_way_leaves_the_model_and_no_temp_file(
    trained: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    failure: Callable[[], None],
    code: int,
) -> None:
    data, model = trained
    before, handler = model.read_bytes(), signal.getsignal(signal.SIGTERM)
    temp_files = _break_the_write_of(model, monkeypatch, failure)
    assert _fit(data, model) == code
    assert temp_files and not any(Path(name).exists() for name in temp_files)
    assert sorted(p.name for p in model.parent.iterdir()) == ["model.npz", "model.npz.checkpoints"]
    assert model.read_bytes() == before
    said = capsys.readouterr().err
    assert ("No space left on device" if code == 2 else f"stopped; {model} was not changed") in said
    assert signal.getsignal(signal.SIGTERM) == handler  # the command's handler is gone again


def test_the_temp_file_of_a_killed_run_is_removed_by_the_next_run_and_no_one_elses(
    trained: tuple[Path, Path],
) -> None:
    data, model = trained
    killed = model.parent / ".model.npz.k1ll3d.tmp"  # a run killed (SIGKILL) while saving
    others = [model.parent / ".notes.tmp", model.parent / ".other.npz.x.tmp"]
    for path in (killed, *others):
        path.write_bytes(b"half")
        os.utime(path, (0, 0))
    assert _fit(data, model) == 0
    assert not killed.exists() and all(path.exists() for path in others)
