"""What the recognition worker sends to the window: frozen dataclasses of plain numpy arrays."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from ocrpad.app.colormap import colorize

FloatArray = NDArray[np.float32]


@dataclass(frozen=True)
class LayerMaps:
    """One layer's maps for the viewer.

    maps: (C, H, W) float32, the raw values; tiles: (C * H, W, 3) uint8, the maps coloured with
    one scale per layer (vmin..vmax) and stacked vertically, so the view wraps them in one image.
    """

    name: str
    shape: tuple[int, ...]
    maps: FloatArray
    tiles: NDArray[np.uint8]
    vmin: float
    vmax: float
    diverging: bool = False

    @property
    def count(self) -> int:
        return int(self.maps.shape[0])


def layer_maps(name: str, maps: NDArray[np.floating], *, diverging: bool = False) -> LayerMaps:
    """Colour one layer's maps: (C, H, W) (or (1, C, H, W)) → LayerMaps with a shared scale."""
    shape = tuple(int(s) for s in maps.shape)
    values = np.asarray(maps, dtype=np.float32).reshape(-1, shape[-2], shape[-1])  # (C, H, W)
    if diverging:
        bound = float(np.abs(values).max()) or 1.0
        vmin, vmax = -bound, bound
    else:
        vmin, vmax = float(values.min()), float(values.max())
    tiles = colorize(values.reshape(-1, values.shape[-1]), vmin, vmax, diverging=diverging)
    return LayerMaps(name, shape, values, tiles, vmin, vmax, diverging)


@dataclass(frozen=True)
class ModelInfo:
    """The model the worker currently uses: labels, a description and the first conv filters."""

    labels: list[str]
    description: str
    filters: LayerMaps | None = None


@dataclass(frozen=True)
class Prediction:
    """One answered drawing.

    probabilities: (C,) float32 over `labels`; input_image: (28, 28) float32 in [0, 1], the exact
    network input; layers: the conv / pool activations of this input. look_alikes: the other
    allowed members of the answer's look-alike family, likeliest first; height_ratio: the
    drawing's height over the person's usual height (None without history or guides);
    history_used: how many earlier drawings the reader used; below_line: how far the drawing's
    bottom is below the person's baseline, in their usual heights (None: unknown);
    like_earlier: what the person's earlier drawing most like this one was read as, and how
    alike they are, 0 … 1 (None without history); coarse_trace: how much of the correction
    for coarse traces the answer took, 0 … 1 (None: the model has none); by_guides: the
    writing guides gave the scale and the baseline (height_ratio is then over their x-height);
    guides_shown: the guides were on the canvas (they give no scale to a lone dot);
    runner_up: the likeliest label after `label` (None: one label); reasons: each part of the
    reading and its share of log(p_label / p_runner_up), largest first (`Reading.reasons`).
    """

    request_id: int
    label: str
    labels: list[str]
    probabilities: FloatArray
    input_image: FloatArray
    layers: tuple[LayerMaps, ...] = ()
    compute_ms: float = 0.0
    top: tuple[tuple[str, float], ...] = field(default=())
    picture: NDArray[np.uint8] | None = None  # a picture's grey preview, when one was asked for
    look_alikes: tuple[str, ...] = ()
    height_ratio: float | None = None
    history_used: int = 0
    below_line: float | None = None
    like_earlier: tuple[str, float] | None = None
    coarse_trace: float | None = None
    by_guides: bool = False
    guides_shown: bool = False
    runner_up: str | None = None
    reasons: tuple[tuple[str, float], ...] = ()

    @property
    def confidence(self) -> float:
        return float(self.probabilities.max()) if self.probabilities.size else 0.0


@dataclass(frozen=True)
class Failure:
    """A request the worker could not answer (unreadable image, empty drawing, no model)."""

    request_id: int
    message: str
