"""Which NumPy operations of the training pass let the GIL go: two threads against one.

    python -m ocrpad.devtools.gil_probe

A data-parallel training pass (``nn.data_parallel``) runs two threads at once, and an
operation that holds the GIL while it computes stalls the other thread for as long. Each
operation below runs 2n times on one thread, then n times on each of two threads at once
(BLAS on one thread each); the speedup is about 2 for one that lets the GIL go and computes,
about 1 for one that holds it (or is bound by memory bandwidth, as the element-wise ones
partly are: compare the pairs, not the rows). The shapes are the shipped network's
32-channel layers on a half batch. The figures vary with the machine; they are printed,
never asserted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np

from ocrpad.nn.parallel import single_threaded_blas

Operation = Callable[[], object]


def operations() -> dict[str, Operation]:
    """Named operations on arrays shaped as in the shipped network's training pass."""
    rng = np.random.default_rng(0)
    rows = rng.random((7840, 32), dtype=np.float32)  # ten 28x28 images, 32 channels
    ones = np.ones(len(rows), np.float32)
    cols = rng.random((7840, 288), dtype=np.float32)  # their 3x3 im2col columns
    weight = rng.random((288, 32), dtype=np.float32)
    out = np.empty((7840, 32), np.float32)
    return {
        "ones @ rows (vector-matrix matmul)": lambda: ones @ rows,
        "np.dot(ones, rows)": lambda: np.dot(ones, rows),
        "cols @ weight (matrix-matrix matmul)": lambda: np.matmul(cols, weight, out=out),
        "cols.T @ rows": lambda: cols.T @ rows,
    }


def speedup(operation: Operation, seconds: float = 0.3) -> tuple[float, float]:
    """(µs a call on one thread, speedup of two threads doing the same calls between them),
    with about `seconds` of calls on one thread."""

    def run(count: int) -> None:
        for _ in range(count):
            operation()

    with single_threaded_blas():
        start = time.perf_counter()
        run(3)  # also warms up
        calls = max(5, int(seconds / 2 / ((time.perf_counter() - start) / 3)))
        start = time.perf_counter()
        run(2 * calls)
        alone = time.perf_counter() - start
        threads = [threading.Thread(target=run, args=(calls,)) for _ in range(2)]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        together = time.perf_counter() - start
    return alone / (2 * calls) * 1e6, alone / together


def main() -> None:
    print(f"numpy {np.__version__}; two threads against one (about 2: the GIL is let go)")
    for name, operation in operations().items():
        micros, gain = speedup(operation)
        print(f"  {name:40s} {micros:9.1f} µs a call   speedup {gain:4.2f}")


if __name__ == "__main__":
    main()
