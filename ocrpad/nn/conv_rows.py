"""Stride-1 convolutions from row windows: columns kw pixels wide, one product per kernel row.

A full im2col copies every input value kh*kw times, and its (M, kh*kw*C) columns times the
(kh*kw*C, O) weight matrix is one large product whose narrow side (O = 32 or 64) keeps
OpenBLAS well below its peak. Here a column row holds only the kw neighbouring pixels of one
input row (``functional.row_windows_cl``, a copy kw times the input's size), and output row
r is the sum over kernel rows i of the columns of input row r + i times kernel row i's
weights, (kw*C, O). Those products run in blocks of a few hundred rows (``block_rows``),
small enough for OpenBLAS's kernel for small products, which skips packing the operands and
runs near the machine's peak (on the shipped network's 28x28 and 14x14 layers, 1.3 to 1.9
times the rate of the full im2col's product, copies included). Only some OpenBLAS kernels have
that path (``SMALL_PRODUCT_KERNELS``); elsewhere every convolution takes the full im2col.

Training passes and large inference batches (``Conv2d.forward_cl``, ``Conv2d.infer_cl``) take
this road for the same layers (``rows_fit``). The same columns serve a convolution's backward
pass: the input gradient is the convolution of dy (padded by kh - 1 - padding) with the
flipped kernel, and the weight gradient pairs the same columns with the layer's input
(``rows_weight_grad``).
"""

from __future__ import annotations

from functools import cache

import numpy as np

from ocrpad.nn.functional import pad_cl, padded_scratch, row_windows_cl, scratch
from ocrpad.nn.module import Array
from ocrpad.nn.parallel import blas_kernel, parallel_for

SMALL_PRODUCT_KERNELS = frozenset({"skylakex", "cooperlake", "sapphirerapids"})
"""OpenBLAS kernels (lower case) with the small-product path that row windows rely on: the
AVX-512 ones (OpenBLAS 0.3.18 and later). Others (Haswell, Zen, ARM, ...) pack every operand,
so the blocks' products lose what the smaller copy gains: with the Haswell kernel (an AMD EPYC,
2 threads, the shipped network's batch-128 training step, the paths interleaved) a step took
222 ms from row windows and 200 ms from full im2col columns; batch-256 inference 155 against
148 ms."""

FORCE_ROWS: list[bool | None] = [None]
"""None: row windows where the BLAS kernel has small products (``rows_available``); True or
False forces the choice (tests cover both roads on any machine; benchmarks compare them)."""


@cache
def _small_products() -> bool:
    return blas_kernel().lower() in SMALL_PRODUCT_KERNELS


def rows_available() -> bool:
    """Whether convolutions may run from row windows at all on this machine."""
    forced = FORCE_ROWS[0]
    return _small_products() if forced is None else forced


CHUNK_BYTES = 3 << 20
"""Target size of one chunk's columns and output: as for the full im2col's chunks
(``conv.CHUNK_BYTES``), 2 to 3 MB measured best (one thread: 19.3 ms for the 28x28 layer's
two passes at 3 MB, against 20.7 at 1 MB and 21.3 at 6 MB)."""

ROW_BLOCK_MNK = 400_000
"""The largest size (rows x depth x width) of one block's product. Measured on the shipped
layers (one thread, AVX-512 OpenBLAS): blocks of 300-600 K beat both smaller ones (call
overhead) and larger ones (past 1 M, OpenBLAS packs the operands again)."""

ROWS_WEIGHT_BYTES = 64 << 10
"""Row windows are used while one kernel row's weights (kw*C, O) take at most this many bytes:
the small-product kernel rereads them for every block, and past about an L1 cache's worth
(the 7x7 layer's 64 -> 128 channels, 96 KB) the full im2col's packed product is faster."""

WGRAD_MIN_BLOCK = 48
"""The backward pass uses row windows only if its weight gradient runs in blocks of at least
this many pixels (``rows_weight_grad``); with fewer (inputs of many channels: the shipped
network's 64-channel ones) the full dy columns measured faster."""


def rows_fit(k: int, c: int, o: int, dtype: np.dtype[np.floating]) -> bool:
    """Whether a stride-1 convolution with k*k kernels from c to o channels runs faster from
    row windows than from a full im2col (see ``SMALL_PRODUCT_KERNELS``, ``ROWS_WEIGHT_BYTES``)."""
    return rows_available() and k * c * o * dtype.itemsize <= ROWS_WEIGHT_BYTES


def rows_fit_backward(k: int, c: int, o: int, dtype: np.dtype[np.floating]) -> bool:
    """The same for the backward pass, whose weight gradient gains from row windows only
    when it runs in blocks (``weight_grad_block``); the input gradient is a convolution from
    o to c channels."""
    return rows_fit(k, o, c, dtype) and weight_grad_block(c, k * o) >= WGRAD_MIN_BLOCK


