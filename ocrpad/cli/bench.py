"""``ocrpad-bench``: speed and memory of the engine, and of its PyTorch twin when importable.

Every figure is a median over interleaved rounds (ocrpad and PyTorch alternate), so a busy
machine slows both alike. Each measurement is one function. After the engine come the app's
figures: the real window's latency and stamina (offscreen, in a child process) and the
explanation timings (--no-gui and --no-explain skip those).
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from ocrpad import resources
from ocrpad.cli.arguments import whole_number
from ocrpad.cli.bench_memory import CHILD_WORKLOADS, measure_peak_memory, print_peak
from ocrpad.cli.helptext import Formatter, plain
from ocrpad.cli.output import quiet_when_the_reader_leaves
from ocrpad.devtools import layer_split
from ocrpad.devtools.bench_app import app_figures
from ocrpad.model import DEFAULT_LABELS, Model, ModelConfig, build_model
from ocrpad.nn import Adam, Conv2d, Dense, conv_rows, cross_entropy, parallel


class Engine(Protocol):
    name: str

    def infer(self, x: NDArray[np.float32]) -> NDArray[Any]: ...
    def train_step(self, x: NDArray[np.float32], y: NDArray[np.int64]) -> None: ...


class OcrpadEngine:
    name = "ocrpad"

    def __init__(self, model: Model) -> None:
        self.model = model
        self.optimizer = Adam(model, lr=1e-3)

    def infer(self, x: NDArray[np.float32]) -> NDArray[Any]:
        return self.model.network.predict(x)  # keeps nothing for backward, as torch's
        # inference_mode

    def train_step(self, x: NDArray[np.float32], y: NDArray[np.int64]) -> None:
        _, dlogits = cross_entropy(self.model.network.forward(x, training=True), y)
        self.model.network.backward(dlogits, need_input_grad=False)
        self.optimizer.step()


@dataclass(frozen=True)
class Settings:
    rounds: int  # interleaved rounds per measurement (the median is reported)
    latency_calls: int  # batch-1 calls per round


def resolve_config(arch: str) -> tuple[ModelConfig, list[str], str]:
    """(config, labels, description) for ``reference`` or the shipped weights' architecture."""
    if arch == "default":
        from ocrpad.nn import ModelFileError, load_arrays

        path = resources.default_weights_path()
        try:
            _, meta = load_arrays(path)
            return (
                ModelConfig.from_json(meta["config"]),
                list(meta["labels"]),
                f"default ({path.name})",
            )
        except (ModelFileError, KeyError, TypeError, ValueError) as exc:
            print(f"note: no usable default weights ({exc}); using the reference architecture")
    return ModelConfig(), list(DEFAULT_LABELS), "reference"


def make_engines(model: Model, with_torch: bool, torch_threads: int = 2) -> list[Engine]:
    engines: list[Engine] = [OcrpadEngine(model)]
    if with_torch:
        try:
            from ocrpad.devtools.torch_twin import TorchTwin
        except ImportError:
            return engines
        engines.append(TorchTwin(model, threads=torch_threads))
    return engines


def inputs(n: int, seed: int = 0) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    rng = np.random.default_rng(seed)
    x = rng.random((n, 1, 28, 28), dtype=np.float32)
    return x, rng.integers(0, len(DEFAULT_LABELS), n).astype(np.int64)


SETTLE_SECONDS = 0.3
"""Pause before each timed round: long enough for the previous engine's idle threads (BLAS
and OpenMP workers spin for a while after their last task) to go to sleep, so that neither
engine is timed while the other's threads still hold a core."""


clock = time.perf_counter
"""What every figure is timed with; ``--cpu-time`` makes it the process's CPU time."""


def interleaved(
    calls: dict[str, Callable[[], object]],
    rounds: int,
    inner: int,
    *,
    timer: Callable[[], float] | None = None,
) -> dict[str, float]:
    """Median seconds per call of each function, timed in alternating rounds by `timer`
    (None: the module's `clock`, as ``--cpu-time`` set it)."""
    now = clock if timer is None else timer
    for fn in calls.values():
        fn()  # warm-up: buffers, thread pools, lazy initialisation
    times: dict[str, list[float]] = {name: [] for name in calls}
    names = list(calls)
    for r in range(rounds):
        for name in names if r % 2 == 0 else names[::-1]:
            time.sleep(SETTLE_SECONDS)
            calls[name]()  # wake this engine's threads
            start = now()
            for _ in range(inner):
                calls[name]()
            times[name].append((now() - start) / inner)
    return {name: float(np.median(t)) for name, t in times.items()}


