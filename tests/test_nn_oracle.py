"""The fast convolution and pooling against plain-loop implementations (the oracle)."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from ocrpad.nn import Conv2d, MaxPool2d, conv_dy, conv_rows
from ocrpad.nn.conv_rows import rows_fit_backward

pytestmark = pytest.mark.usefixtures("conv_road")  # row windows and im2col both

Array = NDArray[np.float64]


def naive_conv(x: Array, w: Array, b: Array, stride: int, pad: int) -> Array:
    """x: (N, C, H, W), w: (O, C, k, k) -> (N, O, Ho, Wo), one output value at a time."""
    n, _, h, wd = x.shape
    o, _, k, _ = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    ho, wo = (h + 2 * pad - k) // stride + 1, (wd + 2 * pad - k) // stride + 1
    y = np.zeros((n, o, ho, wo))
    for i in range(n):
        for f in range(o):
            for r in range(ho):
                for c in range(wo):
                    patch = xp[i, :, r * stride : r * stride + k, c * stride : c * stride + k]
                    y[i, f, r, c] = np.sum(patch * w[f]) + b[f]
    return y


def naive_conv_backward(
    x: Array, w: Array, dy: Array, stride: int, pad: int
) -> tuple[Array, Array, Array]:
    """(dx, dw, db) by scattering every output's gradient back over its window."""
    k = w.shape[2]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    n, o, ho, wo = dy.shape
    for i in range(n):
        for f in range(o):
            for r in range(ho):
                for c in range(wo):
                    rs, cs = r * stride, c * stride
                    dxp[i, :, rs : rs + k, cs : cs + k] += w[f] * dy[i, f, r, c]
                    dw[f] += xp[i, :, rs : rs + k, cs : cs + k] * dy[i, f, r, c]
    h, wd = x.shape[2], x.shape[3]
    return dxp[:, :, pad : pad + h, pad : pad + wd], dw, dy.sum(axis=(0, 2, 3))


def naive_pool(x: Array, k: int, s: int) -> tuple[Array, Array]:
    """(y, dx for an all-ones upstream gradient routed to each window's first maximum)."""
    n, c, h, w = x.shape
    ho, wo = (h - k) // s + 1, (w - k) // s + 1
    y, dx = np.zeros((n, c, ho, wo)), np.zeros_like(x)
    for i in range(n):
        for ch in range(c):
            for r in range(ho):
                for col in range(wo):
                    window = x[i, ch, r * s : r * s + k, col * s : col * s + k]
                    y[i, ch, r, col] = window.max()
                    a, b = np.unravel_index(np.argmax(window), window.shape)
                    dx[i, ch, r * s + a, col * s + b] += 1.0
    return y, dx


