"""Reuse of large activation and gradient arrays from one batch to the next.

A training step allocates the same large arrays on every batch (each layer's output and each
input gradient, tens of MB at batch 128). Fresh memory costs more than it seems: the kernel
zeroes every new page on first touch, and the C allocator hands big blocks back to it when
they are freed. ``empty`` keeps the large arrays it hands out and gives one back out again
when nothing but the arena refers to it any more (no array, view or cache anywhere), so
sharing is impossible by construction. Small arrays (a single drawing's) are not kept.
"""

from __future__ import annotations

import math
import sys
import threading
from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

MIN_BYTES = 1 << 20
"""Arrays smaller than this are allocated normally."""

LIMIT_BYTES = 1 << 29
"""Most memory the arena keeps; past it, new arrays are not kept."""

_lock = threading.Lock()
_kept: dict[tuple[tuple[int, ...], str], list[NDArray[Any]]] = {}
_kept_bytes = 0


def _references_when_unused() -> int:
    """``sys.getrefcount`` of a kept array that nothing else refers to, measured the way
    :func:`_take` sees it (the count differs between Python versions)."""
    probe: list[NDArray[Any]] = [np.empty(1)]
    for array in probe:
        return sys.getrefcount(array)
    raise AssertionError("unreachable")


_UNUSED = _references_when_unused()


def _take(arrays: list[NDArray[Any]]) -> NDArray[Any] | None:
    """A kept array that nothing outside the arena refers to, or None."""
    for array in arrays:
        if sys.getrefcount(array) == _UNUSED:
            return array
    return None


def empty(shape: tuple[int, ...], dtype: DTypeLike) -> NDArray[Any]:
    """Like ``np.empty(shape, dtype)`` (contents undefined), reusing a kept array if one of
    this shape and dtype is unused."""
    global _kept_bytes
    dt = np.dtype(dtype)
    size = dt.itemsize * math.prod(shape)
    if size < MIN_BYTES:
        return np.empty(shape, dt)
    key = (tuple(shape), dt.str)
    with _lock:
        arrays = _kept.setdefault(key, [])
        found = _take(arrays)
        if found is not None:
            return found
        array = np.empty(shape, dt)
        if _kept_bytes + size <= LIMIT_BYTES:
            arrays.append(array)
            _kept_bytes += size
        return array


def kept_bytes() -> int:
    """Memory the arena holds now, in bytes (in use or not)."""
    return _kept_bytes


def clear() -> None:
    """Forget every kept array (each is freed once its last user lets go of it)."""
    global _kept_bytes
    with _lock:
        _kept.clear()
        _kept_bytes = 0
