"""Activation maximisation: targets rise from a blank start, reproducibly for a seed."""

from __future__ import annotations

import numpy as np
import pytest

from ocrpad.explain.dream import (
    DreamSettings,
    class_target,
    dream,
    dream_classes,
    dream_filters,
    filter_target,
    iter_dream,
    sketch_classes,
    target_values,
)
from ocrpad.explain.imaging import gaussian_blur, total_variation_grad
from ocrpad.explain.session import BATCH, CLASSES, Explainer, group_seed
from ocrpad.model import load_model
from ocrpad.nn import Conv2d, Dense, Flatten, ReLU, Sequential
from ocrpad.preprocess import flatten_strokes, render_flat
from ocrpad.reading import look_alikes
from ocrpad.resources import default_weights_path

PLUS = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], dtype=np.float32)
FAST = DreamSettings(steps=60)


def mean_response_network(conv: Conv2d) -> Sequential:
    """conv (2 channels on 28x28) -> ReLU -> class i = the mean of channel i."""
    dense = Dense(2 * 26 * 26, 2)
    dense.params["weight"][...] = 0.0
    dense.params["weight"][0, : 26 * 26] = 1.0 / (26 * 26)
    dense.params["weight"][1, 26 * 26 :] = 1.0 / (26 * 26)
    dense.params["bias"][...] = 0.0
    return Sequential([("conv1", conv), ("relu1", ReLU()), ("flatten", Flatten()), ("out", dense)])


def plus_network(bias: float = 0.05) -> Sequential:
    """conv1 channel 0 detects a plus sign; class 0 counts them, class 1 is channel 1."""
    conv = Conv2d(1, 2, 3)
    conv.params["weight"][0, 0] = np.where(PLUS > 0, 1.0, -1.0)
    conv.params["weight"][1, 0] = -PLUS
    conv.params["bias"][...] = bias
    return mean_response_network(conv)


def test_a_filter_dream_raises_its_mean_activation_many_times_over_a_blank_start() -> None:
    network = plus_network()
    target = filter_target(network, "conv1", [0])
    blank = np.zeros((1, 28, 28), dtype=np.float32)
    images = dream(network, target, FAST, seed=1)
    assert images is not None
    assert images.shape == (1, 28, 28)
    assert images.min() >= 0.0 and images.max() <= 1.0
    before = target_values(network, blank, target)[0]
    after = target_values(network, images, target)[0]
    assert before == pytest.approx(0.05)
    assert after > 10 * before


def lines_network() -> Sequential:
    """Class 0 is the mean response to vertical lines, class 1 to horizontal lines."""
    conv = Conv2d(1, 2, 3)
    vertical = np.array([[-1, 2, -1]] * 3, dtype=np.float32) / 3
    conv.params["weight"][0, 0] = vertical
    conv.params["weight"][1, 0] = vertical.T
    conv.params["bias"][...] = 0.0
    return mean_response_network(conv)


def test_a_pixel_class_dream_raises_its_logit_many_times_over_a_blank_start() -> None:
    network = plus_network()
    images = dream_classes(network, [0], DreamSettings(steps=60, strokes=None), seed=1)
    target = class_target(network, [0])
    before = target_values(network, np.zeros((1, 28, 28), np.float32), target)[0]
    after = target_values(network, images, target)[0]
    assert after > 10 * before > 0


def test_dreams_are_reproducible_for_a_seed_and_differ_between_seeds() -> None:
    network = plus_network()
    settings = DreamSettings(steps=20, start="noise")
    first = dream_filters(network, "conv1", settings=settings, seed=5)
    again = dream_filters(network, "conv1", settings=settings, seed=5)
    other = dream_filters(network, "conv1", settings=settings, seed=6)
    assert first.shape == (2, 28, 28)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_a_pen_class_dream_turns_its_strokes_the_way_its_class_wants_them() -> None:
    network = lines_network()
    target = class_target(network, [0, 1])
    first, *_, last = iter_dream(network, target, FAST, seed=0)
    assert np.all(target_values(network, last, target) > target_values(network, first, target))
    sketch = sketch_classes(network, [0, 1], FAST, seed=0)
    for index, (along, across) in enumerate([(1, 0), (0, 1)]):  # y for class 0, x for 1
        travel = sum(
            np.abs(np.diff(stroke, axis=0)).sum(axis=0) for stroke in sketch.strokes(index)
        )
        assert travel[along] > 3 * travel[across]