@pytest.mark.parametrize(
    ("k", "stride", "pad", "shape"),
    [
        (3, 1, 0, (2, 3, 8, 8)),
        (3, 2, 1, (2, 2, 9, 7)),
        (5, 2, 2, (1, 3, 11, 10)),
        (2, 3, 0, (2, 1, 8, 9)),
        (3, 1, 1, (2, 6, 7, 6)),  # no more outputs than inputs: dx as a convolution of dy
        (3, 2, 1, (2, 5, 8, 7)),  # more than SMALL_CHANNELS inputs, strided
        (3, 1, 1, (2, 5, 12, 11)),  # row windows; weight gradient in blocks and a rest
        (5, 1, 2, (3, 6, 9, 8)),  # row windows, five kernel rows
        (3, 1, 0, (2, 6, 9, 10)),  # row windows, nothing to pad in forward
        (3, 1, 2, (1, 6, 5, 6)),  # padding k - 1: dy's columns need no pad
    ],
)
def test_conv_forward_and_backward_match_the_loop_oracle(
    k: int, stride: int, pad: int, shape: tuple[int, ...]
) -> None:
    rng = np.random.default_rng(0)
    conv = Conv2d(shape[1], 4, k, stride, pad, rng=rng)
    conv.astype(np.float64)
    conv.params["bias"][...] = rng.standard_normal(4)
    x = rng.standard_normal(shape)
    w, b = conv.params["weight"], conv.params["bias"]
    y = conv.forward(x)
    np.testing.assert_allclose(y, naive_conv(x, w, b, stride, pad), rtol=1e-10, atol=1e-10)
    dy = rng.standard_normal(y.shape)
    dx = conv.backward(dy)
    ndx, ndw, ndb = naive_conv_backward(x, w, dy, stride, pad)
    np.testing.assert_allclose(dx, ndx, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(conv.grads["weight"], ndw, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(conv.grads["bias"], ndb, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("channels", [3, 6])  # full columns; row windows
def test_conv_float32_matches_the_float64_oracle(channels: int) -> None:
    rng = np.random.default_rng(1)
    conv = Conv2d(channels, 8, 3, 1, 1, rng=rng)
    x = rng.standard_normal((2, channels, 9, 9)).astype(np.float32)
    y = conv.forward(x)
    assert y.dtype == np.float32
    w = conv.params["weight"].astype(np.float64)
    expected = naive_conv(x.astype(np.float64), w, np.zeros(8), 1, 1)
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    ("k", "stride", "shape"),
    [(2, 2, (2, 3, 8, 8)), (2, 2, (1, 2, 7, 9)), (3, 2, (2, 2, 9, 8)), (3, 1, (1, 1, 6, 5))],
)
def test_maxpool_forward_and_backward_match_the_loop_oracle(
    k: int, stride: int, shape: tuple[int, ...]
) -> None:
    x = np.random.default_rng(2).standard_normal(shape)
    pool = MaxPool2d(k, stride)
    y = pool.forward(x)
    ny, ndx = naive_pool(x, k, stride)
    np.testing.assert_array_equal(y, ny)
    np.testing.assert_array_equal(pool.backward(np.ones_like(y)), ndx)
    # channels-last and contiguous, as inside a network (where whole rows of windows can go)
    y_cl = pool.forward_cl(_channels_last(x))
    np.testing.assert_array_equal(y_cl, ny.transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(pool.backward_cl(np.ones_like(y_cl)), ndx.transpose(0, 2, 3, 1))


def _channels_last(x: Array) -> Array:
    """(N, C, H, W) -> a C-contiguous (N, H, W, C) copy."""
    return np.ascontiguousarray(x.transpose(0, 2, 3, 1))


def test_maxpool_routes_a_tied_window_to_one_element_only() -> None:
    x = np.zeros((1, 1, 2, 2))
    pool = MaxPool2d(2)
    pool.forward(x)
    dx = pool.backward(np.ones((1, 1, 1, 1)))
    assert dx.sum() == 1.0
    assert dx[0, 0, 0, 0] == 1.0


@pytest.mark.parametrize("shape", [(3, 4, 6, 8), (2, 3, 7, 9)])
def test_maxpool_routes_windows_with_repeated_maxima_to_their_first_one(
    shape: tuple[int, ...],
) -> None:
    # small whole numbers: many windows hold their maximum twice or more
    x = np.random.default_rng(5).integers(0, 3, shape).astype(np.float64)
    pool = MaxPool2d(2)
    y = pool.forward_cl(_channels_last(x)).transpose(0, 3, 1, 2)
    dy = np.random.default_rng(6).standard_normal(y.shape)
    ny, _ = naive_pool(x, 2, 2)
    np.testing.assert_array_equal(y, ny)
    expected = np.zeros_like(x)
    n, c, ho, wo = y.shape
    for i in range(n):
        for ch in range(c):
            for r in range(ho):
                for col in range(wo):
                    window = x[i, ch, 2 * r : 2 * r + 2, 2 * col : 2 * col + 2]
                    a, b = np.unravel_index(np.argmax(window), window.shape)
                    expected[i, ch, 2 * r + a, 2 * col + b] = dy[i, ch, r, col]
    dx = pool.backward_cl(_channels_last(dy)).transpose(0, 3, 1, 2)
    np.testing.assert_array_equal(dx, expected)


def test_maxpool_of_one_pixel_windows_passes_every_gradient_through() -> None:
    x = np.random.default_rng(3).standard_normal((2, 3, 4, 5))
    pool = MaxPool2d(1)
    np.testing.assert_array_equal(pool.forward(x), x)
    dy = np.random.default_rng(4).standard_normal(x.shape)
    np.testing.assert_array_equal(pool.backward(dy), dy)


@pytest.mark.parametrize(("cin", "cout"), [(5, 3), (2, 4)])
def test_conv_weight_gradient_without_the_input_gradient_matches_the_loop_oracle(
    cin: int, cout: int
) -> None:
    rng = np.random.default_rng(5)
    conv = Conv2d(cin, cout, 3, 1, 1, rng=rng)
    conv.astype(np.float64)
    x = rng.standard_normal((3, cin, 6, 5))
    y = conv.forward(x)
    dy = rng.standard_normal(y.shape)
    assert conv.backward_cl(dy.transpose(0, 2, 3, 1), need_input_grad=False) is None
    _, ndw, ndb = naive_conv_backward(x, conv.params["weight"], dy, 1, 1)
    np.testing.assert_allclose(conv.grads["weight"], ndw, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(conv.grads["bias"], ndb, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(
    ("cin", "cout", "pad", "need_input_grad", "one_image_chunks"),
    [
        (64, 64, 1, True, False),  # as the shipped network's 64- and 128-channel layers
        (64, 48, 1, False, False),  # no input gradient: dy's columns pay when O <= C
        (64, 64, 2, True, False),  # padding k - 1: dy's columns need no pad
        (64, 64, 1, True, True),  # the gradients summed over chunks of one image
    ],
)
def test_wide_convolutions_take_dys_columns_and_match_the_loop_oracle(
    cin: int,
    cout: int,
    pad: int,
    need_input_grad: bool,
    one_image_chunks: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Too wide for row windows (``rows_fit_backward``): both gradients from dy's columns."""
    assert not rows_fit_backward(3, cin, cout, np.dtype(np.float64))
    if one_image_chunks:
        monkeypatch.setattr(conv_dy, "CHUNK_BYTES", 1)
    rng = np.random.default_rng(7)
    conv = Conv2d(cin, cout, 3, 1, pad, rng=rng)
    conv.astype(np.float64)
    x = rng.standard_normal((2, cin, 5, 4))
    y = conv.forward(x)
    dy = rng.standard_normal(y.shape)
    dx = conv.backward_cl(dy.transpose(0, 2, 3, 1), need_input_grad=need_input_grad)
    ndx, ndw, ndb = naive_conv_backward(x, conv.params["weight"], dy, 1, pad)
    if need_input_grad:
        assert dx is not None
        np.testing.assert_allclose(dx.transpose(0, 3, 1, 2), ndx, rtol=1e-10, atol=1e-10)
    else:
        assert dx is None
    np.testing.assert_allclose(conv.grads["weight"], ndw, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(conv.grads["bias"], ndb, rtol=1e-10, atol=1e-10)


def test_padded_convolutions_stay_exact_when_their_kept_pad_buffers_are_reused() -> None:
    # the pad buffers keep their zero border from call to call: large inputs and gradients
    # through the same shapes must leave nothing behind in it for the next call
    rng = np.random.default_rng(3)
    conv = Conv2d(5, 4, 3, 1, 1, rng=rng)
    conv.astype(np.float64)
    w, b = conv.params["weight"], conv.params["bias"]
    for scale in (1e6, 1.0, -3e5, 1.0):
        x = scale * rng.standard_normal((2, 5, 6, 6))
        dy = scale * rng.standard_normal((2, 4, 6, 6))
        np.testing.assert_allclose(conv.forward(x), naive_conv(x, w, b, 1, 1), rtol=1e-10)
        dx = conv.backward(dy)
        expected, _, _ = naive_conv_backward(x, w, dy, 1, 1)
        np.testing.assert_allclose(dx, expected, rtol=1e-10, atol=1e-9 * abs(scale))


def test_row_windows_only_where_openblas_has_small_products(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(conv_rows, "FORCE_ROWS", [None])
    try:
        for kernel, expected in (("SkylakeX", True), ("Haswell", False), ("unknown", False)):
            monkeypatch.setattr(conv_rows, "blas_kernel", lambda kernel=kernel: kernel)
            conv_rows._small_products.cache_clear()
            assert conv_rows.rows_available() is expected
            assert conv_rows.rows_fit(3, 32, 32, np.dtype(np.float32)) is expected
    finally:
        conv_rows._small_products.cache_clear()


@pytest.mark.parametrize("rows", [False, True])  # im2col; row windows (AVX-512 machines)
def test_convolutions_padded_to_the_same_shape_by_different_paddings_stay_exact(
    rows: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 6 x 6 input padded by 1 and a 4 x 4 one padded by 2 are both 8 x 8: the first one's
    interior is the second one's border, which must still be zero when the second runs."""
    monkeypatch.setattr(conv_rows, "FORCE_ROWS", [rows])
    rng = np.random.default_rng(11)
    first, second = Conv2d(4, 4, 3, 1, 1, rng=rng), Conv2d(4, 4, 5, 1, 2, rng=rng)
    for conv in (first, second):
        conv.astype(np.float64)
    x1, x2 = rng.standard_normal((2, 4, 6, 6)), rng.standard_normal((2, 4, 4, 4))
    for _ in range(2):  # each after the other has filled the buffers
        for conv, x in ((first, x1), (second, x2)):
            w, b, pad = conv.params["weight"], conv.params["bias"], conv.padding
            y = conv.forward(x, training=True)
            np.testing.assert_allclose(y, naive_conv(x, w, b, 1, pad), rtol=1e-10, atol=1e-10)
            dy = np.ones_like(y) + x.sum()
            dx = conv.backward(dy)
            ndx, ndw, _ = naive_conv_backward(x, w, dy, 1, pad)
            np.testing.assert_allclose(dx, ndx, rtol=1e-10, atol=1e-9)
            np.testing.assert_allclose(conv.grads["weight"], ndw, rtol=1e-10, atol=1e-9)
