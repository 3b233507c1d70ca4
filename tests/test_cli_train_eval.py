"""ocrpad-train and ocrpad-eval end to end on tiny files in temporary folders."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from test_train import TINY, synthetic_strokes

from ocrpad.cli import eval as eval_cli
from ocrpad.cli import fit_reader as fit_reader_cli
from ocrpad.cli import train as train_cli
from ocrpad.data.unipen import StrokeDataset
from ocrpad.learning.evaluate import METRIC_KEYS
from ocrpad.learning.recipe import Recipe
from ocrpad.learning.render_process import RendererError
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
    killed = tiny_folder.parent / "model.npz.checkpoints" / ".checkpoint.npz.x1y2.tmp"
    killed.parent.mkdir()
    killed.write_bytes(b"a checkpoint write killed half-way")
    os.utime(killed, (0, 0))
    theirs = killed.with_name(".notes.tmp")  # another program's, in the same folder
    theirs.write_text("someone's unsaved notes")
    os.utime(theirs, (0, 0))
    code = train_cli.main(["--data", str(tiny_folder), "--out", str(out), "--config", str(config)])
    assert code == 0 and out.is_file()
    assert (tiny_folder.parent / "model.npz.checkpoints" / "checkpoint.npz").is_file()
    assert (tiny_folder.parent / "model.npz.checkpoints" / "best-model.npz").is_file()
    assert not killed.exists()  # cleaned up, not left to pile up run after run
    assert theirs.read_text() == "someone's unsaved notes"
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
    # a folder, as ocrpad-train takes it: its *-test.npz is read
    assert eval_cli.main(["--data", str(tiny_folder), "--weights", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == result
    assert eval_cli.main(["--data", str(test_file), "--weights", str(out)]) == 0
    assert "most confused" in capsys.readouterr().out


def test_a_shared_checkpoint_folder_keeps_other_programs_hidden_temp_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every hidden *.tmp older than 2 s in --checkpoint-dir was deleted, before --data was
    even read: a run that then failed had still removed another program's files."""
    shared = tmp_path / "shared"
    shared.mkdir()
    files = [shared / ".notes.tmp", shared / "visible.tmp", shared / ".best-model.npz.tmp"]
    for path in files:
        path.write_text("not ocrpad's")
        os.utime(path, (0, 0))
    out = str(tmp_path / "m.npz")
    missing = str(tmp_path / "missing")
    args = ["--data", missing, "--out", out, "--checkpoint-dir", str(shared)]
    assert train_cli.main(args) == 2
    assert "missing" in capsys.readouterr().err
    assert all(path.read_text() == "not ocrpad's" for path in files)


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
    assert eval_cli.main(["--data", str(tmp_path)]) == 2  # a folder without a test split
    assert "expected one *-test.npz file" in capsys.readouterr().err


