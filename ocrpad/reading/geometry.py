"""The size and place of a drawing in its own units, and writing guides as a writer's frame."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ocrpad.preprocess import DOT_EXTENT, flatten_strokes

X_HEIGHT_LETTERS: Final = "acemnorsuvwxz"
"""Small letters with neither ascender nor descender: they fill the x-height guide."""
CAPITALS: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True)
class Size:
    """log height and log width of a drawing's pen trace, its top and bottom y (y down; raw
    units), and how coarsely it was sampled (`coarseness`; NaN: unknown)."""

    log_height: float
    log_width: float
    top: float = float("nan")
    bottom: float = float("nan")
    coarseness: float = float("nan")

    def geometry(self) -> tuple[float, float, float, float, float]:
        """(log height, log width, top, bottom, coarseness): one row of the reader's geometry
        array."""
        return (self.log_height, self.log_width, self.top, self.bottom, self.coarseness)


@dataclass(frozen=True)
class WritingGuides:
    """Guide lines on the canvas, as y coordinates (y down) in the drawing's units."""

    baseline: float
    x_line: float  # top of the small letters
    cap_line: float  # top of the capitals

    def heights(self) -> tuple[float, float] | None:
        """(x-height, cap height), or None when the lines are not in that order."""
        x_height, cap_height = self.baseline - self.x_line, self.baseline - self.cap_line
        if not 0 < x_height < cap_height or not np.isfinite(cap_height):
            return None
        return x_height, cap_height


def size_of(strokes: Sequence[ArrayLike]) -> Size | None:
    """The drawing's size and place, or None for a dot (no extent) — it says nothing about
    scale.

    Raises EmptyDrawingError (a ValueError) for no points or non-finite coordinates. A line
    (no width or no height) gets the other side's millionth, which the context layer clips.
    """
    points, offsets = flatten_strokes(strokes)
    low, high = points.min(axis=0).astype(np.float64), points.max(axis=0).astype(np.float64)
    extent = high - low  # (2,) width, height
    longest = float(extent.max())
    if longest <= DOT_EXTENT * float(np.abs(points).max()):  # a dot, as the renderer sees it
        return None
    floor = longest * 1e-6
    return Size(
        float(np.log(max(extent[1], floor))),
        float(np.log(max(extent[0], floor))),
        float(low[1]),
        float(high[1]),
        float(coarseness(points, offsets, np.array([0, len(offsets) - 1]))[0]),
    )


STRAIGHT_TOLERANCE: Final = 1.0 / 20.0
"""A stroke whose every point lies within this share of its drawing's longer side from its
chord is straight: one pixel of the network's 20-pixel box (`RenderConfig.box`). It renders
the same however few points trace it, so it says nothing about how coarse the device is."""


def tells_size(log_heights: ArrayLike, log_widths: ArrayLike) -> NDArray[np.bool_]:
    """(k,) whether each drawing's height tells its writer's size: not a flat stroke such as a
    mouse's "-", under `STRAIGHT_TOLERANCE` of its width tall (a pixel of the network's box),
    whose height is the pen's wobble or nothing: one drawn first would make every later
    letter look huge."""
    h, w = np.asarray(log_heights, np.float64), np.asarray(log_widths, np.float64)
    return np.asarray(~(h < w + np.log(STRAIGHT_TOLERANCE)), dtype=bool)


def coarseness(
    points: NDArray[np.floating[Any]],
    stroke_offsets: NDArray[np.int64],
    sample_offsets: NDArray[np.int64],
) -> NDArray[np.float64]:
    """How coarsely each sample of a flat stroke store (points (P, 2), `stroke_offsets`
    (S+1,) into points, `sample_offsets` (N+1,) into strokes) was sampled → (N,): log of its
    mean segment length (between successive distinct points of a stroke) over the longer
    side of its bounding box. A pen tablet gives about −4 … −2.5, eight points joined into
    one polyline about −1; NaN for a sample without any segment of a bent stroke.

    It does not change with the drawing's size, only with how many points trace it: what a
    cheap device, a fast mouse or a lost pen-up event change (`ocrpad.data.coarse`). Only
    bent strokes count: a straight one (`STRAIGHT_TOLERANCE`) looks the same drawn with two
    points or two hundred, so a "-" or "/" of two mouse points is not taken for a coarse
    device's trace."""
    n = len(sample_offsets) - 1
    firsts = stroke_offsets[sample_offsets[:-1]]  # (N,) first point of each sample
    per_sample = np.diff(stroke_offsets[sample_offsets])  # (N,) points in each sample
    if len(points) < 2:
        return np.full(n, np.nan)
    p = points.astype(np.float64)
    step = np.hypot(*np.diff(p, axis=0).T)  # (P-1,) segment j joins points j and j+1
    starts = np.zeros(len(p), dtype=bool)
    starts[stroke_offsets[:-1][stroke_offsets[:-1] < len(p)]] = True
    sample = np.repeat(np.arange(n), per_sample)  # (P,) sample of each point
    nonempty = per_sample > 0
    longest = np.zeros(n)
    if nonempty.any():
        lo = np.minimum.reduceat(p, firsts[nonempty], axis=0)
        hi = np.maximum.reduceat(p, firsts[nonempty], axis=0)
        longest[nonempty] = (hi - lo).max(axis=1)
    bent = _bent_points(p, stroke_offsets, STRAIGHT_TOLERANCE * longest[sample])
    inside = ~starts[1:] & (step > 0) & bent[1:]  # within one bent stroke, distinct points
    total = np.bincount(sample[1:][inside], step[inside], minlength=n)
    count = np.bincount(sample[1:][inside], minlength=n)
    ok = (count > 0) & (longest > 0)
    out = np.full(n, np.nan)
    out[ok] = np.log(total[ok] / count[ok] / longest[ok])
    return out


def _bent_points(
    p: NDArray[np.float64], stroke_offsets: NDArray[np.int64], tolerance: NDArray[np.float64]
) -> NDArray[np.bool_]:
    """(P,) whether each point's stroke strays from its chord (the segment from its first to
    its last point) by more than `tolerance` (P,) somewhere."""
    lengths = np.diff(stroke_offsets)  # (S,) points per stroke
    stroke = np.repeat(np.arange(len(lengths)), lengths)  # (P,) stroke of each point
    first = p[stroke_offsets[:-1][stroke]]  # (P, 2)
    chord = p[np.maximum(stroke_offsets[1:] - 1, 0)[stroke]] - first  # (P, 2)
    rel = p - first
    squared = np.maximum((chord**2).sum(axis=1), 1e-300)
    t = np.clip((rel * chord).sum(axis=1) / squared, 0.0, 1.0)
    off = np.hypot(*(rel - t[:, None] * chord).T) - tolerance  # (P,) > 0: off the chord
    used = lengths > 0
    strays = np.zeros(len(lengths), dtype=bool)
    if used.any():
        strays[used] = np.maximum.reduceat(off, stroke_offsets[:-1][used]) > 0
    return strays[stroke]


def guide_scale(
    guides: WritingGuides, labels: Sequence[str], height_mu: np.ndarray
) -> float | None:
    """The writer's log scale the guides stand for: the scale at which the x-height letters
    and the capitals have their usual heights (the mean over both lines), or None."""
    heights = guides.heights()
    if heights is None:
        return None
    estimates = []
    for line_height, chars in zip(heights, (X_HEIGHT_LETTERS, CAPITALS), strict=True):
        usual = [float(height_mu[i]) for i, c in enumerate(labels) if c in chars]
        if usual:
            estimates.append(np.log(line_height) - float(np.mean(usual)))
    return float(np.mean(estimates)) if estimates else None
