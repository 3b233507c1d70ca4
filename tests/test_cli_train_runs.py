"""ocrpad-train run after run into one checkpoint folder: an earlier run's checkpoint is never
silently replaced nor silently continued; --restart sets it aside, renamed, never deleted."""

from __future__ import annotations

import errno
import json
import os
import platform
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_cli_train_eval import _save
from test_train import TINY, synthetic_strokes

from ocrpad.cli import train as train_cli
from ocrpad.learning.checkpoint import load_checkpoint
from ocrpad.learning.recipe import Recipe
from ocrpad.model import load_model
from ocrpad.nn import parallel


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Tiny training data (no test split) and a one-epoch recipe beside it."""
    data = tmp_path / "unipen"
    data.mkdir()
    _save(synthetic_strokes(40), data / "unipen-train.npz")
    recipe = Recipe(epochs=1, batch_size=16, warmup_steps=2, model=TINY).to_dict()
    (tmp_path / "recipe.json").write_text(json.dumps(recipe))
    return data


def _args(folder: Path, *flags: str) -> list[str]:
    out, config = folder.parent / "model.npz", folder.parent / "recipe.json"
    return ["--data", str(folder), "--out", str(out), "--config", str(config), *flags]


def _run(folder: Path, *flags: str) -> int:
    return train_cli.main(_args(folder, "--no-test", "--render-in-thread", *flags))


def test_a_rerun_into_an_earlier_runs_checkpoint_is_refused_naming_resume_and_restart(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(folder) == 0
    checkpoints = folder.parent / "model.npz.checkpoints"
    files = {p.name: p.read_bytes() for p in checkpoints.iterdir()}
    assert set(files) == {"checkpoint.npz", "best-model.npz"}
    model = (folder.parent / "model.npz").read_bytes()
    capsys.readouterr()
    assert _run(folder, "--seed", "5") == 2
    said = capsys.readouterr().err
    assert "holds an earlier run's checkpoint" in said
    assert f"--resume {checkpoints / 'checkpoint.npz'}" in said and "--restart" in said
    assert {p.name: p.read_bytes() for p in checkpoints.iterdir()} == files
    assert (folder.parent / "model.npz").read_bytes() == model


def test_restart_sets_the_earlier_runs_checkpoint_and_best_model_aside_and_begins_anew(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(folder) == 0
    checkpoints = folder.parent / "model.npz.checkpoints"
    earlier = {p.name: p.read_bytes() for p in checkpoints.iterdir()}
    capsys.readouterr()
    assert _run(folder, "--seed", "5", "--restart") == 0
    said = capsys.readouterr().out
    aside = sorted(checkpoints.glob("*.set-aside-*.npz"))
    assert [p.name.split(".")[0] for p in aside] == ["best-model", "checkpoint"]
    for path in aside:
        assert path.read_bytes() == earlier[path.name.split(".")[0] + ".npz"]
        assert f"aside as {path}" in said
    assert (checkpoints / "checkpoint.npz").read_bytes() != earlier["checkpoint.npz"]
    assert _run(folder, "--seed", "6", "--restart") == 0  # again: new names, none replaced
    assert len(list(checkpoints.glob("*.set-aside-*.npz"))) == 4


def test_resume_and_restart_together_are_a_usage_error(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        _run(folder, "--restart", "--resume", str(folder / "checkpoint.npz"))
    assert stopped.value.code == 2
    assert "give one of them" in capsys.readouterr().err


def test_a_checkpoint_that_cannot_be_written_stops_the_run_and_keeps_the_one_before(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk fills up half-way through the second checkpoint's write."""
    real_savez, real_mkstemp = np.savez, tempfile.mkstemp
    temp_files: list[str] = []  # the atomic writes' temp files, in order
    failed: list[str] = []

    def recording_mkstemp(*args: Any, **kwargs: Any) -> tuple[int, str]:
        fd, name = real_mkstemp(*args, **kwargs)
        temp_files.append(name)
        return fd, name

    def disk_full_at_the_second_checkpoint(file: Any, *args: Any, **kwargs: Any) -> None:
        checkpoint_writes = [n for n in temp_files if ".checkpoint.npz." in n]
        if len(checkpoint_writes) == 2 and not failed and temp_files[-1] in checkpoint_writes:
            failed.append(temp_files[-1])
            file.write(b"PK\x03\x04 half a checkpoint")
            raise OSError(errno.ENOSPC, "No space left on device")
        real_savez(file, *args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", recording_mkstemp)
    monkeypatch.setattr(np, "savez", disk_full_at_the_second_checkpoint)
    assert _run(folder, "--epochs", "2", "--checkpoint-every", "1") == 2
    checkpoints = folder.parent / "model.npz.checkpoints"
    checkpoint = checkpoints / "checkpoint.npz"
    said = capsys.readouterr().err
    assert f"error: {checkpoint}: No space left on device; stopped:" in said
    assert f"the last checkpoint saved, {checkpoint}, is intact" in said
    assert f"plus --resume {checkpoint}" in said and "Errno" not in said
    _, state, _ = load_checkpoint(checkpoint)  # the first one, whole
    assert (state.epoch, state.batch) == (0, 1)
    assert sorted(p.name for p in checkpoints.iterdir()) == ["checkpoint.npz"]  # no temp file
    assert failed and not (folder.parent / "model.npz").exists()
    monkeypatch.undo()
    assert (
        _run(folder, "--epochs", "2", "--checkpoint-every", "1", "--resume", str(checkpoint)) == 0
    )
    assert load_model(folder.parent / "model.npz").meta["epochs"] == 2


def test_the_model_file_records_the_environment_a_bit_for_bit_rerun_needs(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OCRPAD_THREADS", "1")
    monkeypatch.delenv("OPENBLAS_CORETYPE", raising=False)
    assert _run(folder) == 0
    for path in (
        folder.parent / "model.npz",
        folder.parent / "model.npz.checkpoints" / "best-model.npz",
    ):
        recorded = load_model(path).meta["environment"]
        assert recorded["numpy"] == np.__version__
        assert recorded["threads"] == parallel.threads()
        assert recorded["blas_threads"] == parallel.blas_threads()
        assert recorded["variables"] == {"OCRPAD_THREADS": "1"}
        assert recorded["blas_kernel"] == parallel.blas_kernel()
        assert recorded["python"] == platform.python_version()
        assert recorded["platform"] == platform.platform() and recorded["blas"]
        assert set(recorded) == {
            "numpy",
            "blas",
            "blas_kernel",
            "blas_threads",
            "threads",
            "variables",
            "python",
            "platform",
            "machine",
            "cpu_count",
        }


def test_a_resumed_run_records_where_each_of_its_sessions_ran(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The model file said only where the last session ran: a run resumed on another machine
    looked like a run of that machine alone."""
    monkeypatch.setenv("OCRPAD_THREADS", "1")
    monkeypatch.delenv("OPENBLAS_CORETYPE", raising=False)
    assert _run(folder) == 0
    first = load_model(folder.parent / "model.npz").meta
    assert "environments_before" not in first  # one session: its environment alone
    checkpoint = folder.parent / "model.npz.checkpoints" / "checkpoint.npz"
    monkeypatch.delenv("OCRPAD_THREADS")
    assert _run(folder, "--resume", str(checkpoint)) == 0
    resumed = load_model(folder.parent / "model.npz").meta
    assert resumed["environment"]["variables"] == {}
    assert resumed["environments_before"] == [first["environment"]]


def test_the_temp_file_of_a_run_killed_while_writing_its_model_goes_with_the_next_run(
    folder: Path,
) -> None:
    killed = folder.parent / ".model.npz.k1ll3d.tmp"  # SIGKILL while the model was written
    others = [folder.parent / ".notes.tmp", folder.parent / ".other.npz.x.tmp"]
    for path in (killed, *others):
        path.write_bytes(b"half")
        os.utime(path, (0, 0))
    assert _run(folder) == 0
    assert not killed.exists() and all(path.exists() for path in others)


def _stopping_after_one_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every run from now on stops (as at Ctrl-C) after its first batch, leaving a checkpoint."""
    asked: list[int] = []

    def requested(self: object) -> bool:
        asked.append(1)
        return len(asked) % 2 == 0  # asked before each batch: the second asks it to stop

    monkeypatch.setattr(train_cli._Stopper, "__call__", requested)


def test_resume_of_another_file_never_writes_over_the_checkpoint_folders_own_checkpoint(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run A checkpoints in a/, run B (another seed) in the default folder; resuming A with
    the default folder would have replaced B's checkpoint with A's."""
    _stopping_after_one_batch(monkeypatch)
    run_a = folder.parent / "a"
    assert _run(folder, "--epochs", "2", "--checkpoint-dir", str(run_a)) == 130
    assert _run(folder, "--epochs", "2", "--seed", "5") == 130
    checkpoints = folder.parent / "model.npz.checkpoints"
    run_b = {p.name: p.read_bytes() for p in checkpoints.iterdir()}
    capsys.readouterr()
    resumed = run_a / "checkpoint.npz"
    assert _run(folder, "--epochs", "2", "--resume", str(resumed)) == 2
    said = capsys.readouterr().err
    assert f"--resume {resumed} would write its checkpoints over {checkpoints}" in said
    assert f"--checkpoint-dir {run_a}" not in said  # a/ holds A's own: any free folder
    assert {p.name: p.read_bytes() for p in checkpoints.iterdir()} == run_b
    assert not (folder.parent / "model.npz").exists()
    copy = folder.parent / "saved" / "run-a.npz"  # a copy, alone in its folder
    copy.parent.mkdir()
    copy.write_bytes(resumed.read_bytes())
    assert _run(folder, "--epochs", "2", "--resume", str(copy)) == 2
    assert f"add --checkpoint-dir {copy.parent} to go on beside it" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in checkpoints.iterdir()} == run_b
    monkeypatch.undo()
    assert (
        _run(folder, "--epochs", "2", "--resume", str(copy), "--checkpoint-dir", str(copy.parent))
        == 0
    )
    assert {p.name: p.read_bytes() for p in checkpoints.iterdir()} == run_b
    assert load_model(folder.parent / "model.npz").meta["epochs"] == 2


def test_resume_of_the_folders_own_checkpoint_by_another_spelling_goes_on(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _stopping_after_one_batch(monkeypatch)
    assert _run(folder, "--epochs", "2") == 130
    monkeypatch.undo()
    spelled = folder / ".." / "model.npz.checkpoints" / "checkpoint.npz"
    assert _run(folder, "--epochs", "2", "--resume", str(spelled)) == 0
