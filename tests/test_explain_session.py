"""The per-model explanation cache the explain worker runs (no Qt)."""

from __future__ import annotations

import numpy as np
import pytest

from ocrpad.explain.dream import DreamSettings
from ocrpad.explain.session import CLASSES, Explainer
from ocrpad.model import ConvBlock, ModelConfig, build_model


def small_explainer() -> Explainer:
    config = ModelConfig(blocks=(ConvBlock(4), ConvBlock(6, pool=True)), hidden=(16,))
    model = build_model(config, list("abcde"), np.random.default_rng(0))
    fast = DreamSettings(steps=3)
    return Explainer(model, fast, seed=1, filter_settings=fast)


def test_class_dreams_are_computed_in_steps_once_and_then_served_from_the_cache() -> None:
    explainer = small_explainer()
    assert explainer.dreams(CLASSES) is None
    progress = list(explainer.dream_steps(CLASSES, batch=2))
    assert [done for done, _ in progress] == list(range(1, 10))  # 3 batches of 3 steps
    assert progress[-1] == (9, 9)
    dreams = explainer.dreams(CLASSES)
    assert dreams is not None and dreams.shape == (5, 28, 28)
    assert list(explainer.dream_steps(CLASSES)) == []


def test_a_stopped_dream_keeps_its_finished_batches() -> None:
    explainer = small_explainer()
    steps = explainer.dream_steps(CLASSES, batch=2)
    for _ in range(4):  # the first batch of 3 steps, and one step of the next
        next(steps)
    remaining = list(explainer.dream_steps(CLASSES, batch=2))
    assert remaining[-1] == (6, 6)  # classes 2..4 only


def test_filter_dreams_cover_every_filter_and_line_up_with_the_feature_maps() -> None:
    explainer = small_explainer()
    assert explainer.conv_layers() == ["conv1", "conv2"]
    assert list(explainer.dream_steps("conv2", batch=4))[-1] == (6, 6)  # 4 + 2 filters
    dreams = explainer.dreams("conv2")
    assert dreams is not None and dreams.shape == (6, 28, 28)
    tiles = explainer.filter_tiles("conv2")
    assert tiles is not None and tiles.shape == (6, 24, 24)  # two valid 3x3 convolutions
    np.testing.assert_array_equal(tiles, dreams[:, 2:26, 2:26])
    assert explainer.dreams("conv1") is None
    with pytest.raises(ValueError, match="not a conv layer"):
        explainer.count("relu1")


def test_the_explainer_works_on_its_own_copy_of_the_model() -> None:
    config = ModelConfig(blocks=(ConvBlock(4),), hidden=())
    model = build_model(config, list("ab"), np.random.default_rng(0))
    explainer = Explainer(model)
    assert explainer.model is not model
    assert explainer.model.network.layers[0][1] is not model.network.layers[0][1]
    image = np.zeros((28, 28), np.float32)
    image[10:18, 12:15] = 1.0
    heat = explainer.heatmap(image, 1, "saliency")
    assert heat.shape == (28, 28) and heat.max() == np.float32(1.0)
