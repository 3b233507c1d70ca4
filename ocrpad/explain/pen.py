"""A differentiable pen: smooth strokes drawn into a small image the way drawings are rendered
for the network (a round pen, a light blur, white ink on black), with the gradient of the image
with respect to the points along the strokes.

A stroke is a clamped cubic B-spline through a few control points, sampled at evenly spaced
parameters into a polyline. A pixel's ink depends only on its distance to the nearest segment
of any stroke (the union of the pen's discs, as the training renderer draws it): the profile of
a line of the pen's width seen through a Gaussian blur.

Coordinates are output pixels, x to the right and y down, pixel (row i, column j) centred on
(x, y) = (j, i); the middle of a 28x28 image is (13.5, 13.5).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float32]
CHUNK_ELEMENTS = 1 << 20  # (images x segments x pixels) distances computed at once


@dataclass(frozen=True)
class Pen:
    """The pen's look, in output pixels (the training renderer's 2.4 px pen and 0.8 px blur,
    with the 3x supersampled drawing's reduction folded into the blur)."""

    width: float = 2.4
    blur: float = 0.85
    size: int = 28


DEFAULT_PEN = Pen()


@dataclass(frozen=True)
class Drawing:
    """What `draw` keeps for `draw_backward`: for every image n and pixel p, the nearest
    segment `segment` (N, P) int, the position `t` (N, P) along it, the vector `diff` (N, P, 2)
    from that nearest point to the pixel and the ink's slope over distance (N, P)."""

    segment: NDArray[np.intp]
    t: FloatArray
    diff: FloatArray
    slope: FloatArray
    shape: tuple[int, int, int]  # (N, S, M): images, strokes, points per stroke


def spline_basis(controls: int, samples: int) -> FloatArray:
    """Clamped uniform B-spline (cubic, or lower for fewer than 4 control points) evaluated at
    `samples` evenly spaced parameters: (samples, controls) float32; rows sum to one, the first
    and last rows pick the end control points, so each curve starts and ends on them."""
    degree = min(3, controls - 1)
    inner = np.arange(1, controls - degree) / (controls - degree)
    knots = np.concatenate([np.zeros(degree + 1), inner, np.ones(degree + 1)])
    u = np.linspace(0.0, 1.0, samples)
    span = np.clip(np.searchsorted(knots, u, side="right") - 1, degree, controls - 1)
    basis = (np.arange(len(knots) - 1)[None, :] == span[:, None]).astype(np.float64)
    for d in range(1, degree + 1):  # Cox-de Boor recursion, one degree at a time
        nxt = np.zeros((samples, len(knots) - 1 - d))
        for i in range(nxt.shape[1]):
            left, right = knots[i + d] - knots[i], knots[i + d + 1] - knots[i + 1]
            if left > 0:
                nxt[:, i] += (u - knots[i]) / left * basis[:, i]
            if right > 0:
                nxt[:, i] += (knots[i + d + 1] - u) / right * basis[:, i + 1]
        basis = nxt
    out: FloatArray = basis.astype(np.float32)
    return out


def ink_profile(distance: FloatArray, width: FloatArray, blur: float) -> tuple[FloatArray, ...]:
    """Ink of a blurred line of `width` at `distance` from its centre line (1 on it), and the
    derivative over distance. distance (N, P), width (N, 1) -> two (N, P) arrays."""
    k = np.float32(1.702 / blur)  # the logistic curve standing in for the normal CDF
    half = 0.5 * width
    near = _sigmoid(k * (half - distance))
    far = _sigmoid(k * (-half - distance))
    peak = _sigmoid(k * half) - _sigmoid(-k * half)
    ink = (near - far) / peak
    slope = k * (far * (1 - far) - near * (1 - near)) / peak
    return ink.astype(np.float32), slope.astype(np.float32)


def _sigmoid(z: FloatArray) -> FloatArray:
    out: FloatArray = 0.5 * (1.0 + np.tanh(0.5 * z))
    return out


