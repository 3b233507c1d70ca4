"""2-D convolution as one matrix multiply over the whole batch (im2col from strided views)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ocrpad.nn.functional import BufferCache, pad_cl, windows_cl
from ocrpad.nn.module import Array, Layer


class Conv2d(Layer):
    """``Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0)``, PyTorch layout.

    weight: (out, in, kh, kw), bias: (out,). x: (N, in, H, W) -> y: (N, out, Ho, Wo) with
    Ho = floor((H + 2*padding - kh) / stride) + 1 (same for W).
    Internally channels-last: the columns (N*Ho*Wo, kh*kw*in) times the weight as
    (kh*kw*in, out) gives y already as (N, Ho, Wo, out).
    """

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
        self._cols: Array | None = None
        self._x_shape: tuple[int, ...] = ()

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

    def forward_cl(self, x: Array, *, training: bool = False) -> Array:
        """x: (N, H, W, C) -> (N, Ho, Wo, O)."""
        k, p = self.kernel_size, self.padding
        n, h, w, c = x.shape
        dtype = np.result_type(x.dtype, self.params["weight"].dtype)
        xp = pad_cl(
            x, p, out=self._buf.get("xp", (n, h + 2 * p, w + 2 * p, c), dtype) if p else None
        )
        win = windows_cl(xp, k, k, self.stride)  # (N, Ho, Wo, kh, kw, C)
        ho, wo = win.shape[1], win.shape[2]
        cols = self._buf.get("cols", (n * ho * wo, k * k * c), dtype)
        np.copyto(cols.reshape(win.shape), win)
        y = cols @ self._weight_matrix()  # (N*Ho*Wo, O)
        y += self.params["bias"]
        self._cols, self._x_shape = cols, x.shape
        return y.reshape(n, ho, wo, self.out_channels)

    def backward_cl(self, dy: Array, *, need_input_grad: bool = True) -> Array | None:
        """dy: (N, Ho, Wo, O) -> dx: (N, H, W, C); fills grads."""
        if self._cols is None:
            raise RuntimeError("Conv2d.backward called before forward")
        n, ho, wo, o = dy.shape
        dy2 = np.ascontiguousarray(dy).reshape(n * ho * wo, o)  # (M, O)
        k, c = self.kernel_size, self.in_channels
        dw = self._cols.T @ dy2  # (kh*kw*C, O)
        self.grads["weight"][...] = dw.reshape(k, k, c, o).transpose(3, 2, 0, 1)
        self.grads["bias"][...] = dy2.sum(axis=0)
        if not need_input_grad:
            return None
        return self._input_grad(dy2, ho, wo)

    def _input_grad(self, dy2: Array, ho: int, wo: int) -> Array:
        """kh*kw small matmuls (M, O) @ (O, C), each added to a shifted view of dx."""
        n, h, w, c = self._x_shape
        k, s, p = self.kernel_size, self.stride, self.padding
        weight = self.params["weight"]
        dxp = np.zeros((n, h + 2 * p, w + 2 * p, c), dtype=dy2.dtype)
        part = self._buf.get("part", (dy2.shape[0], c), dy2.dtype)
        for i in range(k):
            for j in range(k):
                np.matmul(dy2, weight[:, :, i, j], out=part)
                view = dxp[:, i : i + s * (ho - 1) + 1 : s, j : j + s * (wo - 1) + 1 : s]
                view += part.reshape(n, ho, wo, c)
        return dxp[:, p : p + h, p : p + w] if p else dxp
