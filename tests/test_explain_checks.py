"""Bad arguments to an explanation fail at once with a ValueError that says what is wrong.

Before these checks a class index of -1 quietly explained the last class, a NaN pixel gave a
NaN map, a 200x200 image built gigabytes of occlusion masks before the network refused it,
and a wrong shape, patch, conv index, dream setting or layer name failed deep inside with an
IndexError, ZeroDivisionError, AssertionError or KeyError.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from ocrpad.explain import (
    METHODS,
    DreamSettings,
    Explainer,
    dream_classes,
    dream_filters,
    grad_cam,
    grad_cam_on_input,
    gradient_times_input,
    heatmap,
    layer_cam,
    occlusion,
    saliency,
)
from ocrpad.explain.attribution import grad_cam_layer
from ocrpad.explain.dream import class_target, filter_target, sketch_classes
from ocrpad.explain.stroke_dream import StrokeSettings
from ocrpad.model import ConvBlock, Model, ModelConfig, build_model
from ocrpad.nn import Conv2d, Dense, Flatten, ReLU, Sequential

SMALL = ModelConfig(blocks=(ConvBlock(4), ConvBlock(6, pool=True)), hidden=(8,))
Explain = Callable[[Any, Any, Any], NDArray[np.float32] | int]
EXPLANATIONS: dict[str, Explain] = {
    "saliency": saliency,
    "gradient_times_input": gradient_times_input,
    "grad_cam": grad_cam,
    "layer_cam": layer_cam,
    "grad_cam_on_input": grad_cam_on_input,
    "grad_cam_layer": grad_cam_layer,
    "occlusion": occlusion,
    **{f"heatmap-{m}": lambda model, image, c, m=m: heatmap(model, image, c, m) for m in METHODS},
}


@pytest.fixture(scope="module")
def model() -> Model:
    return build_model(SMALL, labels=list("abc"), rng=np.random.default_rng(0))


def drawing() -> NDArray[np.float32]:
    image = np.zeros((28, 28), np.float32)
    image[5:22, 12:15] = 1.0
    return image


@pytest.mark.parametrize("name", EXPLANATIONS)
@pytest.mark.parametrize("index", [-1, 3, 1.0, True, "0", None])
def test_a_class_index_outside_the_classes_is_refused_not_taken_from_the_end(
    model: Model, name: str, index: object
) -> None:
    with pytest.raises(ValueError, match="class index"):
        EXPLANATIONS[name](model, drawing(), index)


@pytest.mark.parametrize("name", EXPLANATIONS)
def test_every_class_index_of_the_model_is_explained_numpy_integers_too(
    model: Model, name: str
) -> None:
    first = EXPLANATIONS[name](model, drawing(), 2)
    again = EXPLANATIONS[name](model, drawing(), np.int64(2))
    np.testing.assert_array_equal(first, again)


@pytest.mark.parametrize("name", EXPLANATIONS)
@pytest.mark.parametrize("shape", [(28, 28, 3), (1, 28, 28), (27, 27), (28, 20), (64, 64), ()])
def test_an_image_not_of_the_models_input_shape_is_refused_by_name(
    model: Model, name: str, shape: tuple[int, ...]
) -> None:
    with pytest.raises(ValueError, match=r"28x28 image.*shape"):
        EXPLANATIONS[name](model, np.zeros(shape, np.float32), 0)


@pytest.mark.parametrize("name", EXPLANATIONS)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_an_image_with_a_nan_or_infinite_pixel_is_refused_not_mapped_to_nan(
    model: Model, name: str, bad: float
) -> None:
    image = drawing()
    image[10, 13] = bad
    with pytest.raises(ValueError, match="NaN or infinite"):
        EXPLANATIONS[name](model, image, 0)


@pytest.mark.parametrize("name", EXPLANATIONS)
def test_an_image_given_as_nested_lists_is_read_like_the_array(model: Model, name: str) -> None:
    image = drawing()
    listed = EXPLANATIONS[name](model, image.tolist(), 1)
    np.testing.assert_array_equal(listed, EXPLANATIONS[name](model, image, 1))
    with pytest.raises(ValueError, match="numbers"):
        EXPLANATIONS[name](model, [["a"] * 28] * 28, 1)


def test_an_oversized_image_is_refused_before_occlusion_allocates_anything(model: Model) -> None:
    image = np.zeros((200, 200), np.float32)
    image[50:150, 100] = 1.0
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="28x28"):
            occlusion(model, image, 0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000  # the old code built ~2 GB of masks first


@pytest.mark.parametrize(("patch", "stride"), [(0, 4), (6, 0), (6, -1), (29, 4), (2.5, 4)])
def test_occlusion_refuses_a_patch_or_stride_outside_one_to_the_side(
    model: Model, patch: Any, stride: Any
) -> None:
    with pytest.raises(ValueError, match=r"patch|stride"):
        occlusion(model, drawing(), 0, patch=patch, stride=stride)


@pytest.mark.parametrize("conv", [99, -1, 1, 2.0, True])
def test_grad_cam_refuses_an_index_that_is_no_convolution_layer(model: Model, conv: Any) -> None:
    for explain in (grad_cam, layer_cam, grad_cam_on_input):
        with pytest.raises(ValueError, match=r"convolution layer, one of \[0, 2\]"):
            explain(model, drawing(), 0, conv)
    assert grad_cam(model, drawing(), 0, 2).shape == (24, 24)  # read before its pool


def test_a_bare_network_is_checked_against_the_size_its_dense_layer_reads() -> None:
    dense = Dense(2 * 26 * 26, 2)
    network = Sequential(
        [("conv", Conv2d(1, 2, 3)), ("relu", ReLU()), ("flatten", Flatten()), ("out", dense)]
    )
    assert saliency(network, drawing(), 1).shape == (28, 28)
    with pytest.raises(ValueError, match=r"28x28 image.*\(30, 30\)"):
        saliency(network, np.zeros((30, 30), np.float32), 1)
    with pytest.raises(ValueError, match=r"class index = 2 is outside 0\.\.1"):
        occlusion(network, drawing(), 2)


@pytest.mark.parametrize("classes", [[-1], [3], [0, -2], [], [0.5], 0, "ab"])
def test_dreams_refuse_class_indices_outside_the_classes(model: Model, classes: Any) -> None:
    settings = DreamSettings(steps=1)
    for dream_of in (dream_classes, sketch_classes):
        with pytest.raises(ValueError, match=r"class index|whole numbers"):
            dream_of(model, classes, settings)
    with pytest.raises(ValueError, match=r"class index|whole numbers"):
        class_target(model, classes)


@pytest.mark.parametrize("channels", [[-1], [4], [], [True]])
def test_filter_dreams_refuse_channels_the_layer_does_not_have(
    model: Model, channels: list[Any]
) -> None:
    with pytest.raises(ValueError, match="channel"):
        dream_filters(model, "conv1", channels, DreamSettings(steps=1))
    assert len(filter_target(model, "conv1", [3]).channels) == 1


def test_an_unknown_layer_is_a_value_error_naming_the_layers(model: Model) -> None:
    with pytest.raises(ValueError, match=r"no layer 'nope'.*'conv1'.*'conv2'"):
        dream_filters(model, "nope", None, DreamSettings(steps=1))
    with pytest.raises(ValueError, match=r"no layer 'nope'.*'conv1'"):
        Explainer(model).count("nope")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("steps", 0),
        ("steps", -5),
        ("steps", 2.0),
        ("jitter", -1),
        ("blur_every", -1),
        ("coarse_steps", -1),
        ("step_size", float("nan")),
        ("grad_sigma", -1.0),
        ("grad_sigma", 1e6),
        ("blur_sigma", float("inf")),
        ("l2", -0.1),
        ("noise", 2.0),
        ("start", "nope"),
        ("strokes", "pen"),
    ],
)
def test_dream_settings_the_ascent_cannot_run_with_are_refused_by_name(
    field: str, value: Any
) -> None:
    with pytest.raises(ValueError, match=f"DreamSettings.{field}"):
        DreamSettings(**{field: value})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("strokes", 0),
        ("controls", 1),
        ("restarts", 0),
        ("keep", 9),
        ("explore", 1.5),
        ("rate", float("nan")),
        ("width", (1.3, 0.8)),
        ("pen", None),
    ],
)
def test_stroke_settings_the_drawings_cannot_be_made_with_are_refused_by_name(
    field: str, value: Any
) -> None:
    with pytest.raises(ValueError, match=f"StrokeSettings.{field}"):
        StrokeSettings(**{field: value})


def test_the_default_and_the_windows_settings_pass_their_own_checks() -> None:
    from ocrpad.explain.session import FILTER_SETTINGS

    assert DreamSettings().steps >= 1 and FILTER_SETTINGS.start == "noise"
    assert DreamSettings(strokes=None, blur_every=0, grad_sigma=0.0).strokes is None
