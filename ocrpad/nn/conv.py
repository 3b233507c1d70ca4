"""2-D convolution as one matrix multiply over the whole batch (im2col from strided views)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ocrpad.nn.functional import BufferCache, conv_output_size, pad_cl, windows_cl
from ocrpad.nn.module import Array, Layer
from ocrpad.nn.parallel import parallel_for

CHUNK_BYTES = 1 << 20
"""Target size of one im2col chunk: small enough to stay in a core's cache."""


class Conv2d(Layer):
    """``Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0)``, PyTorch layout.

    weight: (out, in, kh, kw), bias: (out,). x: (N, in, H, W) -> y: (N, out, Ho, Wo) with
    Ho = floor((H + 2*padding - kh) / stride) + 1 (same for W).
    Internally channels-last: the columns (N*Ho*Wo, kh*kw*in) times the weight as
    (kh*kw*in, out) gives y already as (N, Ho, Wo, out).
    """

    _cache = ("_x",)

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
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        rng = np.random.default_rng(0) if rng is None else rng
        fan_in = in_channels * kernel_size * kernel_size
        shape = (out_channels, in_channels, kernel_size, kernel_size)
        self.params["weight"] = (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(
            np.float32
        )
        self.params["bias"] = np.zeros(out_channels, dtype=np.float32)
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self._buf = BufferCache()
        self._x: Array | None = None

    def get_config(self) -> dict[str, Any]:
        return {
            "in_channels": self.in_channels,
            "out_channels": self.out_channels,
            "kernel_size": self.kernel_size,
            "stride": self.stride,
            "padding": self.padding,
        }

    def _weight_matrix(self) -> Array:
        """weight (O, C, kh, kw) -> (kh*kw*C, O), rows ordered like the im2col columns."""
        return self.params["weight"].transpose(2, 3, 1, 0).reshape(-1, self.out_channels)

    def _chunk_images(self, x_shape: tuple[int, ...], out_size: tuple[int, int]) -> int:
        """Images per im2col chunk so that a chunk's columns stay cache-sized."""
        per_image = out_size[0] * out_size[1] * self.kernel_size**2 * x_shape[3] * 4
        return max(1, CHUNK_BYTES // per_image)

    def _im2col(self, x: Array, lo: int, hi: int, part: int, chunk: int) -> Array:
        """Columns of images lo..hi of x (N, H, W, C) -> (m, kh*kw*C) in a reused buffer."""
        k, s, p = self.kernel_size, self.stride, self.padding
        _, h, w, c = x.shape
        dtype = np.result_type(x.dtype, self.params["weight"].dtype)
        src = x[lo:hi]
        if p:
            xp = self._buf.get(f"xp{part}", (chunk, h + 2 * p, w + 2 * p, c), dtype)
            src = pad_cl(src, p, out=xp[: hi - lo])
        win = windows_cl(src, k, k, s)  # (n, Ho, Wo, kh, kw, C), a view
        rows = win.shape[0] * win.shape[1] * win.shape[2]
        cols = self._buf.get(f"cols{part}", (chunk * rows // win.shape[0], k * k * c), dtype)
        np.copyto(cols[:rows].reshape(win.shape), win)
        return cols[:rows]

    def forward_cl(self, x: Array, *, training: bool = False) -> Array:
        """x: (N, H, W, C) -> (N, Ho, Wo, O). The batch is split over the worker threads and
        each thread walks its images in cache-sized im2col chunks."""
        k, s, p = self.kernel_size, self.stride, self.padding
        n, h, w, _ = x.shape
        ho, wo = conv_output_size(h, k, s, p), conv_output_size(w, k, s, p)
        dtype = np.result_type(x.dtype, self.params["weight"].dtype)
        y = np.empty((n * ho * wo, self.out_channels), dtype)  # (M, O)
        wm = np.ascontiguousarray(self._weight_matrix(), dtype=dtype)
        bias, per_image = self.params["bias"], ho * wo
        chunk = self._chunk_images(x.shape, (ho, wo))

        def work(part: int, lo: int, hi: int) -> None:
            for a in range(lo, hi, chunk):
                b = min(a + chunk, hi)
                rows = slice(a * per_image, b * per_image)
                np.matmul(self._im2col(x, a, b, part, chunk), wm, out=y[rows])
                y[rows] += bias

        parallel_for(n, work)
        self._x = x
        return y.reshape(n, ho, wo, self.out_channels)

    def backward_cl(self, dy: Array, *, need_input_grad: bool = True) -> Array | None:
        """dy: (N, Ho, Wo, O) -> dx: (N, H, W, C); fills grads. The columns are rebuilt
        chunk by chunk instead of being kept from the forward pass."""
        if self._x is None:
            raise RuntimeError("Conv2d.backward called before forward")
        x = self._x
        n, ho, wo, o = dy.shape
        k, c = self.kernel_size, self.in_channels
        dy2 = np.ascontiguousarray(dy).reshape(n * ho * wo, o)  # (M, O)
        dx = np.empty(x.shape, dy2.dtype) if need_input_grad else None
        chunk, per_image = self._chunk_images(x.shape, (ho, wo)), ho * wo
        dws: dict[int, Array] = {}
        dbs: dict[int, Array] = {}

        def work(part: int, lo: int, hi: int) -> None:
            dw = np.zeros((k * k * c, o), dy2.dtype)  # (kh*kw*C, O)
            db = np.zeros(o, dy2.dtype)
            for a in range(lo, hi, chunk):
                b = min(a + chunk, hi)
                rows = slice(a * per_image, b * per_image)
                dw += self._im2col(x, a, b, part, chunk).T @ dy2[rows]
                db += dy2[rows].sum(axis=0)
                if dx is not None:
                    self._input_grad(dy2[rows], dx[a:b], part, (ho, wo), chunk)
            dws[part], dbs[part] = dw, db

        parts = parallel_for(n, work)
        dw = sum(dws[i] for i in range(1, parts)) + dws[0]
        self.grads["weight"][...] = dw.reshape(k, k, c, o).transpose(3, 2, 0, 1)
        self.grads["bias"][...] = sum(dbs[i] for i in range(1, parts)) + dbs[0]
        return dx

    def _input_grad(
        self, dy2: Array, dx: Array, part: int, out_size: tuple[int, int], chunk: int
    ) -> None:
        """Write the input gradient of a few images into dx (n, H, W, C): kh*kw small matmuls
        (m, O) @ (O, C), each added to a shifted view of the padded gradient."""
        n, h, w, c = dx.shape
        k, s, p = self.kernel_size, self.stride, self.padding
        ho, wo = out_size
        # (kh, kw, O, C): each (O, C) slice contiguous, so every matmul goes to BLAS
        weight = np.ascontiguousarray(self.params["weight"].transpose(2, 3, 0, 1), dy2.dtype)
        dxp = dx
        if p:
            shape = (chunk, h + 2 * p, w + 2 * p, c)
            dxp = self._buf.get(f"dxp{part}", shape, dy2.dtype)[:n]
        dxp.fill(0)
        scratch_rows = chunk * ho * wo
        scratch = self._buf.get(f"scratch{part}", (scratch_rows, c), dy2.dtype)[: dy2.shape[0]]
        for i in range(k):
            for j in range(k):
                np.matmul(dy2, weight[i, j], out=scratch)
                view = dxp[:, i : i + s * (ho - 1) + 1 : s, j : j + s * (wo - 1) + 1 : s]
                view += scratch.reshape(n, ho, wo, c)
        if p:
            dx[...] = dxp[:, p : p + h, p : p + w]
