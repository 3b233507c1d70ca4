"""Reuse of large activation and gradient arrays from one batch to the next.

A training step allocates the same large arrays on every batch (each layer's output and each
input gradient, tens of MB at batch 128). Fresh memory costs more than it seems: the kernel
zeroes every new page on first touch, and the C allocator hands big blocks back to it when
they are freed. ``empty`` keeps the large arrays it hands out and gives one back out again
when nothing but the arena refers to it any more (no array, view or cache anywhere), so
sharing is impossible by construction.

Only code inside ``reuse()`` (Sequential's training passes) takes part: there the shapes
repeat batch after batch. Elsewhere (inference, explanations) shapes vary from call to call
and kept arrays would only hold memory; small arrays (a single drawing's) are never kept.
"""

from __future__ import annotations

import contextlib
import math
import sys
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

MIN_BYTES = 1 << 20
"""Arrays smaller than this are allocated normally."""

LIMIT_BYTES = 1 << 29
"""Most memory the arena keeps; past it, unused arrays are let go first."""

_lock = threading.Lock()
_local = threading.local()  # .reusing: this thread is inside reuse()
_kept: dict[tuple[tuple[int, ...], str], list[NDArray[Any]]] = {}
_kept_bytes = 0


def _references(array: NDArray[Any]) -> int:
    return sys.getrefcount(array)


def _references_when_unused() -> int:
    """What :func:`_references` says of a kept array that nothing else refers to, called from
    a loop over the list that keeps it, as everywhere below (counts differ between Python
    versions, so they are measured rather than assumed)."""
    for array in [np.empty(1)]:
        return _references(array)
    raise AssertionError("unreachable")


_UNUSED = _references_when_unused()


def _take(arrays: list[NDArray[Any]]) -> NDArray[Any] | None:
    """A kept array that nothing outside the arena refers to, or None."""
    for array in arrays:
        if _references(array) == _UNUSED:
            return array
    return None


@contextlib.contextmanager
def reuse() -> Iterator[None]:
    """Inside the block, :func:`empty` on this thread keeps and reuses large arrays."""
    previous = getattr(_local, "reusing", False)
    _local.reusing = True
    try:
        yield
    finally:
        _local.reusing = previous


def empty(shape: tuple[int, ...], dtype: DTypeLike) -> NDArray[Any]:
    """Like ``np.empty(shape, dtype)`` (contents undefined); inside :func:`reuse`, a kept
    array of this shape and dtype that nothing else refers to is handed out again."""
    dt = np.dtype(dtype)
    size = dt.itemsize * math.prod(shape)
    if size < MIN_BYTES or not getattr(_local, "reusing", False):
        return np.empty(shape, dt)
    key = (tuple(shape), dt.str)
    with _lock:
        arrays = _kept.setdefault(key, [])
        found = _take(arrays)
        if found is not None:
            return found
        array = np.empty(shape, dt)
        if _kept_bytes + size > LIMIT_BYTES:
            _let_go_of_unused()
        if _kept_bytes + size <= LIMIT_BYTES:
            _keep(arrays, array)
        return array


def _keep(arrays: list[NDArray[Any]], array: NDArray[Any]) -> None:
    global _kept_bytes
    arrays.append(array)
    _kept_bytes += array.nbytes


def _let_go_of_unused() -> None:
    """Forget every kept array that nothing else refers to (call with the lock held)."""
    global _kept_bytes
    for key in list(_kept):
        in_use = []
        for array in _kept[key]:
            if _references(array) > _UNUSED:
                in_use.append(array)
            else:
                _kept_bytes -= array.nbytes
        if in_use:
            _kept[key] = in_use
        else:
            del _kept[key]


def kept_bytes() -> int:
    """Memory the arena holds now, in bytes (in use or not)."""
    return _kept_bytes


def clear() -> None:
    """Forget every kept array (each is freed once its last user lets go of it)."""
    global _kept_bytes
    with _lock:
        _kept.clear()
        _kept_bytes = 0
