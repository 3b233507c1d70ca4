"""A picture's ink told from its paper: dark ink on light paper or light on dark, under uneven
light, and however thick the pen; and its pen made the width the network learned from
(`pen_fitted`: a thin pen widened, a thick one thinned).

The paper's level is sought block by block (a shadow or a gradient across a photo moves it),
once for each way the ink may be; the way under which nothing stands out above the paper,
and less of the picture is ink, is taken. Deciding by the edge alone (its median) takes a
character written thickly enough to fill the frame for paper; deciding by the whole
picture's level takes a shadow for ink.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from PIL import Image
from PIL.ImageFilter import MaxFilter

from ocrpad.picture import box_reduced

__all__ = ["BLOCKS", "find_ink", "pen_fitted", "pen_width", "thickened", "thinned", "width_of"]

FloatArray = NDArray[np.float64]

BLOCKS: Final = 8
"""The paper's level is sought in BLOCKS × BLOCKS blocks: coarse enough that a thick stroke
leaves some paper in most blocks, fine enough to follow a soft shadow."""
DECIDING_SIDE: Final = 256
"""Which way round the ink is is decided on a copy this many pixels a side at most."""
ABOVE_WEIGHT: Final = 20.0
"""How much more a pixel standing out above the paper counts against a way of reading the
ink than a pixel of ink does."""
EDGE_WEIGHT: Final = 2.0
"""How much more a pixel of ink on the picture's edge counts against a way of reading the
ink than one inside: a picture is framed on its paper more often than on its ink."""
PEN_PIXELS: Final = 4.0
"""A thin pen's ink is widened at a size where the pen it should have is this many pixels."""
THIN: Final = 0.3
"""A pen under this share of the width the network learned from is widened to it (a pen
about half that width reads as well unwidened: measured on UNIPEN pictures)."""
INK: Final = 0.25
"""A pixel at least this share of the strongest ink counts towards the ink's bounding box (a
rendering's blurred edge is this bright where `bitmap_to_input` fits it into the box)."""
FAINT: Final = 0.25
"""Ink fainter than this share of the strongest is left out of widening: it is noise."""
THICK: Final = 1.5
"""A pen over this many times the width the network learned from is thinned to it: a thick
marker's strokes (UNIPEN drawings at twice the pen read right 41-57 % of the time, against
86 % for their strokes' rendering) close the loops and gaps the network reads a character by."""
THINNING_SIDE: Final = 160
"""A thick pen's ink is thinned on a copy at most this many pixels a side (box-averaged): its
pen is then still a dozen pixels or more, and each step of the erosion is cheap."""
MIN_PAPER: Final = 0.15
"""A block with less than this share of paper takes its level from its neighbours."""


def find_ink(grey: FloatArray) -> NDArray[np.float32]:
    """grey (H, W) float in [0, 1] → ink (H, W) float32 ≥ 0: how far each pixel is from the
    paper towards the ink (0 on paper), in grey levels; whichever way round the ink is. The
    way is decided on a copy of at most DECIDING_SIDE pixels a side."""
    small = box_reduced(grey, DECIDING_SIDE)
    dark, dark_paper = _below_paper(small)  # dark ink on light paper
    light, light_paper = _below_paper(1.0 - small)  # light ink on dark paper
    contrast = max(float(dark.max()), float(light.max()), 1e-6)
    dark_ink = _doubt(dark, dark_paper, contrast) <= _doubt(light, light_paper, contrast)
    below, _ = _below_paper(grey if dark_ink else 1.0 - grey)
    return np.clip(below, 0.0, None, out=below)


