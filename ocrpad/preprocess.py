"""Drawing → network input: the one pipeline from strokes (or a picture) to a 28×28 image.

EMNIST-style: the bounding box of the pen trace is scaled by its *longer* side into an inner
box, centred (by box or by ink mass), drawn with a stroke width fixed relative to that box,
supersampled, lightly blurred, reduced to 28×28 and scaled so the brightest pixel is 1.
Canvas, training and evaluation all call `render_strokes` / `render_flat`, so the network
always sees drawings made the same way.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from PIL import Image, ImageDraw, ImageFilter

from ocrpad.bounds import check_render_json
from ocrpad.picture import (
    ImageReadError,
    backdrop_for,
    box_reduced,
    load_image,
    load_picture,
)  # re-exported: pictures are an input too
from ocrpad.picture_ink import find_ink, pen_fitted
from ocrpad.strokes import EmptyDrawingError, flatten_strokes  # re-exported: the drawing checks

__all__ = [
    "DEFAULT_PARAMS",
    "EmptyDrawingError",
    "ImageReadError",
    "RenderParams",
    "bitmap_to_input",
    "flatten_strokes",
    "is_dot",
    "load_image",
    "picture_input",
    "render_batch",
    "render_flat",
    "render_params_of",
    "render_strokes",
    "stroke_frame",
]

FloatArray = NDArray[np.float32]


@dataclass(frozen=True)
class RenderParams:
    """How strokes become a network input; stored in every model file's metadata."""

    size: int = 28  # output side, pixels
    box: float = 20.0  # longer side of the stroke centre-lines' bounding box, output pixels
    stroke_width: float = 2.4  # pen diameter, output pixels (i.e. relative to `box`)
    blur_sigma: float = 0.8  # Gaussian blur after drawing, output pixels
    supersample: int = 3  # drawn at size*supersample, then box-reduced
    center: Literal["box", "mass"] = "mass"  # bounding-box centre, or ink centroid (unclipped)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (for model metadata)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RenderParams:
        """Inverse of `to_dict`; unknown keys and values outside `ocrpad.bounds` are a
        ValueError, missing keys take defaults."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown render parameters: {sorted(unknown)}")
        check_render_json(data)
        center = data.get("center", "box")
        if center not in ("box", "mass"):
            raise ValueError(f"render center must be 'box' or 'mass', not {center!r}")
        return cls(**dict(data))


DEFAULT_PARAMS = RenderParams()


def render_params_of(meta: Mapping[str, Any]) -> RenderParams:
    """The render parameters a model was trained with, from its file's metadata.

    Every road from a drawing to that model's input uses these, so it sees what it learned
    from. A model file that records none gets the defaults; a malformed record is a ValueError.
    """
    stored = meta.get("render")
    return DEFAULT_PARAMS if stored is None else RenderParams.from_dict(stored)


def render_strokes(
    strokes: Sequence[ArrayLike], params: RenderParams = DEFAULT_PARAMS
) -> FloatArray:
    """strokes: sequence of (k, 2) x, y points (y down, any units) → (28, 28) float32 in [0, 1].

    White ink on black. Raises EmptyDrawingError (a ValueError) for empty or non-finite input.
    """
    points, offsets = flatten_strokes(strokes)
    return render_flat(points, offsets, params)


def _ink_centre(points: FloatArray, offsets: NDArray[np.int64]) -> NDArray[np.float64]:
    """Centroid of the pen trace, weighted by segment length: (2,) float64."""
    p = points.astype(np.float64)
    seg = p[1:] - p[:-1]  # (P-1, 2); segments across stroke boundaries are dropped below
    valid = np.ones(len(seg), dtype=bool)
    valid[offsets[1:-1] - 1] = False
    length = np.hypot(seg[:, 0], seg[:, 1]) * valid
    total = float(length.sum())
    if total <= 0.0:
        return np.asarray(p.mean(axis=0))
    mids = (p[1:] + p[:-1]) * 0.5
    return np.asarray((mids * length[:, None]).sum(axis=0) / total)


def _mass_centre(
    points: FloatArray,
    offsets: NDArray[np.int64],
    lo: FloatArray,
    hi: FloatArray,
    scale: float,
    params: RenderParams,
) -> NDArray[np.float64]:
    """The ink centroid, moved towards the box centre just enough that no ink is cut off."""
    box_centre = (lo.astype(np.float64) + hi) * 0.5
    half_room = (params.size * params.supersample - (hi - lo) * scale) * 0.5  # (2,) pixels
    half_room -= (params.stroke_width * 0.5 + 2.0 * params.blur_sigma + 0.5) * params.supersample
    limit = np.maximum(half_room, 0.0) / scale  # (2,) drawing units
    offset = np.clip(_ink_centre(points, offsets) - box_centre, -limit, limit)
    return np.asarray(box_centre + offset)


DOT_EXTENT = 1e-6
"""A drawing whose extent is at most this share of its coordinates' magnitude is a dot: a
click, repeated samples of one place, or float noise around one; it has no size to scale. A
share only, with no absolute floor, so that a drawing reads alike in any units (a floor of
1e-6 made a 7 drawn in units of 1e-8 a dot)."""


def is_dot(points: FloatArray) -> bool:
    """True when `points` (P ≥ 1, 2) are drawn as one centred dot rather than scaled to the box.

    The renderer and the augmentation share this test, so a click is never blown up into a
    scribble by either."""
    extent = float((points.max(axis=0) - points.min(axis=0)).max())
    return extent <= DOT_EXTENT * float(np.abs(points).max())


def stroke_frame(
    points: FloatArray,
    offsets: NDArray[np.int64],
    params: RenderParams = DEFAULT_PARAMS,
    *,
    zoom: float = 1.0,
) -> tuple[NDArray[np.float64], float]:
    """Where flat strokes land in the output: (centre (2,) in drawing units, scale in
    supersampled output pixels per drawing unit). The centre goes to the output's middle;
    scale is 0 for a single dot (or repeated points), drawn as a centred dot."""
    if is_dot(points):
        return np.asarray(points[0], dtype=np.float64), 0.0
    lo = points.min(axis=0)
    hi = points.max(axis=0)
    extent = float((hi - lo).max())
    scale = params.box * zoom * params.supersample / extent
    if params.center == "mass":
        return _mass_centre(points, offsets, lo, hi, scale, params), scale
    return np.asarray((lo + hi) * 0.5, dtype=np.float64), scale


def render_flat(
    points: FloatArray,
    offsets: NDArray[np.int64],
    params: RenderParams = DEFAULT_PARAMS,
    *,
    width_scale: float = 1.0,
    zoom: float = 1.0,
    shift: tuple[float, float] = (0.0, 0.0),
) -> FloatArray:
    """Render flat strokes: points (P, 2) float32, offsets (S+1,) → (size, size) float32.

    `width_scale`, `zoom` (box size factor) and `shift` (output pixels) exist for augmentation;
    the defaults give the canonical rendering. Points must be finite and P ≥ 1.
    """
    S = params.supersample
    side = params.size * S
    centre, scale = stroke_frame(points, offsets, params, zoom=zoom)
    origin = (side - 1) * 0.5 + np.asarray(shift, dtype=np.float64) * S
    xy = (points - centre) * scale + origin  # (P, 2) supersampled pixel coordinates
    width = max(1.0, params.stroke_width * width_scale * S)
    image = _draw(xy.ravel().tolist(), offsets.tolist(), side, width)
    if params.blur_sigma > 0:
        image = image.filter(ImageFilter.GaussianBlur(params.blur_sigma * S))
    if S > 1:
        image = image.reduce(S)
    out = np.asarray(image, dtype=np.float32)
    peak = float(out.max())
    if peak <= 0.0:  # everything fell outside the canvas (only possible with extreme shifts)
        raise EmptyDrawingError("the drawing rendered to an empty image")
    out *= 1.0 / peak
    return out


def _draw(flat: list[float], offsets: list[int], side: int, width: float) -> Image.Image:
    """Draw polylines (flat x0, y0, x1, y1, … list) with round caps on a black L image."""
    image = Image.new("L", (side, side), 0)
    draw = ImageDraw.Draw(image)
    w = round(width)
    r = width * 0.5
    for a, b in itertools.pairwise(offsets):
        if b == a:
            continue
        if b - a >= 2:
            draw.line(flat[2 * a : 2 * b], fill=255, width=w)
        for k in (a, b - 1) if b - a >= 2 else (a,):
            x, y = flat[2 * k], flat[2 * k + 1]
            draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    return image


def render_batch(
    points: FloatArray,
    stroke_offsets: NDArray[np.int64],
    sample_offsets: NDArray[np.int64],
    indices: Sequence[int] | NDArray[np.integer[Any]],
    params: RenderParams = DEFAULT_PARAMS,
) -> FloatArray:
    """Render samples `indices` of a flat stroke store → (N, size, size) float32.

    Layout as in the shared .npz: sample i is strokes sample_offsets[i]:sample_offsets[i+1],
    stroke k is points stroke_offsets[k]:stroke_offsets[k+1].
    """
    out = np.empty((len(indices), params.size, params.size), dtype=np.float32)
    for j, i in enumerate(indices):
        s0, s1 = int(sample_offsets[i]), int(sample_offsets[i + 1])
        offs = stroke_offsets[s0 : s1 + 1]
        out[j] = render_flat(points[offs[0] : offs[-1]], offs - offs[0], params)
    return out


def _to_grey(image: NDArray[Any]) -> NDArray[np.float64]:
    """(H, W), (H, W, 1), (H, W, 3) or (H, W, 4) of real numbers → (H, W) float64 in [0, 1].

    Transparency is composited over white (or over black when only that shows the ink: white
    ink drawn on a transparent picture), as `picture.load_image` does for a file, so an array
    and the same picture saved as a PNG read alike (anti-aliased edges included).
    """
    a = np.asarray(image)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    if not (a.ndim == 2 or (a.ndim == 3 and a.shape[2] in (3, 4))):
        raise ValueError(f"expected an image of shape (H, W) or (H, W, 3|4), got {a.shape}")
    if a.dtype.kind not in "biuf":  # bool, integers, floats: not text, objects or complex
        raise ValueError(f"an image's pixels must be real numbers, not {a.dtype}")
    if a.size == 0:
        raise EmptyDrawingError("the picture is empty (no pixels)")
    integer = np.issubdtype(a.dtype, np.integer)  # 0 … 255 levels, also once averaged
    a = box_reduced(a.astype(np.uint8) if a.dtype == np.bool_ else a)
    channels = a.astype(np.float64).reshape(*a.shape[:2], -1)  # (h, w, 1 | 3 | 4)
    grey = channels[..., 0] if a.ndim == 2 else channels[..., :3] @ [0.299, 0.587, 0.114]
    alpha = channels[..., 3] if a.ndim == 3 and a.shape[2] == 4 else None
    if grey.size == 0 or not np.isfinite(grey).all():
        raise EmptyDrawingError("the picture is empty or has non-finite pixels")
    top = 255.0 if integer else max(1.0, float(grey.max()))
    grey = grey / top
    if alpha is not None:
        opacity = np.clip(alpha / (255.0 if integer else 1.0), 0.0, 1.0)
        backdrop = backdrop_for(grey, opacity)
        grey = grey * opacity + backdrop * (1.0 - opacity)
    return np.asarray(grey, dtype=np.float64)


def bitmap_to_input(image: NDArray[Any], params: RenderParams = DEFAULT_PARAMS) -> FloatArray:
    """A picture of one character (any size, dark or light ink) → (size, size) float32 in [0, 1].

    The paper's level is found block by block and the ink is whatever lies darker (or, for
    light ink on dark paper, lighter) than it (`picture_ink.find_ink`). The ink's bounding box
    is fitted (longer side) into the same box as `render_strokes`, blurred alike, its pen made
    the one the network learned from (`picture_ink.pen_fitted`: a thin pen widened, a thick
    one thinned).
    """
    grey = _to_grey(image)
    ink = find_ink(grey)  # (H, W) 0 = paper, dark or light ink alike
    peak = float(ink.max())
    if peak < 0.05:
        raise EmptyDrawingError("the picture has no visible ink (it is a single colour)")
    ink = np.clip(ink / peak, 0.0, 1.0)
    target = params.box + params.stroke_width + params.blur_sigma  # a rendering's ink > 0.25
    crop = pen_fitted(ink, params.stroke_width / target)  # drawn with the pen learned from
    h, w = crop.shape
    scale = target / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    small = Image.fromarray(np.round(crop * 255).astype(np.uint8)).resize(
        (nw, nh), Image.Resampling.LANCZOS, reducing_gap=2.0
    )
    canvas = Image.new("L", (params.size, params.size), 0)
    canvas.paste(small, _paste_position(np.asarray(small, dtype=np.float64), params))
    if params.blur_sigma > 0:
        canvas = canvas.filter(ImageFilter.GaussianBlur(params.blur_sigma))
    out = np.asarray(canvas, dtype=np.float32)
    top = float(out.max())
    if top <= 0.0:
        raise EmptyDrawingError("the picture has no visible ink")
    return out * np.float32(1.0 / top)


def picture_input(
    path: str | Path, params: RenderParams = DEFAULT_PARAMS
) -> tuple[FloatArray, NDArray[np.uint8]]:
    """A picture file → (its network input (size, size) float32, the grey picture it was read
    from: (h, w) uint8, at most `picture.READ_SIDE` long). The one road from a picture file
    to an input: the window and ``ocrpad --read`` both take it, so they answer alike.
    Raises ImageReadError or EmptyDrawingError (ValueErrors) saying why."""
    grey = load_picture(path)
    return bitmap_to_input(grey, params), grey


def _paste_position(small: NDArray[np.float64], params: RenderParams) -> tuple[int, int]:
    """Top-left corner that centres `small` (h, w) by box, or by ink mass within the same
    room `render_flat` allows (so blurred ink is never cut off)."""
    h, w = small.shape
    x0, y0 = (params.size - w) / 2, (params.size - h) / 2
    total = small.sum()
    if params.center == "mass" and total > 0:
        ys, xs = np.indices(small.shape)
        cy, cx = (ys * small).sum() / total, (xs * small).sum() / total
        margin = 2.0 * params.blur_sigma + 0.5
        room_x, room_y = max(0.0, x0 - margin), max(0.0, y0 - margin)
        x0 += float(np.clip((w - 1) / 2 - cx, -room_x, room_x))
        y0 += float(np.clip((h - 1) / 2 - cy, -room_y, room_y))
    return round(x0), round(y0)
