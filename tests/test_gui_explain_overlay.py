"""The overlay's pieces: heat colours and where the network input lies over the drawing."""

from __future__ import annotations

import numpy as np
import pytest

from ocrpad.app.explain.overlay import heat_to_rgba, input_square
from ocrpad.preprocess import RenderParams, render_strokes


def test_zero_heat_is_transparent_and_the_hottest_pixel_is_the_most_opaque() -> None:
    heat = np.array([[0.0, 0.25], [0.5, 1.0]], dtype=np.float32)
    rgba = heat_to_rgba(heat)
    assert rgba.shape == (2, 2, 4) and rgba.dtype == np.uint8
    assert rgba[0, 0, 3] == 0
    alphas = rgba[..., 3].ravel()
    assert list(alphas) == sorted(alphas)


@pytest.mark.parametrize("center", ["box", "mass"])
def test_the_input_square_maps_the_rendered_ink_back_onto_the_strokes(center: str) -> None:
    # An "L": its ink centroid is far from its box centre, so both centrings differ.
    strokes = [np.array([[100.0, 200.0], [100.0, 500.0], [160.0, 500.0]])]
    params = RenderParams(center=center)  # type: ignore[arg-type]
    square = input_square(strokes, params)
    assert square is not None
    left, top, side = square
    pixel = side / params.size  # stroke units per input pixel
    assert pixel == pytest.approx(300 / params.box)
    image = render_strokes(strokes, params)
    rows, cols = np.nonzero(image > 0.3)
    # The ink's box, mapped back through the square, is centred on the strokes' box.
    ink_x = left + (cols.min() + cols.max() + 1) / 2 * pixel
    ink_y = top + (rows.min() + rows.max() + 1) / 2 * pixel
    assert ink_x == pytest.approx(130.0, abs=0.5 * pixel)
    assert ink_y == pytest.approx(350.0, abs=0.5 * pixel)


def test_there_is_no_square_for_an_empty_drawing_or_a_dot() -> None:
    assert input_square([]) is None
    assert input_square([np.array([[5.0, 5.0], [5.0, 5.0]])]) is None
