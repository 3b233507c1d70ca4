"""Stride-1 convolution gradients from the full columns of dy (``Conv2d.backward_cl``'s road
for layers too wide for row windows, ``nn.conv_rows``).

One set of columns per chunk, those of dy padded by kh - 1 - padding, (n*H*W, kh*kw*O),
serves both gradients: dx is their product with the flipped kernel (the input gradient is a
convolution of dy), and their transpose times x is the weight gradient with its kernel
flipped (this order runs up to 13% faster in BLAS than x^T times them); x's own columns are
never rebuilt.
"""

from __future__ import annotations

import numpy as np

from ocrpad.nn.functional import pad_cl, padded_scratch, scratch, windows_cl
from ocrpad.nn.module import Array
from ocrpad.nn.parallel import parallel_for

CHUNK_BYTES = 3 << 20
"""Target size of one chunk's columns and input, as for the forward im2col's chunks
(``conv.CHUNK_BYTES``)."""


def backward_dy_columns(
    x: Array, dy2: Array, dx: Array | None, matrix: Array, k: int, pad: int, grad: Array | None
) -> None:
    """The gradients of a stride-1 convolution (``pad`` <= k - 1): dx (N, H, W, C), if not
    None, gets the input gradient; ``grad`` (k*k*C + 1, O), if not None, the weight and bias
    gradients. x: (N, H, W, C) the layer's input, dy2: (N*Ho*Wo, O), ``matrix``: the
    weight-and-bias matrix (k*k*C + 1, O), weight rows ordered (kh, kw, C)."""
    n, h, w, c = x.shape
    o = dy2.shape[1]
    per_image = dy2.shape[0] // n
    chunk = max(1, CHUNK_BYTES // (h * w * (k * k * o + c) * 4))
    weight = matrix[:-1].reshape(k, k, c, o)[::-1, ::-1].transpose(0, 1, 3, 2)
    weight = np.ascontiguousarray(weight, dy2.dtype).reshape(k * k * o, c)
    sums: dict[int, tuple[Array, Array]] = {}

    def work(part: int, lo: int, hi: int) -> None:
        flipped = np.zeros((k * k * o, c), dy2.dtype)  # (kh*kw*O, C), kernel flipped
        bias = np.zeros(o, dy2.dtype)
        ones = np.ones(chunk * per_image, dy2.dtype)
        for a in range(lo, hi, chunk):
            b = min(a + chunk, hi)
            dyc = dy2[a * per_image : b * per_image]
            cols = dy_columns(dyc, b - a, h, w, k, pad)
            if grad is not None:
                flipped += cols.T @ x[a:b].reshape(-1, c)
                bias += np.dot(ones[: len(dyc)], dyc)  # not `@`: see BatchNorm2d._sums
            if dx is not None:
                np.matmul(cols, weight, out=dx[a:b].reshape(-1, c))
        sums[part] = (flipped, bias)

    parts = parallel_for(n, work)
    if grad is None:
        return
    flipped = sum((sums[i][0] for i in range(1, parts)), sums[0][0])
    unflipped = flipped.reshape(k, k, o, c)[::-1, ::-1].transpose(0, 1, 3, 2)
    grad[:-1] = unflipped.reshape(k * k * c, o)
    grad[-1] = sum((sums[i][1] for i in range(1, parts)), sums[0][1])


def dy_columns(dy2: Array, n: int, h: int, w: int, k: int, pad: int) -> Array:
    """dy2 (n*Ho*Wo, O) of a stride-1 convolution of n images H x W with k x k kernels padded
    by ``pad`` -> columns (n*H*W, k*k*O) of dy padded by k - 1 - pad, in this thread's scratch
    space."""
    q = k - 1 - pad
    o = dy2.shape[1]
    ho, wo = h + 2 * pad - k + 1, w + 2 * pad - k + 1
    src = dy2.reshape(n, ho, wo, o)
    if q:
        dyp = padded_scratch("dyp", (n, ho + 2 * q, wo + 2 * q, o), dy2.dtype, (q,))
        src = pad_cl(src, q, out=dyp, border_is_zero=True)
    win = windows_cl(src, k, k, 1)  # (n, H, W, k, k, O), a view
    cols = scratch("dcols", (n * h * w, k * k * o), dy2.dtype)
    np.copyto(cols.reshape(win.shape), win)
    return cols
