"""Small image operations on float32 image batches: blur, total variation, resampling."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float32]


def gaussian_kernel(sigma: float) -> FloatArray:
    """A normalised 1-D Gaussian of radius ceil(2.5 sigma): (2r+1,) float32."""
    radius = max(1, int(np.ceil(2.5 * sigma)))
    taps = np.arange(-radius, radius + 1, dtype=np.float64)
    kernel = np.exp(-0.5 * (taps / sigma) ** 2)
    out: FloatArray = (kernel / kernel.sum()).astype(np.float32)
    return out


def gaussian_blur(x: FloatArray, sigma: float) -> FloatArray:
    """Separable Gaussian blur of the last two axes with edge padding; same shape as `x`."""
    if sigma <= 0:
        return x
    kernel = gaussian_kernel(sigma)
    radius = len(kernel) // 2
    out = x
    for axis in (-2, -1):
        pad = [(0, 0)] * out.ndim
        pad[axis] = (radius, radius)
        padded = np.pad(out, pad, mode="edge")
        size = out.shape[axis]
        acc = np.zeros_like(out)
        for k, weight in enumerate(kernel):
            acc += weight * np.take(padded, np.arange(k, k + size), axis=axis)
        out = acc
    return out.astype(np.float32, copy=False)


def total_variation_grad(x: FloatArray) -> FloatArray:
    """Gradient of the smooth total variation sum(sqrt(dx^2 + dy^2 + eps)) over the last 2 axes.

    x: (..., H, W) float32 -> same shape. Pushes neighbouring pixels together, keeps edges.
    """
    eps = np.float32(1e-3)
    dh = np.diff(x, axis=-2, append=x[..., -1:, :])  # (..., H, W), last row 0
    dw = np.diff(x, axis=-1, append=x[..., :, -1:])  # (..., H, W), last column 0
    norm = np.sqrt(dh * dh + dw * dw + eps)
    gh = dh / norm
    gw = dw / norm
    grad = -(gh + gw)
    grad[..., 1:, :] += gh[..., :-1, :]
    grad[..., :, 1:] += gw[..., :, :-1]
    return grad.astype(np.float32, copy=False)


def resample(maps: FloatArray, size: int, offset: float, step: float) -> FloatArray:
    """Bilinear resampling of feature maps onto the input grid: (..., h, w) -> (..., size, size).

    Map pixel i is centred on input coordinate offset + i * step; input pixels outside the
    map's span take the nearest edge value.
    """
    r0, r1, fr = _sample_positions(maps.shape[-2], size, offset, step)
    c0, c1, fc = _sample_positions(maps.shape[-1], size, offset, step)
    rows = maps[..., r0, :] * (1 - fr)[:, None] + maps[..., r1, :] * fr[:, None]  # (..., S, w)
    out = rows[..., c0] * (1 - fc) + rows[..., c1] * fc  # (..., S, S)
    return out.astype(np.float32, copy=False)


def _sample_positions(
    src: int, dst: int, offset: float, step: float
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float32]]:
    """Source indices (low, high) and the weight of `high` for each destination pixel."""
    pos = np.clip((np.arange(dst, dtype=np.float64) - offset) / step, 0, src - 1)
    low = np.floor(pos).astype(np.intp)
    high = np.minimum(low + 1, src - 1)
    return low, high, (pos - low).astype(np.float32)


def normalise(heat: FloatArray) -> FloatArray:
    """Scale a non-negative map to [0, 1] by its maximum (all zeros stay zeros)."""
    top = float(heat.max()) if heat.size else 0.0
    if top <= 0 or not np.isfinite(top):
        return np.zeros_like(heat, dtype=np.float32)
    return (heat / top).astype(np.float32)
