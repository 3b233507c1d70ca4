"""ocrpad-bench: its measurements run and its arithmetic is right (no timing assertions)."""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

import pytest

from ocrpad.cli import bench, bench_memory
from ocrpad.model import ConvBlock, ModelConfig, build_model


def test_forward_flops_of_the_reference_network() -> None:
    conv1 = 2 * 26 * 26 * 32 * 9
    conv2 = 2 * 24 * 24 * 64 * 32 * 9
    dense = 2 * (9216 * 128 + 128 * 62)
    assert bench.forward_flops(build_model()) == conv1 + conv2 + dense


def test_every_measurement_reports_the_ocrpad_engine() -> None:
    engines = bench.make_engines(build_model(), with_torch=False)
    settings = bench.Settings(rounds=1, latency_calls=1)
    for measure in (bench.measure_latency, bench.measure_throughput, bench.measure_training):
        figures = measure(engines, settings)
        assert set(figures) == {"ocrpad"} and figures["ocrpad"] > 0


def test_interleaved_timing_returns_the_median_seconds_per_call_of_each_function(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On a fake clock that only the calls move: the warm-up and each round's wake-up call
    (100 s each here) are not timed; a's rounds take 1, 5 and 2 s per call, b's 0.5 s."""
    monkeypatch.setattr(bench, "SETTLE_SECONDS", 0.0)
    now = [0.0]
    a_steps = iter([100.0, 100.0, 1.0, 1.0, 100.0, 4.0, 6.0, 100.0, 2.0, 2.0])

    def advance(seconds: float) -> None:
        now[0] += seconds

    calls = {"a": lambda: advance(next(a_steps)), "b": lambda: advance(0.5)}
    result = bench.interleaved(calls, rounds=3, inner=2, timer=lambda: now[0])
    assert result == {"a": 2.0, "b": 0.5}
    assert next(a_steps, None) is None  # one warm-up, then per round one wake-up and 2 timed


def test_the_memory_child_prints_its_peak_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--child", "ocrpad:infer", "--arch", "reference"]) == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["peak_mb"] >= figures["base_mb"] > 0


def test_the_memory_child_runs_with_the_threads_the_run_was_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ran: list[list[str]] = []

    def run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        ran.append(cmd)
        return subprocess.CompletedProcess(cmd, 0, '{"peak_mb": 2, "base_mb": 1}', "")

    monkeypatch.setattr(bench_memory.subprocess, "run", run)
    args = argparse.Namespace(arch="reference", threads=1, torch_threads=1)
    assert bench_memory.measure_peak_memory("ocrpad", "train", args) == {"peak_mb": 2, "base_mb": 1}
    command = " ".join(ran[0])
    assert "--child ocrpad:train --arch reference" in command
    assert "--threads 1" in command and "--torch-threads 1" in command


def test_the_reference_architecture_is_resolved_without_weights() -> None:
    config, labels, description = bench.resolve_config("reference")
    assert description == "reference" and len(labels) == 62
    assert config == build_model().config


def test_the_default_architecture_is_read_from_the_shipped_weights(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ocrpad import resources

    config = ModelConfig(blocks=(ConvBlock(8, batchnorm=True, pool=True),), hidden=(16,))
    build_model(config, list("xyz")).save(tmp_path / "w.npz")
    monkeypatch.setattr(resources, "default_weights_path", lambda: tmp_path / "w.npz")
    resolved, labels, description = bench.resolve_config("default")
    assert resolved == config and labels == ["x", "y", "z"] and "w.npz" in description


def test_missing_default_weights_fall_back_to_the_reference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ocrpad import resources

    monkeypatch.setattr(resources, "default_weights_path", lambda: tmp_path / "none.npz")
    assert bench.resolve_config("default")[2] == "reference"


def test_the_layer_split_times_every_layer_both_ways_and_the_whole_step() -> None:
    from ocrpad.devtools.layer_split import layer_split

    model = build_model()
    x, y = bench.inputs(8)
    split = layer_split(model, None, x, y, rounds=2)["ocrpad"]
    for name, _ in model.network.layers:
        assert split[f"{name} f"] >= 0 and split[f"{name} b"] >= 0
    assert split["step"] >= split["optimizer"] >= 0
    # the split ran on a copy: the model's own layers are not wrapped
    assert "forward_cl" not in vars(model.network.layers[0][1])


@pytest.mark.parametrize(
    "argv",
    [
        ["--recognitions", "0"],
        ["--recognitions", "-1"],
        ["--threads", "0"],
        ["--threads", "-3"],
        ["--torch-threads", "0"],
        ["--child", "ocrpad"],
        ["--child", "ocrpad:sleep"],
    ],
)
def test_counts_below_one_and_unknown_workloads_are_usage_errors(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--recognitions 0 used to print latencies of 0.0 ms (meeting the target); --threads 0
    silently ran with 1; a malformed --child crashed with a traceback."""
    ran: list[str] = []
    monkeypatch.setattr(bench, "report", lambda args: ran.append("report"))
    monkeypatch.setattr(bench, "run_child", lambda *args: ran.append("child"))
    with pytest.raises(SystemExit) as stopped:
        bench.main(argv)
    assert stopped.value.code == 2 and ran == []
    assert "usage: ocrpad-bench" in capsys.readouterr().err


def test_a_torch_child_without_torch_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(bench, "make_engines", lambda model, with_torch, threads=2: [])
    with pytest.raises(SystemExit) as stopped:
        bench.main(["--child", "torch:infer", "--arch", "reference"])
    assert stopped.value.code == 2
    assert "PyTorch cannot be imported" in capsys.readouterr().err


def test_the_window_bench_refuses_to_measure_no_recognitions(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ocrpad.devtools import bench_app, gui_bench

    def no_window(*args: object, **kwargs: object) -> None:
        raise AssertionError("a window or child process was started for nothing")

    monkeypatch.setattr(gui_bench, "throwaway_window", no_window)
    monkeypatch.setattr(bench_app.subprocess, "run", no_window)
    with pytest.raises(SystemExit) as stopped:
        gui_bench.main(["-n", "0"])
    assert stopped.value.code == 2 and "below 1" in capsys.readouterr().err
    with pytest.raises(ValueError, match="at least 1 recognition"):
        gui_bench.run_gui_bench(recognitions=0)
    with pytest.raises(ValueError, match="at least 1 recognition"):
        bench_app.gui_figures(None, 0)