def measure_latency(engines: list[Engine], s: Settings) -> dict[str, float]:
    """Batch-1 inference latency in ms."""
    x, _ = inputs(1)
    secs = interleaved({e.name: partial(e.infer, x) for e in engines}, s.rounds, s.latency_calls)
    return {name: 1e3 * t for name, t in secs.items()}


def measure_throughput(engines: list[Engine], s: Settings, batch: int = 256) -> dict[str, float]:
    """Batch inference, images per second."""
    x, _ = inputs(batch)
    secs = interleaved({e.name: partial(e.infer, x) for e in engines}, s.rounds, 1)
    return {name: batch / t for name, t in secs.items()}


def measure_training(engines: list[Engine], s: Settings, batch: int = 128) -> dict[str, float]:
    """Training step (forward + backward + Adam), images per second."""
    x, y = inputs(batch)
    secs = interleaved({e.name: partial(e.train_step, x, y) for e in engines}, s.rounds, 1)
    return {name: batch / t for name, t in secs.items()}


def matmul_peak_gflops(size: int = 1024, repeats: int = 15) -> float:
    """Best float32 matrix-multiply rate of this machine through NumPy: the better of all BLAS
    threads on one product and one BLAS thread times the engine's thread count."""
    rng = np.random.default_rng(0)
    a, b = rng.random((size, size), np.float32), rng.random((size, size), np.float32)
    a @ b
    best_all = min(_timed(lambda: a @ b) for _ in range(repeats))
    with parallel.single_threaded_blas():
        best_one = min(_timed(lambda: a @ b) for _ in range(repeats))
    flop = 2 * size**3 / 1e9
    return max(flop / best_all, flop / best_one * parallel.threads())


def _timed(fn: Callable[[], object]) -> float:
    start = clock()
    fn()
    return clock() - start


def forward_flops(model: Model) -> int:
    """Multiply-add FLOPs (x2) of one image's forward pass through conv and dense layers."""
    x, _ = inputs(1)
    total = 0
    for (_, act), (_, layer) in zip(
        model.network.forward_with_activations(x), model.network.layers, strict=True
    ):
        if isinstance(layer, Conv2d):
            total += 2 * act.size * layer.in_channels * layer.kernel_size**2
        elif isinstance(layer, Dense):
            total += 2 * layer.in_features * layer.out_features
    return total


def run_child(spec: str, arch: str, torch_threads: int = 2) -> None:
    """The workload of :func:`measure_peak_memory`, printing {"peak_mb", "base_mb"}."""
    engine_name, kind = spec.split(":")
    config, labels, _ = resolve_config(arch)
    engines = make_engines(build_model(config, labels), engine_name == "torch", torch_threads)
    engine = next((e for e in engines if e.name == engine_name), None)
    if engine is None:
        raise LookupError(f"--child {spec}: PyTorch cannot be imported here")
    print_peak(engine, kind, inputs)


def _row(label: str, values: dict[str, float], fmt: str, ratio: str | None) -> str:
    """One table row; ``ratio`` is "time" (ocrpad/torch) or "rate" (torch/ocrpad)."""
    cells = [f"{label:<34}", f"{values['ocrpad']:>10{fmt}}"]
    if "torch" in values:
        cells.append(f"{values['torch']:>10{fmt}}")
        if ratio is not None:
            r = values["ocrpad"] / values["torch"]
            cells.append(f"{r if ratio == 'time' else 1 / r:>8.2f}")
    return " ".join(cells)


