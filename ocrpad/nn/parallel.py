"""Split work on a batch over a few threads (NumPy and BLAS release the GIL).

While a split runs, OpenBLAS is switched to one thread (through ctypes on the library NumPy
loaded) so the workers do not oversubscribe the cores; without OpenBLAS the split still works,
only less well. ``OCRPAD_THREADS`` (default: up to 2) sets the number of workers.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

_MIN_IMAGES_PER_PART = 4
_state_lock = threading.Lock()
_MAX_THREADS = 64


def _threads_from_environment() -> int:
    """``OCRPAD_THREADS`` if it is a whole number in 1..64, else the default (a bad value must
    not stop ocrpad from starting, nor start thousands of threads)."""
    default = min(2, os.cpu_count() or 1)
    text = os.environ.get("OCRPAD_THREADS", "").strip()
    if not (text.isascii() and text.isdecimal() and len(text) <= 3):
        return default
    return int(text) if 1 <= int(text) <= _MAX_THREADS else default


_threads = _threads_from_environment()
_pool: ThreadPoolExecutor | None = None
_active = 0
_saved_blas_threads = 0


class _Blas:
    """ctypes handles to OpenBLAS's get/set thread-count functions, if they can be found."""

    def __init__(self) -> None:
        self.get: Callable[[], int] | None = None
        self.set: Callable[[int], None] | None = None
        self.corename: Callable[[], bytes] | None = None
        with contextlib.suppress(OSError, AttributeError, ValueError):
            self._find()

    def _find(self) -> None:
        maps = Path("/proc/self/maps")
        if not maps.exists():
            return
        paths = {line.split()[-1] for line in maps.read_text().splitlines() if "openblas" in line}
        for path in sorted(paths):
            lib = ctypes.CDLL(path)
            for suffix in ("64_", "_64_", ""):
                getter = getattr(lib, f"scipy_openblas_get_num_threads{suffix}", None)
                setter = getattr(lib, f"scipy_openblas_set_num_threads{suffix}", None)
                if suffix == "":
                    getter = getattr(lib, "openblas_get_num_threads", getter)
                    setter = getattr(lib, "openblas_set_num_threads", setter)
                if getter is not None and setter is not None:
                    getter.restype, setter.restype = ctypes.c_int, None
                    setter.argtypes = [ctypes.c_int]
                    self.get, self.set = getter, setter
                    name = f"openblas_get_corename{suffix}"
                    corename = getattr(lib, f"scipy_{name}", None) or getattr(lib, name, None)
                    if corename is not None:
                        corename.restype = ctypes.c_char_p
                        self.corename = corename
                    return


_blas: _Blas | None = None


def set_threads(count: int) -> None:
    """Use ``count`` worker threads for batch splits (1 disables splitting)."""
    global _threads, _pool
    with _state_lock:
        _threads = min(max(1, count), _MAX_THREADS)
        if _pool is not None:
            _pool.shutdown(wait=True)
            _pool = None


def threads() -> int:
    return _threads


def blas_kernel() -> str:
    """The name of the CPU kernel OpenBLAS runs ("SkylakeX", "Haswell", ...), or "unknown"."""
    global _blas
    with _state_lock:
        if _blas is None:
            _blas = _Blas()
        corename = _blas.corename
    return corename().decode() if corename is not None else "unknown"


def blas_threads() -> int | None:
    """How many threads OpenBLAS runs a product on outside a split (inside one it runs on
    one), or None when its thread functions cannot be found."""
    global _blas
    with _state_lock:
        if _blas is None:
            _blas = _Blas()
        if _blas.get is None:
            return None
        return _saved_blas_threads if _active else int(_blas.get())


_local = threading.local()  # .in_part: this thread is running one part of a split


