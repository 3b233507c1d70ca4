"""Pure helpers: padding, im2col views, ReLU, (log-)softmax and a small reusable-buffer cache."""

from __future__ import annotations

import math
import threading
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided
from numpy.typing import DTypeLike, NDArray

Array = NDArray[np.floating[Any]]


def conv_output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """out = floor((size + 2 * padding - kernel) / stride) + 1."""
    return (size + 2 * padding - kernel) // stride + 1


class BufferCache:
    """Named scratch arrays reused across calls while shape and dtype stay the same.

    Large activations and column matrices are re-filled on every batch; reusing the memory
    avoids the page faults of a fresh allocation per call.
    """

    def __init__(self) -> None:
        self._store: dict[str, Array] = {}

    def get(self, name: str, shape: tuple[int, ...], dtype: DTypeLike, zero: bool = False) -> Array:
        buf = self._store.get(name)
        if buf is None or buf.shape != shape or buf.dtype != np.dtype(dtype):
            buf = np.zeros(shape, dtype=dtype) if zero else np.empty(shape, dtype=dtype)
            self._store[name] = buf
        elif zero:
            buf.fill(0)
        return buf

    def clear(self) -> None:
        self._store.clear()


_thread = threading.local()  # .buffers: name -> flat array, this thread's scratch space


def scratch(name: str, shape: tuple[int, ...], dtype: DTypeLike) -> Array:
    """A contiguous array of ``shape`` (contents undefined) from this thread's reusable buffer
    called ``name``. One buffer per name and thread serves every layer in turn: it grows to
    the largest request and is never freed, so a pass neither pays for fresh pages nor keeps
    a copy per layer. The array is valid until this thread next asks for ``name``."""
    dt = np.dtype(dtype)
    size = math.prod(shape)
    buffers: dict[str, Array] = _thread.__dict__.setdefault("buffers", {})
    flat = buffers.get(name)
    if flat is None or flat.dtype != dt or flat.size < size:
        flat = buffers[name] = np.empty(size, dt)
    return flat[:size].reshape(shape)


def padded_scratch(
    name: str, shape: tuple[int, ...], dtype: DTypeLike, interior: tuple[int, ...]
) -> Array:
    """A contiguous array (for :func:`pad_cl`, (N, Hp, Wp, C)) with a zero border, kept per
    name, shape, ``interior`` and thread. Made zero once: a pad writes only the interior, so
    the border stays zero and later pads need not clear it (four NumPy calls fewer per pad,
    which count when the threads of a data-parallel pass take turns at the GIL for every
    call). ``interior`` says which part the caller writes (e.g. the padding): a 28 x 28 input
    padded by 1 and a 26 x 26 one padded by 2 are both 30 x 30, but the first writes where
    the second's border must stay zero, so they get buffers of their own."""
    dt = np.dtype(dtype)
    buffers: dict[tuple[str, tuple[int, ...], str, tuple[int, ...]], Array]
    buffers = _thread.__dict__.setdefault("padded", {})
    key = (name, shape, dt.str, interior)
    buf = buffers.get(key)
    if buf is None:
        buf = buffers[key] = np.zeros(shape, dt)
    return buf


def pad_cl(
    x: Array, padding: int, out: Array | None = None, *, border_is_zero: bool = False
) -> Array:
    """x: (N, H, W, C) -> (N, H + 2p, W + 2p, C) with a zero border (contiguous), written
    into ``out`` if given (whose border is left as it is when ``border_is_zero``)."""
    if padding == 0:
        return np.ascontiguousarray(x)
    n, h, w, c = x.shape
    shape = (n, h + 2 * padding, w + 2 * padding, c)
    xp = np.zeros(shape, dtype=x.dtype) if out is None else out
    if out is not None and not border_is_zero:  # clear the border; the interior is written
        xp[:, :padding] = 0
        xp[:, -padding:] = 0
        xp[:, :, :padding] = 0
        xp[:, :, -padding:] = 0
    xp[:, padding : padding + h, padding : padding + w] = x
    return xp


