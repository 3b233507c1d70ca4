"""Every layer's input and parameter gradients against float64 central differences."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from ocrpad.nn import BatchNorm2d, Conv2d, Dense, Dropout, Flatten, Layer, MaxPool2d, ReLU
from ocrpad.nn import batchnorm as batchnorm_module
from ocrpad.nn import conv as conv_module
from ocrpad.nn.gradcheck import numeric_gradient, rel_error

pytestmark = pytest.mark.usefixtures("conv_road")  # row windows and im2col both

Array = NDArray[np.float64]
TOL = 1e-6


def check_layer(
    make: Callable[[], Layer],
    x_shape: tuple[int, ...],
    *,
    training: bool,
    seed: int = 0,
    offset: float = 0.0,
) -> None:
    """Compare backward() with numeric gradients of sum(forward(x) * dy), x standard normal
    plus ``offset``."""
    rng = np.random.default_rng(seed)
    layer = make()
    layer.astype(np.float64)
    x = rng.standard_normal(x_shape) + offset

    def reset() -> None:  # dropout must draw the same mask on every evaluation
        if isinstance(layer, Dropout):
            layer.rng = np.random.default_rng(seed)

    reset()
    y = layer.forward(x, training=training)
    dy = rng.standard_normal(y.shape)
    dx = layer.backward(dy)
    analytic: dict[str, Any] = {k: g.copy() for k, g in layer.grads.items()}

    def loss() -> float:
        reset()
        return float(np.sum(layer.forward(x, training=training) * dy))

    assert dx.shape == x.shape
    assert rel_error(dx, numeric_gradient(loss, x)) < TOL
    for key, param in layer.params.items():
        error = rel_error(analytic[key], numeric_gradient(loss, param))
        assert error < TOL, f"{key}: relative error {error}"


CONV_CASES = [
    # (in, out, kernel, stride, padding, x_shape)
    (1, 2, 3, 1, 0, (2, 1, 6, 6)),
    (3, 4, 3, 1, 1, (2, 3, 5, 5)),
    (2, 3, 3, 2, 1, (2, 2, 7, 7)),
    (2, 2, 2, 2, 0, (1, 2, 5, 7)),
    (3, 2, 5, 1, 2, (2, 3, 6, 5)),
    (2, 3, 3, 3, 0, (3, 2, 8, 7)),
    (1, 1, 1, 1, 0, (2, 1, 3, 4)),
    # more than SMALL_CHANNELS inputs: columns in rows rather than transposed
    (5, 3, 3, 1, 1, (2, 5, 5, 4)),
    (6, 7, 3, 2, 1, (2, 6, 6, 5)),
]


@pytest.mark.parametrize(("cin", "cout", "k", "stride", "pad", "shape"), CONV_CASES)
@pytest.mark.parametrize("training", [True, False])
def test_conv_backward_matches_finite_differences(
    cin: int, cout: int, k: int, stride: int, pad: int, shape: tuple[int, ...], training: bool
) -> None:
    rng = np.random.default_rng(1)
    check_layer(lambda: Conv2d(cin, cout, k, stride, pad, rng=rng), shape, training=training)


@pytest.mark.parametrize(
    ("k", "stride", "shape"),
    [(2, None, (2, 3, 6, 6)), (2, None, (2, 2, 7, 5)), (3, 2, (2, 2, 7, 7)), (3, 1, (1, 2, 5, 6))],
)
def test_maxpool_backward_matches_finite_differences(
    k: int, stride: int | None, shape: tuple[int, ...]
) -> None:
    check_layer(lambda: MaxPool2d(k, stride), shape, training=False)


@pytest.mark.parametrize("shape", [(3, 5), (2, 3, 4, 5)])
def test_relu_backward_matches_finite_differences(shape: tuple[int, ...]) -> None:
    check_layer(ReLU, shape, training=True)


@pytest.mark.parametrize("training", [True, False])
def test_dropout_backward_matches_finite_differences(training: bool) -> None:
    check_layer(lambda: Dropout(0.4), (3, 2, 4, 4), training=training)


def test_flatten_backward_matches_finite_differences() -> None:
    check_layer(Flatten, (2, 3, 4, 5), training=False)


@pytest.mark.parametrize("shape", [(4, 7), (1, 3)])
def test_dense_backward_matches_finite_differences(shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(2)
    check_layer(lambda: Dense(shape[1], 5, rng=rng), shape, training=True)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(4, 3, 3, 3), (2, 2, 5, 4)])
def test_batchnorm_backward_matches_finite_differences(
    training: bool, shape: tuple[int, ...]
) -> None:
    def make() -> Layer:
        bn = BatchNorm2d(shape[1])
        rng = np.random.default_rng(3)
        bn.params["weight"][...] = rng.uniform(0.5, 1.5, shape[1])
        bn.params["bias"][...] = rng.standard_normal(shape[1])
        bn.buffers["running_mean"][...] = rng.standard_normal(shape[1])
        bn.buffers["running_var"][...] = rng.uniform(0.5, 2.0, shape[1])
        return bn

    check_layer(make, shape, training=training)


def test_conv_gradients_hold_when_the_batch_is_walked_in_small_chunks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(conv_module, "CHUNK_BYTES", 1)  # one image per im2col chunk
    rng = np.random.default_rng(4)
    check_layer(lambda: Conv2d(2, 3, 3, 2, 1, rng=rng), (3, 2, 7, 6), training=True)


@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_gradients_hold_for_inputs_far_from_zero(training: bool) -> None:
    def make() -> Layer:  # running statistics as far out as the batch's
        bn = BatchNorm2d(3)
        bn.buffers["running_mean"][...] = 10.0
        return bn

    check_layer(make, (4, 3, 3, 3), training=training, offset=10.0)  # the sums taken again


@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_gradients_hold_when_the_batch_is_walked_in_small_chunks(
    monkeypatch: pytest.MonkeyPatch, training: bool
) -> None:
    monkeypatch.setattr(batchnorm_module, "_CHUNK_BYTES", 1)  # one image per chunk
    check_layer(lambda: BatchNorm2d(3), (5, 3, 3, 2), training=training)
