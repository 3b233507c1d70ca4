"""`ocrpad-bench`'s memory figures: the peak resident memory of a fresh process that runs one
workload, above what it held once everything was imported and the network built (Linux)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any, Final

CHILD_WORKLOADS: Final = ("ocrpad:infer", "ocrpad:train", "torch:infer", "torch:train")
"""The values of the hidden ``--child ENGINE:KIND`` (anything else is a usage error)."""


def measure_peak_memory(
    engine: str, kind: str, args: argparse.Namespace
) -> dict[str, float] | None:
    """Peak RSS (MB) of a fresh process that runs one workload (``infer`` or ``train``) with
    the thread settings of this run (``args``: --arch, --threads, --torch-threads; --cpu-time
    has set both to one); None when the child fails."""
    cmd = [sys.executable, "-m", "ocrpad.cli.bench", "--child", f"{engine}:{kind}"]
    cmd += ["--arch", args.arch, "--torch-threads", str(args.torch_threads)]
    if args.threads is not None:
        cmd += ["--threads", str(args.threads)]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        return None
    values: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return values


def print_peak(engine: Any, kind: str, inputs: Callable[[int], tuple[Any, Any]]) -> None:
    """In the child: run `engine`'s workload five times on `inputs(n)` (batch 256 to infer,
    128 to train) and print {"peak_mb", "base_mb"}: the high-water RSS, and the RSS before."""
    base = _status_mb("VmRSS")
    x, y = inputs(256 if kind == "infer" else 128)
    for _ in range(5):
        engine.infer(x) if kind == "infer" else engine.train_step(x, y)
    peak = _status_mb("VmHWM")  # high-water RSS of this process image (ru_maxrss would
    # include the forking parent's RSS)
    print(json.dumps({"peak_mb": peak, "base_mb": base}))


def _status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status (Linux), in MB."""
    with open("/proc/self/status") as f:  # noqa: PTH123 (Linux-only figure, read directly)
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024  # kB
    return float("nan")
