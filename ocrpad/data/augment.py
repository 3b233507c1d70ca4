"""Seeded stroke augmentation, cheap enough to run on every sample of every epoch.

Geometry is applied to the points before rendering (rotation, shear, aspect, a smooth elastic
warp, point jitter, dropped points), then some drawings are made coarse like other devices'
traces (few points, joined strokes: `ocrpad.data.coarse`); size, position and pen width are
applied by the renderer (`render_flat`'s zoom / shift / width_scale). Every draw comes from the
caller's Generator.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ocrpad.bounds import float_in, range_in
from ocrpad.data.coarse import CoarseParams, coarsen_randomly, keep_points
from ocrpad.preprocess import DEFAULT_PARAMS, RenderParams, flatten_strokes, is_dot, render_flat

FloatArray = NDArray[np.float32]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class AugmentParams:
    """Ranges of the random distortions (all uniform unless noted)."""

    rotation_deg: float = 10.0  # ± degrees
    shear: float = 0.25  # ± horizontal shear factor (slant)
    aspect: float = 0.2  # log aspect ratio ± (x vs y stretch)
    elastic: float = 0.035  # amplitude of the smooth warp, fraction of the drawing's size
    jitter: float = 0.006  # point noise σ, fraction of the drawing's size
    drop_points: float = 0.3  # up to this fraction of inner points dropped
    width: tuple[float, float] = (0.7, 1.45)  # pen width factor
    zoom: tuple[float, float] = (0.85, 1.08)  # box size factor
    shift: float = 1.2  # ± output pixels
    coarse: float = 0.0  # share of drawings made coarse (see CoarseParams for the rest)
    coarse_join: float = 0.8  # of those, share whose strokes are joined by their pen-up moves
    coarse_points: tuple[int, int] = (4, 12)  # points the drawing is resampled to by arc length
    coarse_decimate: float = 0.3  # of those, share that keep every k-th point instead
    coarse_every: tuple[int, int] = (2, 8)  # k
    # a dot (a click) comes back undistorted; off in the shipped recipe: a retraining with it on
    # read no better (weights/README.md, "Checked and tried since"); fine-tuning turns it on
    keep_dots: bool = False

    def __post_init__(self) -> None:
        """ValueError naming the first range out of bounds (a recipe file may say anything)."""
        values = vars(self)
        for key, high in (("rotation_deg", 180.0), ("shear", 5.0), ("aspect", 5.0)):
            float_in(values, key, 0.0, high)
        for key in ("elastic", "jitter", "drop_points", "coarse", "coarse_join", "coarse_decimate"):
            float_in(values, key, 0.0, 1.0)
        float_in(values, "shift", 0.0, 28.0)
        range_in(values, "width", 0.01)
        range_in(values, "zoom", 0.01)
        range_in(values, "coarse_points", 2, whole=True)
        range_in(values, "coarse_every", 1, whole=True)
        if not isinstance(self.keep_dots, bool):
            raise ValueError(f"keep_dots must be true or false, not {self.keep_dots!r}")

    def coarse_params(self) -> CoarseParams:
        """The coarse-trace part of the augmentation."""
        return CoarseParams(
            probability=self.coarse,
            join=self.coarse_join,
            points=self.coarse_points,
            decimate=self.coarse_decimate,
            every=self.coarse_every,
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (for the training recipe)."""
        return dataclasses.asdict(self)


DEFAULT_AUGMENT = AugmentParams()
USER_AUGMENT = AugmentParams(keep_dots=True)
"""The distortions of a fine-tune on the user's drawings: a click they save as "." stays one."""


