"""Coarse traces: what other pens, tablets and mice give instead of UNIPEN's dense samples.

A cheap device or a fast mouse reports few points, so curves become a handful of straight
segments; some devices (or a recorder that loses pen-up events) join the strokes into one
polyline in which the pen-up moves are drawn as ink. These functions make such traces from
dense ones, both to train on (`coarsen_randomly`, part of the augmentation) and to measure
with (`coarse_trace`: each drawing's strokes joined and resampled to N points, evenly along
the ink as a device that reports a point every so far of movement gives them, or evenly in
time as a device with a low, fixed sampling rate does).

Every function takes and returns the flat layout (points (P, 2) float32, offsets (S+1,) int64
starting at 0), as `render_flat` does.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import numpy as np
from numpy.typing import NDArray

from ocrpad.data.unipen import StrokeDataset

FloatArray = NDArray[np.float32]
IntArray = NDArray[np.int64]

Point = TypeVar("Point", bound=np.floating[Any])  # float32 or float64 coordinates

Sampling = Literal["arc", "time"]
"""How a coarse trace keeps its N points: evenly along the ink ("arc") or evenly among the
recorded points, i.e. in time ("time": fast parts of a stroke get few points, slow ones many)."""


@dataclass(frozen=True)
class CoarseParams:
    """How often and how coarsely training drawings are made to look like other devices'.

    probability: share of drawings coarsened at all; join: share of those whose strokes are
    joined by their pen-up moves; points: (fewest, most) points the whole drawing is resampled
    to by arc length; decimate: share of the coarsened drawings that instead keep every k-th
    point (k from `every`), as a slower sampling rate would.
    """

    probability: float = 0.0
    join: float = 0.8
    points: tuple[int, int] = (4, 12)
    decimate: float = 0.3
    every: tuple[int, int] = (2, 8)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (for the training recipe)."""
        return dataclasses.asdict(self)


def join_strokes(points: FloatArray, offsets: IntArray) -> tuple[FloatArray, IntArray]:
    """All strokes as one polyline, the pen-up moves between them becoming ink."""
    return points, np.array([0, len(points)], dtype=np.int64)


def _arc_positions(p: NDArray[np.float64]) -> NDArray[np.float64]:
    """Cumulative arc length at every point of one polyline p (k, 2) → (k,)."""
    steps = np.hypot(*np.diff(p, axis=0).T)
    return np.concatenate([[0.0], np.cumsum(steps)])


def resample_polyline(p: NDArray[np.float64], n: int) -> NDArray[np.float64]:
    """n points evenly spaced along polyline p (k, 2) by arc length, both ends kept → (n, 2).

    A polyline of no length (a dot) gives its first point n times; n = 1 gives the first point.
    """
    if n <= 1 or len(p) == 1:
        return np.repeat(p[:1], max(n, 1), axis=0)
    s = _arc_positions(p)
    if s[-1] <= 0.0:
        return np.repeat(p[:1], n, axis=0)
    keep = np.concatenate([[True], np.diff(s) > 0])  # repeated points would divide by zero
    s, p = s[keep], p[keep]
    t = np.linspace(0.0, s[-1], n)
    return np.stack([np.interp(t, s, p[:, 0]), np.interp(t, s, p[:, 1])], axis=1)


def resample_strokes(points: FloatArray, offsets: IntArray, n: int) -> tuple[FloatArray, IntArray]:
    """Resample a drawing to about n points in all, shared among strokes by their length.

    Every stroke keeps at least its two ends (a dot keeps one point), so a drawing of many
    strokes may end up with more than n points.
    """
    p = points.astype(np.float64)
    spans = list(zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True))
    spans = [(a, b) for a, b in spans if b > a]
    lengths = np.array([_arc_positions(p[a:b])[-1] for a, b in spans])
    total = float(lengths.sum())
    share = lengths / total if total > 0 else np.full(len(spans), 1.0 / max(len(spans), 1))
    pieces = []
    for (a, b), part, length in zip(spans, share, lengths, strict=True):
        count = 1 if length <= 0 else max(2, round(float(part) * n))
        pieces.append(resample_polyline(p[a:b], count))
    new_offsets = np.zeros(len(pieces) + 1, dtype=np.int64)
    np.cumsum([len(q) for q in pieces], out=new_offsets[1:])
    return np.concatenate(pieces).astype(np.float32), new_offsets


def decimate_strokes(
    points: FloatArray, offsets: IntArray, every: int, start: int = 0
) -> tuple[FloatArray, IntArray]:
    """Keep every `every`-th point of each stroke (from `start`) plus its last one."""
    keep = np.zeros(len(points), dtype=bool)
    for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True):
        if b > a:
            keep[a + min(start, b - a - 1) : b : every] = True
            keep[b - 1] = True
    return keep_points(points, offsets, keep)


def keep_points(
    points: NDArray[Point], offsets: IntArray, keep: NDArray[np.bool_]
) -> tuple[NDArray[Point], IntArray]:
    """The points where `keep` (P,) is True, with each stroke's offsets shrunk to match."""
    counts = np.diff(offsets)
    stroke_of_point = np.repeat(np.arange(len(counts)), counts)  # (P,)
    kept = np.bincount(stroke_of_point[keep], minlength=len(counts))
    new_offsets = np.zeros(len(offsets), dtype=np.int64)
    np.cumsum(kept, out=new_offsets[1:])
    return points[keep], new_offsets