def _parts(n: int) -> int:
    """How many parts ``parallel_for`` splits n images into (1 inside a part: a split never
    splits again)."""
    if getattr(_local, "in_part", False):
        return 1
    return min(_threads, n // _MIN_IMAGES_PER_PART)


def part_bounds(n: int) -> list[int]:
    """The bounds ``parallel_for`` splits range(n) at: part i covers bounds[i]..bounds[i+1]."""
    parts = max(1, _parts(n))
    return [n * i // parts for i in range(parts + 1)]


def splits_batch(n: int) -> bool:
    """Whether ``parallel_for`` over a batch of n images uses more than one thread."""
    return _parts(n) > 1


_blas_threads_for_small_batches = False


def set_blas_threads_for_small_batches(enabled: bool) -> None:
    """Whether a batch too small to split may use BLAS's own threads (default: no).

    A batch too small to split runs its products on one BLAS thread unless this is turned
    on. A lone drawing's products are small (the shipped network's largest is 784 x 289 by
    289 x 32), and BLAS's second thread, still spinning on the other core after each one,
    slows the copies between them more than it speeds the products: on a 2-core AMD EPYC
    (OpenBLAS's Haswell kernel) batch-1 inference took 1.27 ms on one BLAS thread against
    1.42 on two, and batches of 2, 4 and 7 drawings 2.03 / 3.31 / 5.19 ms against 2.17 /
    3.51 / 5.52 (the two settings interleaved, medians of 15 rounds)."""
    global _blas_threads_for_small_batches
    _blas_threads_for_small_batches = enabled


class _BlasThreads:
    """The context manager ``blas_threads_for_batch`` returns: a class, not a generator-based
    context manager, since a lone drawing's pass enters it once per reading and the class
    costs about half as much (3.5 against 6.5 µs a use)."""

    __slots__ = ("_single",)

    def __init__(self, single: bool) -> None:
        self._single = single

    def __enter__(self) -> None:
        if self._single:
            _enter_single_threaded()

    def __exit__(self, *exc: object) -> None:
        if self._single:
            _leave_single_threaded()


def blas_threads_for_batch(n: int) -> _BlasThreads:
    """``with blas_threads_for_batch(n):`` the threading for a batch of n images: one BLAS
    thread per worker when the batch is split (the split provides the parallelism), and one
    BLAS thread too for a batch too small to split, unless
    :func:`set_blas_threads_for_small_batches` allows BLAS's own threads there."""
    return _BlasThreads(not (_blas_threads_for_small_batches and not splits_batch(n)))


def _enter_single_threaded() -> None:
    global _active, _saved_blas_threads, _blas
    with _state_lock:
        if _blas is None:
            _blas = _Blas()
        if _active == 0 and _blas.get is not None and _blas.set is not None:
            _saved_blas_threads = _blas.get()
            _blas.set(1)
        _active += 1


def _leave_single_threaded() -> None:
    global _active
    with _state_lock:
        _active -= 1
        if _active == 0 and _blas is not None and _blas.set is not None and _saved_blas_threads > 0:
            _blas.set(_saved_blas_threads)


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Run OpenBLAS on one thread inside the block (re-entrant, shared by all threads)."""
    _enter_single_threaded()
    try:
        yield
    finally:
        _leave_single_threaded()


def _get_pool(workers: int) -> ThreadPoolExecutor:
    global _pool
    with _state_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ocrpad-nn")
        return _pool


def _forget_pool_after_fork() -> None:
    """A forked child has no worker threads: start a fresh pool (and BLAS state) on demand."""
    global _pool, _active, _state_lock
    _pool, _active, _state_lock = None, 0, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_after_fork)


def parallel_for(n: int, work: Callable[[int, int, int], None]) -> int:
    """Run ``work(part, lo, hi)`` over contiguous chunks covering ``range(n)``.

    Returns the number of parts used (1 for small batches, a single thread, or a call from
    inside a part); the calling thread runs part 0 itself. Exceptions from any part propagate.
    """
    bounds = part_bounds(n)
    if len(bounds) <= 2:
        work(0, 0, n)
        return 1
    run_parts(bounds, work)
    return len(bounds) - 1


def run_parts(bounds: list[int], work: Callable[[int, int, int], None]) -> None:
    """Run ``work(part, bounds[part], bounds[part + 1])`` for every part at once, part 0 on
    the calling thread, BLAS on one thread each. Inside a part, ``parallel_for`` does not
    split again. Exceptions from any part propagate (after every part has ended)."""
    parts = len(bounds) - 1
    pool = _get_pool(parts - 1) if parts > 1 else None

    def in_part(part: int) -> None:
        previous = getattr(_local, "in_part", False)
        _local.in_part = True
        try:
            work(part, bounds[part], bounds[part + 1])
        finally:
            _local.in_part = previous

    with single_threaded_blas():
        futures = [] if pool is None else [pool.submit(in_part, i) for i in range(1, parts)]
        try:
            in_part(0)
        finally:
            for future in futures:
                future.result()