def weight_grad_block(c: int, depth: int) -> int:
    """Pixels per block of ``rows_weight_grad``'s batched products for an input of c channels
    and columns ``depth`` wide."""
    return min(128, ROW_BLOCK_MNK // (c * depth)) // 8 * 8


def block_rows(per_image: int, depth: int, width: int) -> int:
    """The largest divisor d of per_image with d * depth * width <= ``ROW_BLOCK_MNK`` (1 if
    none): the output rows of one product, so that blocks tile every image exactly."""
    best = 1
    for d in range(1, per_image + 1):
        if per_image % d == 0 and d * depth * width <= ROW_BLOCK_MNK:
            best = d
    return best


def row_columns(src: Array, k: int, pad: int, name: str, dtype: np.dtype[np.floating]) -> Array:
    """src (n, H, W, C) -> its row columns (n, H + 2*pad, W + 2*pad - k + 1, k*C) in
    ``dtype`` after a zero pad of ``pad`` on every side, in this thread's scratch space
    ``name`` (valid until this thread next asks for it)."""
    n, h, w, c = src.shape
    if pad:
        xp = padded_scratch(name + "-pad", (n, h + 2 * pad, w + 2 * pad, c), dtype, (pad,))
        src = pad_cl(src, pad, out=xp, border_is_zero=True)
    elif not src.flags.c_contiguous or src.dtype != dtype:
        src = np.ascontiguousarray(src, dtype)
    view = row_windows_cl(src, k)
    cols = scratch(name, view.shape, dtype)
    np.copyto(cols, view)
    return cols


def rows_product(cols: Array, weight: Array, out: Array) -> None:
    """out (n, Ho*Wo, O) = the stride-1 convolution whose row columns are cols
    (n, Ho + k - 1, Wo, k*C), with weight (k, k*C, O) (kernel row i's weights in
    rows (j, c), like the columns)."""
    n, rows, wo, depth = cols.shape
    k, _, width = weight.shape
    ho = rows - k + 1
    per = ho * wo
    block = block_rows(per, depth, width)
    shape = (n, per // block, block, depth)
    target = out.reshape(n, per // block, block, width)
    np.matmul(cols[:, :ho].reshape(shape), weight[0], out=target)
    if k > 1:
        product = scratch("rows-product", target.shape, out.dtype)
        for i in range(1, k):
            np.matmul(cols[:, i : i + ho].reshape(shape), weight[i], out=product)
            target += product


def rows_weight_grad(cols: Array, x: Array, into: Array) -> None:
    """Add to ``into`` (k, C, k*O) the weight gradient of a stride-1 convolution, with its
    kernel flipped, from the row columns cols (n, H + k - 1, W, k*O) of dy padded by
    k - 1 - padding and the layer's input x (n, H, W, C): into[i] += sum over pixels (r, c)
    of x[r, c] (C) times cols[r + i, c] (k*O).

    x goes in transposed, (C, pixels), over k - 1 zero rows per image, so that the pixels of
    every image follow each other with the columns' row count: then each kernel row's sum
    pairs two contiguous stretches of the whole chunk (the zero rows add nothing), cut into
    blocks (``weight_grad_block``): a batch of small products (C, block) @ (block, k*O),
    which OpenBLAS runs without packing, then summed."""
    n, rows, w, depth = cols.shape
    k, c, h = into.shape[0], x.shape[3], x.shape[1]
    length = n * rows * w - (k - 1) * w  # pixels of the stretch, the last image's zero rows cut
    block = weight_grad_block(c, depth)
    blocks, done = length // block, length // block * block  # whole blocks, then the rest
    # x transposed, (C, images, rows, W); its zero rows are never written
    x_t = padded_scratch("rows-xt", (c, n, rows, w), x.dtype, (h,))
    np.copyto(x_t[:, :, :h], x.transpose(3, 0, 1, 2))
    flat_x, flat_cols = x_t.reshape(c, -1), cols.reshape(-1, depth)
    x_blocks = flat_x[:, :done].reshape(c, blocks, block).transpose(1, 0, 2)
    parts = scratch("rows-wgrad", (blocks, c, depth), x.dtype)
    for i in range(k):
        if blocks:
            stretch = flat_cols[i * w : i * w + done].reshape(blocks, block, depth)
            np.matmul(x_blocks, stretch, out=parts)
            into[i] += parts.sum(axis=0)
        if done < length:
            into[i] += flat_x[:, done:length] @ flat_cols[i * w + done : i * w + length]


def _chunk(rows: int, width: int, depth: int, out: int) -> int:
    """Images per chunk of a pass whose columns are (rows, width, depth) an image and whose
    output is ``out`` values an image, within ``CHUNK_BYTES`` (float32)."""
    return max(1, CHUNK_BYTES // ((rows * width * depth + 2 * out) * 4))


class RowsForward:
    """The stride-1 convolution of images (n, H, W, C) padded by ``pad``, from row windows, for
    ``matrix`` (k*k*C + 1, O): the weight rows (ordered kh, kw, C), then the bias. Holds the
    operands in the product's layout; ``chunk`` images at a time keep the columns in cache."""

    def __init__(self, shape: tuple[int, ...], matrix: Array, k: int, pad: int) -> None:
        _, h, w, c = shape
        self.k, self.pad = k, pad
        self.out_rows, self.out_cols = h + 2 * pad - k + 1, w + 2 * pad - k + 1
        o = matrix.shape[1]
        self.weight = matrix[:-1].reshape(k, k * c, o)  # kernel row i: rows (j, c)
        self.bias = np.tile(matrix[-1], self.out_rows * self.out_cols)  # one image, flat
        self.chunk = _chunk(h + 2 * pad, self.out_cols, k * c, self.out_rows * self.out_cols * o)

    def into(self, x: Array, out: Array) -> None:
        """out (n, Ho*Wo, O) = the convolution of the images x (n, H, W, C), in out's dtype."""
        rows_product(row_columns(x, self.k, self.pad, "rcols", out.dtype), self.weight, out)
        flat = out.reshape(len(out), -1)
        flat += self.bias


def forward_rows(x: Array, y: Array, matrix: Array, k: int, pad: int) -> None:
    """y (N, Ho*Wo, O) = the stride-1 convolution of x (N, H, W, C) padded by ``pad``, with
    ``matrix`` (k*k*C + 1, O) the weight rows (ordered kh, kw, C) and the bias, in y's dtype.
    The batch is split over the worker threads, each walking its images in chunks."""
    conv = RowsForward(x.shape, matrix, k, pad)

    def work(part: int, lo: int, hi: int) -> None:
        for a in range(lo, hi, conv.chunk):
            b = min(a + conv.chunk, hi)
            conv.into(x[a:b], y[a:b])

    parallel_for(x.shape[0], work)


def backward_rows(
    x: Array, dy2: Array, dx: Array | None, matrix: Array, k: int, pad: int, grad: Array | None
) -> None:
    """The gradients of a stride-1 convolution (``pad`` <= k - 1) from row windows: the row
    columns of dy padded by k - 1 - pad, (n, H + k - 1, W, k*O) per chunk, serve both. dx
    (N, H, W, C), if not None, gets their convolution with the flipped kernel; ``grad``
    (k*k*C + 1, O), if not None, gets the weight gradient (``rows_weight_grad``, flipped
    back) and the bias gradient. x: (N, H, W, C) the layer's input, dy2: (N*Ho*Wo, O),
    ``matrix``: the weight-and-bias matrix (k*k*C + 1, O)."""
    n, h, w, c = x.shape
    o = dy2.shape[1]
    q, per_image = k - 1 - pad, dy2.shape[0] // n
    ho, wo = h + 2 * pad - k + 1, w + 2 * pad - k + 1
    chunk = _chunk(h + k - 1, w, k * o, h * w * c)
    flip = matrix[:-1].reshape(k, k, c, o)[::-1, ::-1].transpose(0, 1, 3, 2)
    weight = np.ascontiguousarray(flip, dy2.dtype).reshape(k, k * o, c)
    sums: dict[int, tuple[Array, Array]] = {}

    def work(part: int, lo: int, hi: int) -> None:
        flipped = np.zeros((k, c, k * o), dy2.dtype)  # see rows_weight_grad
        bias = np.zeros(o, dy2.dtype)
        ones = np.ones(chunk * per_image, dy2.dtype)
        for a in range(lo, hi, chunk):
            b = min(a + chunk, hi)
            dyc = dy2[a * per_image : b * per_image]
            cols = row_columns(dyc.reshape(b - a, ho, wo, o), k, q, "dcols", dy2.dtype)
            if grad is not None:
                rows_weight_grad(cols, x[a:b], flipped)
                bias += np.dot(ones[: len(dyc)], dyc)  # not `@`: see BatchNorm2d._sums
            if dx is not None:
                rows_product(cols, weight, dx[a:b].reshape(b - a, h * w, c))
        sums[part] = (flipped, bias)

    parts = parallel_for(n, work)
    if grad is None:
        return
    flipped = sum((sums[i][0] for i in range(1, parts)), sums[0][0])
    # flipped[i, c, j*O + o] is the gradient of weight (k-1-i, k-1-j, c, o)
    unflipped = flipped.reshape(k, c, k, o).transpose(0, 2, 1, 3)[::-1, ::-1]
    grad[:-1] = unflipped.reshape(k * k * c, o)
    grad[-1] = sum((sums[i][1] for i in range(1, parts)), sums[0][1])
