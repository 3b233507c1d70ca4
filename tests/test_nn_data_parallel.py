"""Data-parallel training passes (each thread runs every layer on its part of the batch) give
the serial pass's numbers: outputs, input and parameter gradients, batch-norm running
statistics, dropout masks, and the weights after optimiser steps."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np
import pytest

from ocrpad.model import ConvBlock, ModelConfig, build_model
from ocrpad.nn import (
    Adam,
    BatchNorm2d,
    Conv2d,
    Dense,
    Dropout,
    Flatten,
    Layer,
    MaxPool2d,
    ReLU,
    Sequential,
    cross_entropy,
    parallel,
)
from ocrpad.nn.gradcheck import numeric_gradient
from ocrpad.nn.module import Array
from ocrpad.nn.shard import Group

pytestmark = pytest.mark.usefixtures("conv_road")  # row windows and im2col both


@pytest.fixture(autouse=True)
def restore_threads() -> Iterator[None]:
    before = parallel.threads()
    yield
    parallel.set_threads(before)


def net_with_every_layer(seed: int = 0) -> Sequential:
    rng = np.random.default_rng(seed)
    return Sequential(
        [
            ("conv1", Conv2d(1, 6, 3, padding=1, rng=rng)),
            ("bn1", BatchNorm2d(6)),
            ("relu1", ReLU()),
            ("pool1", MaxPool2d(2)),
            ("conv2", Conv2d(6, 5, 3, stride=2, rng=rng)),
            ("bn2", BatchNorm2d(5)),
            ("relu2", ReLU()),
            ("drop", Dropout(0.3, rng=rng)),
            ("flatten", Flatten()),
            ("fc1", Dense(5 * 2 * 2, 7, rng=rng)),
            ("relu3", ReLU()),
            ("drop2", Dropout(0.2, rng=rng)),
            ("out", Dense(7, 4, rng=rng)),
        ]
    )


Result = tuple[list[Array], list[Array], dict[str, Array]]


def train(threads: int, steps: int = 3, batch: int = 23) -> Result:
    """Logits and input gradients of every step, then the final state (weights, running
    statistics) and gradients, all in float64."""
    parallel.set_threads(threads)
    net = net_with_every_layer().astype(np.float64)
    optimizer = Adam(net, lr=1e-2)
    rng = np.random.default_rng(1)
    logits_seen, dx_seen = [], []
    for _ in range(steps):
        x, y = rng.standard_normal((batch, 1, 11, 11)), rng.integers(0, 4, batch)
        logits = net.forward(x, training=True)
        _, dlogits = cross_entropy(logits, y)
        dx = net.backward(dlogits)
        optimizer.step()
        logits_seen.append(logits)
        dx_seen.append(dx)
    state = net.state_dict()
    state.update({f"grad:{key}": grad.copy() for key, _, grad in net.named_parameters()})
    return logits_seen, dx_seen, state


@pytest.mark.parametrize("threads", [2, 3])
def test_a_data_parallel_training_run_equals_the_serial_one(threads: int) -> None:
    serial = train(1)
    split = train(threads)
    parallel.set_threads(threads)
    assert len(parallel.part_bounds(23)) == threads + 1  # the split really happened
    for a, b in zip(serial[0] + serial[1], split[0] + split[1], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    assert_same_state(serial[2], split[2], rtol=1e-10)


def assert_same_state(one: dict[str, Array], other: dict[str, Array], rtol: float) -> None:
    """Weights, statistics and ("grad:" keys) gradients equal up to rounding. A conv bias
    before batch norm has a true gradient of 0, so its gradient is rounding noise (about
    1e-16 of the largest gradient) and the bias itself that noise scaled up by Adam (about
    1e-10): hence an absolute tolerance far above both and far below any real error."""
    grad_scale = max(float(np.abs(v).max()) for k, v in one.items() if k.startswith("grad:"))
    for key, value in one.items():
        atol = 1e-12 * grad_scale if key.startswith("grad:") else 1e-9
        np.testing.assert_allclose(value, other[key], rtol=rtol, atol=atol, err_msg=key)


def test_data_parallel_gradients_match_finite_differences() -> None:
    parallel.set_threads(2)
    net = net_with_every_layer().astype(np.float64)
    rng = np.random.default_rng(2)
    x, targets = rng.standard_normal((9, 1, 11, 11)), rng.integers(0, 4, 9)
    assert len(parallel.part_bounds(9)) == 3

    def loss() -> float:
        return cross_entropy(same_masks_forward(net, x), targets)[0]

    _, dlogits = cross_entropy(same_masks_forward(net, x), targets)
    dx = net.backward(dlogits)
    assert close_to_numeric(dx, numeric_gradient(loss, x))
    for key, param, grad in net.named_parameters():
        analytic = grad.copy()
        numeric = numeric_gradient(loss, param)
        tiny = np.max(np.abs(analytic - numeric)) < 1e-8  # a conv bias before batch norm
        assert tiny or close_to_numeric(analytic, numeric), key


def close_to_numeric(analytic: Array, numeric: Array) -> bool:
    """Within 1e-5 of the largest component (central differences in float64 are good to
    about 1e-9 absolute here, so element-wise relative errors of tiny components say
    nothing; the serial pass's check is the same)."""
    return float(np.abs(analytic - numeric).max()) <= 1e-5 * float(np.abs(numeric).max())


def same_masks_forward(net: Sequential, x: Array) -> Array:
    """A training forward whose dropout layers draw the same masks on every call."""
    for seed, (_, layer) in enumerate(net.layers):
        if isinstance(layer, Dropout):
            layer.rng = np.random.default_rng(seed)
    return net.forward(x, training=True)


SHIPPED_KIND = ModelConfig(
    blocks=(
        ConvBlock(8, batchnorm=True),
        ConvBlock(8, batchnorm=True, pool=True),
        ConvBlock(16, batchnorm=True),
        ConvBlock(16, batchnorm=True, pool=True),
        ConvBlock(32, batchnorm=True, pool=True),
    ),
    padding=1,
    conv_dropout=0.2,
    hidden=(32,),
    dense_dropout=0.3,
)
"""The shipped weights' architecture (five padded 3x3 blocks with batch norm, two dropouts)
with a quarter of its channels."""


def test_the_shipped_kind_of_network_trains_the_same_on_two_threads() -> None:
    def step(threads: int) -> dict[str, Array]:
        parallel.set_threads(threads)
        model = build_model(SHIPPED_KIND, list("abcdef"), np.random.default_rng(0))
        model.network.astype(np.float64)
        rng = np.random.default_rng(3)
        x, y = rng.random((10, 1, 28, 28)), rng.integers(0, 6, 10)
        logits = model.forward(x, training=True)
        _, dlogits = cross_entropy(logits, y)
        model.backward(dlogits, need_input_grad=False)
        out = {f"grad:{key}": grad.copy() for key, _, grad in model.network.named_parameters()}
        return out | model.network.state_dict() | {"logits": logits}

    assert_same_state(step(1), step(2), rtol=1e-9)


class FailsOnSomeImages(Layer):
    """Passes x through, but raises on the part holding image ``bad`` (batch-norm sums of
    the other parts must not wait for it forever)."""

    def __init__(self, bad: int) -> None:
        super().__init__()
        self.bad, self.seen = bad, 0

    def forward_cl(self, x: Array, *, training: bool = False) -> Array:
        if np.any(x[:, 0, 0, 0] == self.bad):
            raise RuntimeError("bad image")
        return x

    def backward_cl(self, dy: Array, *, need_input_grad: bool = True) -> Array | None:
        return dy


@pytest.mark.parametrize("bad", [0, 15])
def test_a_failure_in_one_part_reaches_the_caller_and_the_next_pass_works(bad: int) -> None:
    parallel.set_threads(2)
    net = Sequential(
        [("check", FailsOnSomeImages(bad)), ("bn", BatchNorm2d(1)), ("flatten", Flatten())]
    )
    x = np.arange(16, dtype=np.float64).reshape(16, 1, 1, 1) * np.ones((1, 1, 2, 2))
    done = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            net.forward(x, training=True)
        except RuntimeError as exc:
            errors.append(exc)
        done.set()

    threading.Thread(target=run, daemon=True).start()
    assert done.wait(10), "a part waited forever for the one that failed"
    assert [str(e) for e in errors] == ["bad image"]
    out = net.forward(x + 100, training=True)
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-12)  # whole-batch statistics


