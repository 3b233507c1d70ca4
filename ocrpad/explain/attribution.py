"""Which input pixels a class score depends on: saliency, gradient x input, Grad-CAM,
LayerCAM, occlusion.

Every function takes one 28x28 image (float32 in [0, 1], white ink on black, as the network
sees it) and the index of the class to explain; the class score is the pre-softmax logit. Each
checks them first (`ocrpad.explain.checks`): an image of another shape or with a NaN pixel, a
class index outside [0, classes) (-1 too), a patch or stride below 1 or a conv index that is
no convolution layer is a ValueError that says so.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

import numpy as np
from numpy.typing import NDArray

from ocrpad.explain.checks import check_class, check_conv, check_image, whole
from ocrpad.explain.graph import (
    backward_from,
    class_input_gradient,
    conv_feature_map,
    conv_indices,
    feature_grid,
    forward_range,
    forward_to,
    network_of,
)
from ocrpad.explain.imaging import gaussian_blur, normalise, resample
from ocrpad.model import Model
from ocrpad.nn import Sequential
from ocrpad.nn.module import to_cf

Image = NDArray[np.float32]
GRADCAM_MIN_SIDE: Final = 10  # finest layer Grad-CAM reads by default: at least 10x10 pixels
ON_DRAWING: Final = 0.5  # share of a default Grad-CAM's heat that must lie on the drawing
Method = Literal["saliency", "grad_x_input", "gradcam", "layercam", "occlusion"]
METHODS: Final[tuple[Method, ...]] = get_args(Method)


def _checked(
    model: Model | Sequential, image: Image, class_index: int
) -> tuple[Sequential, Image, int]:
    """The network, the image as (H, W) float32 and the class index, once checked."""
    return network_of(model), check_image(model, image), check_class(model, class_index)


def _batch(image: Image) -> Image:
    """(H, W) -> (1, 1, H, W) float32."""
    return np.asarray(image, dtype=np.float32)[None, None]


def saliency(model: Model | Sequential, image: Image, class_index: int) -> Image:
    """d logit[class] / d image: (H, W) -> (H, W), signed."""
    return _saliency(*_checked(model, image, class_index))


def _saliency(network: Sequential, image: Image, class_index: int) -> Image:
    _, dx = class_input_gradient(network, _batch(image), np.array([class_index]))
    grad: Image = dx[0, 0].astype(np.float32, copy=False)
    return grad


def gradient_times_input(model: Model | Sequential, image: Image, class_index: int) -> Image:
    """Saliency times the image: each ink pixel's first-order share of the logit; (H, W)."""
    network, img, cls = _checked(model, image, class_index)
    return (_saliency(network, img, cls) * img).astype(np.float32)


def _conv_features_and_gradients(
    network: Sequential, image: Image, class_index: int, conv: int
) -> tuple[Image, Image]:
    """(A, dlogit/dA), both (C, h, w): the rectified feature map of the conv layer at index
    `conv` for this image, and the class logit's gradient with respect to it."""
    feature = conv_feature_map(network, conv)
    top = len(network.layers) - 1
    features_cl = forward_to(network, _batch(image), feature.index)
    logits = forward_range(network, features_cl, feature.index + 1, top)
    dy = np.zeros_like(logits)
    dy[0, class_index] = 1.0
    grads = to_cf(backward_from(network, dy, top, feature.index + 1))[0]  # (C, h, w)
    features = to_cf(features_cl)[0]  # (C, h, w)
    if feature.rectify:  # the gradient only reaches units the later ReLU lets through
        features = np.maximum(features, 0)
    return features, grads


def grad_cam(
    model: Model | Sequential, image: Image, class_index: int, conv: int | None = None
) -> Image:
    """Grad-CAM: ReLU(sum_k alpha_k A_k) with alpha_k the spatial mean of d logit / d A_k.

    A is the rectified feature map of the conv layer at index `conv` (default:
    gradcam_conv). Returns (h, w), the map's own resolution, non-negative.
    """
    network, img, cls = _checked(model, image, class_index)
    return _cam(network, img, cls, _conv(network, img, conv), positional=False)


