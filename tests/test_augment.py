"""Stroke augmentation: seeded, shape-preserving, and still a drawing of the same thing."""

from __future__ import annotations

import numpy as np

from ocrpad.data.augment import (
    USER_AUGMENT,
    AugmentParams,
    augment_flat,
    augment_strokes,
    render_augmented,
)
from ocrpad.learning.recipe import Recipe
from ocrpad.preprocess import flatten_strokes, render_strokes


def _two_strokes() -> list[np.ndarray]:
    t = np.linspace(0, 1, 30)
    return [np.stack([t, t**2], 1) * 100, np.array([[0.0, 100.0], [100.0, 0.0]])]


def test_the_same_seed_gives_the_same_augmentation() -> None:
    a = augment_strokes(_two_strokes(), np.random.default_rng(7))
    b = augment_strokes(_two_strokes(), np.random.default_rng(7))
    c = augment_strokes(_two_strokes(), np.random.default_rng(8))
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[0][:5], c[0][:5])


def test_augmentation_keeps_strokes_and_their_end_points() -> None:
    points, offsets = flatten_strokes(_two_strokes())
    params = AugmentParams(rotation_deg=0, shear=0, aspect=0, elastic=0, jitter=0, drop_points=0.9)
    q, offs = augment_flat(points, offsets, np.random.default_rng(0), params)
    assert len(offs) == 3 and offs[-1] == len(q) and np.all(np.diff(offs) >= 2)
    # with no geometric change the kept points are the normalised originals
    lo, hi = points.min(0), points.max(0)
    normalised = (points - (lo + hi) / 2) / (hi - lo).max()
    np.testing.assert_allclose(q[0], normalised[0], atol=1e-6)
    np.testing.assert_allclose(q[offs[1] - 1], normalised[29], atol=1e-6)


def test_an_augmented_rendering_still_resembles_the_original() -> None:
    points, offsets = flatten_strokes(_two_strokes())
    original = render_strokes(_two_strokes())
    rng = np.random.default_rng(3)
    for _ in range(10):
        image = render_augmented(points, offsets, rng)
        assert image.shape == (28, 28) and image.dtype == np.float32
        assert np.corrcoef(image.ravel(), original.ravel())[0, 1] > 0.3


def test_single_dots_survive_augmentation() -> None:
    image = render_augmented(*flatten_strokes([np.array([[5.0, 5.0]])]), np.random.default_rng(0))
    assert image.max() == 1.0


def _clicks() -> list[list[np.ndarray]]:
    """Dots as pens and mice record them: a click of repeated samples, two taps on one spot."""
    return [
        [np.full((2, 2), 50.0)],
        [np.full((6, 2), 50.0)],
        [np.array([[1.0, 1.0]]), np.array([[1.0, 1.0]])],
    ]


def test_a_click_of_repeated_points_stays_a_dot() -> None:
    """In a fine-tune of the user's drawings, and in a recipe that asks for it (the shipped
    model was trained without it, and its recipe still reproduces it bit for bit)."""
    assert USER_AUGMENT.keep_dots and not Recipe().augmentation.keep_dots
    shipped = AugmentParams(coarse=0.4, keep_dots=True)
    for strokes in _clicks():
        points, offsets = flatten_strokes(strokes)
        q, offs = augment_flat(points, offsets, np.random.default_rng(0), shipped)
        np.testing.assert_array_equal(q, points)
        np.testing.assert_array_equal(offs, offsets)
        canonical = int((render_strokes(strokes) > 0.2).sum())  # 15 pixels
        for seed in range(20):
            image = render_augmented(points, offsets, np.random.default_rng(seed), shipped)
            # pen width ≤ 1.45x: at most about twice the ink, never a scribble (was 94-233)
            assert (image > 0.2).sum() <= 2 * canonical


def test_a_dot_takes_the_random_draws_of_any_drawing() -> None:
    """The drawings after a dot in a batch are distorted as they were before dots were kept."""
    dot = flatten_strokes([np.full((3, 2), 50.0)])
    tiny = flatten_strokes([np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])])
    after = []
    for points, offsets in (dot, tiny):
        rng = np.random.default_rng(4)
        augment_flat(points, offsets, rng, USER_AUGMENT)
        after.append(rng.bit_generator.state)
    assert after[0] == after[1]