def test_the_recipe_prints_without_data_or_an_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert train_cli.main(["--print-recipe", "--epochs", "3"]) == 0
    assert Recipe.from_dict(json.loads(capsys.readouterr().out)).epochs == 3
    with pytest.raises(SystemExit) as stop:
        train_cli.main(["--epochs", "3"])
    assert stop.value.code == 2
    assert "--data and --out are required" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--epochs", "-2"], "epochs = -2 is outside 1..10000"),
        (["--batch-size", "0"], "batch_size = 0 is outside"),
        (["--lr", "-0.1"], r"lr = -0.1 is outside \[0.0, 10.0\]"),
        (["--lr", "0"], "a rate of 0 trains nothing"),
        (["--coarse", "-0.5"], r"coarse = -0.5 is outside \[0.0, 1.0\]"),
        (["--seed", "-3"], "seed = -3 is outside"),
        (["--val-fraction", "1"], r"val_fraction = 1.0 is outside \[0.0, 1.0\)"),
    ],
)
def test_a_recipe_out_of_range_is_named_before_any_data_is_read(
    tmp_path: Path, flags: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--data", str(tmp_path / "none"), "--out", str(tmp_path / "m.npz")]
    assert train_cli.main([*args, *flags]) == 2
    assert re.search(message, capsys.readouterr().err)


@pytest.mark.parametrize(
    ("recipe", "message"),
    [
        ({"epochs": "many"}, "epochs must be a whole number, not 'many'"),
        ({"augmentation": 5}, "recipe augmentation must be an object of settings"),
        ({"augmentation": {"coarse_points": [1, 3]}}, r"coarse_points = \(1, 3\) must have 2"),
        ({"augmentation": {"bogus": 1}}, r"unknown augmentation keys: \['bogus'\]"),
        ({"model": {"blocks": 5}}, "blocks must be a list"),
        ({"model": {"bogus": 5}}, "recipe model: .*'bogus'"),
        ([1, 2], "a recipe is a JSON object of settings, not list"),
        ({"render": {"size": 32}}, r"render.size \(32\) must be the network's input size"),
        ("{not json", r"recipe.json: not a JSON recipe"),
    ],
)
def test_a_damaged_recipe_file_is_named_not_a_traceback(
    tmp_path: Path, recipe: object, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "recipe.json"
    config.write_text(recipe if isinstance(recipe, str) else json.dumps(recipe))
    assert train_cli.main(["--config", str(config), "--print-recipe"]) == 2
    assert re.search(message, capsys.readouterr().err)


def test_an_output_that_cannot_be_written_is_named_before_the_work(
    tiny_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file where a folder should be: found before training, fitting or evaluating starts."""
    blocker = tiny_folder.parent / "a-file"
    blocker.write_text("not a folder")
    out = blocker / "model.npz"
    config = tiny_folder.parent / "recipe.json"
    assert (
        train_cli.main(["--data", str(tiny_folder), "--out", str(out), "--config", str(config)])
        == 2
    )
    err = capsys.readouterr().err
    assert f"cannot write {out}: {blocker} is a file, not a folder" in err
    assert "training on" not in err
    assert train_cli.main(["--data", str(tiny_folder), "--out", str(tiny_folder)]) == 2
    assert "it is a folder" in capsys.readouterr().err
    test_file = str(tiny_folder / "unipen-test.npz")
    assert eval_cli.main(["--data", test_file, "--confusion", str(blocker / "c.png")]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
    assert fit_reader_cli.main(["--data", str(tiny_folder), "--out", str(out)]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
    assert not list(tiny_folder.parent.rglob("*.probe"))


def test_an_output_naming_an_input_is_refused_and_the_input_kept(
    tiny_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--out over --data replaced the drawings with a model, --confusion over them with a
    PNG; the same file by another name (a link, a folder's split file) is the same file."""
    train_file, test_file = tiny_folder / "unipen-train.npz", tiny_folder / "unipen-test.npz"
    config = tiny_folder.parent / "recipe.json"
    link = tiny_folder.parent / "link.npz"
    link.symlink_to(train_file)
    before = {p: p.read_bytes() for p in (train_file, test_file, config)}
    runs = [
        (train_cli, ["--data", str(train_file), "--out", str(link)], "--out", "--data"),
        (train_cli, ["--data", str(tiny_folder), "--out", str(test_file)], "--out", "--data"),
        (
            train_cli,
            ["--data", str(train_file), "--config", str(config), "--out", str(config)],
            "--out",
            "--config",
        ),
        (
            eval_cli,
            ["--data", str(test_file), "--confusion", str(test_file)],
            "--confusion",
            "--data",
        ),
        (fit_reader_cli, ["--data", str(tiny_folder), "--out", str(train_file)], "--out", "--data"),
    ]
    for command, args, output, source in runs:
        assert command.main(args) == 2
        err = capsys.readouterr().err.strip()
        assert "\n" not in err and f"{output} " in err
        assert f"is the file {source} reads" in err and "choose another file" in err
    assert {p: p.read_bytes() for p in before} == before
    assert not list(tiny_folder.parent.rglob("*.probe"))


@pytest.mark.parametrize(
    ("command", "flags", "message"),
    [
        (eval_cli, ["--batch-size", "0"], "argument --batch-size: 0 is below 1"),
        (eval_cli, ["--seed", "-1"], "argument --seed: -1 is below 0"),
        (eval_cli, ["--worst", "x"], "argument --worst: 'x' is not a whole number"),
        (eval_cli, ["--coarse", "1"], "argument --coarse: 1 is below 2"),
        (eval_cli, ["--coarse", "10000000000"], "argument --coarse: 10000000000 is above 10,000"),
        (fit_reader_cli, ["--seed", "-3", "--out", "m.npz"], "argument --seed: -3 is below 0"),
        (train_cli, ["--checkpoint-every", "0", "--out", "m.npz"], "is below 1"),
    ],
)
def test_counts_are_checked_as_arguments(
    command: ModuleType, flags: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stop:
        command.main(["--data", "x.npz", *flags])
    assert stop.value.code == 2 and message in capsys.readouterr().err


def test_a_reader_that_stops_early_is_not_an_error(tmp_path: Path) -> None:
    # `ocrpad-train --print-recipe | head`: the pipe is closed before the recipe is written
    command = [sys.executable, "-m", "ocrpad.cli.train", "--print-recipe"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as child:
        assert child.stdout is not None and child.stderr is not None
        child.stdout.close()
        errors = child.stderr.read()
        assert child.wait(timeout=60) == 1
    assert errors == b""  # no "Broken pipe", no traceback


def test_eval_says_when_no_drawing_is_of_the_set_it_answers_from(
    tiny_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    test_file = str(tiny_folder / "unipen-test.npz")  # digits
    assert eval_cli.main(["--data", test_file, "--charset", "symbols", "--json"]) == 0
    err = capsys.readouterr().err
    assert "none of these drawings is a character of the set 'symbols'" in err
    assert "choose theirs with --charset digits" in err  # what they are, not symbols again
    assert eval_cli.main(["--data", test_file, "--json"]) == 0
    assert "none of these drawings" not in capsys.readouterr().err
    only = ["--data", test_file, "--charset", "symbols", "--only-set", "--json"]
    assert eval_cli.main(only) == 2  # nothing to score: no figures of 0 drawings
    out, err = capsys.readouterr()
    assert out == "" and "ocrpad-eval: error: none of these drawings" in err


def test_eval_prints_its_figures_before_the_confusion_picture_whatever_its_name(
    tiny_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A name without .png once raised after the whole evaluation, and printed nothing."""
    test_file = str(tiny_folder / "unipen-test.npz")
    picture = tiny_folder.parent / "confusion"
    assert eval_cli.main(["--data", test_file, "--json", "--confusion", str(picture)]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["samples"] == 15
    assert picture.read_bytes().startswith(b"\x89PNG")


def test_eval_names_a_file_that_is_not_strokes_and_an_idx_labels_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not strokes\n", encoding="ascii")
    assert eval_cli.main(["--data", str(text)]) == 2
    assert "notes.txt: not a stroke file (.npz" in capsys.readouterr().err
    labels = tmp_path / "emnist-digits-test-labels-idx1-ubyte.gz"
    labels.write_bytes(b"\x00")
    assert eval_cli.main(["--data", str(labels)]) == 2
    assert "name its images file (emnist-digits-test-images-idx3-ubyte.gz)" in (
        capsys.readouterr().err
    )


def _train_args(folder: Path, out: Path, *flags: str) -> list[str]:
    """ocrpad-train's arguments for the tiny folder's recipe, rendering in a thread (no
    process to start)."""
    config = folder.parent / "recipe.json"
    return ["--data", str(folder), "--out", str(out), "--config", str(config), *flags]


def _train(folder: Path, out: Path, *flags: str) -> None:
    assert train_cli.main(_train_args(folder, out, *flags, "--render-in-thread")) == 0


def test_fit_reader_refits_on_the_drawings_a_limited_run_trained_on_and_refuses_other_data(
    tiny_folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redrawn from all the data, its validation writers were mostly ones the network had
    learnt, and its odds were calibrated on them without a word."""
    out = tiny_folder.parent / "limited.npz"
    _train(tiny_folder, out, "--limit", "40", "--no-test")
    fitted_on: list[int] = []
    real = fit_reader_cli.fit_reader

    def counting(model, data, **kwargs):  # type: ignore[no-untyped-def]
        fitted_on.append(len(data))
        return real(model, data, **kwargs)

    monkeypatch.setattr(fit_reader_cli, "fit_reader", counting)
    args = ["--data", str(tiny_folder), "--weights", str(out), "--out", str(out)]
    assert fit_reader_cli.main(args) == 0
    assert fitted_on == [40] and "trained on 40 of these 60 drawings" in capsys.readouterr().out
    other = tiny_folder.parent / "other"
    other.mkdir()
    _save(synthetic_strokes(60, seed=4), other / "other-train.npz")
    args = ["--data", str(other), "--weights", str(out), "--out", str(out)]
    assert fit_reader_cli.main(args) == 2
    assert "--data is not what this model was trained on" in capsys.readouterr().err


def test_fit_reader_says_what_is_wrong_with_data_it_cannot_split_instead_of_a_traceback(
    tiny_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one = tiny_folder.parent / "one.npz"  # a single writer: no one left to calibrate on
    data = synthetic_strokes(30)
    _save(data.subset(np.flatnonzero(data.writers == "w0")), one)
    out = tiny_folder.parent / "one-model.npz"
    config = tiny_folder.parent / "recipe.json"
    flags = ["--config", str(config), "--val-fraction", "0", "--render-in-thread"]
    assert train_cli.main(["--data", str(one), "--out", str(out), *flags]) == 0
    capsys.readouterr()
    assert fit_reader_cli.main(["--data", str(one), "--weights", str(out), "--out", str(out)]) == 2
    assert "ocrpad-fit-reader: error: the reader is fitted on some writers" in (
        capsys.readouterr().err
    )


def test_a_damaged_test_file_is_named_not_silently_skipped(
    tiny_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    test_file = tiny_folder / "unipen-test.npz"
    test_file.write_bytes(test_file.read_bytes()[:100])
    assert train_cli.main(_train_args(tiny_folder, tiny_folder.parent / "model.npz")) == 2
    assert "unipen-test.npz: cannot read stroke data" in capsys.readouterr().err


def test_a_stop_before_this_run_saved_anything_does_not_point_at_an_earlier_runs_checkpoint(
    tiny_folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tiny_folder.parent / "model.npz"
    _train(tiny_folder, out, "--no-test")
    capsys.readouterr()
    monkeypatch.setattr(train_cli._Stopper, "__call__", lambda self: True)  # Ctrl-C at once
    args = _train_args(tiny_folder, out, "--seed", "5", "--render-in-thread", "--restart")
    assert train_cli.main(args) == 130
    said = capsys.readouterr().out
    assert "set the earlier run's checkpoint aside as" in said
    assert "nothing of this run was saved" in said and "--resume" not in said.splitlines()[-1]


def test_a_second_ctrl_c_stops_at_once_without_a_traceback(
    tiny_folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(train_cli, "fit", interrupted)
    assert train_cli.main(_train_args(tiny_folder, tiny_folder.parent / "model.npz")) == 130
    assert "stopped at once; nothing of this run was saved" in capsys.readouterr().out


def test_files_given_to_the_wrong_option_or_command_say_which_is_right(
    tiny_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tiny_folder.parent / "model.npz"
    _train(tiny_folder, out, "--no-test")
    checkpoint = tiny_folder.parent / "model.npz.checkpoints" / "checkpoint.npz"
    capsys.readouterr()
    base = ["--data", str(tiny_folder), "--out", str(tiny_folder.parent / "again.npz")]
    assert train_cli.main([*base, "--resume", str(out)]) == 2  # a model, not a checkpoint
    assert "a model file to start from goes to --init-from" in capsys.readouterr().err
    assert train_cli.main([*base, "--init-from", str(tiny_folder / "missing.npz")]) == 2
    assert "--init-from " in capsys.readouterr().err
    test_file = str(tiny_folder / "unipen-test.npz")
    assert eval_cli.main(["--data", test_file, "--weights", str(checkpoint)]) == 2
    assert "a training checkpoint, not a model: use best-model.npz" in capsys.readouterr().err
    pictures = tiny_folder.parent / "emnist"
    pictures.mkdir()
    (pictures / "emnist-digits-train-images-idx3-ubyte.gz").write_bytes(b"")
    again = str(tiny_folder.parent / "again.npz")  # (out's folder holds a run: --restart)
    assert train_cli.main(["--data", str(pictures), "--out", again]) == 2
    assert "holds EMNIST or MNIST pictures, which carry no strokes" in capsys.readouterr().err


def test_a_renderer_killed_by_the_same_sigterm_is_a_stop_not_an_error(
    tiny_folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`kill -TERM -PGID` reaches the trainer and its renderer at once: the renderer's death
    was reported as an error, and no resume hint was given."""

    def killed(*args: object, **kwargs: object) -> None:
        signal.raise_signal(signal.SIGTERM)  # the trainer's handler asks for a stop
        raise RendererError("the batch renderer stopped (exit code -15)")

    monkeypatch.setattr(train_cli, "fit", killed)
    assert train_cli.main(_train_args(tiny_folder, tiny_folder.parent / "model.npz")) == 130
    said = capsys.readouterr()
    assert "stopped at once" in said.out and "error" not in said.err


def test_a_path_that_is_not_utf8_is_printed_escaped_on_a_strict_stdout(
    tiny_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Latin-1 folder name printed to a strict UTF-8 stdout (a usual desktop locale) was a
    UnicodeEncodeError in every command, ocrpad-train's before it had trained at all."""
    folder = tiny_folder.parent / os.fsdecode(b"caf\xe9")  # 'caf\udce9' to Python
    out = folder / "model.npz"
    stdout = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict")
    monkeypatch.setattr(sys, "stdout", stdout)
    assert train_cli.main(_train_args(tiny_folder, out, "--render-in-thread")) == 0
    assert eval_cli.main(["--data", str(tiny_folder), "--weights", str(out)]) == 0
    refit = ["--data", str(tiny_folder), "--weights", str(out), "--out", str(out)]
    assert fit_reader_cli.main(refit) == 0
    stdout.flush()
    lines = stdout.buffer.getvalue().decode("utf-8").splitlines()  # type: ignore[attr-defined]
    escaped = str(out).replace("caf\udce9", "caf\\udce9")
    assert f"wrote {escaped} (best epoch 1)" in lines and f"wrote {escaped}" in lines
    assert any(line.startswith(f"{escaped} · history none") for line in lines)
    assert any(line.startswith("training on 60 samples; checkpoints in ") for line in lines)
