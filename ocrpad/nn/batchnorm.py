"""Batch normalisation over the channels of NCHW activations (PyTorch names and semantics)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ocrpad.nn import arena
from ocrpad.nn.functional import scratch
from ocrpad.nn.module import Array, Layer, tensor, whole_number
from ocrpad.nn.parallel import parallel_for
from ocrpad.nn.shard import Shard

F64 = NDArray[np.float64]
_CHUNK_BYTES = 1 << 20
"""Per-chunk size of the passes: about one core's L2. As fast on one thread as 256 KB, and a
quarter of the NumPy calls, which matters when the threads of a data-parallel pass take turns
at Python's GIL for every call."""
_FAR_FROM_ZERO = 8.0
"""A channel whose batch mean is more than this many standard deviations from zero has its
sums taken again around that mean. Sums of x and x * x in float32 hold about seven digits, and
the variance E[x²] - E[x]² loses about 2 log10(|mean| / std) of them: at 300 standard
deviations it kept none of PyTorch's. At 8 it keeps five. The shipped network's activations
stay within about 5 (its second convolution's, in training), so it never pays the second
pass."""


class BatchNorm2d(Layer):
    """``BatchNorm2d(num_features, eps=1e-5, momentum=0.1)``.

    x: (N, C, H, W). Training normalises with the batch statistics and updates
    ``running_mean`` / ``running_var`` (unbiased variance, as PyTorch); inference uses the
    running statistics. params: weight (C,), bias (C,); buffers: running_mean, running_var.
    Every pass is a per-channel sum or affine map, split over the worker threads. A replica
    running one part of a data-parallel pass adds its sums to the other parts' (``Shard``),
    so it normalises with the whole batch's statistics, as the serial pass does.
    """

    _cache = ("_x",)
    weight = tensor("params", "weight", "(C,) scale: ``params['weight']``")
    bias = tensor("params", "bias", "(C,) shift: ``params['bias']``")
    running_mean = tensor("buffers", "running_mean", "(C,): ``buffers['running_mean']``")
    running_var = tensor("buffers", "running_var", "(C,): ``buffers['running_var']``")

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1) -> None:
        super().__init__()
        if not (0 < eps < math.inf and 0 <= momentum <= 1):
            raise ValueError(f"eps must be > 0 and momentum in [0, 1], not {eps}, {momentum}")
        self.num_features = c = whole_number("num_features", num_features)
        self.eps, self.momentum = eps, momentum
        self.params = {"weight": np.ones(c, np.float32), "bias": np.zeros(c, np.float32)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.buffers = {
            "running_mean": np.zeros(c, np.float32),
            "running_var": np.ones(c, np.float32),
        }
        self._x: Array | None = None
        self._mean: F64 = np.zeros(c)
        self._invstd: F64 = np.ones(c)
        self._batch_stats = False
        self._count = 0  # values per channel in the last training batch (all parts)
        self._shard: Shard | None = None

    def replica(self, shard: Shard) -> BatchNorm2d:
        """Shares parameters and running statistics; sums its statistics with the other
        parts of ``shard``'s group (part 0 updates the running statistics)."""
        twin = super().replica(shard)
        assert isinstance(twin, BatchNorm2d)
        twin._shard = shard
        return twin

    def _whole_batch(self, *sums: F64) -> list[F64]:
        """Per-channel sums of this part -> the same sums over the whole batch."""
        return list(sums) if self._shard is None else self._shard.all_sum(sums)

    def get_config(self) -> dict[str, Any]:
        return {"num_features": self.num_features, "eps": self.eps, "momentum": self.momentum}

    def _chunk(self, x: Array) -> int:
        return max(1, _CHUNK_BYTES // max(1, x[:1].size * x.itemsize))

    def _sums(self, u: Array, x: Array, shift: Array | None = None) -> tuple[F64, F64]:
        """Per-channel (sum of u, sum of u * x) over N, H, W for u, x: (N, H, W, C); with
        ``shift`` (C,), x - shift in place of x (and of u, when u is x)."""
        c, chunk = self.num_features, self._chunk(x)
        partial: dict[int, tuple[F64, F64]] = {}

        def work(part: int, lo: int, hi: int) -> None:
            s, sx = np.zeros(c), np.zeros(c)
            ones = np.ones(chunk * (x[:1].size // c), u.dtype)
            for a in range(lo, hi, chunk):
                b = min(a + chunk, hi)
                uc, xc = u[a:b].reshape(-1, c), x[a:b].reshape(-1, c)
                if shift is not None:
                    centred = np.subtract(xc, shift, out=scratch("bn-shift", xc.shape, xc.dtype))
                    uc, xc = (centred if u is x else uc), centred
                # sums as BLAS products (5x faster than sum(axis=0)), by np.dot: `@` runs a
                # vector-matrix product holding the GIL (NumPy 2.4), which stalls the other
                # part of a data-parallel pass; np.dot lets it go (devtools/gil_probe.py)
                s += np.dot(ones[: len(uc)], uc)
                product = np.multiply(uc, xc, out=scratch("bn", uc.shape, uc.dtype))
                sx += np.dot(ones[: len(uc)], product)  # with the multiply: faster than einsum
            partial[part] = (s, sx)

        parts = parallel_for(x.shape[0], work)
        total_s = sum((partial[i][0] for i in range(1, parts)), partial[0][0])
        total_sx = sum((partial[i][1] for i in range(1, parts)), partial[0][1])
        return total_s, total_sx

    def _affine(self, terms: list[tuple[Array, F64]], const: F64) -> Array:
        """sum_i terms[i][0] * terms[i][1] + const, per channel: (N, H, W, C).

        Each image is one row of H*W*C values and each per-channel coefficient is repeated
        to a row as long: NumPy then runs every multiply and add over whole rows, 2-3x faster
        than broadcasting a (C,) vector along rows of C values."""
        first = terms[0][0]
        n, per_image = first.shape[0], first[:1].size
        dtype = np.result_type(first.dtype, self.params["weight"].dtype)
        out = arena.empty(first.shape, dtype)
        flat = out.reshape(n, per_image)
        repeats = per_image // self.num_features
        rows = [(a.reshape(n, per_image), np.tile(k.astype(dtype), repeats)) for a, k in terms]
        shift, chunk = np.tile(const.astype(dtype), repeats), self._chunk(first)

        def work(part: int, lo: int, hi: int) -> None:
            for a in range(lo, hi, chunk):
                b = min(a + chunk, hi)
                o = flat[a:b]
                np.multiply(rows[0][0][a:b], rows[0][1], out=o)
                for arr, k in rows[1:]:
                    o += np.multiply(arr[a:b], k, out=scratch("bn", o.shape, dtype))
                o += shift

        parallel_for(n, work)
        return out

    def forward_cl(self, x: Array, *, training: bool = False) -> Array:
        """x: (N, H, W, C) -> (N, H, W, C)."""
        if x.ndim != 4 or x.shape[3] != self.num_features:
            shape = (x.shape[0], x.shape[3], *x.shape[1:3]) if x.ndim == 4 else x.shape
            self._refuse_input(f"needs (N, {self.num_features}, H, W) inputs, got {shape}")
        if training:
            count = np.array([x.size // self.num_features], np.float64)
            s, sxx, count = self._whole_batch(*self._sums(x, x), count)
            if count[0] == 0:  # every part of the batch sees the same total, so all raise
                raise ValueError(
                    f"{self!r}: a training pass needs at least one value per channel; "
                    f"got an input of shape {_nchw(x.shape)}"
                )
            n = self._count = int(count[0])
            mean = s / n
            var = np.maximum(sxx / n - mean * mean, 0.0)
            if np.any(mean * mean > _FAR_FROM_ZERO**2 * (var + self.eps)):  # same in every part
                shift = mean.astype(x.dtype)
                s, sxx = self._whole_batch(*self._sums(x, x, shift))
                centred = s / n
                mean, var = shift + centred, np.maximum(sxx / n - centred * centred, 0.0)
            if self._shard is None or self._shard.part == 0:
                m = self.momentum
                rm, rv = self.buffers["running_mean"], self.buffers["running_var"]
                rm[...] = (1 - m) * rm + m * mean
                rv[...] = (1 - m) * rv + m * var * (n / max(n - 1, 1))
        else:
            mean = self.buffers["running_mean"].astype(np.float64)
            var = self.buffers["running_var"].astype(np.float64)
        invstd = 1.0 / np.sqrt(var + self.eps)
        scale = self.params["weight"] * invstd
        self._x, self._mean, self._invstd, self._batch_stats = x, mean, invstd, training
        return self._affine([(x, scale)], self.params["bias"] - mean * scale)

    def backward_cl(self, dy: Array, *, need_input_grad: bool = True) -> Array | None:
        """dy: (N, H, W, C) -> dx: (N, H, W, C)."""
        if self._x is None:
            raise RuntimeError("BatchNorm2d.backward called before forward")
        x, mean, invstd = self._x, self._mean, self._invstd
        shift = None  # as in forward: sum(dy * x) - mean * sum(dy) cancels far from zero
        if np.any(np.abs(mean) * invstd > _FAR_FROM_ZERO):
            shift = mean.astype(x.dtype)
        s_dy, s_dyx = self._sums(dy, x, shift)
        offset = mean if shift is None else mean - shift  # x - offset = x - mean
        s_dy_xhat = invstd * (s_dyx - offset * s_dy)  # sum(dy * xhat), over this part
        self.grads["weight"][...] = s_dy_xhat
        self.grads["bias"][...] = s_dy
        if not need_input_grad:
            return None
        k_dy = self.params["weight"] * invstd
        if not self._batch_stats:  # fixed statistics: a per-channel affine map
            return self._affine([(dy, k_dy)], np.zeros_like(k_dy))
        s_dy, s_dy_xhat = self._whole_batch(s_dy, s_dy_xhat)
        n = self._count
        # dx = k_dy * (dy - mean(dy) - xhat * mean(dy * xhat)), expanded in dy and x
        g = s_dy_xhat / n
        k_x = -k_dy * invstd * g
        const = -k_dy * s_dy / n - k_x * mean
        return self._affine([(dy, k_dy), (x, k_x)], const)


def _nchw(shape: tuple[int, ...]) -> tuple[int, ...]:
    """The public (N, C, H, W) shape of a channels-last (N, H, W, C) one."""
    return (shape[0], shape[-1], *shape[1:-1]) if len(shape) == 4 else shape
