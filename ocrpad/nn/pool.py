"""Max pooling over windows (any kernel and stride, no padding, floor mode like PyTorch)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ocrpad.nn import arena
from ocrpad.nn.module import Array, Layer
from ocrpad.nn.parallel import parallel_for


class MaxPool2d(Layer):
    """``MaxPool2d(kernel_size, stride=None)``; stride defaults to kernel_size.

    x: (N, C, H, W) -> (N, C, Ho, Wo), Ho = floor((H - kernel_size) / stride) + 1.
    The gradient goes to the first maximum of each window (row-major order), as in PyTorch.
    """

    _cache = ("_x", "_y")

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

    def output_size(self, h: int, w: int) -> tuple[int, int]:
        """(Ho, Wo) for an (H, W) input."""
        k, s = self.kernel_size, self.stride
        return (h - k) // s + 1, (w - k) // s + 1

    def pool_into(self, x: Array, out: Array) -> None:
        """Max over every window of x (n, H, W, C) into out (n, Ho, Wo, C), on this thread
        and without keeping anything for backward (the fused inference pass uses this)."""
        rows, cols = (offsets := self._offsets(out.shape[1], out.shape[2]))[0]
        np.copyto(out, x[:, rows, cols])
        for rows, cols in offsets[1:]:
            np.maximum(out, x[:, rows, cols], out=out)

    def forward_cl(self, x: Array, *, training: bool = False) -> Array:
        """x: (N, H, W, C) -> (N, Ho, Wo, C)."""
        n, h, w, c = x.shape
        y = arena.empty((n, *self.output_size(h, w), c), x.dtype)

        def work(part: int, lo: int, hi: int) -> None:
            self.pool_into(x[lo:hi], y[lo:hi])

        parallel_for(n, work)
        self._x, self._y = x, y
        return y

    def backward_cl(self, dy: Array, *, need_input_grad: bool = True) -> Array | None:
        """dy: (N, Ho, Wo, C) -> dx: (N, H, W, C)."""
        if self._x is None or self._y is None:
            raise RuntimeError("MaxPool2d.backward called before forward")
        x, y = self._x, self._y
        k, s = self.kernel_size, self.stride
        tiled = k == s and x.shape[1] == k * y.shape[1] and x.shape[2] == k * y.shape[2]
        # Non-overlapping windows that tile the input: every dx element is written exactly once.
        dx = arena.empty(x.shape, dy.dtype)
        if not tiled:
            dx.fill(0)
        offsets = self._offsets(y.shape[1], y.shape[2])

        def work(part: int, lo: int, hi: int) -> None:
            xs, ys, dys, dxs = x[lo:hi], y[lo:hi], dy[lo:hi], dx[lo:hi]
            hit = np.empty(ys.shape, dtype=bool)
            unclaimed = np.empty(ys.shape, dtype=bool)
            last = len(offsets) - 1
            for index, (rows, cols) in enumerate(offsets):
                if index == last > 0:  # whatever is still unclaimed is the max here
                    hit, unclaimed = unclaimed, hit
                else:
                    np.equal(xs[:, rows, cols], ys, out=hit)
                    if index == 0:
                        np.logical_not(hit, out=unclaimed)
                    else:
                        hit &= unclaimed
                        unclaimed ^= hit
                if tiled:
                    np.multiply(hit, dys, out=dxs[:, rows, cols])
                else:
                    dxs[:, rows, cols] += hit * dys

        parallel_for(x.shape[0], work)
        return dx
