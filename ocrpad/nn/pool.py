"""Max pooling over windows (any kernel and stride, no padding, floor mode like PyTorch)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ocrpad.nn.module import Array, Layer


class MaxPool2d(Layer):
    """``MaxPool2d(kernel_size, stride=None)``; stride defaults to kernel_size.

    x: (N, C, H, W) -> (N, C, Ho, Wo), Ho = floor((H - kernel_size) / stride) + 1.
    The gradient goes to the first maximum of each window (row-major order), as in PyTorch.
    """

    def __init__(self, kernel_size: int, stride: int | None = None) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self._given_stride = stride
        self._x: Array | None = None
        self._y: Array | None = None

    def get_config(self) -> dict[str, Any]:
        return {"kernel_size": self.kernel_size, "stride": self._given_stride}

    def _offsets(self, ho: int, wo: int) -> list[tuple[slice, slice]]:
        """One (rows, cols) strided slice per window offset (i, j), row-major."""
        s, k = self.stride, self.kernel_size
        span_h, span_w = s * (ho - 1) + 1, s * (wo - 1) + 1
        return [
            (slice(i, i + span_h, s), slice(j, j + span_w, s)) for i in range(k) for j in range(k)
        ]

    def forward_cl(self, x: Array, *, training: bool = False) -> Array:
        """x: (N, H, W, C) -> (N, Ho, Wo, C)."""
        _, h, w, _ = x.shape
        k, s = self.kernel_size, self.stride
        ho, wo = (h - k) // s + 1, (w - k) // s + 1
        offsets = self._offsets(ho, wo)
        rows, cols = offsets[0]
        y = np.array(x[:, rows, cols], copy=True)
        for rows, cols in offsets[1:]:
            np.maximum(y, x[:, rows, cols], out=y)
        self._x, self._y = x, y
        return y

    def backward_cl(self, dy: Array, *, need_input_grad: bool = True) -> Array | None:
        """dy: (N, Ho, Wo, C) -> dx: (N, H, W, C)."""
        if self._x is None or self._y is None:
            raise RuntimeError("MaxPool2d.backward called before forward")
        x, y = self._x, self._y
        dx = np.zeros(x.shape, dtype=dy.dtype)
        unclaimed = np.ones(y.shape, dtype=bool)
        hit = np.empty(y.shape, dtype=bool)
        for rows, cols in self._offsets(y.shape[1], y.shape[2]):
            np.equal(x[:, rows, cols], y, out=hit)
            hit &= unclaimed
            unclaimed &= ~hit
            dx[:, rows, cols] += np.where(hit, dy, 0)
        return dx
