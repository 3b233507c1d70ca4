"""`ocrpad --self-test`: exit codes and messages for good, misreading, damaged, missing models."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ocrpad import resources
from ocrpad.__main__ import main
from ocrpad.launch import selftest
from ocrpad.model import ModelConfig, build_model
from ocrpad.preprocess import render_strokes


def _template_model(path: Path, labels: list[str] | None = None, shift: int = 0) -> Path:
    """A one-layer model whose class rows are the built-in drawings' own renderings.

    Each row is its drawing's 28x28 input scaled to unit length, so a drawing scores highest on
    its own row (Cauchy-Schwarz): the model reads every built-in drawing right. ``shift`` rolls
    the rows against the labels, which makes it read them wrong; ``labels`` may drop classes.
    """
    drawings = {d.label: d for d in selftest.load_drawings()}
    labels = sorted(drawings) if labels is None else labels
    templates = np.stack([render_strokes(drawings[c].strokes).ravel() for c in labels])
    templates /= np.linalg.norm(templates, axis=1, keepdims=True)  # (C, 784)
    config = ModelConfig(blocks=(), conv_dropout=0.0, hidden=())
    model = build_model(config, labels, np.random.default_rng(0))
    weight = np.roll(templates, shift, axis=0).astype(np.float32) * 50.0
    model.load_state_dict({"out.weight": weight, "out.bias": np.zeros(len(labels), np.float32)})
    model.save(path)
    return path


def _run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str]:
    status = main(["--self-test", *map(str, args)])
    return status, capsys.readouterr().out


def test_self_test_passes_with_a_model_that_reads_every_built_in_drawing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    weights = _template_model(tmp_path / "good.npz")
    status, out = _run(capsys, "--weights", weights, "--data-dir", tmp_path / "data")
    assert status == 0, out
    assert "recognised all" in out
    assert out.strip().endswith("self-test passed")
    assert (tmp_path / "data").is_dir()
    assert list((tmp_path / "data").iterdir()) == []  # the probe file is removed again


def test_self_test_fails_and_names_each_drawing_the_model_misreads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    weights = _template_model(tmp_path / "confused.npz", shift=1)
    status, out = _run(capsys, "--weights", weights, "--data-dir", tmp_path)
    assert status == 1
    drawings = selftest.load_drawings()
    assert f"{len(drawings)} of {len(drawings)} built-in drawings misread" in out
    for drawing in drawings:
        assert f"{drawing.name}: expected {drawing.label!r}, read " in out
    assert out.strip().endswith("self-test FAILED")


def test_self_test_fails_when_the_model_lacks_a_class_of_the_drawings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    labels = sorted({d.label for d in selftest.load_drawings()} - {"7"})
    weights = _template_model(tmp_path / "no7.npz", labels=labels)
    status, out = _run(capsys, "--weights", weights, "--data-dir", tmp_path)
    assert status == 1
    assert "digit 7: the model has no class '7'" in out


def test_self_test_fails_and_names_a_damaged_model_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    damaged = tmp_path / "damaged.npz"
    damaged.write_bytes(b"PK\x03\x04 this is not a model file")
    status, out = _run(capsys, "--weights", damaged, "--data-dir", tmp_path / "data")
    assert status == 1
    assert f"FAIL cannot load the model {damaged}" in out
    assert "ok   data folder" in out  # the other checks still run and report


def test_self_test_fails_for_a_truncated_model_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = _template_model(tmp_path / "good.npz").read_bytes()
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good[: len(good) // 2])
    status, out = _run(capsys, "--weights", truncated, "--data-dir", tmp_path / "data")
    assert status == 1
    assert str(truncated) in out


def test_self_test_fails_for_a_missing_model_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere.npz"
    status, out = _run(capsys, "--weights", missing, "--data-dir", tmp_path / "data")
    assert status == 1
    assert f"FAIL cannot load the model {missing}" in out


def test_self_test_fails_when_the_data_folder_cannot_be_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    weights = _template_model(tmp_path / "good.npz")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    status, out = _run(capsys, "--weights", weights, "--data-dir", blocker / "data")
    assert status == 1
    assert f"FAIL the data folder {blocker / 'data'} is not writable" in out
    assert "recognised all" in out
    assert "sample store" not in out  # no "ok, no store yet" for a folder that cannot be


def test_the_data_folder_defaults_to_the_environment_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(resources.DATA_DIR_ENV, str(tmp_path / "from-env"))
    status, out = _run(capsys, "--weights", _template_model(tmp_path / "good.npz"))
    assert status == 0, out
    assert f"data folder {tmp_path / 'from-env'} is writable" in out


def test_malformed_built_in_drawings_are_reported(tmp_path: Path) -> None:
    broken = tmp_path / "drawings.json"
    broken.write_text('{"drawings": [{"name": "x", "label": "x"}]}', encoding="utf-8")
    with pytest.raises(selftest.SelfTestError, match="cannot read the built-in drawings"):
        selftest.load_drawings(broken)


def test_the_self_test_needs_no_qt(tmp_path: Path) -> None:
    weights = _template_model(tmp_path / "good.npz")
    code = (
        "import sys; from ocrpad.__main__ import main; "
        f"status = main(['--self-test', '--weights', {str(weights)!r}, "
        f"'--data-dir', {str(tmp_path / 'data')!r}]); "
        "print(status, any(m.startswith('PySide6') for m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "0 False"


def test_the_shipped_model_passes_the_self_test(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if not resources.default_weights_path().is_file():
        pytest.skip(f"no shipped model yet at {resources.default_weights_path()}")
    status, out = _run(capsys, "--data-dir", tmp_path)
    assert status == 0, out


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the X11 plugin is Linux's")
def test_self_test_fails_when_the_x11_platform_plugin_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from ocrpad.launch import qt_libraries

    weights = _template_model(tmp_path / "good.npz")
    status, out = _run(capsys, "--weights", weights, "--data-dir", tmp_path / "data")
    assert status == 0 and "X11 platform plugin is in place" in out, out
    monkeypatch.setattr(qt_libraries, "xcb_plugin", lambda: None)
    status, out = _run(capsys, "--weights", weights, "--data-dir", tmp_path / "data")
    assert status == 1
    assert "libqxcb.so) is missing: the window cannot open on X11" in out
    assert "recognised all" in out  # the other checks still ran and passed