def report(args: argparse.Namespace) -> None:
    config, labels, description = resolve_config(args.arch)
    model = build_model(config, labels)
    engines = make_engines(model, not args.no_torch, args.torch_threads)
    s = Settings(rounds=5, latency_calls=20) if args.quick else Settings(15, 50)
    names = [e.name for e in engines]
    print(f"ocrpad-bench  architecture: {description}  classes: {len(labels)}")
    print(f"  {model.network!r}".replace("\n", "\n  "))
    print(
        f"numpy {np.__version__}, float32, engine threads {parallel.threads()}, "
        f"cpus {os.cpu_count()}, OpenBLAS kernel {parallel.blas_kernel()} (convolutions "
        f"{'from row windows where they fit' if conv_rows.rows_available() else 'from im2col'})"
    )
    if clock is time.process_time:
        print("timing: process CPU time, one thread per engine (not wall time)")
    if "OPENBLAS_CORETYPE" in os.environ:
        print(
            f"note: OPENBLAS_CORETYPE={os.environ['OPENBLAS_CORETYPE']} is set, which forces "
            "that kernel; unset it to measure the one this processor would get"
        )
    if "torch" in names:
        twin = engines[names.index("torch")]
        out = {e.name: e.infer(inputs(4)[0]) for e in engines}
        diff = float(np.abs(out["ocrpad"] - out["torch"]).max())
        print(
            f"{getattr(twin, 'description', 'torch')}, same weights loaded from the ocrpad "
            f"state_dict; max |logit difference| {diff:.2e}"
        )
    peak = matmul_peak_gflops()
    print(f"machine float32 matmul peak (numpy, 1024^3, best of runs): {peak:.1f} GFLOP/s\n")
    head = f"{'':<34} {'ocrpad':>10}" + (f" {'torch':>10} {'ratio':>8}" if "torch" in names else "")
    print(head + ("   (ratio: ocrpad time / torch time)" if "torch" in names else ""))
    latency = measure_latency(engines, s)
    print(_row("inference latency, batch 1 (ms)", latency, ".3f", "time"))
    throughput = measure_throughput(engines, s)
    print(_row("inference, batch 256 (images/s)", throughput, ".0f", "rate"))
    training = measure_training(engines, s)
    print(_row("training step, batch 128 (images/s)", training, ".0f", "rate"))
    flops = forward_flops(model)
    infer_gf = {n: v * flops / 1e9 for n, v in throughput.items()}
    train_gf = {n: v * 3 * flops / 1e9 for n, v in training.items()}
    for label, gflops in (
        ("inference GFLOP/s, batch 256", infer_gf),
        ("training GFLOP/s (~3x forward)", train_gf),
    ):
        print(_row(label, gflops, ".1f", None))
        share = {n: 100 * v / peak for n, v in gflops.items()}
        print(_row("  share of matmul peak (%)", share, ".1f", None))
    for kind, label in (("infer", "inference b256"), ("train", "training b128")):
        mem = {n: measure_peak_memory(n, kind, args) for n in names}
        if all(m is not None for m in mem.values()):
            peak_mb = {n: m["peak_mb"] for n, m in mem.items() if m is not None}
            extra = {n: m["peak_mb"] - m["base_mb"] for n, m in mem.items() if m is not None}
            print(_row(f"peak RSS, {label} process (MB)", peak_mb, ".0f", "time"))
            print(_row("  above after-import baseline (MB)", extra, ".0f", "time"))
    print(f"\nforward FLOPs per image: {flops / 1e6:.1f} M")
    if args.layers:
        layer_split.CLOCK[0] = clock
        layer_split.report_layer_split(model, "torch" in names, args.torch_threads, s.rounds)
    app_figures(model, gui=not args.no_gui, explain=not args.no_explain, drawings=args.recognitions)


@quiet_when_the_reader_leaves
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="ocrpad-bench", description=plain(__doc__), formatter_class=Formatter
    )
    parser.add_argument(
        "--arch",
        choices=["reference", "default"],
        default="default",
        help="reference: the task's reference network (2 conv layers, 32-64 channels, dense "
        "128); default: the architecture of the shipped weights",
    )
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--no-torch", action="store_true", help="skip the PyTorch twin")
    count = whole_number(1)  # a count of 0 or less would report figures of nothing
    parser.add_argument("--threads", type=count, default=None, help="engine threads (default: 2)")
    parser.add_argument("--torch-threads", type=count, default=2, help="PyTorch threads")
    parser.add_argument("--no-gui", action="store_true", help="skip the window's figures")
    parser.add_argument("--no-explain", action="store_true", help="skip explanation timings")
    parser.add_argument(
        "--layers", action="store_true", help="per-layer split of a training step (and torch's)"
    )
    parser.add_argument(
        "--recognitions", type=count, default=300, help="drawings for the window's figures"
    )
    parser.add_argument(
        "--cpu-time", action="store_true", help="CPU time, one thread per engine (busy machine)"
    )
    parser.add_argument("--child", choices=CHILD_WORKLOADS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.cpu_time:  # one thread each, so CPU time is the work done, unaffected by load
        global clock
        clock, args.threads, args.torch_threads = time.process_time, 1, 1
        parallel.set_blas_threads_for_small_batches(False)
    if args.threads is not None:
        parallel.set_threads(args.threads)
    if args.child:
        try:
            run_child(args.child, args.arch, args.torch_threads)
        except LookupError as exc:
            parser.error(str(exc))
    else:
        report(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
