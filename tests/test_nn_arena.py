"""The arena reuses large arrays only when nothing else refers to them."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np
import pytest

from ocrpad.nn import Conv2d, Dense, Dropout, Flatten, MaxPool2d, ReLU, Sequential, arena

BIG = (512, 1024)  # 2 MB of float32: large enough to be kept


@pytest.fixture(autouse=True)
def empty_arena() -> Iterator[None]:
    arena.clear()
    with arena.reuse():
        yield
    arena.clear()


def test_an_array_is_handed_out_again_once_nothing_else_refers_to_it() -> None:
    first = arena.empty(BIG, np.float32)
    address = first.ctypes.data
    assert arena.empty(BIG, np.float32).ctypes.data != address  # first is still in use
    del first
    assert arena.empty(BIG, np.float32).ctypes.data == address


def test_a_view_keeps_its_array_from_being_handed_out() -> None:
    first = arena.empty(BIG, np.float32)
    first.fill(7.0)
    view = first[::2].T
    del first
    again = arena.empty(BIG, np.float32)
    again.fill(0.0)
    assert np.all(view == 7.0)


def test_small_arrays_are_not_kept_and_every_request_gets_its_shape_and_dtype() -> None:
    before = arena.kept_bytes()
    small = arena.empty((10, 10), np.float32)
    assert arena.kept_bytes() == before
    other = arena.empty((1024, 512), np.float64)
    assert (small.shape, other.shape, other.dtype) == ((10, 10), (1024, 512), np.float64)
    assert arena.kept_bytes() == before + other.nbytes


def test_nothing_is_kept_outside_a_reuse_block() -> None:
    arena.clear()
    with arena.reuse():
        pass
    before = arena.kept_bytes()
    holder: list[object] = []

    def elsewhere() -> None:  # a thread of its own is outside the block too
        holder.append(arena.empty(BIG, np.float32))

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join()
    assert arena.kept_bytes() == before


def test_past_the_limit_unused_arrays_are_let_go_first(monkeypatch: pytest.MonkeyPatch) -> None:
    two_mb = 2 << 20
    monkeypatch.setattr(arena, "LIMIT_BYTES", 3 * two_mb)
    _held = arena.empty(BIG, np.float32)  # stays in use to the end of the test
    arena.empty((256, 2048), np.float32)  # kept, unused as soon as made
    arena.empty((128, 4096), np.float32)  # kept: the arena is full
    assert arena.kept_bytes() == 3 * two_mb
    arena.empty((64, 8192), np.float32)  # the two unused ones go, this one is kept
    assert arena.kept_bytes() == 2 * two_mb


def test_clear_forgets_every_kept_array() -> None:
    held = arena.empty(BIG, np.float32)
    arena.clear()
    assert arena.kept_bytes() == 0
    assert arena.empty(BIG, np.float32) is not held


def network() -> Sequential:
    rng = np.random.default_rng(0)
    return Sequential(
        [
            ("conv1", Conv2d(1, 16, 3, rng=rng)),
            ("relu1", ReLU()),
            ("pool1", MaxPool2d(2)),
            ("drop", Dropout(0.25, rng=rng)),
            ("flatten", Flatten()),
            ("out", Dense(16 * 13 * 13, 10, rng=rng)),
        ]
    )


def test_activations_handed_out_earlier_survive_later_training_steps() -> None:
    net = network()
    rng = np.random.default_rng(1)
    x = rng.random((64, 1, 28, 28), dtype=np.float32)  # conv1's output is 2.8 MB
    kept = net.forward_with_activations(x)
    expected = [(name, value.copy()) for name, value in kept]
    for _ in range(3):
        out = net.forward(rng.random((64, 1, 28, 28), dtype=np.float32), training=True)
        net.backward(np.ones_like(out))
    for (name, value), (_, before) in zip(kept, expected, strict=True):
        np.testing.assert_array_equal(value, before, err_msg=name)


def test_successive_training_outputs_and_input_gradients_are_distinct_arrays() -> None:
    net = network()
    x = np.random.default_rng(2).random((64, 1, 28, 28), dtype=np.float32)
    first = net.forward(x, training=True)
    grad_first = net.backward(np.ones_like(first))
    saved = first.copy(), grad_first.copy()
    second = net.forward(x, training=True)
    grad_second = net.backward(np.ones_like(second))
    assert not np.shares_memory(first, second)
    assert not np.shares_memory(grad_first, grad_second)
    np.testing.assert_array_equal(first, saved[0])
    np.testing.assert_array_equal(grad_first, saved[1])
