"""Training batches rendered in a separate process.

Rendering a batch is about a third of a core's time in pure Python. In a thread of the training
process it holds the GIL that the engine's two training threads need between their NumPy calls,
and each of them can wait a whole switch interval for it, many times a step: the real loop ran at
well under the engine's step speed. In its own process the renderer only takes CPU time.

The batches are exactly those of the thread version (`batches.epoch_batches`): the same order
from the epoch's seed and the same augmentation from (seed, batch index). The worker writes the
pixels into a ring of shared-memory slots; only slot numbers and indices cross the queues.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import traceback
import warnings
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from multiprocessing.shared_memory import SharedMemory
from types import TracebackType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ocrpad.learning.batches import (
    Batch,
    BatchPlan,
    batch_rng,
    epoch_batches,
    epoch_chunks,
    render_batch_of,
)

_POLL_SECONDS = 1.0  # how often a waiting consumer checks that the worker is still alive
# The training step's two threads meet at barriers (batch-norm sums), so a renderer that takes a
# core from one of them stalls both. At the lowest priority it mostly runs in the step's serial
# moments, when a core is idle anyway; when it falls behind, the trainer waits and it gets both.
_NICENESS = 19


class RendererError(RuntimeError):
    """The rendering process failed or died; the message says how."""


def _ring(memory: SharedMemory, slots: int, batch: int, size: int) -> NDArray[np.float32]:
    """The shared slots as (slots, batch, 1, size, size) float32."""
    return np.ndarray((slots, batch, 1, size, size), dtype=np.float32, buffer=memory.buf)


def _serve(plan: BatchPlan, memory_name: str, slots: int, tasks: Any, done: Any) -> None:
    """The worker process's main: attach the shared slots and serve tasks until told to stop."""
    # Ctrl-C in a terminal reaches the whole process group; the trainer handles it (it stops
    # after the batch and saves a checkpoint), so the worker must not die of it first. A
    # SIGTERM still ends it (multiprocessing stops a daemon that way at exit); the trainer
    # takes a renderer that died of the same SIGTERM for the stop it was (`ocrpad-train`).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(os, "nice"):
        os.nice(_NICENESS)
    memory = SharedMemory(name=memory_name)
    ring = _ring(memory, slots, plan.batch_size, plan.render.size)
    try:
        _render_tasks(plan, ring, tasks, done)
    finally:
        del ring  # the view must go before the memory can close
        memory.close()


def _render_tasks(plan: BatchPlan, ring: NDArray[np.float32], tasks: Any, done: Any) -> None:
    """Render each (slot, seed, batch index, indices) task into its slot until a None task."""
    while (task := tasks.get()) is not None:
        slot, seed, k, indices = task
        try:
            x, _ = render_batch_of(plan, indices, batch_rng(seed, k))
            ring[slot, : len(indices)] = x
        except Exception:  # reported to the consumer, which raises it
            done.put((slot, k, traceback.format_exc()))
            return
        done.put((slot, k, None))


