"""im2col: the columns a convolution multiplies by its weight matrix, from strided views.

Every output pixel gets one row: the kh*kw*C input values under its kernel window, then a 1
that multiplies the bias row of the weight matrix. Rows are ordered (image, output row,
output column) and each row's values (kernel row, kernel column, channel), as the weight
matrix's rows (``Conv2d.weight_matrix``).
"""

from __future__ import annotations

import numpy as np

from ocrpad.nn.functional import pad_cl, padded_scratch, scratch, windows_cl
from ocrpad.nn.module import Array

SMALL_CHANNELS = 4
"""Inputs with at most this many channels get transposed columns (see ``im2col``)."""


def im2col(src: Array, k: int, stride: int, padding: int, dtype: np.dtype[np.floating]) -> Array:
    """src (n, H, W, C) -> its columns (n*Ho*Wo, k*k*C + 1) in ``dtype``, in this thread's
    scratch space (valid until this thread next builds columns of the same kind).

    With few channels (``SMALL_CHANNELS``) the columns are built transposed and handed out as
    an F-ordered view (BLAS reads either order): copying windows whose contiguous run is only
    k*C values long costs more than the product."""
    _, h, w, c = src.shape
    if padding:
        shape = (src.shape[0], h + 2 * padding, w + 2 * padding, c)
        xp = padded_scratch("xp", shape, dtype, (padding,))
        src = pad_cl(src, padding, out=xp, border_is_zero=True)
    win = windows_cl(src, k, k, stride)  # (n, Ho, Wo, kh, kw, C), a view
    n, ho, wo = win.shape[:3]
    if c <= SMALL_CHANNELS:
        cols_t = scratch("cols_t", (k * k * c + 1, n * ho * wo), dtype)
        rows_t = cols_t[:-1].reshape(k, k, c, n, ho, wo)
        for i in range(k):
            for j in range(k):
                np.copyto(rows_t[i, j], win[:, :, :, i, j].transpose(3, 0, 1, 2))
        cols_t[-1] = 1.0
        return cols_t.T
    cols = scratch("cols", (n * ho * wo, k * k * c + 1), dtype)
    np.copyto(cols[:, :-1].reshape(win.shape), win)
    cols[:, -1] = 1.0
    return cols
