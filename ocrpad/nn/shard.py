"""What a layer needs to run on one part of a batch while other threads run the rest.

A data-parallel pass (``nn.data_parallel``) gives each thread a slice of the batch and its own
copy of every layer. Most layers never notice; those whose result depends on the whole batch
ask the :class:`Group` for it: batch norm for sums over every part (its statistics), dropout
for a mask drawn once for the whole batch (so the random stream is the serial pass's).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]
T = TypeVar("T")


class Group:
    """The parts of one data-parallel pass: their batch bounds, sums over all of them, and
    values made once for the whole batch. Every part must make the same calls in the same
    order (each sum waits until every part has brought its share)."""

    def __init__(self, parts: int) -> None:
        self.parts = parts
        self.bounds: list[int] = [0] * (parts + 1)
        self._barrier = threading.Barrier(parts)
        # two sets of slots, used by alternate sums: a part that runs ahead to the next sum
        # writes the other set while slower parts still read this one
        self._slots: list[list[Sequence[F64]]] = [[()] * parts, [()] * parts]
        self._sums_made = [0] * parts  # per part, in this pass
        self._lock = threading.Lock()
        self._made: dict[object, Any] = {}

    def begin(self, bounds: list[int]) -> None:
        """Start a pass over a batch split at ``bounds`` (called before the parts run)."""
        if len(bounds) != self.parts + 1:
            raise ValueError(f"{len(bounds) - 1} parts for a group of {self.parts}")
        self.bounds = bounds
        self._sums_made = [0] * self.parts
        self._made.clear()
        if self._barrier.broken:
            self._barrier = threading.Barrier(self.parts)

    def all_sum(self, part: int, values: Sequence[F64]) -> list[F64]:
        """The element-wise sums of ``values`` over every part, added in part order (so every
        part gets the same bits). Blocks until every part has called it."""
        slots = self._slots[self._sums_made[part] % 2]
        self._sums_made[part] += 1
        slots[part] = values
        self._barrier.wait()
        totals = [np.array(v, dtype=np.float64) for v in slots[0]]
        for other in slots[1:]:
            for total, value in zip(totals, other, strict=True):
                total += value
        return totals

    def once(self, key: object, make: Callable[[], T]) -> T:
        """``make()``, called by the first part to ask for ``key`` in this pass; the other
        parts get the same object."""
        with self._lock:
            if key not in self._made:
                self._made[key] = make()
            value: T = self._made[key]
            return value

    def abort(self) -> None:
        """A part failed: every part waiting in (or later calling) ``all_sum`` gets
        ``threading.BrokenBarrierError`` instead of waiting for it forever."""
        self._barrier.abort()


@dataclass(frozen=True)
class Shard:
    """One part of a group: images ``lo`` to ``hi`` of a batch of ``total``."""

    group: Group
    part: int

    @property
    def lo(self) -> int:
        return self.group.bounds[self.part]

    @property
    def hi(self) -> int:
        return self.group.bounds[self.part + 1]

    @property
    def total(self) -> int:
        return self.group.bounds[-1]

    def all_sum(self, values: Sequence[F64]) -> list[F64]:
        return self.group.all_sum(self.part, values)
