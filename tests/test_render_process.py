"""Batches rendered in a worker process: the same as the thread's, early exits, a dead worker."""

from __future__ import annotations

import dataclasses
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from test_train import synthetic_strokes, tiny_recipe

from ocrpad.data.augment import DEFAULT_AUGMENT
from ocrpad.learning.batches import Batch, BatchPlan, epoch_batches
from ocrpad.learning.fit import fit
from ocrpad.learning.render_process import RendererError, RenderProcess, epoch_source


def small_plan(n: int = 45, batch_size: int = 8) -> BatchPlan:
    data = synthetic_strokes(n, seed=3)
    augment = dataclasses.replace(DEFAULT_AUGMENT, coarse=0.5)
    return BatchPlan(data, data.labels, batch_size, augment)


def assert_same_batches(got: Iterator[Batch], expected: Iterator[Batch]) -> int:
    count = 0
    for (x, y), (x_ref, y_ref) in zip(got, expected, strict=True):
        np.testing.assert_array_equal(x, x_ref)
        np.testing.assert_array_equal(y, y_ref)
        count += 1
    return count


def test_the_worker_renders_exactly_the_threads_batches_for_whole_and_resumed_epochs() -> None:
    plan = small_plan()
    with RenderProcess(plan, slots=3) as renderer:
        assert assert_same_batches(renderer.epoch(7), epoch_batches(plan, 7)) == 6  # 45 / 8
        resumed = renderer.epoch(9, start=4)
        assert assert_same_batches(resumed, epoch_batches(plan, 9, start=4)) == 2


def test_leaving_an_epoch_early_does_not_spoil_the_next_one() -> None:
    plan = small_plan()
    with RenderProcess(plan, slots=4) as renderer:
        for k, _ in enumerate(renderer.epoch(1)):
            if k == 1:
                break  # four batches were rendered ahead; they must not leak into epoch 2
        assert assert_same_batches(renderer.epoch(2), epoch_batches(plan, 2)) == 6


def test_a_killed_worker_is_named_instead_of_hanging_the_trainer() -> None:
    plan = small_plan(n=400)
    with RenderProcess(plan, slots=2) as renderer:
        batches = renderer.epoch(0)
        next(batches)
        assert renderer.pid is not None
        os.kill(renderer.pid, signal.SIGKILL)
        started = time.monotonic()
        with pytest.raises(RendererError, match=r"stopped \(exit code -9\)"):
            for _ in batches:
                pass
        assert time.monotonic() - started < 10
        with pytest.raises(RendererError, match="closed"):
            next(renderer.epoch(1))


def test_a_failure_inside_the_worker_reports_its_traceback() -> None:
    plan = small_plan()
    broken = BatchPlan(plan.data, plan.targets[:3], plan.batch_size, plan.augment)  # too short
    with RenderProcess(broken, slots=2) as renderer, pytest.raises(RendererError) as caught:
        list(renderer.epoch(0))
    assert "rendering batch" in str(caught.value) and "Traceback" in str(caught.value)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /dev/shm")
def test_closing_stops_the_worker_and_frees_the_shared_memory() -> None:
    renderer = RenderProcess(small_plan(), slots=2)
    segment = Path("/dev/shm", renderer.shared_memory_name.lstrip("/"))
    assert segment.exists()
    renderer.close()
    renderer.close()  # twice is fine
    assert not segment.exists() and not renderer.alive


def test_training_with_the_worker_gives_the_same_weights_as_with_the_thread() -> None:
    data = synthetic_strokes(48)
    threaded = fit(data, tiny_recipe(epochs=2))
    in_process = fit(data, tiny_recipe(epochs=2), render_in_process=True)
    for key, value in threaded.model.state_dict().items():
        np.testing.assert_array_equal(in_process.model.state_dict()[key], value, err_msg=key)


def test_a_worker_that_cannot_start_leaves_the_rendering_to_a_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_shared_memory(*args: object, **kwargs: object) -> None:
        raise OSError("no /dev/shm here")

    monkeypatch.setattr("ocrpad.learning.render_process.SharedMemory", no_shared_memory)
    plan = small_plan()
    with (
        pytest.warns(RuntimeWarning, match="no /dev/shm here"),
        epoch_source(plan, in_process=True) as batches,
    ):
        assert assert_same_batches(batches(4, 0), epoch_batches(plan, 4)) == 6
