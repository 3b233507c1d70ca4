"""Inference of a lone image through a convolution, from buffers kept per thread.

A drawing read after each stroke is a batch of one, and there the work of a convolution is
small (the shipped network's largest is a 784 x 289 by 289 x 32 product) while building it
the batch way costs a dozen NumPy calls: a padded copy, a strided view of its windows, the
columns with their column of ones, the output. For one image of a given size those arrays
are the same every time, so they are made once per thread (``_Buffers``) and every later
pass only copies the input in and runs the product: batch-1 inference of the shipped network
1.21 → 1.02 ms on a 2-core AMD EPYC (the two roads alternated, medians of 20 rounds of 100).
The arithmetic is the batch road's, operation for operation, so the results are identical.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from ocrpad.nn.columns import SMALL_CHANNELS
from ocrpad.nn.functional import relu_into, windows_cl
from ocrpad.nn.module import Array


class Pool(Protocol):
    """What the pass needs of a max-pool (``nn.pool.MaxPool2d``)."""

    def output_size(self, h: int, w: int) -> tuple[int, int]: ...

    def pool_into(self, x: Array, out: Array) -> None: ...


_thread = threading.local()  # .buffers: geometry -> _Buffers, this thread's


class _Buffers:
    """For one image (1, H, W, C) into a k x k convolution to O channels, padded by p, with
    stride s: the padded input ``padded`` (its border zero, ``inside`` the part an input is
    copied to), the copies that fill the columns from its windows, the columns ``columns``
    (M, k*k*C + 1) whose last column is 1, and the product ``product`` (M, O), M = Ho*Wo."""

    def __init__(
        self, shape: tuple[int, ...], k: int, p: int, s: int, o: int, dtype: np.dtype
    ) -> None:
        _, h, w, c = shape
        self.padded = np.zeros((1, h + 2 * p, w + 2 * p, c), dtype)
        self.inside = self.padded[:, p : p + h, p : p + w]
        windows = windows_cl(self.padded, k, k, s)  # (1, Ho, Wo, k, k, C), a view
        self.out_rows, self.out_cols = windows.shape[1:3]
        pixels = self.out_rows * self.out_cols
        self.copies: list[tuple[Array, Array]]
        if c <= SMALL_CHANNELS:  # built transposed, as nn.columns.im2col does
            transposed = np.empty((k * k * c + 1, pixels), dtype)
            transposed[-1] = 1.0
            rows = transposed[:-1].reshape(k, k, c, 1, self.out_rows, self.out_cols)
            self.copies = [
                (rows[i, j], windows[:, :, :, i, j].transpose(3, 0, 1, 2))
                for i in range(k)
                for j in range(k)
            ]
            self.columns: Array = transposed.T
        else:
            self.columns = np.empty((pixels, k * k * c + 1), dtype)
            self.columns[:, -1] = 1.0
            self.copies = [(self.columns[:, :-1].reshape(windows.shape), windows)]
        self.product = np.empty((pixels, o), dtype)


def _buffers(shape: tuple[int, ...], k: int, p: int, s: int, o: int, dtype: np.dtype) -> _Buffers:
    """This thread's buffers for one image of ``shape`` into a k x k convolution to o
    channels, padded by p, with stride s."""
    store: dict[tuple[object, ...], _Buffers] = _thread.__dict__.setdefault("buffers", {})
    key = (shape, k, p, s, o, dtype.str)
    found = store.get(key)
    if found is None:
        found = store[key] = _Buffers(shape, k, p, s, o, dtype)
    return found


def infer_one(
    x: Array,
    matrix: Array,
    kernel: tuple[int, int, int],
    pools: Sequence[Pool],
    relu: bool,
    affine: tuple[Array, Array] | None,
) -> Array:
    """``Conv2d.infer_cl`` for x of one image (1, H, W, C) and a convolution whose
    ``kernel`` is (size, padding, stride) and whose weight-and-bias matrix is ``matrix``
    (k*k*C + 1, O): the product, the pools in order, ``affine`` (scale, shift) and a ReLU.
    Returns a new (1, Ho', Wo', O)."""
    k, p, s = kernel
    buffers = _buffers(x.shape, k, p, s, matrix.shape[1], matrix.dtype)
    np.copyto(buffers.inside, x)
    for target, source in buffers.copies:
        np.copyto(target, source)
    height, width, o = buffers.out_rows, buffers.out_cols, matrix.shape[1]
    for pool in pools:
        height, width = pool.output_size(height, width)
    y = np.empty((1, height, width, o), matrix.dtype)
    if not pools:
        np.matmul(buffers.columns, matrix, out=y.reshape(-1, o))
    else:
        np.matmul(buffers.columns, matrix, out=buffers.product)
        out = buffers.product.reshape(1, buffers.out_rows, buffers.out_cols, o)
        for pool in pools[:-1]:
            smaller = np.empty((1, *pool.output_size(*out.shape[1:3]), o), out.dtype)
            pool.pool_into(out, smaller)
            out = smaller
        pools[-1].pool_into(out, y)
    if affine is not None:
        y *= affine[0]
        y += affine[1]
    if relu:
        relu_into(y, y)
    return y