def _doubt(below: NDArray[np.float32], paper: NDArray[np.float32], contrast: float) -> float:
    """How unlikely one way of reading the ink is (lower: likelier), from `below` (H, W), the
    paper's levels by block and the picture's contrast. Read the right way round, the paper is
    the brightest thing in every part of the picture, and even from block to block but for
    the light on it, which changes softly. Read the wrong way, paper is found on the strokes
    where they fill a block: the strokes stand out above it elsewhere, and its level jumps by
    the contrast from those blocks to their neighbours. Where strokes fill every block, the
    way that leaves less of the picture, and less of its edge, as ink is likelier."""
    above = float((below < -0.5 * contrast).mean())
    ink = below > 0.5 * contrast
    edge = np.concatenate([ink[0], ink[-1], ink[:, 0], ink[:, -1]])
    jump = max(float(np.abs(np.diff(paper, axis=k)).max()) for k in (0, 1)) / contrast
    return ABOVE_WEIGHT * above + float(ink.mean()) + EDGE_WEIGHT * float(edge.mean()) + jump


def _below_paper(value: FloatArray) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Taking the paper to be the brighter side of `value` (H, W): how far each pixel lies
    below the paper's local level (H, W) float32, negative above it; and the paper's level
    in each block (BLOCKS, BLOCKS)."""
    below, _ = _paper_level(value, None)
    below -= value  # (H, W) float32
    contrast = float(below.max())
    paper = below < 0.5 * contrast if contrast > 0 else None
    below, levels = _paper_level(value, paper)
    below -= value
    return below, levels


def _paper_level(
    value: FloatArray, paper: NDArray[np.bool_] | None
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """The paper's level at every pixel (H, W) and in each block (BLOCKS, BLOCKS): per block,
    the median of the pixels known to be paper (or, with no such mask, the 90th percentile,
    dilated over the neighbouring blocks), blocks without enough paper filled from their
    neighbours, smoothed and interpolated."""
    height, width = value.shape
    rows = np.linspace(0, height, BLOCKS + 1).round().astype(int)
    cols = np.linspace(0, width, BLOCKS + 1).round().astype(int)
    levels = np.full((BLOCKS, BLOCKS), np.nan)
    for i in range(BLOCKS):
        for j in range(BLOCKS):
            block = value[rows[i] : rows[i + 1], cols[j] : cols[j + 1]]
            if block.size == 0:
                continue
            if paper is None:
                levels[i, j] = np.percentile(block, 90)
                continue
            mask = paper[rows[i] : rows[i + 1], cols[j] : cols[j + 1]]
            if mask.mean() >= MIN_PAPER:
                levels[i, j] = float(np.median(block[mask]))
    if paper is None:
        levels = np.fmax.reduce(_neighbours(levels))  # fmax: a missing block is skipped
    levels = _neighbours(_filled(levels)).mean(axis=0)
    surface = Image.fromarray(levels.astype(np.float32), mode="F").resize(
        (width, height), Image.Resampling.BILINEAR
    )
    return np.array(surface, dtype=np.float32), levels.astype(np.float32)


def _neighbours(levels: FloatArray, edge: float | None = None) -> FloatArray:
    """Each block's 3 × 3 neighbourhood (9, BLOCKS, BLOCKS): beyond the edge, the edge's own
    blocks repeated, or `edge`."""
    if edge is None:
        padded = np.pad(levels, 1, mode="edge")
    else:
        padded = np.pad(levels, 1, mode="constant", constant_values=edge)
    return np.stack(
        [padded[di : di + BLOCKS, dj : dj + BLOCKS] for di in range(3) for dj in range(3)]
    )


def _filled(levels: FloatArray) -> FloatArray:
    """Blocks without a level take the mean of their neighbours that have one, repeatedly."""
    levels = levels.copy()
    if np.isnan(levels).all():
        return np.zeros_like(levels)
    while np.isnan(levels).any():
        near = _neighbours(levels, edge=np.nan)
        known = ~np.isnan(near)
        counts = known.sum(axis=0)
        sums = np.where(known, near, 0.0).sum(axis=0)
        fill = np.isnan(levels) & (counts > 0)
        levels[fill] = sums[fill] / counts[fill]
    return levels


def pen_width(ink: NDArray[np.floating[Any]]) -> float:
    """The ink's stroke width in pixels, from ink (h, w) in [0, 1]: twice its area over its
    outline's length (a stroke of width W and length L has area W L and outline ≈ 2 L)."""
    mask = ink > 0.5
    area = int(mask.sum())
    outline = int((mask[:, 1:] != mask[:, :-1]).sum() + (mask[1:] != mask[:-1]).sum())
    outline += int(mask[0].sum() + mask[-1].sum() + mask[:, 0].sum() + mask[:, -1].sum())
    return 2.0 * area / outline if outline else 0.0