def draw(
    points: FloatArray, active: NDArray[np.bool_], width: FloatArray, pen: Pen = DEFAULT_PEN
) -> tuple[FloatArray, Drawing]:
    """Draw polylines: points (N, S, M, 2) x, y; active (N, S) marks the strokes drawn (at
    least one per image); width (N,) pen widths. Returns images (N, size, size) in [0, 1]."""
    n, s, m, _ = points.shape
    ends = _segment_ends(points)  # (N, G, 2, 2): G = S (M - 1) segments, start and end
    live = np.repeat(active, m - 1, axis=1)  # (N, G)
    pixels = _pixel_grid(pen.size)  # (P, 2)
    segment = np.empty((n, len(pixels)), dtype=np.intp)
    t = np.empty((n, len(pixels)), dtype=np.float32)
    step = max(1, CHUNK_ELEMENTS // (ends.shape[1] * len(pixels)))
    middle = np.float32((pen.size - 1) / 2)  # distances from centred coordinates: precision
    for lo in range(0, n, step):
        hi = min(n, lo + step)
        segment[lo:hi], t[lo:hi] = _nearest(ends[lo:hi] - middle, live[lo:hi], pixels - middle)
    rows = np.arange(n)[:, None]
    start, end = ends[rows, segment, 0], ends[rows, segment, 1]  # (N, P, 2)
    diff = (pixels[None] - start - t[..., None] * (end - start)).astype(np.float32)
    distance = np.sqrt((diff * diff).sum(axis=-1) + np.float32(1e-6))
    ink, slope = ink_profile(distance, width[:, None].astype(np.float32), pen.blur)
    images = ink.reshape(n, pen.size, pen.size)
    return images, Drawing(segment, t, diff, slope / distance, (n, s, m))


def draw_backward(drawing: Drawing, grad: FloatArray) -> FloatArray:
    """The gradient over the points (N, S, M, 2) from the gradient over the images
    (N, size, size): each pixel pulls the two ends of its nearest segment."""
    n, s, m = drawing.shape
    segments = s * (m - 1)
    # d ink / d nearest point = -slope(d) / d * diff
    pull = -(grad.reshape(n, -1) * drawing.slope)[..., None] * drawing.diff  # (N, P, 2)
    flat = (np.arange(n)[:, None] * segments + drawing.segment).ravel()
    out = np.zeros((n, s, m, 2), dtype=np.float32)
    for share, first in ((1 - drawing.t, 0), (drawing.t, 1)):  # the start, then the end
        w = (share[..., None] * pull).reshape(-1, 2)
        summed = np.stack([np.bincount(flat, w[:, c], n * segments) for c in (0, 1)], axis=-1)
        out[:, :, first : first + m - 1] += summed.reshape(n, s, m - 1, 2)
    return out


def _segment_ends(points: FloatArray) -> FloatArray:
    """points (N, S, M, 2) -> segment ends (N, S (M - 1), 2, 2)."""
    n, s, m, _ = points.shape
    pairs = np.stack([points[:, :, :-1], points[:, :, 1:]], axis=3)  # (N, S, M-1, 2, 2)
    out: FloatArray = pairs.reshape(n, s * (m - 1), 2, 2)
    return out


def _pixel_grid(size: int) -> FloatArray:
    """Pixel centres, row by row: (size * size, 2) x, y."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    out: FloatArray = np.stack([x.ravel(), y.ravel()], axis=-1)
    return out


def _nearest(
    ends: FloatArray, live: NDArray[np.bool_], pixels: FloatArray
) -> tuple[NDArray[np.intp], FloatArray]:
    """For each image and pixel, the nearest live segment and the position on it.

    ends (n, G, 2, 2), live (n, G), pixels (P, 2) -> (segment (n, P), t (n, P) in [0, 1])."""
    start, along = ends[:, :, 0], ends[:, :, 1] - ends[:, :, 0]  # (n, G, 2)
    # |pixel - start - t along|^2 expanded into products with the pixel grid (matmuls)
    dot = pixels @ along.transpose(0, 2, 1) - (start * along).sum(-1)[:, None]  # (n, P, G)
    length2 = (along * along).sum(-1)[:, None] + np.float32(1e-9)  # (n, 1, G)
    t = np.clip(dot / length2, 0.0, 1.0)
    far2 = (pixels * pixels).sum(-1)[None, :, None] - 2 * (pixels @ start.transpose(0, 2, 1))
    far2 += (start * start).sum(-1)[:, None]  # |pixel - start|^2
    dist2 = far2 - t * (2 * dot - t * length2)
    dist2[np.broadcast_to(~live[:, None], dist2.shape)] = np.inf
    best = dist2.argmin(axis=2)  # (n, P)
    return best, np.take_along_axis(t, best[..., None], axis=2)[..., 0].astype(np.float32)
