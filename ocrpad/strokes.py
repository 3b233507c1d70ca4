"""A drawing's strokes as one flat, checked store: the first step of every road to the network."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["MAX_COORDINATE", "EmptyDrawingError", "flatten_strokes"]


class EmptyDrawingError(ValueError):
    """The drawing has no usable ink (no points, or non-finite coordinates)."""


MAX_COORDINATE: Final = 1e30
"""The largest coordinate a drawing may have: far beyond any device's units, and far enough
inside float32's range (3.4e38) that sizes and differences of such points stay finite."""


def _stroke_points(stroke: ArrayLike, index: int) -> NDArray[np.float64]:
    """Stroke `index` as (k, 2) float64 points, or a ValueError naming its shape."""
    try:
        array = np.asarray(stroke, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"stroke {index} is not an array of numbers: {error}") from None
    if array.size == 0:
        return np.zeros((0, 2))
    if array.shape == (2,):
        return array.reshape(1, 2)
    if array.ndim != 2 or array.shape[1] != 2:
        raise ValueError(
            f"stroke {index} has shape {array.shape}; a stroke is (k, 2): k points of x, y"
        )
    return array


def flatten_strokes(
    strokes: Sequence[ArrayLike],
) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """Concatenate strokes into `points` (P, 2) float32 and `offsets` (S+1,) int64.

    A stroke is (k, 2) x, y points (a lone (2,) point and an empty stroke are accepted too).
    Raises EmptyDrawingError for no points at all and for NaN/inf coordinates, and a
    ValueError naming the stroke for any other shape or for coordinates beyond ±`MAX_COORDINATE`.
    """
    arrays = [_stroke_points(s, i) for i, s in enumerate(strokes)]
    arrays = [a for a in arrays if len(a)]
    if not arrays:
        raise EmptyDrawingError("the drawing is empty: no stroke has any point")
    stacked = np.concatenate(arrays)  # (P, 2) float64
    if not np.isfinite(stacked).all():
        raise EmptyDrawingError("the drawing has non-finite (NaN or infinite) coordinates")
    if np.abs(stacked).max() > MAX_COORDINATE:
        raise ValueError(
            f"the drawing has coordinates beyond ±{MAX_COORDINATE:g}: "
            f"{np.abs(stacked).max():g} is out of range"
        )
    points = stacked.astype(np.float32)
    offsets = np.zeros(len(arrays) + 1, dtype=np.int64)
    np.cumsum([len(a) for a in arrays], out=offsets[1:])
    return points, offsets
