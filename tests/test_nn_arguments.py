"""Layers refuse sizes they cannot work with, when built and when given an input, naming why.

Before, a 0 or negative size or a stride of 0 was accepted and failed later with a
ZeroDivisionError or a reshape error, and a max-pool window larger than its input silently
gave a 0x0 output.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from ocrpad.nn import BatchNorm2d, Conv2d, Dense, Layer, MaxPool2d, Sequential


@pytest.mark.parametrize(
    ("build", "words"),
    [
        (lambda: Conv2d(1, 0, 3), "out_channels must be a whole number >= 1, not 0"),
        (lambda: Conv2d(-1, 4, 3), "in_channels must be a whole number >= 1, not -1"),
        (lambda: Conv2d(1, 2, 0), "kernel_size must be a whole number >= 1, not 0"),
        (lambda: Conv2d(1, 2, 2.5), "kernel_size must be a whole number >= 1, not 2.5"),
        (lambda: Conv2d(1, 2, 3, stride=0), "stride must be a whole number >= 1, not 0"),
        (lambda: Conv2d(1, 2, 3, padding=-1), "padding must be a whole number >= 0, not -1"),
        (lambda: MaxPool2d(0), "kernel_size must be a whole number >= 1, not 0"),
        (lambda: MaxPool2d(2, stride=0), "stride must be a whole number >= 1, not 0"),
        (lambda: Dense(0, 4), "in_features must be a whole number >= 1, not 0"),
        (lambda: Dense(4, -1), "out_features must be a whole number >= 1, not -1"),
        (lambda: Dense(4, True), "out_features must be a whole number >= 1, not True"),
        (lambda: BatchNorm2d(0), "num_features must be a whole number >= 1, not 0"),
        (lambda: BatchNorm2d(3, eps=0.0), "eps must be > 0"),
        (lambda: BatchNorm2d(3, momentum=float("nan")), "momentum in"),
    ],
)
def test_a_layer_refuses_sizes_it_cannot_work_with(build: Callable[[], Layer], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        build()


def test_whole_numbers_of_numpy_types_are_kept_as_python_ints() -> None:
    conv = Conv2d(np.int64(1), np.int32(2), np.int64(3))
    assert conv.get_config() == Conv2d(1, 2, 3).get_config()
    assert type(conv.kernel_size) is int


@pytest.mark.parametrize("training", [False, True])
@pytest.mark.parametrize("batch", [2, 64])  # 64: split over the threads when training
@pytest.mark.parametrize(
    ("layer", "words"),
    [
        (Conv2d(1, 2, 9), r"conv = Conv2d\(.*kernel_size=9.*\): its 8x8 input is smaller"),
        (Conv2d(1, 2, 11, padding=1), r"8x8 input \(padding 1 on each side\) is smaller"),
        (MaxPool2d(9), r"conv = MaxPool2d\(kernel_size=9.*\): its 8x8 input is smaller"),
        (Conv2d(3, 2, 3), r"conv = Conv2d\(in_channels=3.*needs \(N, 3, H, W\) inputs, got"),
        (BatchNorm2d(3), r"conv = BatchNorm2d\(num_features=3.*needs \(N, 3, H, W\) inputs"),
    ],
)
def test_an_input_the_layer_cannot_take_is_refused_naming_the_layer(
    layer: Layer, words: str, batch: int, training: bool
) -> None:
    net = Sequential([("conv", layer)])
    x = np.zeros((batch, 1, 8, 8), np.float32)
    with pytest.raises(ValueError, match=words):
        net.forward(x, training=training)
    if not training:
        with pytest.raises(ValueError, match=words):
            net.predict(x)


def test_a_dense_layer_names_the_features_it_expects() -> None:
    net = Sequential([("fc1", Dense(5, 3))])
    with pytest.raises(ValueError, match=r"fc1 = Dense\(.*\): needs \(N, 5\) inputs, got \(2, 4\)"):
        net.forward(np.ones((2, 4), np.float32))


def test_a_layer_on_its_own_is_named_by_its_configuration() -> None:
    with pytest.raises(ValueError, match=r"^MaxPool2d\(kernel_size=3, stride=None\): its 2x2"):
        MaxPool2d(3).forward(np.zeros((1, 1, 2, 2), np.float32))