def sample_in_time(
    points: FloatArray, offsets: IntArray, n: int, *, join: bool = True
) -> tuple[FloatArray, IntArray]:
    """n of the drawing's recorded points, evenly spaced in their order (the pen's time), as a
    device with a low sampling rate reports them. With join=True the strokes become one
    polyline first; otherwise every stroke also keeps its two ends (so more than n may stay)."""
    if len(points) == 0:
        return points, offsets
    chosen = np.round(np.linspace(0, len(points) - 1, max(n, 1))).astype(np.int64)
    if join:
        q = points[chosen]
        return q, np.array([0, len(q)], dtype=np.int64)
    keep = np.zeros(len(points), dtype=bool)
    keep[chosen] = True
    for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True):
        if b > a:
            keep[[a, b - 1]] = True
    return keep_points(points, offsets, keep)


def coarse_trace(
    points: FloatArray, offsets: IntArray, n: int = 8, *, join: bool = True, by: Sampling = "arc"
) -> tuple[FloatArray, IntArray]:
    """The measuring simulation: strokes joined (pen-up moves as ink), then the whole
    polyline resampled to n points — evenly by arc length (`by="arc"`) or evenly in time
    (`by="time"`, `sample_in_time`). With join=False each stroke is resampled on its own,
    sharing the n points by length (or in time, keeping its ends)."""
    if by == "time":
        return sample_in_time(points, offsets, n, join=join)
    if join:
        joined, _ = join_strokes(points, offsets)
        q = resample_polyline(joined.astype(np.float64), n).astype(np.float32)
        return q, np.array([0, len(q)], dtype=np.int64)
    return resample_strokes(points, offsets, n)


def coarsen_randomly(
    points: FloatArray, offsets: IntArray, rng: np.random.Generator, params: CoarseParams
) -> tuple[FloatArray, IntArray]:
    """Training augmentation: with `params.probability`, make the drawing coarse (see
    CoarseParams); otherwise return it unchanged. Draws from `rng` only when it acts."""
    if params.probability <= 0 or rng.random() >= params.probability:
        return points, offsets
    if rng.random() < params.join:
        points, offsets = join_strokes(points, offsets)
    if rng.random() < params.decimate:
        every = int(rng.integers(params.every[0], params.every[1] + 1))
        return decimate_strokes(points, offsets, every, int(rng.integers(every)))
    n = int(rng.integers(params.points[0], params.points[1] + 1))
    return resample_strokes(points, offsets, n)


def coarse_dataset(
    data: StrokeDataset,
    n: int | tuple[int, int] = 8,
    *,
    join: bool = True,
    by: Sampling | Literal["either"] = "arc",
    rng: np.random.Generator | None = None,
) -> StrokeDataset:
    """Every drawing of `data` as `coarse_trace` makes it (same labels, writers, order). `n`:
    the points of every drawing, or (fewest, most), drawn for each drawing from `rng`; `by`:
    how the points are kept, or "either" (arc or time, drawn for each drawing)."""
    if isinstance(n, int):
        low = high = n
    else:
        low, high = n
    if low < 1 or high < low:
        raise ValueError(f"the points per drawing must be a positive range, not {n}")
    draw = rng if rng is not None else np.random.default_rng(0)

    def coarsen(points: FloatArray, offsets: IntArray) -> tuple[FloatArray, IntArray]:
        count = low if low == high else int(draw.integers(low, high + 1))
        way: Sampling = by if by != "either" else ("arc" if draw.random() < 0.5 else "time")
        return coarse_trace(points, offsets, count, join=join, by=way)

    how = f"{low}" if low == high else f"{low}–{high}"
    joined = ", joined" if join else ""
    return _each_drawing(data, coarsen, f"coarse {how} points by {by}{joined}")


def _each_drawing(
    data: StrokeDataset,
    change: Callable[[FloatArray, IntArray], tuple[FloatArray, IntArray]],
    how: str,
) -> StrokeDataset:
    """`data` with every drawing's flat trace replaced by `change(points, offsets)`."""
    pieces: list[FloatArray] = []
    stroke_lengths: list[NDArray[np.int64]] = []
    strokes_per_sample = np.zeros(len(data), dtype=np.int64)
    for i in range(len(data)):
        q, offs = change(*data.flat(i))
        pieces.append(q)
        stroke_lengths.append(np.diff(offs))
        strokes_per_sample[i] = len(offs) - 1
    lengths = np.concatenate(stroke_lengths) if stroke_lengths else np.zeros(0, np.int64)
    return dataclasses.replace(
        data,
        points=np.concatenate(pieces) if pieces else np.zeros((0, 2), np.float32),
        stroke_offsets=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        sample_offsets=np.concatenate([[0], np.cumsum(strokes_per_sample)]).astype(np.int64),
        images=None,
        source=f"{data.source} ({how})",
    )