def thickened(ink: NDArray[np.floating[Any]], width: float, wanted: float) -> FloatArray:
    """Ink (h, w) in [0, 1] drawn with a pen `width` pixels wide, as if drawn `wanted` wide:
    kept at full strength while it is reduced to a few pixels per `wanted` (each block's
    darkest pixel), then widened there (a square pen) → (h', w') float64 in [0, 1]. A thin
    pen's strokes would otherwise fade to a hair in the network's 28 pixels."""
    factor = max(1, int(wanted // PEN_PIXELS))  # blocks of factor × factor become 1 pixel
    height, width_px = ink.shape
    padded = np.zeros((-(-height // factor) * factor, -(-width_px // factor) * factor))
    padded[:height, :width_px] = np.where(ink > FAINT, ink, 0.0)  # no noise is widened
    blocks = padded.reshape(len(padded) // factor, factor, -1, factor).max(axis=(1, 3))
    grow = (wanted - width) / factor  # pixels of pen to add, at the reduced size
    size = max(3, round(grow + 1) | 1)  # a k-pixel MaxFilter (k odd) adds k - 1
    wide = Image.fromarray(np.round(blocks * 255).astype(np.uint8)).filter(MaxFilter(size))
    return np.asarray(wide, dtype=np.float64) / 255.0


def pen_fitted(ink: NDArray[np.floating[Any]], share: float) -> FloatArray:
    """ink (H, W) in [0, 1] → its bounding box (h, w) in [0, 1], its pen made the one the
    network learned from: `share` of the box's longer side. A pen under THIN of it is widened
    (`thickened`); one over THICK of it, measured along its strokes' middles (`width_of`), is
    thinned (`thinned`: where the ink touches the picture's edge, the edge cut the strokes and
    they are not thinned from that side)."""
    crop, cut = _ink_box(ink)
    wanted = share * max(crop.shape)
    if (width := pen_width(crop)) < THIN * wanted:  # a thin pen: drawn as the network's
        return thickened(crop, width, wanted)
    if (width := width_of(crop)) > THICK * wanted:  # a thick pen: thinned towards it
        thin = thinned(crop, width, wanted, cut)
        if thin.max() > INK:  # never all gone (ink too faint for the thinning's copy)
            crop, _ = _ink_box(thin)
    return np.asarray(crop, dtype=np.float64)


def _ink_box(ink: NDArray[np.floating[Any]]) -> tuple[NDArray[Any], tuple[bool, bool, bool, bool]]:
    """The ink's bounding box (its pixels over INK) cut from `ink`, and which of its sides
    (top, bottom, left, right) lie on the edge of `ink`."""
    rows = np.flatnonzero((ink > INK).any(axis=1))
    cols = np.flatnonzero((ink > INK).any(axis=0))
    height, width = ink.shape
    cut = (
        bool(rows[0] == 0),
        bool(rows[-1] == height - 1),
        bool(cols[0] == 0),
        bool(cols[-1] == width - 1),
    )
    return ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1], cut


def width_of(ink: NDArray[np.floating[Any]]) -> float:
    """The ink's stroke width in pixels, from ink (h, w) in [0, 1]: twice the median distance
    to the paper along the strokes' middles (the pixels no nearer the paper than their
    neighbours), measured on a copy at most THINNING_SIDE a side. Unlike `pen_width`, short
    thick strokes (whose ends are much of their outline) are not taken for thinner ones."""
    factor = int(-(-max(ink.shape) // THINNING_SIDE))
    mask = np.asarray(box_reduced(ink, THINNING_SIDE)) > 0.5
    distance = np.zeros(mask.shape)
    survivors = mask.astype(np.float64)
    step = 0
    while survivors.any():  # distance: how many erosions a pixel survives, + 1
        distance += survivors
        survivors = _eroded(survivors, 1, start=step)
        step += 1
    middle = mask & (distance >= _grown(distance, 1, start=1))
    if not middle.any():
        return 0.0
    return (2.0 * float(np.median(distance[middle])) - 0.5) * factor


def thinned(
    ink: NDArray[np.floating[Any]],
    width: float,
    wanted: float,
    cut: tuple[bool, bool, bool, bool] = (False, False, False, False),
) -> FloatArray:
    """Ink (h, w) in [0, 1] drawn with a pen `width` pixels wide, as if drawn `wanted` wide
    (`wanted` in proportion to the ink's longer side, which thinning shortens too): eroded
    (grey levels, a near-round pen) on a copy at most THINNING_SIDE a side → (h', w')
    float64 in [0, 1]. Ink the erosion would delete whole (a thinner stroke, a dot) is kept
    where it lies away from the thinned strokes. `cut`: the sides (top, bottom, left, right)
    where the picture's edge cut the strokes; the ink is taken to go on beyond them."""
    factor = int(-(-max(ink.shape) // THINNING_SIDE))
    small = np.asarray(box_reduced(np.where(ink > FAINT, ink, 0.0), THINNING_SIDE), np.float64)
    share = wanted / max(ink.shape)
    reach = max(0.0, width - wanted) / (2.0 * (1.0 - share)) / factor  # pixels off each side
    steps = int(reach)
    margin = steps + 2
    top, bottom, left, right = (margin if side else 0 for side in cut)
    padded = np.pad(small, ((top, bottom), (0, 0)), mode="edge")
    padded = np.pad(padded, ((0, 0), (left, right)), mode="edge")
    fewer = _eroded(padded, steps)
    more = _eroded(fewer, 1, start=steps)
    part = reach - steps
    core = ((1.0 - part) * fewer + part * more)[top : len(padded) - bottom, left:]
    core = core[:, : core.shape[1] - right]
    near = _grown((core > INK).astype(np.float64), int(np.ceil(1.5 * reach)) + 1)
    kept = np.where((small > 0.5) & (near == 0), small, 0.0)  # what the erosion deleted whole
    return np.asarray(np.maximum(core, kept), dtype=np.float64)


def _eroded(value: FloatArray, steps: int, start: int = 0) -> FloatArray:
    """`value` (h, w) after `steps` steps of a grey-level erosion (beyond the edge: paper),
    each the least over a pixel's 4 neighbours and itself, or its 8 neighbours, by turns
    (a near-round octagon; step `start` first): each step takes a pixel off every side."""
    for step in range(start, start + steps):
        value = _window(value, step, np.minimum)
    return value


def _grown(value: FloatArray, steps: int, start: int = 0) -> FloatArray:
    """`value` (h, w) after `steps` steps of a grey-level dilation (as `_eroded`, the most)."""
    for step in range(start, start + steps):
        value = _window(value, step, np.maximum)
    return value


def _window(value: FloatArray, step: int, pick: np.ufunc) -> FloatArray:
    """`pick` (np.minimum or np.maximum) over each pixel of `value` (h, w) and its 4
    neighbours (even steps) or 8 (odd steps); beyond the edge, 0."""
    p = np.pad(value, 1)
    parts = [p[1:-1, 1:-1], p[:-2, 1:-1], p[2:, 1:-1], p[1:-1, :-2], p[1:-1, 2:]]
    if step % 2:
        parts += [p[:-2, :-2], p[:-2, 2:], p[2:, :-2], p[2:, 2:]]
    return np.asarray(pick.reduce(parts), dtype=np.float64)
