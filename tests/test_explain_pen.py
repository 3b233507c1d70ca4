"""The differentiable pen class dreams are drawn with: its curves, its look and its gradient."""

from __future__ import annotations

import numpy as np
import pytest

from ocrpad.explain.pen import draw, draw_backward, spline_basis
from ocrpad.preprocess import DEFAULT_PARAMS, flatten_strokes, render_strokes, stroke_frame


def test_spline_curves_start_and_end_on_their_end_control_points() -> None:
    for controls in (2, 3, 6):
        basis = spline_basis(controls, 9)
        assert basis.shape == (9, controls)
        np.testing.assert_allclose(basis.sum(axis=1), 1.0, atol=1e-6)
        assert basis.min() >= 0.0
        assert basis[0, 0] == 1.0 and basis[-1, -1] == 1.0


def test_the_pen_draws_a_stroke_as_the_training_renderer_does() -> None:
    corner = np.array([[0.0, 0.0], [0.0, 5.0], [3.0, 5.0]], dtype=np.float32)  # an L
    expected = render_strokes([corner])
    points, offsets = flatten_strokes([corner])
    centre, scale = stroke_frame(points, offsets)  # where the renderer puts it
    line = np.concatenate(
        [np.linspace(corner[0], corner[1], 21)[:-1], np.linspace(corner[1], corner[2], 13)]
    )
    placed = (line - centre) * (scale / DEFAULT_PARAMS.supersample) + 13.5  # output pixels
    width = np.array([2.4], dtype=np.float32)
    image, _ = draw(placed[None, None].astype(np.float32), np.ones((1, 1), bool), width)
    assert image.shape == (1, 28, 28)
    assert image.max() == pytest.approx(1.0, abs=0.02)
    assert np.abs(image[0] - expected).mean() < 0.03


def test_the_pen_gradient_matches_finite_differences() -> None:
    rng = np.random.default_rng(0)
    points = rng.uniform(5, 22, (2, 2, 7, 2)).astype(np.float32)
    active = np.array([[True, True], [True, False]])
    width = np.array([2.4, 2.0], dtype=np.float32)
    images, drawing = draw(points, active, width)
    weights = rng.normal(size=images.shape).astype(np.float32)
    grad = draw_backward(drawing, weights)
    eps = 1e-2
    for index in [(0, 0, 3, 0), (0, 1, 6, 1), (1, 0, 0, 0), (1, 0, 4, 1)]:
        up, down = points.copy(), points.copy()
        up[index] += eps
        down[index] -= eps
        change = (draw(up, active, width)[0] - draw(down, active, width)[0]) * weights
        assert grad[index] == pytest.approx(change.sum() / (2 * eps), rel=0.02, abs=1e-3)
    assert np.all(grad[1, 1] == 0.0)  # a stroke that is not drawn gets no gradient