def augment_flat(
    points: FloatArray,
    offsets: IntArray,
    rng: np.random.Generator,
    params: AugmentParams = DEFAULT_AUGMENT,
) -> tuple[FloatArray, IntArray]:
    """Distort one sample: points (P, 2) float32, offsets (S+1,) → new (points, offsets).

    With `params.keep_dots`, a dot (`is_dot`: a click, or repeated samples of one place) comes
    back unchanged: it has no size, and distorting it relative to one scatters its points into
    noise that the renderer then scales up to fill the box. Its random draws are still made,
    so the drawings after it in a batch get the same distortions whether or not it is there.
    """
    p = points.astype(np.float64)
    lo, hi = p.min(axis=0), p.max(axis=0)
    size = max(float((hi - lo).max()), 1e-9)
    q = (p - (lo + hi) * 0.5) / size  # (P, 2) about unit size, centred
    q = q @ _affine(rng, params).T
    q += _elastic(q, rng, params.elastic)
    if params.jitter > 0:
        q += rng.normal(0.0, params.jitter, size=q.shape)
    q, new_offsets = _drop_points(q, offsets, rng, params.drop_points)
    if params.keep_dots and is_dot(points):
        return points.astype(np.float32, copy=True), offsets.copy()
    return q.astype(np.float32), new_offsets


def _affine(rng: np.random.Generator, params: AugmentParams) -> NDArray[np.float64]:
    """Random 2×2 matrix: rotation @ shear @ aspect stretch."""
    angle = np.deg2rad(rng.uniform(-params.rotation_deg, params.rotation_deg))
    c, s = np.cos(angle), np.sin(angle)
    shear = rng.uniform(-params.shear, params.shear)
    stretch = np.exp(rng.uniform(-params.aspect, params.aspect) * 0.5)
    rotation = np.array([[c, -s], [s, c]])
    slant = np.array([[1.0, shear], [0.0, 1.0]])
    scale = np.diag([stretch, 1.0 / stretch])
    return np.asarray(rotation @ slant @ scale)


def _elastic(
    q: NDArray[np.float64], rng: np.random.Generator, amount: float
) -> NDArray[np.float64]:
    """Smooth displacement (P, 2): a sum of two random low-frequency waves per axis."""
    if amount <= 0:
        return np.zeros_like(q)
    freq = rng.normal(0.0, 2.5, size=(2, 2, 2))  # (axis, wave, xy) cycles per unit
    phase = rng.uniform(0.0, 2 * np.pi, size=(2, 2))
    amp = rng.uniform(-amount, amount, size=(2, 2))
    arg = np.einsum("pk,awk->paw", q, freq) * (2 * np.pi) + phase  # (P, axis, wave)
    return np.asarray((np.sin(arg) * amp).sum(axis=2))


def _drop_points(
    q: NDArray[np.float64], offsets: IntArray, rng: np.random.Generator, fraction: float
) -> tuple[NDArray[np.float64], IntArray]:
    """Drop a random share (≤ fraction) of points, keeping every stroke's first and last."""
    if fraction <= 0 or len(q) < 3:
        return q, offsets
    keep = rng.random(len(q)) >= rng.uniform(0.0, fraction)
    lengths = np.diff(offsets)
    nonempty = lengths > 0
    keep[offsets[:-1][nonempty]] = True
    keep[offsets[1:][nonempty] - 1] = True
    return keep_points(q, offsets, keep)


def augment_strokes(
    strokes: Sequence[ArrayLike],
    rng: np.random.Generator,
    params: AugmentParams = DEFAULT_AUGMENT,
) -> list[FloatArray]:
    """Distort a drawing given as strokes ((k, 2) arrays) → list of (k', 2) float32 strokes."""
    points, offsets = flatten_strokes(strokes)
    q, offs = augment_flat(points, offsets, rng, params)
    return [q[a:b] for a, b in itertools.pairwise(offs)]


def render_augmented(
    points: FloatArray,
    offsets: IntArray,
    rng: np.random.Generator,
    params: AugmentParams = DEFAULT_AUGMENT,
    render: RenderParams = DEFAULT_PARAMS,
) -> FloatArray:
    """Augment one flat sample and render it with random pen width, zoom and shift → (28, 28)."""
    q, offs = augment_flat(points, offsets, rng, params)
    q, offs = coarsen_randomly(q, offs, rng, params.coarse_params())
    return render_flat(
        q,
        offs,
        render,
        width_scale=float(rng.uniform(*params.width)),
        zoom=float(rng.uniform(*params.zoom)),
        shift=(
            float(rng.uniform(-params.shift, params.shift)),
            float(rng.uniform(-params.shift, params.shift)),
        ),
    )