def layer_cam(
    model: Model | Sequential, image: Image, class_index: int, conv: int | None = None
) -> Image:
    """LayerCAM (Jiang et al., 2021): sum_k ReLU(d logit / d A_k) * A_k, position by position.

    Grad-CAM weighs a whole channel by its mean gradient, so strong features at places the
    class score barely reads (the zero-padded borders, a row a later pool drops) still light
    up; weighting every position by its own gradient keeps the map on what the score uses.
    Returns (h, w), non-negative.
    """
    network, img, cls = _checked(model, image, class_index)
    return _cam(network, img, cls, _conv(network, img, conv), positional=True)


def _conv(network: Sequential, image: Image, conv: int | None) -> int:
    """`conv` once checked to be a convolution layer's index, or `gradcam_conv`'s default."""
    return gradcam_conv(network, image.shape[-1]) if conv is None else check_conv(network, conv)


def _cam(network: Sequential, image: Image, class_index: int, conv: int, positional: bool) -> Image:
    """Grad-CAM, or with `positional` LayerCAM, of checked arguments: (h, w), non-negative."""
    features, grads = _conv_features_and_gradients(network, image, class_index, conv)
    if positional:  # non-negative: both factors are
        cam: Image = np.einsum("chw,chw->hw", np.maximum(grads, 0), features).astype(np.float32)
        return cam
    alpha = grads.mean(axis=(1, 2))  # (C,)
    return np.maximum(np.tensordot(alpha, features, axes=1), 0).astype(np.float32)  # (h, w)


def gradcam_conv(network: Sequential, size: int = 28) -> int:
    """The conv layer Grad-CAM explains by default: the last one whose feature map is at
    least GRADCAM_MIN_SIDE pixels wide (a deep 3x3 or 7x7 map of a 28x28 character is too
    coarse to point at a stroke), else the first conv layer."""
    convs = conv_indices(network)
    if not convs:
        raise ValueError("the network has no convolution layer")
    for conv in reversed(convs):
        grid = feature_grid(network, conv_feature_map(network, conv).index, size)
        if grid.side >= GRADCAM_MIN_SIDE:
            return conv
    return convs[0]


def grad_cam_on_input(
    model: Model | Sequential,
    image: Image,
    class_index: int,
    conv: int | None = None,
    *,
    positional: bool = False,
) -> Image:
    """Grad-CAM (or, with `positional`, LayerCAM) resampled onto the input pixels:
    (H, W) -> (H, W), non-negative.

    Without `conv`, LayerCAM reads `gradcam_conv`'s layer and Grad-CAM the layer
    `grad_cam_layer` picks for this image.
    """
    network, img, cls = _checked(model, image, class_index)
    if conv is None and not positional:
        return _grad_cam_layer(network, img, cls)[1]
    return _cam_on_input(network, img, cls, _conv(network, img, conv), positional)


def grad_cam_layer(model: Model | Sequential, image: Image, class_index: int) -> int:
    """The conv layer (its index) the default Grad-CAM of this image reads.

    Grad-CAM weighs each channel of a layer by its mean gradient, so a channel that fires on
    blank paper (a deep layer's channels often fire on the padded borders) colours the paper
    as much as the strokes. It therefore reads the deepest layer with a map of at least
    GRADCAM_MIN_SIDE pixels whose map puts at least ON_DRAWING of its heat on the drawing
    (its ink and a pixel or two around it), else the deepest such layer. On the shipped model
    this is conv3: conv4's Grad-CAM puts most of its heat on the blank edges.
    """
    return _grad_cam_layer(*_checked(model, image, class_index))[0]