def windows_cl(xp: Array, kh: int, kw: int, stride: int) -> Array:
    """Strided view of every kernel window: xp (N, Hp, Wp, C) -> (N, Ho, Wo, kh, kw, C).

    No data is copied; copying the view into an (N*Ho*Wo, kh*kw*C) matrix gives im2col with
    columns ordered (kh, kw, C).
    """
    n, hp, wp, c = xp.shape
    ho = (hp - kh) // stride + 1
    wo = (wp - kw) // stride + 1
    sn, sh, sw, sc = xp.strides
    shape = (n, ho, wo, kh, kw, c)
    strides = (sn, sh * stride, sw * stride, sh, sw, sc)
    if not xp.flags.c_contiguous:
        return as_strided(xp, shape=shape, strides=strides, writeable=False)
    # the same view, built without as_strided's overhead (a few microseconds a call)
    view: Array = np.ndarray(shape, xp.dtype, buffer=xp, strides=strides)
    view.flags.writeable = False
    return view


def row_windows_cl(xp: Array, kw: int) -> Array:
    """Strided view of every run of kw neighbouring pixels along a row: xp (N, Hp, Wp, C),
    C-contiguous -> (N, Hp, Wp - kw + 1, kw*C), element [n, r, c] being the kw*C values of
    pixels (r, c) .. (r, c + kw - 1), which lie next to each other in memory. No data is
    copied; copying the view gives columns kw times the input's size (a full im2col's are
    kh*kw times)."""
    if not xp.flags.c_contiguous:
        raise ValueError("row_windows_cl needs a C-contiguous array")
    n, hp, wp, c = xp.shape
    sn, sh, sw, sc = xp.strides
    shape = (n, hp, wp - kw + 1, kw * c)
    view: Array = np.ndarray(shape, xp.dtype, buffer=xp, strides=(sn, sh, sw, sc))
    view.flags.writeable = False
    return view


ZERO_RUN = 1 << 16
"""Values per call of ``relu_into``: a block of zeros this long (256 KB in float32) stays in
cache, and a run this long costs the loop one Python call per 65,536 values."""

_zeros: dict[np.dtype[Any], Array] = {}


def relu_into(x: Array, out: Array) -> None:
    """out = max(x, 0) for x and out of one shape (out may be x).

    NumPy's maximum against a scalar 0 misses its vector loop (the scalar is a stride-0
    operand): 0.78 ns a float32 value, against 0.15 ns against an array of zeros (NumPy 2.4,
    AVX2). Contiguous arrays are therefore taken in runs of ``ZERO_RUN`` values against one
    shared, read-only block of zeros; the result is the same, NaN included."""
    if x.shape != out.shape or x.dtype != out.dtype:
        raise ValueError(
            f"relu_into needs one shape and dtype, got {x.shape} {x.dtype} "
            f"and {out.shape} {out.dtype}"
        )
    if not (x.flags.c_contiguous and out.flags.c_contiguous):
        np.maximum(x, 0, out=out)
        return
    zeros = _zeros.get(x.dtype)
    if zeros is None:
        zeros = np.zeros(ZERO_RUN, x.dtype)
        zeros.flags.writeable = False
        _zeros[x.dtype] = zeros
    source, target = x.reshape(-1), out.reshape(-1)
    for start in range(0, source.size, ZERO_RUN):
        stop = min(start + ZERO_RUN, source.size)
        np.maximum(source[start:stop], zeros[: stop - start], out=target[start:stop])


def log_softmax(z: Array) -> Array:
    """z: (N, C) -> log softmax over C, stable for any magnitude."""
    shifted: Array = z - z.max(axis=1, keepdims=True)
    shifted -= np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return shifted


def softmax(z: Array) -> Array:
    """z: (N, C) -> probabilities over C (rows sum to 1)."""
    e: Array = np.exp(z - z.max(axis=1, keepdims=True))
    e /= e.sum(axis=1, keepdims=True)
    return e
