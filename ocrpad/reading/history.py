"""Histories for whole data sets (each drawing's earlier drawings by the same writer), their
geometry, and the key the reader remembers a drawing by."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ocrpad.data.unipen import StrokeDataset, split_by_writer
from ocrpad.preprocess import DOT_EXTENT
from ocrpad.reading.context import HISTORY_CAP
from ocrpad.reading.geometry import coarseness


def session_history(
    writers: NDArray[Any], seed: int = 0, cap: int = HISTORY_CAP
) -> list[list[int]]:
    """For each drawing i, up to `cap` other drawings of the same writer (never i itself),
    chosen with a seeded generator, in data order (the last taken as the newest)."""
    rng = np.random.default_rng(seed)
    _, session = np.unique(np.asarray(writers), return_inverse=True)
    members: list[list[int]] = [[] for _ in range(int(session.max()) + 1 if len(session) else 0)]
    for i, s in enumerate(session.tolist()):
        members[s].append(i)
    out: list[list[int]] = []
    for i, s in enumerate(session.tolist()):
        others = np.array([j for j in members[s] if j != i], dtype=np.int64)
        if len(others) > cap:
            others = np.sort(rng.choice(others, size=cap, replace=False))
        out.append(others.tolist())
    return out


def stroke_sizes(
    points: NDArray[np.float32],
    stroke_offsets: NDArray[np.int64],
    sample_offsets: NDArray[np.int64],
) -> NDArray[np.float64]:
    """(N, 2) log height and log width of every sample of a flat stroke store; NaN for a dot
    (the same rule as `geometry.size_of`)."""
    starts = stroke_offsets[sample_offsets[:-1]]  # (N,) first point of each sample
    lo = np.minimum.reduceat(points, starts, axis=0).astype(np.float64)  # (N, 2)
    hi = np.maximum.reduceat(points, starts, axis=0).astype(np.float64)
    magnitude = np.maximum.reduceat(np.abs(points), starts, axis=0).max(axis=1)
    extent = hi - lo  # (N, 2) width, height
    longest = extent.max(axis=1)
    floor = np.maximum(longest * 1e-6, 1e-300)
    sizes = np.log(np.maximum(extent[:, ::-1], floor[:, None]))  # (N, 2) height, width
    sizes[longest <= DOT_EXTENT * magnitude] = np.nan  # dots, as the renderer sees them
    return np.asarray(sizes)


def stroke_geometry(
    points: NDArray[np.float32],
    stroke_offsets: NDArray[np.int64],
    sample_offsets: NDArray[np.int64],
) -> NDArray[np.float64]:
    """(N, 5) log height, log width (NaN for a dot, as `stroke_sizes`), top and bottom y and
    `geometry.coarseness` of every sample of a flat stroke store: the reader's geometry array
    (`geometry.Size.geometry` is one row of it)."""
    starts = stroke_offsets[sample_offsets[:-1]]
    top = np.minimum.reduceat(points[:, 1], starts).astype(np.float64)  # (N,)
    bottom = np.maximum.reduceat(points[:, 1], starts).astype(np.float64)
    sizes = stroke_sizes(points, stroke_offsets, sample_offsets)
    coarse = coarseness(points, stroke_offsets, sample_offsets)
    return np.column_stack([sizes, top, bottom, coarse])


def full_geometry(sizes: NDArray[np.float64]) -> NDArray[np.float64]:
    """(N, 5) geometry from (N, 5), (N, 4) or (N, 2) sizes (what is missing — top and bottom,
    coarseness — unknown: NaN)."""
    if sizes.ndim != 2 or sizes.shape[1] not in (2, 4, 5):
        raise ValueError(f"sizes must be (N, 2), (N, 4) or (N, 5), not {sizes.shape}")
    missing = np.full((len(sizes), 5 - sizes.shape[1]), np.nan)
    return np.column_stack([sizes, missing])


def drawing_key(drawing: Sequence[ArrayLike]) -> bytes | None:
    """A content key for a drawing (same points → same key), None if it is not numeric."""
    digest = hashlib.blake2b(digest_size=16)
    try:
        for stroke in drawing:
            array = np.ascontiguousarray(np.asarray(stroke, dtype=np.float32))
            digest.update(repr(array.shape).encode())  # a (2, k) stroke is not a (k, 2) one
            digest.update(array.tobytes())
            digest.update(b"|")
    except (TypeError, ValueError):
        return None
    return digest.digest()


def writer_split(
    data: StrokeDataset, y_all: NDArray[np.int64], recipe: dict[str, Any]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The network's own training and validation writers: the context layer is fitted on the
    first and its odds calibrated on the second, so each needs drawings of the model's classes."""
    fraction = float(recipe.get("val_fraction", 0.05))
    if not (y_all >= 0).any():
        raise ValueError(
            f"none of these {len(data)} drawings is of a class the model reads; give it the "
            "data it was trained on"
        )
    keep, held = split_by_writer(
        data.writers, fraction, np.random.default_rng(int(recipe.get("seed", 0)))
    )
    if not (y_all[keep] >= 0).any() or not (y_all[held] >= 0).any():
        raise ValueError(
            f"the reader is fitted on some writers and its odds are calibrated on others (the "
            f"network's validation writers, val_fraction {fraction:g}), but these "
            f"{len(data)} drawings by {len(np.unique(data.writers))} writer(s) leave one side "
            "without drawings of the model's classes; give it data by more writers"
        )
    return keep, held