def test_copies_follow_the_parameters_in_place_and_are_remade_after_astype() -> None:
    parallel.set_threads(2)
    net = net_with_every_layer()
    x = np.random.default_rng(0).standard_normal((12, 1, 11, 11)).astype(np.float32)
    before = same_masks_forward(net, x)
    net["out"].params["bias"][...] += 5.0  # as an optimiser step does, in place
    np.testing.assert_allclose(same_masks_forward(net, x), before + 5.0, rtol=1e-6)
    net.astype(np.float64)  # new parameter arrays: the copies must be made again
    net["out"].params["bias"][...] -= 5.0
    again = same_masks_forward(net, x.astype(np.float64))
    assert again.dtype == np.float64
    np.testing.assert_allclose(again, before, rtol=1e-5, atol=1e-5)


def test_group_sums_arrive_in_part_order_on_every_part() -> None:
    group = Group(3)
    group.begin([0, 1, 2, 3])
    results: list[list[np.ndarray]] = [[], [], []]

    def part(p: int) -> None:
        for round_ in range(4):
            results[p].append(group.all_sum(p, [np.array([10.0**round_ * (p + 1)])])[0])

    threads = [threading.Thread(target=part, args=(p,)) for p in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    for p in range(3):
        assert [float(r[0]) for r in results[p]] == [6.0, 60.0, 600.0, 6000.0]


def test_two_networks_training_at_once_on_three_threads_both_finish() -> None:
    # each pass's parts wait for each other: two passes must not each hold a pool thread
    # waiting for a part queued behind the other's
    parallel.set_threads(3)
    finished: list[int] = []

    def train_one(seed: int) -> None:
        net = net_with_every_layer(seed)
        x = np.random.default_rng(seed).standard_normal((12, 1, 11, 11)).astype(np.float32)
        for _ in range(30):
            _, dlogits = cross_entropy(net.forward(x, training=True), np.zeros(12, np.int64))
            net.backward(dlogits)
        finished.append(seed)

    workers = [threading.Thread(target=train_one, args=(s,), daemon=True) for s in (0, 1)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert sorted(finished) == [0, 1], "a training pass waited forever"


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("frozen_below", [1, 4, 9])
def test_a_pass_stopped_at_a_frozen_layer_gives_the_layers_above_their_full_gradients(
    threads: int, frozen_below: int
) -> None:
    """Fine-tuning with frozen first layers stops the backward pass at the lowest learning
    layer: the layers from there up get exactly the full pass's gradients, the ones below get
    none (their grads keep what they held), on the serial pass and the data-parallel one."""
    parallel.set_threads(threads)
    net = net_with_every_layer().astype(np.float64)
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((23, 1, 11, 11)), rng.integers(0, 4, 23)
    dropout_rngs = [layer.rng for _, layer in net.layers if isinstance(layer, Dropout)]
    states = [r.bit_generator.state for r in dropout_rngs]

    def gradients(**stop: int) -> dict[str, Array]:
        for r, state in zip(dropout_rngs, states, strict=True):
            r.bit_generator.state = state  # the same dropout masks in both passes
        net.zero_grad()
        for _, _, grad in net.named_parameters():
            grad[...] = 7.0  # what a layer that gets no backward keeps
        _, dlogits = cross_entropy(net.forward(x, training=True), y)
        assert net.backward(dlogits, need_input_grad=False, **stop) is None
        return {key: grad.copy() for key, _, grad in net.named_parameters()}

    full, stopped = gradients(), gradients(frozen_below=frozen_below)
    below = {f"{name}.{key}" for name, layer in net.layers[:frozen_below] for key in layer.params}
    assert below  # the stop leaves some parameters out
    for key, grad in stopped.items():
        if key in below:
            assert np.all(grad == 7.0), key
        else:
            np.testing.assert_allclose(grad, full[key], rtol=1e-12, atol=1e-15, err_msg=key)


def test_a_stopped_pass_refuses_to_promise_an_input_gradient_or_a_layer_it_lacks() -> None:
    net = net_with_every_layer()
    x = np.zeros((2, 1, 11, 11), np.float32)
    dlogits = np.ones((2, 4), np.float32)
    net.forward(x, training=True)
    with pytest.raises(ValueError, match="no input gradient"):
        net.backward(dlogits, need_input_grad=True, frozen_below=1)
    with pytest.raises(ValueError, match=r"frozen_below must be 0\.\.12, not 13"):
        net.backward(dlogits, need_input_grad=False, frozen_below=13)
