"""Max pooling over windows (any kernel and stride, no padding, floor mode like PyTorch)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ocrpad.nn import arena
from ocrpad.nn.functional import scratch
from ocrpad.nn.module import Array, Layer, whole_number
from ocrpad.nn.parallel import parallel_for

TILE_CHANNELS = 32
"""Windows that tile the input (kernel = stride) of at most this many channels are pooled a
whole row of windows at a time (``MaxPool2d._tiles``): element-wise passes over strided
views whose contiguous runs are only C values long cost NumPy a loop call per run, and at 32
channels that overhead dominated (the 28x28 layer's backward 5.0 -> 3.5 ms on one thread
for 128 images). With 64 channels the per-window passes measured as fast."""

TILE_CHUNK_BYTES = 1 << 21
"""The row-of-windows passes walk the batch in chunks of about this much input, so that
their intermediate arrays stay in cache."""


def _tiles(a: Array, ho: int, wo: int, k: int) -> Array | None:
    """a (n, H, W, C) with contiguous pixels -> a view (n, Ho, k, Wo, k*C) of its first k*Ho
    rows and k*Wo columns, [:, r, i, c, j*C + ch] = a[:, k*r + i, k*c + j, ch]: for each
    window row i, a (n, Ho, Wo, k*C) view whose rows are runs of Wo*k*C contiguous values.
    None if a's pixels are not contiguous."""
    n, _, _, ch = a.shape
    sn, sh, sw, sc = a.strides
    if sc != a.itemsize or sw != ch * sc:
        return None
    view: Array = as_strided(a, (n, ho, k, wo, k * ch), (sn, k * sh, sh, k * sw, sc))
    return view


class MaxPool2d(Layer):
    """``MaxPool2d(kernel_size, stride=None)``; stride defaults to kernel_size.

    x: (N, C, H, W) -> (N, C, Ho, Wo), Ho = floor((H - kernel_size) / stride) + 1.
    The gradient goes to the first maximum of each window (row-major order), as in PyTorch.
    """

    _cache = ("_x", "_y")

    def __init__(self, kernel_size: int, stride: int | None = None) -> None:
        super().__init__()
        self.kernel_size = whole_number("kernel_size", kernel_size)
        self.stride = self.kernel_size if stride is None else whole_number("stride", stride)
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
        """(Ho, Wo) for an (H, W) input; ValueError naming the layer if the input is smaller
        than one window (it used to give a silent 0x0 output)."""
        k, s = self.kernel_size, self.stride
        if min(h, w) < k:
            self._refuse_input(f"its {h}x{w} input is smaller than its {k}x{k} window")
        return (h - k) // s + 1, (w - k) // s + 1

    def _tiled_rows(self, c: int) -> bool:
        """Whether windows of c channels are pooled by rows of windows (``TILE_CHANNELS``)."""
        return self.kernel_size == self.stride >= 2 and c <= TILE_CHANNELS

    def _chunk(self, x: Array) -> int:
        return max(1, TILE_CHUNK_BYTES // max(1, x[:1].nbytes))

    def pool_into(self, x: Array, out: Array) -> None:
        """Max over every window of x (n, H, W, C) into out (n, Ho, Wo, C), on this thread
        and without keeping anything for backward (the fused inference pass uses this)."""
        n, ho, wo, c = out.shape
        k = self.kernel_size
        if self._tiled_rows(c) and (tiles := _tiles(x, ho, wo, k)) is not None:
            # the max of each column of windows over whole rows, then across each window
            columns = scratch("pool-rows", (n, ho, wo, k * c), out.dtype)
            np.maximum(tiles[:, :, 0], tiles[:, :, 1], out=columns)
            for i in range(2, k):
                np.maximum(columns, tiles[:, :, i], out=columns)
            split = columns.reshape(n, ho, wo, k, c)
            np.maximum(split[..., 0, :], split[..., 1, :], out=out)
            for j in range(2, k):
                np.maximum(out, split[..., j, :], out=out)
            return
        rows, cols = (offsets := self._offsets(out.shape[1], out.shape[2]))[0]
        np.copyto(out, x[:, rows, cols])
        for rows, cols in offsets[1:]:
            np.maximum(out, x[:, rows, cols], out=out)

    def forward_cl(self, x: Array, *, training: bool = False) -> Array:
        """x: (N, H, W, C) -> (N, Ho, Wo, C)."""
        if x.ndim != 4:
            self._refuse_input(f"needs (N, C, H, W) inputs, got {x.shape}")
        n, h, w, c = x.shape
        y = arena.empty((n, *self.output_size(h, w), c), x.dtype)
        chunk = self._chunk(x) if self._tiled_rows(c) else n

        def work(part: int, lo: int, hi: int) -> None:
            for a in range(lo, hi, chunk):
                self.pool_into(x[a : min(a + chunk, hi)], y[a : min(a + chunk, hi)])

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
        chunk = self._chunk(x) if self._tiled_rows(x.shape[3]) else x.shape[0]

        def work(part: int, lo: int, hi: int) -> None:
            for a in range(lo, hi, chunk):
                b = min(a + chunk, hi)
                if not self._route_by_rows(x[a:b], y[a:b], dy[a:b], dx[a:b]):
                    self._route(x[a:b], y[a:b], dy[a:b], dx[a:b], tiled)

        parallel_for(x.shape[0], work)
        return dx

    def _route_by_rows(self, xs: Array, ys: Array, dys: Array, dxs: Array) -> bool:
        """dys (n, Ho, Wo, C) to the maximum of each window in dxs (n, H, W, C), window rows
        at a time (see ``TILE_CHANNELS``): every value equal to its window's maximum gets
        the window's gradient. True if that was right, i.e. no window holds its maximum
        twice; False (dxs then to be overwritten) for the exact per-offset pass."""
        n, ho, wo, c = ys.shape
        k = self.kernel_size
        if not self._tiled_rows(c):
            return False
        tiles, into = _tiles(xs, ho, wo, k), _tiles(dxs, ho, wo, k)
        if tiles is None or into is None:
            return False
        spread = scratch("pool-spread", (n, ho, wo, k, c), dys.dtype)  # per window column
        np.copyto(spread, ys[:, :, :, None, :])
        hits = scratch("pool-hits", (n, ho, k, wo, k * c), np.bool_)
        for i in range(k):
            np.equal(tiles[:, :, i], spread.reshape(n, ho, wo, k * c), out=hits[:, :, i])
        # as many hits as windows: one each, unless a NaN window (none) offsets a tie (two);
        # a sum that is not finite says there may be a NaN
        if np.count_nonzero(hits) != ys.size or not np.isfinite(ys.sum()):
            return False
        np.copyto(spread, dys[:, :, :, None, :])
        for i in range(k):
            np.multiply(hits[:, :, i], spread.reshape(n, ho, wo, k * c), out=into[:, :, i])
        return True

    def _route(self, xs: Array, ys: Array, dys: Array, dxs: Array, tiled: bool) -> None:
        """dys (n, Ho, Wo, C) to the first maximum of each window in dxs (n, H, W, C), one
        window offset at a time (dxs is zero beforehand unless the windows tile it)."""
        offsets = self._offsets(ys.shape[1], ys.shape[2])
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
