"""Sequential.predict: the cache-free inference pass gives forward's answer and keeps nothing."""

from __future__ import annotations

import numpy as np
import pytest

from ocrpad.nn import (
    BatchNorm2d,
    Conv2d,
    Dense,
    Dropout,
    Flatten,
    MaxPool2d,
    ReLU,
    Sequential,
    conv_rows,
    parallel,
)
from ocrpad.nn.columns import SMALL_CHANNELS
from ocrpad.nn.conv import ROWS_MIN_INFERENCE_BATCH

pytestmark = pytest.mark.usefixtures("conv_road")  # row windows and im2col both


def net_with_every_fusion(seed: int = 0) -> Sequential:
    """conv+bn+relu, conv+bn+pool+relu (its input wide enough for the row-window product,
    ``nn.conv_rows``), conv+relu+pool (pool after ReLU), a plain conv, a pool of stride 1 on
    an odd size, dropout, and trained-looking batch-norm statistics."""
    rng = np.random.default_rng(seed)
    net = Sequential(
        [
            ("conv1", Conv2d(1, SMALL_CHANNELS + 1, 3, padding=1, rng=rng)),
            ("bn1", BatchNorm2d(SMALL_CHANNELS + 1)),
            ("relu1", ReLU()),
            ("conv2", Conv2d(SMALL_CHANNELS + 1, 5, 3, padding=1, rng=rng)),
            ("bn2", BatchNorm2d(5)),
            ("pool2", MaxPool2d(2)),
            ("relu2", ReLU()),
            ("conv3", Conv2d(5, 6, 3, stride=2, padding=1, rng=rng)),
            ("relu3", ReLU()),
            ("pool3", MaxPool2d(2, 1)),
            ("conv4", Conv2d(6, 3, 1, rng=rng)),
            ("drop", Dropout(0.4, rng=rng)),
            ("flatten", Flatten()),
            ("fc", Dense(3 * 2 * 2, 7, rng=rng)),
            ("fc_relu", ReLU()),
            ("out", Dense(7, 5, rng=rng)),
        ]
    )
    for _, layer in net.layers:
        if isinstance(layer, BatchNorm2d):
            c = layer.num_features
            layer.params["weight"][...] = rng.uniform(0.5, 1.5, c)
            layer.params["bias"][...] = rng.standard_normal(c)
            layer.buffers["running_mean"][...] = rng.standard_normal(c)
            layer.buffers["running_var"][...] = rng.uniform(0.5, 2.0, c)
        if isinstance(layer, Conv2d):
            layer.params["bias"][...] = rng.standard_normal(layer.out_channels)
    return net


@pytest.mark.parametrize("batch", [1, 3, 11, ROWS_MIN_INFERENCE_BATCH])
def test_predict_gives_the_inference_forward_output_to_float64_precision(batch: int) -> None:
    net = net_with_every_fusion().astype(np.float64)
    x = np.random.default_rng(1).standard_normal((batch, 1, 11, 11))
    np.testing.assert_allclose(net.predict(x), net.forward(x), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_a_lone_drawings_batch_norm_after_its_pool_is_exact_and_a_negative_scale_is_folded(
    sign: float,
) -> None:
    """For few drawings the batch norm is applied to the pooled output rather than folded
    into the weights: exact only while every scale is positive (a max commutes with an
    increasing map), so a negative one is folded as before."""
    net = net_with_every_fusion(4).astype(np.float64)
    bn2 = net.layers[4][1]
    assert isinstance(bn2, BatchNorm2d)
    bn2.params["weight"][0] *= sign
    x = np.random.default_rng(5).standard_normal((1, 1, 11, 11))
    np.testing.assert_allclose(net.predict(x), net.forward(x), rtol=1e-12, atol=1e-12)


def test_row_window_inference_walked_one_image_at_a_time_gives_the_same_output(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(conv_rows, "CHUNK_BYTES", 1)  # one image per row-window chunk
    net = net_with_every_fusion().astype(np.float64)
    x = np.random.default_rng(7).standard_normal((ROWS_MIN_INFERENCE_BATCH, 1, 11, 11))
    np.testing.assert_allclose(net.predict(x), net.forward(x), rtol=1e-12, atol=1e-12)


def test_predict_in_float32_stays_within_rounding_of_forward() -> None:
    net = net_with_every_fusion(2)
    x = np.random.default_rng(3).random((9, 1, 11, 11), dtype=np.float32)
    out = net.predict(x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, net.forward(x), rtol=1e-5, atol=1e-5)


def test_predict_changes_no_state_and_keeps_no_backward_cache() -> None:
    net = net_with_every_fusion()
    before = net.state_dict()
    x = np.random.default_rng(4).random((6, 1, 11, 11), dtype=np.float32)
    net.forward(x)  # leaves caches behind, which predict must free
    net.predict(x)
    for key, value in net.state_dict().items():
        np.testing.assert_array_equal(value, before[key])
    for _, layer in net.layers:
        assert all(getattr(layer, name) is None for name in layer._cache), layer


def test_predict_splits_the_batch_over_threads_without_changing_the_answer() -> None:
    net = net_with_every_fusion(5)
    x = np.random.default_rng(6).random((16, 1, 11, 11), dtype=np.float32)
    previous = parallel.threads()
    try:
        parallel.set_threads(1)
        alone = net.predict(x)
        parallel.set_threads(2)
        split = net.predict(x)
    finally:
        parallel.set_threads(previous)
    np.testing.assert_allclose(split, alone, rtol=1e-6, atol=1e-6)