class RenderProcess:
    """A worker process that renders a plan's batches ahead of the training loop.

    Use as a context manager around the whole training run (starting the process costs about a
    second); ``epoch(seed, start=k)`` then yields (x (B, 1, 28, 28) float32, y (B,) int64) like
    ``batches.epoch_batches``. Leaving an epoch early is fine: batches rendered ahead are
    discarded before the next epoch starts.
    """

    def __init__(self, plan: BatchPlan, *, slots: int = 6) -> None:
        self.plan = plan
        self.slots = max(2, slots)
        size = plan.render.size
        nbytes = self.slots * plan.batch_size * size * size * 4
        self._memory = SharedMemory(create=True, size=nbytes)
        self._ring: NDArray[np.float32] | None = _ring(
            self._memory, self.slots, plan.batch_size, size
        )
        context = multiprocessing.get_context("spawn")  # never fork a process running threads
        self._tasks = context.Queue()
        self._done = context.Queue()
        self._process = context.Process(
            target=_serve,
            args=(plan, self._memory.name, self.slots, self._tasks, self._done),
            name="ocrpad-render",
            daemon=True,
        )
        try:
            self._process.start()
        except BaseException:
            self._release_memory()
            raise
        self._closed = False

    @property
    def pid(self) -> int | None:
        return self._process.pid

    @property
    def alive(self) -> bool:
        return self._process.is_alive()

    @property
    def shared_memory_name(self) -> str:
        return self._memory.name

    def epoch(self, seed: int, *, start: int = 0) -> Iterator[Batch]:
        """One shuffled epoch of batches from batch `start` on (the order from `seed`)."""
        if self._closed:
            raise RendererError("the batch renderer is closed")
        plan = self.plan
        chunks = epoch_chunks(plan, seed, start=start)
        free = list(range(self.slots))
        pending: deque[tuple[int, int, NDArray[np.int64]]] = deque()

        def submit() -> None:
            """Hand the next batch (if any is left) to the worker, in a free slot."""
            chunk = next(chunks, None)
            if chunk is not None:
                k, indices = chunk
                slot = free.pop()
                self._tasks.put((slot, seed, k, indices))
                pending.append((slot, k, indices))

        try:
            for _ in range(self.slots):
                submit()
            while pending:
                slot, k, indices = pending.popleft()
                self._receive(slot, k)
                assert self._ring is not None  # closed only after a failure, which raised
                x = self._ring[slot, : len(indices)].copy()
                free.append(slot)
                submit()
                yield x, plan.targets[indices]
        finally:  # let the worker finish what it was given; a worker that died has said so
            with suppress(RendererError):
                while pending and not self._closed:
                    slot, k, _ = pending.popleft()
                    self._receive(slot, k)

    def _receive(self, slot: int, k: int) -> None:
        """Wait for batch k in `slot`; raise if the worker failed or died."""
        while True:
            try:
                got_slot, got_k, error = self._done.get(timeout=_POLL_SECONDS)
                break
            except queue.Empty:
                if not self._process.is_alive():
                    self._closed = True
                    raise RendererError(
                        f"the batch renderer stopped (exit code {self._process.exitcode})"
                    ) from None
        if error is not None:
            self._closed = True
            raise RendererError(f"rendering batch {got_k} failed:\n{error}")
        if (got_slot, got_k) != (slot, k):  # one worker answers in order; anything else is a bug
            raise RendererError(f"expected batch {k} in slot {slot}, got {got_k} in {got_slot}")

    def close(self) -> None:
        """Stop the worker and free the shared memory (safe to call twice)."""
        if self._process.is_alive():
            self._tasks.put(None)
            self._process.join(timeout=5)
            if self._process.is_alive():
                self._process.terminate()
                self._process.join()
        self._closed = True
        for q in (self._tasks, self._done):
            q.cancel_join_thread()  # the worker is gone: nothing left in the pipes matters
            q.close()
        self._release_memory()

    def _release_memory(self) -> None:
        self._ring = None  # the view must go before the memory can close
        self._memory.close()
        with suppress(FileNotFoundError):  # already gone: closed twice
            self._memory.unlink()

    def __enter__(self) -> RenderProcess:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


EpochSource = Callable[[int, int], Iterator[Batch]]  # (epoch seed, first batch) -> batches


@contextmanager
def epoch_source(plan: BatchPlan, *, in_process: bool) -> Iterator[EpochSource]:
    """For a training run: a function giving each epoch's batches, rendered in a worker process
    (`in_process`) or in a thread of this one. Both give the same batches; if the worker cannot
    start, a RuntimeWarning says so and the thread renders."""
    renderer = None
    if in_process:
        try:
            renderer = RenderProcess(plan)
        except OSError as exc:  # e.g. no shared memory in a locked-down container
            warnings.warn(
                f"rendering in a thread: the worker process could not start ({exc})",
                RuntimeWarning,
                stacklevel=3,
            )
    if renderer is None:
        yield lambda seed, start: epoch_batches(plan, seed, start=start)
        return
    with renderer:
        yield lambda seed, start: renderer.epoch(seed, start=start)
