"""2-D convolution as one matrix multiply over the whole batch (im2col from strided views)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from ocrpad.nn import arena
from ocrpad.nn.columns import SMALL_CHANNELS, im2col
from ocrpad.nn.conv_dy import backward_dy_columns
from ocrpad.nn.conv_rows import (
    RowsForward,
    backward_rows,
    forward_rows,
    rows_fit,
    rows_fit_backward,
)
from ocrpad.nn.functional import conv_output_size, relu_into, scratch
from ocrpad.nn.module import Array, Layer, tensor, whole_number
from ocrpad.nn.one_image import infer_one
from ocrpad.nn.parallel import parallel_for
from ocrpad.nn.pool import MaxPool2d
from ocrpad.nn.shard import Shard

CHUNK_BYTES = 3 << 20
"""Target size of one im2col chunk (its columns and its output) in training passes: a few
images, so that each matrix multiply is large enough to run at full speed while the columns
still come from cache. Fewer, larger chunks mean fewer NumPy calls, and in a data-parallel
training step the two threads take turns at Python's GIL for every call: there 3 to 4 MB
measured best on a 2-core machine with 1 MB L2 per core and a shared L3 (a quiet step's
quartile 87 ms against 90 at 2 MB and 89 at 5 MB)."""

INFERENCE_CHUNK_BYTES = 1 << 22
"""The same for inference's im2col chunks (``infer_cl``). 4 MB measured best for every layer
of the shipped network on a 2-core AMD EPYC with the Haswell kernel (batch 256, the sizes
interleaved: the whole pass 96 ms against 106 at 2 MB, 100 at 3 MB and 97 at 6 MB; the
32-channel 28x28 layer 36.9 ms against 40.3 at 2 MB): a larger product runs nearer the peak,
which gains more than columns that stay in the 512 KB L2. Convolutions that run from row
windows (``conv_rows``) take that module's chunks in inference too: 3 MB measured best there
(batch 256, 0.87 of the im2col path's time, against 0.90 at 2 MB and 1.04 at 1 MB)."""

ROWS_MIN_INFERENCE_BATCH = 16
"""Inference batches of at least this many images compute the layers that ``rows_fit`` from
row windows (``conv_rows``). One or two images run faster from the full im2col, whose one
large product BLAS splits over its own threads (the shipped network, the two paths
interleaved, time from row windows / from im2col: 1.06-1.20 for 1 or 2 images, 0.86-1.01
from 4 to 16, 0.93 at 30, 0.89 at 64, 0.85 at 256)."""


class Conv2d(Layer):
    """``Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0)``, PyTorch layout.

    weight: (out, in, kh, kw), bias: (out,). x: (N, in, H, W) -> y: (N, out, Ho, Wo) with
    Ho = floor((H + 2*padding - kh) / stride) + 1 (same for W).
    Internally channels-last: the columns (N*Ho*Wo, kh*kw*in + 1) times the weight matrix
    (kh*kw*in + 1, out) gives y already as (N, Ho, Wo, out). That matrix is where the
    parameters live: ``params["weight"]`` and ``params["bias"]`` are views of it in PyTorch's
    layout (and the gradients likewise), so a forward pass never rearranges the weights and
    every in-place update (optimizers, ``load_state_dict``) reaches the matrix.
    """

    _cache = ("_x",)
    weight = tensor("params", "weight", "(out, in, kh, kw): ``params['weight']``")
    bias = tensor("params", "bias", "(out,): ``params['bias']``")

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
        *,
        rng: np.random.Generator | None = None,
    ) -> None:
        super().__init__()
        self.in_channels = whole_number("in_channels", in_channels)
        self.out_channels = whole_number("out_channels", out_channels)
        self.kernel_size = whole_number("kernel_size", kernel_size)
        self.stride = whole_number("stride", stride)
        self.padding = whole_number("padding", padding, 0)
        rng = np.random.default_rng(0) if rng is None else rng
        fan_in = in_channels * kernel_size * kernel_size
        shape = (out_channels, in_channels, kernel_size, kernel_size)
        self._matrix = self._new_matrix(np.float32)  # (kh*kw*in + 1, out): weight rows, bias
        self._grad_matrix = self._new_matrix(np.float32)
        self._expose()
        self.params["weight"][...] = rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)
        self._x: Array | None = None

    def get_config(self) -> dict[str, Any]:
        return {
            "in_channels": self.in_channels,
            "out_channels": self.out_channels,
            "kernel_size": self.kernel_size,
            "stride": self.stride,
            "padding": self.padding,
        }

    def _new_matrix(self, dtype: DTypeLike) -> Array:
        """A zero (kh*kw*C + 1, O) matrix: rows ordered like the im2col columns, then bias."""
        k, c, o = self.kernel_size, self.in_channels, self.out_channels
        return np.zeros((k * k * c + 1, o), dtype)

    def _as_weight(self, matrix: Array) -> Array:
        """(kh*kw*C + 1, O) -> a view (O, C, kh, kw) of its weight rows."""
        k, c, o = self.kernel_size, self.in_channels, self.out_channels
        return matrix[:-1].reshape(k, k, c, o).transpose(3, 2, 0, 1)

    def _expose(self) -> None:
        """Point params and grads at the matrices (PyTorch-layout views)."""
        self.params = {"weight": self._as_weight(self._matrix), "bias": self._matrix[-1]}
        self.grads = {"weight": self._as_weight(self._grad_matrix), "bias": self._grad_matrix[-1]}

    def astype(self, dtype: DTypeLike) -> None:
        self._matrix = self._matrix.astype(dtype)
        self._grad_matrix = self._grad_matrix.astype(dtype)
        self._expose()

    def replica(self, shard: Shard) -> Conv2d:
        """Shares the weight matrix; its own gradient matrix (see ``Layer.replica``)."""
        twin = super().replica(shard)
        assert isinstance(twin, Conv2d)
        twin._grad_matrix = np.zeros_like(self._grad_matrix)
        twin._expose()
        return twin

    def weight_matrix(self, dtype: np.dtype[Any]) -> Array:
        """The (kh*kw*C + 1, O) weight-and-bias matrix in `dtype` (itself if it matches)."""
        return self._matrix if self._matrix.dtype == dtype else self._matrix.astype(dtype)

    def _chunk_images(
        self, x_shape: tuple[int, ...], out_size: tuple[int, int], budget: int | None = None
    ) -> int:
        """Images per im2col chunk so that a chunk's columns and output fit ``budget`` bytes
        (default: ``CHUNK_BYTES``)."""
        columns = self.kernel_size**2 * x_shape[3] + 1 + self.out_channels  # and the output
        per_image = out_size[0] * out_size[1] * columns * 4
        return max(1, (CHUNK_BYTES if budget is None else budget) // per_image)

    def _im2col(self, x: Array, lo: int, hi: int) -> Array:
        """Columns of images lo..hi of x (N, H, W, C) -> (m, kh*kw*C + 1) in this thread's
        scratch space (``nn.columns``); the last column is 1 (it multiplies the bias row of
        the weight matrix)."""
        dtype = np.result_type(x.dtype, self.params["weight"].dtype)
        return im2col(x[lo:hi], self.kernel_size, self.stride, self.padding, dtype)

    def output_size(self, x: Array) -> tuple[int, int]:
        """(Ho, Wo) for x (N, H, W, C); ValueError naming the layer unless x is 4-D with
        ``in_channels`` channels and at least as large as the kernel (padding included)."""
        if x.ndim != 4 or x.shape[3] != self.in_channels:
            shape = (x.shape[0], x.shape[3], *x.shape[1:3]) if x.ndim == 4 else x.shape
            self._refuse_input(f"needs (N, {self.in_channels}, H, W) inputs, got {shape}")
        k, s, p = self.kernel_size, self.stride, self.padding
        h, w = x.shape[1], x.shape[2]
        if min(h, w) + 2 * p < k:
            padded = f" (padding {p} on each side)" if p else ""
            self._refuse_input(f"its {h}x{w} input{padded} is smaller than its {k}x{k} kernel")
        return conv_output_size(h, k, s, p), conv_output_size(w, k, s, p)

    def forward_cl(self, x: Array, *, training: bool = False) -> Array:
        """x: (N, H, W, C) -> (N, Ho, Wo, O). The batch is split over the worker threads and
        each thread walks its images in cache-sized im2col chunks."""
        ho, wo = self.output_size(x)
        n, k, p = x.shape[0], self.kernel_size, self.padding
        dtype = np.result_type(x.dtype, self.params["weight"].dtype)
        y = arena.empty((n * ho * wo, self.out_channels), dtype)  # (M, O)
        wm, per_image = self.weight_matrix(dtype), ho * wo
        if self._by_rows(x, dtype):
            forward_rows(x, y.reshape(n, ho * wo, -1), wm, k, p)
            self._x = x
            return y.reshape(n, ho, wo, self.out_channels)
        chunk = self._chunk_images(x.shape, (ho, wo))

        def work(part: int, lo: int, hi: int) -> None:
            for a in range(lo, hi, chunk):
                b = min(a + chunk, hi)
                rows = slice(a * per_image, b * per_image)
                np.matmul(self._im2col(x, a, b), wm, out=y[rows])

        parallel_for(n, work)
        self._x = x
        return y.reshape(n, ho, wo, self.out_channels)

    def _by_rows(self, x: Array, dtype: np.dtype[Any]) -> bool:
        """Whether the forward product of x (N, H, W, C) runs from row windows
        (``nn.conv_rows``) rather than a full im2col."""
        c = x.shape[3]
        return (
            self.stride == 1
            and c > SMALL_CHANNELS
            and rows_fit(self.kernel_size, c, self.out_channels, dtype)
        )

    def infer_cl(
        self,
        x: Array,
        matrix: Array,
        pools: Sequence[MaxPool2d] = (),
        relu: bool = False,
        affine: tuple[Array, Array] | None = None,
    ) -> Array:
        """Inference only, nothing kept for backward: x (N, H, W, C) times ``matrix`` (a
        (kh*kw*C + 1, O) weight-and-bias matrix, e.g. with a batch norm folded in), then the
        max-pools in order, ``affine`` (scale, shift), each (O,), and a ReLU, each chunk
        finished while it is still in cache. The affine map comes after the pools, which is
        exact only for positive scales (a max commutes with an increasing map). In
        batches of ``ROWS_MIN_INFERENCE_BATCH`` or more, the product runs from row windows
        where the training pass's does (``_by_rows``).
        A lone image runs from buffers its thread keeps (``nn.one_image``).
        Returns (N, Ho', Wo', O), Ho' and Wo' after the pools."""
        ho, wo = self.output_size(x)
        n, k, p, o = x.shape[0], self.kernel_size, self.padding, self.out_channels
        if n == 1:
            return infer_one(x, matrix, (k, p, self.stride), pools, relu, affine)
        out_h, out_w = ho, wo
        for pool in pools:
            out_h, out_w = pool.output_size(out_h, out_w)
        y = np.empty((n, out_h, out_w, o), matrix.dtype)
        by_rows = n >= ROWS_MIN_INFERENCE_BATCH and self._by_rows(x, matrix.dtype)
        rows = RowsForward(x.shape, matrix, k, p) if by_rows else None
        if rows is not None:
            chunk = rows.chunk
        else:
            chunk = self._chunk_images(x.shape, (ho, wo), INFERENCE_CHUNK_BYTES)

        def product(a: int, b: int, out: Array) -> Array:
            """out ((b - a) * Ho * Wo, O) = the convolution of images a..b."""
            if rows is not None:
                rows.into(x[a:b], out.reshape(b - a, ho * wo, o))
                return out
            return np.matmul(self._im2col(x, a, b), matrix, out=out)

        def work(part: int, lo: int, hi: int) -> None:
            for a in range(lo, hi, chunk):
                b = min(a + chunk, hi)
                if not pools:
                    product(a, b, y[a:b].reshape(-1, o))
                else:
                    full = scratch("y", ((b - a) * ho * wo, o), matrix.dtype)
                    out = product(a, b, full).reshape(b - a, ho, wo, o)
                    for pool in pools[:-1]:
                        size = pool.output_size(out.shape[1], out.shape[2])
                        smaller = np.empty((b - a, *size, o), out.dtype)
                        pool.pool_into(out, smaller)
                        out = smaller
                    pools[-1].pool_into(out, y[a:b])
                if affine is not None:
                    y[a:b] *= affine[0]
                    y[a:b] += affine[1]
                if relu:
                    relu_into(y[a:b], y[a:b])

        parallel_for(n, work)
        return y

    def backward_cl(
        self, dy: Array, *, need_input_grad: bool = True, need_param_grad: bool = True
    ) -> Array | None:
        """dy: (N, Ho, Wo, O) -> dx: (N, H, W, C); fills grads (unless `need_param_grad` is
        False: explanations want only dx, and the weight gradient is half the work). The
        columns are rebuilt chunk by chunk instead of being kept from the forward pass."""
        if self._x is None:
            raise RuntimeError("Conv2d.backward called before forward")
        x = self._x
        n, ho, wo, o = dy.shape
        k, c = self.kernel_size, self.in_channels
        dy2 = np.ascontiguousarray(dy).reshape(n * ho * wo, o)  # (M, O)
        dx = arena.empty(x.shape, dy2.dtype) if need_input_grad else None
        # dy's columns are kh*kw*O wide, x's kh*kw*C: without an input gradient to compute,
        # they pay only when O <= C (not for a first layer on a grey image)
        if self.stride == 1 and self.padding <= k - 1 and (need_input_grad or o <= c):
            grad = self._grad_matrix if need_param_grad else None
            by_rows = rows_fit_backward(k, c, o, dy2.dtype)
            backward = backward_rows if by_rows else backward_dy_columns
            backward(x, dy2, dx, self._matrix, k, self.padding, grad)
            return dx
        chunk, per_image = self._chunk_images(x.shape, (ho, wo)), ho * wo
        # (kh, kw, O, C): each (O, C) slice contiguous, so every matmul goes to BLAS
        weight = self._matrix[:-1].reshape(k, k, c, o).transpose(0, 1, 3, 2)
        weight = np.ascontiguousarray(weight, dy2.dtype)
        dws: dict[int, Array] = {}

        def work(part: int, lo: int, hi: int) -> None:
            dw = np.zeros((k * k * c + 1, o), dy2.dtype)  # (kh*kw*C + 1, O): weight, bias
            for a in range(lo, hi, chunk):
                b = min(a + chunk, hi)
                rows = slice(a * per_image, b * per_image)
                if need_param_grad:
                    dw += self._im2col(x, a, b).T @ dy2[rows]
                if dx is not None:
                    self._input_grad(dy2[rows], dx[a:b], weight)
            dws[part] = dw

        parts = parallel_for(n, work)
        if need_param_grad:
            self._grad_matrix[...] = sum(dws[i] for i in range(1, parts)) + dws[0]
        return dx

    def _input_grad(self, dy2: Array, dx: Array, weight: Array) -> None:
        """Write the input gradient of a few images into dx (n, H, W, C) from their dy2
        (n*Ho*Wo, O) and the weight as (kh, kw, O, C): kh*kw small matmuls (m, O) @ (O, C),
        each added to a shifted view of the padded gradient."""
        n, h, w, c = dx.shape
        k, s, p = self.kernel_size, self.stride, self.padding
        ho = conv_output_size(h, k, s, p)
        wo = dy2.shape[0] // (n * ho)
        dxp = dx
        if p:
            dxp = scratch("dxp", (n, h + 2 * p, w + 2 * p, c), dy2.dtype)
        dxp.fill(0)
        product = scratch("product", (dy2.shape[0], c), dy2.dtype)
        for i in range(k):
            for j in range(k):
                np.matmul(dy2, weight[i, j], out=product)
                view = dxp[:, i : i + s * (ho - 1) + 1 : s, j : j + s * (wo - 1) + 1 : s]
                view += product.reshape(n, ho, wo, c)
        if p:
            dx[...] = dxp[:, p : p + h, p : p + w]