def test_class_dreams_are_reproducible_for_a_seed_and_differ_between_seeds() -> None:
    network = plus_network()
    settings = DreamSettings(steps=12)
    first = dream_classes(network, [0, 1], settings, seed=5)
    again = dream_classes(network, [0, 1], settings, seed=5)
    other = dream_classes(network, [0, 1], settings, seed=6)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_class_dreams_are_pen_drawings_framed_like_the_training_drawings() -> None:
    network = plus_network()
    settings = DreamSettings(steps=12)
    sketch = sketch_classes(network, [0, 1], settings, seed=3)
    images = dream_classes(network, [0, 1], settings, seed=3)
    np.testing.assert_array_equal(images, sketch.images())  # the dream is that drawing
    assert images.min() >= 0.0 and images.max() <= 1.0
    for index in range(2):
        points = np.concatenate(sketch.strokes(index))  # (P, 2)
        assert 1 <= len(sketch.strokes(index)) <= 3
        extent = points.max(axis=0) - points.min(axis=0)
        assert extent.max() == pytest.approx(20.0, abs=1e-3)  # the renderer's box
        assert points.min() > 2.0 and points.max() < 25.0  # ink inside the image


def test_a_dream_can_be_cancelled() -> None:
    assert (
        dream(plus_network(), class_target(plus_network(), [1]), FAST, cancel=lambda: True) is None
    )


def test_filter_targets_must_name_a_convolution() -> None:
    with pytest.raises(ValueError, match="not a Conv2d"):
        filter_target(plus_network(), "relu1")
    with pytest.raises(ValueError, match="layers are"):
        filter_target(plus_network(), "conv9")


def test_the_blur_keeps_the_ink_and_total_variation_flattens_edges() -> None:
    image = np.zeros((1, 1, 9, 9), dtype=np.float32)
    image[0, 0, 4, 4] = 1.0
    blurred = gaussian_blur(image, 1.0)
    assert blurred.sum() == pytest.approx(1.0, rel=1e-5)
    assert blurred[0, 0, 4, 4] < 1.0
    assert blurred[0, 0, 4, 4] == blurred.max()
    grad = total_variation_grad(image)
    assert grad[0, 0, 4, 4] > 0  # descending the gradient lowers the isolated bright pixel
    assert grad[0, 0, 3, 4] < 0


@pytest.mark.slow
def test_the_gallerys_dreams_are_read_as_their_class_wherever_they_sit() -> None:
    """Every letter's and digit's dream as the gallery shows it (dreamt BATCH at a time, each
    batch seeded as the Explainer seeds it), its strokes drawn by the training renderer
    smaller, larger and shifted, is still read as its class, or as a look-alike of it (an O
    for an o): drawings of it, not adversarial pixels that fit one placement."""
    if not default_weights_path().is_file():
        pytest.skip("the default weights are not built yet")
    model = load_model()
    letters_and_digits = [i for i, c in enumerate(model.labels) if c.isalnum()]
    misread: list[str] = []
    explainer = Explainer(model)  # the first batch of dreams, as the window dreams it
    steps = explainer.dream_steps(CLASSES)
    for _ in range(explainer.settings.steps + 1):  # + 1: a batch is kept as the next begins
        next(steps)
    for first in range(0, max(letters_and_digits) + 1, BATCH):
        group = list(range(first, min(first + BATCH, len(model.labels))))
        sketch = sketch_classes(model, group, seed=group_seed(0, first, CLASSES))
        if first == 0:  # these strokes are the drawings the gallery shows
            shown, done = explainer.partial(CLASSES)
            assert done == BATCH
            np.testing.assert_allclose(sketch.images(), shown[:BATCH], atol=1e-6)
        for index, expected in enumerate(group):
            if expected not in letters_and_digits:
                continue
            points, offsets = flatten_strokes(sketch.strokes(index))
            copies = [
                render_flat(points, offsets, zoom=zoom, shift=shift)
                for zoom in (0.85, 1.0, 1.08)
                for shift in ((0.0, 0.0), (1.5, -1.0), (-1.0, 1.5))
            ]
            label = model.labels[expected]
            family = {label, *look_alikes(label, model.labels)}
            guesses = model.predict_proba(np.stack(copies)[:, None]).argmax(axis=1)
            read = [model.labels[i] for i in guesses]
            misread += [f"{label} read as {r}" for r in read if r not in family]
    assert not misread, misread


def test_a_blank_start_without_any_gradient_is_nudged_into_motion() -> None:
    network = plus_network(bias=-0.3)  # every ReLU is off for a black image
    blank = np.zeros((1, 28, 28), dtype=np.float32)
    target = filter_target(network, "conv1", [0])
    assert target_values(network, blank, target)[0] == 0.0
    images = dream(network, target, DreamSettings(steps=80), seed=2)
    assert images is not None
    assert target_values(network, images, target)[0] > 0.1
