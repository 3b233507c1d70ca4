"""The overlay's pieces: heat colours and where the network input lies over the drawing."""

from __future__ import annotations

import numpy as np
import pytest

from ocrpad.app.explain_overlay import heat_to_rgba, input_square
from ocrpad.preprocess import RenderParams, render_strokes


def test_zero_heat_is_transparent_and_the_hottest_pixel_is_the_most_opaque() -> None:
    heat = np.array([[0.0, 0.25], [0.5, 1.0]], dtype=np.float32)
    rgba = heat_to_rgba(heat)
    assert rgba.shape == (2, 2, 4) and rgba.dtype == np.uint8
    assert rgba[0, 0, 3] == 0
    alphas = rgba[..., 3].ravel()
    assert list(alphas) == sorted(alphas)


def test_the_input_square_maps_input_pixels_back_onto_the_strokes() -> None:
    strokes = [np.array([[100.0, 200.0], [300.0, 500.0]]), np.array([[300.0, 200.0]])]
    params = RenderParams()
    square = input_square(strokes, params)
    assert square is not None
    left, top, side = square
    assert side == pytest.approx(28 * 300 / params.box)
    assert (left + side / 2, top + side / 2) == pytest.approx((200.0, 350.0))
    image = render_strokes(strokes, params)
    rows, cols = np.nonzero(image > 0.5)
    xs = left + (cols + 0.5) * side / 28  # input pixel centres in stroke units
    ys = top + (rows + 0.5) * side / 28
    pixel = side / 28
    assert xs.min() == pytest.approx(100, abs=2 * pixel)
    assert xs.max() == pytest.approx(300, abs=2 * pixel)
    assert ys.min() == pytest.approx(200, abs=2 * pixel)
    assert ys.max() == pytest.approx(500, abs=2 * pixel)


def test_there_is_no_square_for_an_empty_drawing_or_a_dot() -> None:
    assert input_square([]) is None
    assert input_square([np.array([[5.0, 5.0], [5.0, 5.0]])]) is None
