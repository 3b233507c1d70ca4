"""Saliency, Grad-CAM and occlusion on networks whose right answer is known."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from numpy.typing import NDArray

from ocrpad.explain import (
    grad_cam,
    grad_cam_on_input,
    heatmap,
    layer_cam,
    occlusion,
    saliency,
)
from ocrpad.explain.attribution import METHODS, grad_cam_layer, gradcam_conv
from ocrpad.explain.graph import backward_from, conv_indices, forward_to
from ocrpad.explain.imaging import gaussian_blur
from ocrpad.launch.selftest import load_drawings
from ocrpad.model import ConvBlock, ModelConfig, build_model, load_model
from ocrpad.nn import Conv2d, Dense, Flatten, ReLU, Sequential
from ocrpad.nn.module import to_cf
from ocrpad.preprocess import render_params_of, render_strokes

PLUS = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], dtype=np.float32)


def plus_detector() -> Sequential:
    """conv(plus detector, noise detector) -> ReLU -> dense; class 0 = 'how many plus signs'."""
    conv = Conv2d(1, 2, 3)
    conv.params["weight"][0, 0] = np.where(PLUS > 0, 1.0, -1.0)
    conv.params["bias"][0] = -4.0  # only a whole plus (5 pixels on, corners off) fires
    conv.params["weight"][1, 0] = np.random.default_rng(0).standard_normal((3, 3)) * 0.1
    dense = Dense(2 * 26 * 26, 2)
    dense.params["weight"][...] = 0.0
    dense.params["weight"][0, : 26 * 26] = 1.0  # channel 0 (flatten order C, H, W)
    dense.params["weight"][1, 26 * 26 :] = 1.0
    dense.params["bias"][...] = 0.0
    return Sequential([("conv1", conv), ("relu1", ReLU()), ("flatten", Flatten()), ("out", dense)])


def image_with_plus(row: int, col: int) -> NDArray[np.float32]:
    image = np.zeros((28, 28), dtype=np.float32)
    image[row - 1 : row + 2, col - 1 : col + 2] = PLUS
    return image


BN_POOLED = ModelConfig(  # batch norm, "same" padding, max-pool before the ReLU
    blocks=(ConvBlock(4, batchnorm=True, pool=True), ConvBlock(6, batchnorm=True, pool=True)),
    padding=1,
    hidden=(16,),
)


@pytest.mark.parametrize("config", [ModelConfig(), BN_POOLED], ids=["reference", "bn-pooled"])
def test_saliency_equals_the_finite_difference_gradient_of_the_class_logit(
    config: ModelConfig,
) -> None:
    model = build_model(config, rng=np.random.default_rng(3))
    network = model.network.astype(np.float64)
    rng = np.random.default_rng(4)
    image = rng.random((28, 28)).astype(np.float32)
    cls = 7
    grad = saliency(network, image, cls)
    eps = 1e-6  # float64: small enough not to cross a ReLU or max-pool kink
    for r, c in rng.integers(0, 28, size=(12, 2)):
        plus, minus = image.astype(np.float64), image.astype(np.float64)
        plus[r, c] += eps
        minus[r, c] -= eps
        batch = np.stack([plus, minus])[:, None]
        logits = network.forward(batch)
        numeric = (logits[0, cls] - logits[1, cls]) / (2 * eps)
        assert grad[r, c] == pytest.approx(numeric, rel=1e-5, abs=1e-7)


def test_grad_cam_has_the_conv_map_shape_and_peaks_on_the_planted_pattern() -> None:
    network = plus_detector()
    image = image_with_plus(9, 17)
    image[20:23, 4:7] = 1.0  # a solid square: ink, but not the pattern
    cam = grad_cam(network, image, 0)
    assert cam.shape == (26, 26)
    assert np.unravel_index(np.argmax(cam), cam.shape) == (8, 16)  # valid conv: shifted by 1
    assert cam[cam > 0].size == 1
    on_input = grad_cam_on_input(network, image, 0)
    assert on_input.shape == (28, 28)
    assert np.unravel_index(np.argmax(on_input), on_input.shape) == (9, 17)


def test_layer_cam_peaks_on_the_planted_pattern_too() -> None:
    network = plus_detector()
    image = image_with_plus(9, 17)
    image[20:23, 4:7] = 1.0
    cam = layer_cam(network, image, 0)
    assert cam.shape == (26, 26)
    assert np.unravel_index(np.argmax(cam), cam.shape) == (8, 16)


def test_layer_cam_is_zero_where_the_score_never_reads_the_map_unlike_grad_cam() -> None:
    # conv3 works at 7x7 and its 2x2 pool keeps 3x3: row 6 and column 6 are never read.
    blocks = (ConvBlock(4, pool=True), ConvBlock(4, pool=True), ConvBlock(4, pool=True))
    config = ModelConfig(blocks=blocks, padding=1, hidden=())
    network = build_model(config, list("ab"), np.random.default_rng(3)).network
    image = np.random.default_rng(4).random((28, 28)).astype(np.float32)
    conv3 = conv_indices(network)[2]
    positional = layer_cam(network, image, 0, conv3)
    assert positional.shape == (7, 7)
    assert positional[:6, :6].max() > 0
    assert not positional[6, :].any() and not positional[:, 6].any()
    channelwise = grad_cam(network, image, 0, conv3)
    assert channelwise[6, :].any() or channelwise[:, 6].any()


def test_occluding_the_ink_lowers_the_class_score() -> None:
    network = plus_detector()
    image = image_with_plus(14, 6)
    drop = occlusion(network, image, 0, patch=6, stride=2)
    assert drop.shape == (28, 28)
    assert drop[14, 6] > 0
    assert drop[14, 20] == 0  # far from the ink nothing changes
    hidden = image.copy()
    hidden[11:17, 3:9] = 0.0
    logits = network.forward(np.stack([image, hidden])[:, None])
    assert logits[1, 0] < logits[0, 0]


@pytest.mark.parametrize("method", METHODS)
def test_every_heatmap_is_a_28x28_map_in_the_unit_range(method: str) -> None:
    network = plus_detector()
    heat = heatmap(network, image_with_plus(12, 12), 0, method)  # type: ignore[arg-type]
    assert heat.shape == (28, 28)
    assert heat.dtype == np.float32
    assert heat.min() >= 0.0
    assert heat.max() == pytest.approx(1.0)
    assert heat[12, 12] > 0.5


def test_importing_the_explanations_loads_no_qt() -> None:
    code = "import sys, ocrpad.explain; print(any(m.startswith('PySide6') for m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_grad_cam_reads_the_last_conv_map_before_its_pool_and_places_it_on_the_input() -> None:
    model = build_model(BN_POOLED, list("ab"), np.random.default_rng(2))
    image = np.zeros((28, 28), dtype=np.float32)
    image[6:20, 9:12] = 1.0
    cam = grad_cam(model, image, 0)
    assert cam.shape == (14, 14)  # conv2 at 14x14 (after pool1), before pool2
    assert cam.min() >= 0.0
    assert grad_cam_on_input(model, image, 0).shape == (28, 28)


def test_grad_cam_skips_conv_maps_too_coarse_to_point_at_a_stroke() -> None:
    deep = ModelConfig(
        blocks=(ConvBlock(2), ConvBlock(2, pool=True), ConvBlock(3, pool=True), ConvBlock(3)),
        padding=1,
        hidden=(),
    )
    network = build_model(deep, list("ab"), np.random.default_rng(0)).network
    # conv3's map is 14x14 before its pool; conv4 works on 7x7
    assert names_of(network)[gradcam_conv(network)] == "conv3"
    reference = build_model(ModelConfig(), rng=np.random.default_rng(0)).network
    assert names_of(reference)[gradcam_conv(reference)] == "conv2"  # the last conv, 24x24


def names_of(network: Sequential) -> list[str]:
    return [name for name, _ in network.layers]


def test_occlusion_matches_hiding_every_patch_one_at_a_time() -> None:
    model = build_model(BN_POOLED, list("abc"), np.random.default_rng(5))
    image = np.zeros((28, 28), dtype=np.float32)
    image[8:20, 10:14] = np.random.default_rng(6).random((12, 4))  # ink in one area only
    fast = occlusion(model, image, 2, patch=6, stride=3)
    total = np.zeros((28, 28))
    cover = np.zeros((28, 28))
    base = model.forward(image[None, None])[0, 2]
    starts = [*range(0, 23, 3), 22]  # the last patch flush with the far edge
    for top in starts:
        for left in starts:
            hidden = image.copy()
            hidden[top : top + 6, left : left + 6] = 0.0
            total[top : top + 6, left : left + 6] += base - model.forward(hidden[None, None])[0, 2]
            cover[top : top + 6, left : left + 6] += 1
    np.testing.assert_allclose(fast, total / np.maximum(cover, 1), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(("patch", "stride"), [(6, 4), (6, 3), (5, 5), (28, 1)])
def test_occlusion_hides_ink_in_the_far_corner_too(patch: int, stride: int) -> None:
    model = build_model(BN_POOLED, list("abc"), np.random.default_rng(5))
    image = np.zeros((28, 28), dtype=np.float32)
    image[26:, 26:] = 1.0  # ink only in the last two rows and columns
    drop = occlusion(model, image, 2, patch=patch, stride=stride)
    assert drop[27, 27] != 0.0


@pytest.mark.parametrize("character", ["R", "4"])
def test_the_shipped_models_grad_cam_colours_the_drawing_not_the_blank_edges(
    character: str,
) -> None:
    model = load_model()
    drawing = next(d for d in load_drawings() if d.label == character)
    image = render_strokes(drawing.strokes, render_params_of(model.meta))
    target = model.labels.index(character)
    near = gaussian_blur(image, 1.5) > 0.05  # the ink and a pixel or two around it
    heat = grad_cam_on_input(model, image, target)
    assert heat[near].sum() >= 0.5 * heat.sum()
    chosen = grad_cam_layer(model, image, target)
    deepest = gradcam_conv(model.network)
    assert chosen < deepest  # conv4, the deepest 14x14 map, lights the paper: it is skipped
    paper_heavy = grad_cam_on_input(model, image, target, deepest)
    assert paper_heavy[near].sum() < 0.5 * paper_heavy.sum()


def test_explanations_skip_the_conv_weight_gradients_and_get_the_same_input_gradient() -> None:
    model = build_model(BN_POOLED, list("abc"), np.random.default_rng(6))
    network = model.network
    x = np.random.default_rng(7).random((3, 1, 28, 28)).astype(np.float32)
    logits = network.forward(x, training=False)
    dy = np.random.default_rng(8).standard_normal(logits.shape).astype(np.float32)
    full = network.backward(dy)  # the training road: every parameter gradient too
    conv = next(layer for _, layer in network.layers if isinstance(layer, Conv2d))
    conv.grads["weight"][...] = 123.0
    top = len(network.layers) - 1
    forward_to(network, x, top)
    explained = to_cf(backward_from(network, dy, top))  # logits (N, C): no channel axis
    np.testing.assert_allclose(explained, full, rtol=1e-5, atol=1e-6)
    assert (conv.grads["weight"] == 123.0).all()  # not computed, not touched
