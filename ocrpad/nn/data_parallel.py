"""Training passes split by images: each thread runs every layer on its part of the batch.

Splitting each layer's work over the threads (``parallel_for`` inside the layers) hands work
to the other thread and waits for it about 80 times per training step, and the memory-bound
layers (batch norm, ReLU, pooling) gain little from a split. Here each thread instead takes a
slice of the batch through the whole network with its own copy of every layer
(``Layer.replica``: the parameters are shared, the gradients and backward caches are its
own). The threads meet only where the result depends on the whole batch: batch norm sums its
statistics over every part (twice per layer and step), and dropout draws one mask for the
whole batch. The parameter gradients are the sums of the parts' gradients.

The numbers equal the serial pass's up to float rounding (sums are added in another order).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import numpy as np

from ocrpad.nn import arena
from ocrpad.nn.module import Array, Layer
from ocrpad.nn.parallel import run_parts
from ocrpad.nn.shard import Group, Shard

_one_pass_at_a_time = threading.Lock()
"""Held while the parts of a pass run. The parts wait for each other, so two passes (of
different networks, from different threads) sharing the worker pool could each hold a pool
thread waiting for a part stuck in the queue behind the other's; one pass at a time cannot."""


class DataParallel:
    """The per-thread layer copies of one network and the passes that run them.

    ``forward`` runs a batch (channels-last, or (N, F)) through ``layers`` split at ``bounds``
    and keeps each part's caches in its copies; ``backward`` then runs the gradient back and
    writes the summed parameter gradients into the original layers' ``grads``.
    """

    def __init__(self) -> None:
        self._copies: list[list[Layer]] = []  # [part][layer]
        self._made_from: list[object] = []  # what the copies were made from (see _copies_of)
        self._group: Group | None = None
        self._bounds: list[int] = []

    def _copies_of(self, layers: Sequence[Layer], parts: int) -> list[list[Layer]]:
        """Each part's copies of ``layers``, made again whenever a layer, a parameter array
        or a buffer array was replaced (``astype``, a new network) since they were made."""
        made_from: list[object] = []
        for layer in layers:
            made_from.append(layer)
            made_from.extend(layer.params.values())
            made_from.extend(layer.buffers.values())
        same = len(made_from) == len(self._made_from) and all(
            a is b for a, b in zip(made_from, self._made_from, strict=True)
        )
        if not same or self._group is None or self._group.parts != parts:
            group = Group(parts)
            shards = [Shard(group, part) for part in range(parts)]
            self._copies = [[layer.replica(shard) for layer in layers] for shard in shards]
            self._group, self._made_from = group, made_from
        return self._copies

    def forward(self, layers: Sequence[Layer], x: Array, bounds: list[int]) -> Array:
        """x: (N, ...) -> the last layer's output (N, ...), in training mode, with images
        bounds[p]..bounds[p + 1] run by part p."""
        copies = self._copies_of(layers, len(bounds) - 1)
        outputs: list[Array | None] = [None] * (len(bounds) - 1)

        def work(part: int, lo: int, hi: int) -> None:
            h = x[lo:hi]
            for layer in copies[part]:
                h = layer.forward_cl(h, training=True)
            outputs[part] = h

        self._run(bounds, work)
        self._bounds = bounds
        return np.concatenate([out for out in outputs if out is not None])

    def backward(
        self, layers: Sequence[Layer], dy: Array, need_input_grad: bool, frozen_below: int = 0
    ) -> Array | None:
        """dy: (N, ...) gradient of the last ``forward``'s output -> dx (or None); fills the
        ``grads`` of every layer from ``frozen_below`` on with the sum of the parts' gradients
        (layers below it get no backward: ``Sequential.backward``)."""
        bounds = self._bounds
        if not bounds or len(dy) != bounds[-1]:
            raise RuntimeError("backward needs the forward pass of the same batch just before")
        copies = self._copies
        inputs: list[Array | None] = [None] * (len(bounds) - 1)

        def work(part: int, lo: int, hi: int) -> None:
            g: Array | None = dy[lo:hi]
            for index in range(len(layers) - 1, frozen_below - 1, -1):
                assert g is not None
                need = need_input_grad or index > frozen_below
                g = copies[part][index].backward_cl(g, need_input_grad=need)
            inputs[part] = g

        self._run(bounds, work)
        for index, layer in enumerate(layers):
            if index < frozen_below:
                continue
            for key, grad in layer.grads.items():
                np.copyto(grad, copies[0][index].grads[key])
                for part in copies[1:]:
                    grad += part[index].grads[key]
        if not need_input_grad:
            return None
        return np.concatenate([g for g in inputs if g is not None])

    def _run(self, bounds: list[int], work: Callable[[int, int, int], None]) -> None:
        """Run ``work`` on every part; if one part fails, the others stop at their next
        whole-batch sum, and the first failure (not the others' broken waits) is raised."""
        group = self._group
        assert group is not None
        group.begin(bounds)
        failures: list[BaseException | None] = [None] * group.parts

        def guarded(part: int, lo: int, hi: int) -> None:
            try:
                with arena.reuse():
                    work(part, lo, hi)
            except BaseException as exc:  # re-raised below, on the caller's thread
                failures[part] = exc
                group.abort()

        with _one_pass_at_a_time:
            run_parts(bounds, guarded)
        real = [e for e in failures if e is not None]
        real.sort(key=lambda e: isinstance(e, threading.BrokenBarrierError))
        if real:
            raise real[0]

    def part_layers(self, part: int) -> list[Layer]:
        """The copies part ``part`` runs ([] before the first pass with that many parts)."""
        return list(self._copies[part]) if part < len(self._copies) else []

    def release(self) -> None:
        """Drop every copy's backward caches."""
        for copies in self._copies:
            for layer in copies:
                layer.release()
        self._bounds = []
