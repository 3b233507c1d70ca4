"""Colour scales for the feature-map viewer, as 256-entry lookup tables (numpy only)."""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray

# A perceptually ordered dark-blue → green → yellow scale for activations (viridis-like anchors).
_SEQUENTIAL_ANCHORS: Final = np.array(
    [
        (68, 1, 84),
        (71, 44, 122),
        (59, 81, 139),
        (44, 113, 142),
        (33, 144, 141),
        (39, 173, 129),
        (92, 200, 99),
        (170, 220, 50),
        (253, 231, 37),
    ],
    dtype=np.float64,
)
# Blue → light grey → red for signed values (learned filters), centred on zero.
_DIVERGING_ANCHORS: Final = np.array(
    [(40, 70, 170), (120, 150, 220), (235, 235, 235), (225, 130, 110), (170, 20, 40)],
    dtype=np.float64,
)


def _lut(anchors: NDArray[np.float64]) -> NDArray[np.uint8]:
    """Interpolate anchors into a (256, 3) uint8 table."""
    positions = np.linspace(0.0, 1.0, len(anchors))
    steps = np.linspace(0.0, 1.0, 256)
    channels = [np.interp(steps, positions, anchors[:, c]) for c in range(3)]
    return np.round(np.stack(channels, axis=1)).astype(np.uint8)  # (256, 3)


SEQUENTIAL_LUT: Final = _lut(_SEQUENTIAL_ANCHORS)
DIVERGING_LUT: Final = _lut(_DIVERGING_ANCHORS)


def colorize(
    values: NDArray[np.floating], vmin: float, vmax: float, *, diverging: bool = False
) -> NDArray[np.uint8]:
    """Map values: (H, W) float onto the scale vmin..vmax → (H, W, 3) uint8 RGB."""
    span = vmax - vmin
    scaled = (values - vmin) * (255.0 / span) if span > 0 else np.zeros_like(values)
    index = np.clip(scaled, 0, 255).astype(np.uint8)
    lut = DIVERGING_LUT if diverging else SEQUENTIAL_LUT
    return np.ascontiguousarray(lut[index])  # (H, W, 3)


def luminance(rgb: tuple[int, int, int]) -> float:
    """The WCAG relative luminance of an sRGB colour (0 black .. 1 white)."""
    linear = [c / 255 / 12.92 if c <= 10 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: tuple[int, int, int], second: tuple[int, int, int]) -> float:
    """The WCAG contrast ratio of two colours, 1 (alike) to 21 (black on white)."""
    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def text_colour(background: tuple[int, int, int]) -> tuple[int, int, int]:
    """Black or white, whichever contrasts more with `background` (at least 4.58:1 either way)."""
    black, white = (0, 0, 0), (255, 255, 255)
    return black if contrast(background, black) >= contrast(background, white) else white
