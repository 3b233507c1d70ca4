"""Per-layer split of one training step, ocrpad against its PyTorch twin (``ocrpad-bench
--layers``): where the time of a step goes, layer by layer, forward and backward.

ocrpad's layers are timed by wrapping each layer's channels-last passes; PyTorch's by module
hooks around each module's forward and backward. When the engine's training pass runs
data-parallel (a thread per part of the batch), ocrpad's figures are those of part 0 (the
calling thread, half the batch on two threads), waits for the other part included. Each
figure is the median over interleaved steps (the engines alternate, so a busy machine slows
both alike).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ocrpad.model import Model
from ocrpad.nn import Adam, Layer, cross_entropy

CLOCK: list[Callable[[], float]] = [time.perf_counter]
"""The timer (``ocrpad-bench --cpu-time`` puts the process's CPU time here)."""

Timings = dict[str, list[float]]  # "<layer> f" / "<layer> b" / "step" -> seconds per step


def _timed(fn: Callable[..., Any], key: str, times: Timings) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        start = CLOCK[0]()
        result = fn(*args, **kwargs)
        times[key].append(CLOCK[0]() - start)
        return result

    return run


def ocrpad_step(
    model: Model, times: Timings
) -> Callable[[NDArray[np.float32], NDArray[np.int64]], None]:
    """A training step (forward, backward, Adam) whose layers record their times."""
    optimizer = Adam(model, lr=1e-3)
    for name, layer in model.network.layers:
        _instrument(layer, name, times)

    def step(x: NDArray[np.float32], y: NDArray[np.int64]) -> None:
        _, dlogits = cross_entropy(model.network.forward(x, training=True), y)
        model.network.backward(dlogits, need_input_grad=False)
        start = CLOCK[0]()
        optimizer.step()
        times["optimizer"].append(CLOCK[0]() - start)
        # a data-parallel pass made copies of the layers: time part 0's from the next step
        copies = model.network.part_layers(0)
        for (name, _), layer in zip(model.network.layers, copies, strict=bool(copies)):
            if "forward_cl" not in vars(layer):
                _instrument(layer, name, times)

    return step


def _instrument(layer: Layer, name: str, times: Timings) -> None:
    # instance attributes shadow the class's methods for this model only
    layer.forward_cl = _timed(layer.forward_cl, f"{name} f", times)  # type: ignore[method-assign]
    layer.backward_cl = _timed(layer.backward_cl, f"{name} b", times)  # type: ignore[method-assign]


def torch_step(
    twin: Any, times: Timings
) -> Callable[[NDArray[np.float32], NDArray[np.int64]], None]:
    """The twin's training step with forward and backward hooks on every module."""
    starts: dict[str, float] = {}

    def hooks(
        name: str,
    ) -> tuple[Callable[..., None], Callable[..., None], Callable[..., None], Callable[..., None]]:
        def fwd_start(*_: Any) -> None:
            starts[name + " f"] = CLOCK[0]()

        def fwd_end(*_: Any) -> None:
            times[name + " f"].append(CLOCK[0]() - starts[name + " f"])

        def bwd_start(*_: Any) -> None:
            starts[name + " b"] = CLOCK[0]()

        def bwd_end(*_: Any) -> None:
            if name + " b" in starts:
                times[name + " b"].append(CLOCK[0]() - starts.pop(name + " b"))

        return fwd_start, fwd_end, bwd_start, bwd_end

    for name, module in twin.net.named_children():
        fwd_start, fwd_end, bwd_start, bwd_end = hooks(name)
        module.register_forward_pre_hook(fwd_start)
        module.register_forward_hook(fwd_end)
        module.register_full_backward_pre_hook(bwd_start)
        module.register_full_backward_hook(bwd_end)

    def step(x: NDArray[np.float32], y: NDArray[np.int64]) -> None:
        twin.train_step(x, y)

    return step


def layer_split(
    model: Model, twin: Any | None, x: NDArray[np.float32], y: NDArray[np.int64], rounds: int
) -> dict[str, dict[str, float]]:
    """{"ocrpad" | "torch": {key: median ms}} for every layer's forward and backward, the
    optimizer (ocrpad) and the whole step."""
    times: dict[str, Timings] = {"ocrpad": defaultdict(list)}
    steps = {"ocrpad": ocrpad_step(model.copy(), times["ocrpad"])}
    if twin is not None:
        times["torch"] = defaultdict(list)
        steps["torch"] = torch_step(twin, times["torch"])
    for name, step in steps.items():
        step(x, y)  # warm-up
        times[name].clear()
    for r in range(rounds):
        for name in list(steps) if r % 2 == 0 else list(steps)[::-1]:
            time.sleep(0.3)  # let the other engine's threads go idle
            marks = {key: len(values) for key, values in times[name].items()}
            steps[name](x, y)  # then wake this engine's threads (as the bench does), unrecorded
            for key, values in times[name].items():
                del values[marks.get(key, 0) :]
            start = CLOCK[0]()
            steps[name](x, y)
            times[name]["step"].append(CLOCK[0]() - start)
    return {
        name: {key: 1e3 * float(np.median(values)) for key, values in engine.items()}
        for name, engine in times.items()
    }


def print_layer_split(split: dict[str, dict[str, float]], model: Model) -> None:
    engines = list(split)
    print("\nper-layer split of a training step, median ms (f: forward, b: backward)")
    print(f"{'layer':<14}" + "".join(f" {e + ' f':>10} {e + ' b':>10}" for e in engines))
    for name, _ in model.network.layers:
        cells = "".join(
            f" {split[e].get(name + ' f', float('nan')):>10.2f}"
            f" {split[e].get(name + ' b', float('nan')):>10.2f}"
            for e in engines
        )
        print(f"{name:<14}{cells}")
    if "optimizer" in split["ocrpad"]:
        print(f"{'optimizer':<14} {split['ocrpad']['optimizer']:>10.2f}")
    print(f"{'whole step':<14}" + "".join(f" {split[e]['step']:>21.2f}" for e in engines))


def report_layer_split(model: Model, with_torch: bool, torch_threads: int, rounds: int) -> None:
    """Measure and print the split at batch 128 (a fresh twin, so the hooks slow no other
    figure)."""
    twin = None
    if with_torch:
        try:
            from ocrpad.devtools.torch_twin import TorchTwin
        except ImportError:
            pass
        else:
            twin = TorchTwin(model, threads=torch_threads)
    rng = np.random.default_rng(0)
    x = rng.random((128, 1, model.config.input_size, model.config.input_size), dtype=np.float32)
    y = rng.integers(0, model.num_classes, 128).astype(np.int64)
    print_layer_split(layer_split(model, twin, x, y, rounds), model)