def _grad_cam_layer(network: Sequential, image: Image, class_index: int) -> tuple[int, Image]:
    """(conv index, its Grad-CAM on the input (H, W)) as `grad_cam_layer` chooses it."""
    size = image.shape[-1]
    deepest = gradcam_conv(network, size)
    candidates = [c for c in reversed(conv_indices(network)) if c <= deepest]
    candidates = [
        c
        for c in candidates
        if feature_grid(network, conv_feature_map(network, c).index, size).side >= GRADCAM_MIN_SIDE
    ] or [deepest]
    near = gaussian_blur(image, 1.5) > 0.05  # (H, W) the drawing
    first: tuple[int, Image] | None = None
    for conv in candidates:
        heat = _cam_on_input(network, image, class_index, conv, positional=False)
        total = float(heat.sum())
        if total > 0 and float(heat[near].sum()) >= ON_DRAWING * total:
            return conv, heat
        first = first or (conv, heat)
    assert first is not None
    return first


def _cam_on_input(
    network: Sequential, image: Image, class_index: int, conv: int, positional: bool
) -> Image:
    """Grad-CAM or LayerCAM of checked arguments resampled onto the input: (H, W)."""
    size = image.shape[-1]
    cam = _cam(network, image, class_index, conv, positional)
    grid = feature_grid(network, conv_feature_map(network, conv).index, size)
    return resample(cam, size, grid.offset, grid.step)


def occlusion(
    model: Model | Sequential, image: Image, class_index: int, patch: int = 6, stride: int = 4
) -> Image:
    """Logit drop when a blank (zero) patch hides each place, averaged per pixel: (H, W).

    The patches that hide some ink run as one batch (hiding only black changes nothing: a
    drop of exactly 0). Positive where hiding the pixels lowers the score. The default 6 px
    patch every 4 px (7 x 7 places on 28 x 28, the last flush with the far edge so that every
    pixel is hidden by some patch) draws, once blurred for display, the same map as every 3 px
    at about half the cost, and keeps the window's heat map well within 50 ms. `patch` and
    `stride` are whole numbers of pixels from 1 to the image's side.
    """
    network, img, class_index = _checked(model, image, class_index)
    size = img.shape[0]
    patch = whole(patch, "patch", 1, size)
    stride = whole(stride, "stride", 1, size)
    starts = np.unique(np.append(np.arange(0, size - patch + 1, stride), size - patch))
    pixels = np.arange(size)
    inside = (pixels[None, :] >= starts[:, None]) & (pixels[None, :] < starts[:, None] + patch)
    masks = inside[:, None, :, None] & inside[None, :, None, :]  # (P, P, H, W)
    masks = masks.reshape(-1, size, size)  # (M, H, W)
    inked = (masks & (img != 0)).any(axis=(1, 2))  # (M,)
    hidden = np.where(masks[inked], 0.0, img)  # (I, H, W)
    batch = np.concatenate([img[None], hidden])[:, None].astype(np.float32)  # (I+1, 1, H, W)
    logits = network.forward(batch, training=False)
    drops = np.zeros(len(masks), dtype=np.float32)  # (M,)
    drops[inked] = logits[0, class_index] - logits[1:, class_index]
    total = np.tensordot(drops, masks.astype(np.float32), axes=1)  # (H, W)
    cover = masks.sum(axis=0)
    mean_drop: Image = (total / np.maximum(cover, 1)).astype(np.float32)
    return mean_drop


def heatmap(
    model: Model | Sequential, image: Image, class_index: int, method: Method = "gradcam"
) -> Image:
    """A display map in [0, 1], (H, W): how much each pixel speaks for the class."""
    if method == "saliency":
        raw = gaussian_blur(np.abs(saliency(model, image, class_index)), 0.6)
    elif method == "grad_x_input":
        raw = np.maximum(gradient_times_input(model, image, class_index), 0)
    elif method == "gradcam":
        raw = grad_cam_on_input(model, image, class_index)
    elif method == "layercam":
        raw = grad_cam_on_input(model, image, class_index, positional=True)
    elif method == "occlusion":
        raw = gaussian_blur(np.maximum(occlusion(model, image, class_index), 0), 1.0)
    else:
        raise ValueError(f"unknown method {method!r}; choose one of {METHODS}")
    return normalise(raw)
