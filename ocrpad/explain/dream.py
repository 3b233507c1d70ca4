"""Activation maximisation: the input a class or a conv filter responds to most ("dreams").

A class is dreamt as a drawing: gradient ascent on the control points of a few pen strokes
rendered like the training drawings (`ocrpad.explain.stroke_dream`), so the dream stays
something a person could have drawn. A filter (or a class with `strokes=None`) is dreamt in
pixels: gradient ascent on the input image, from a blank or noisy start, with the usual
regularisers against adversarial noise: random jitter, blurred gradients, a periodic Gaussian
blur, an L2 decay, total variation, and clipping to [0, 1]; a pixel class ascends its logit,
first on a half-resolution image, a filter the mean of its rectified map. Many targets are
optimised together as one batch; a seed makes the result reproducible.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from ocrpad.bounds import MAX_BLUR_SIGMA, MAX_INPUT_SIZE
from ocrpad.explain.checks import check_fields, check_indices, class_count
from ocrpad.explain.graph import (
    backward_from,
    conv_feature_map,
    forward_to,
    layer_index,
    network_of,
)
from ocrpad.explain.imaging import gaussian_blur, total_variation_grad
from ocrpad.explain.stroke_dream import Sketch, StrokeSettings, iter_sketches
from ocrpad.model import Model
from ocrpad.nn import Conv2d, Sequential
from ocrpad.nn.functional import softmax
from ocrpad.nn.module import to_cf

Images = NDArray[np.float32]
MAX_STEPS = 100_000  # gradient-ascent steps of one dream: far beyond any useful one
_WHOLE_FIELDS = {  # DreamSettings' whole-number fields and their (lowest, highest) value
    "steps": (1, MAX_STEPS),
    "jitter": (0, MAX_INPUT_SIZE),
    "blur_every": (0, MAX_STEPS),
    "coarse_steps": (0, MAX_STEPS),
}
_NUMBER_FIELDS = {  # its other numbers: a blur wider than MAX_BLUR_SIGMA only costs memory
    "step_size": (0.0, 100.0),
    "grad_sigma": (0.0, MAX_BLUR_SIGMA),
    "blur_sigma": (0.0, MAX_BLUR_SIGMA),
    "l2": (0.0, 100.0),
    "tv": (0.0, 100.0),
    "noise": (0.0, 1.0),
}


@dataclass(frozen=True)
class DreamSettings:
    """The ascent and its regularisation (defaults tuned on 28x28 character models). `steps`
    counts for every dream; the pixel settings after it are for filters and pixel classes."""

    steps: int = 160  # gradient-ascent steps
    step_size: float = 0.04  # per step, relative to each image's mean absolute gradient
    jitter: int = 2  # random shift of up to this many pixels before each gradient
    grad_sigma: float = 1.0  # Gaussian blur (pixels) of each gradient before the step
    blur_sigma: float = 0.6  # Gaussian blur (pixels) applied every `blur_every` steps
    blur_every: int = 3
    l2: float = 0.4  # pull towards black (sparse ink), relative to the gradient scale
    tv: float = 0.25  # total variation weight, relative to the gradient scale
    start: Literal["blank", "noise"] = "blank"  # all black, or uniform noise in [0, noise]
    noise: float = 0.2
    coarse_steps: int = 100  # class targets: the first steps ascend a half-resolution image
    strokes: StrokeSettings | None = field(default_factory=StrokeSettings)
    """Class targets are drawn with these pen strokes; None: ascend their pixels instead."""

    def __post_init__(self) -> None:
        """Refuse settings the ascent cannot run with (a ValueError naming the field): no
        steps, a negative jitter or blur, a blur so wide its kernel would not fit in memory,
        a NaN step."""
        check_fields(self, _WHOLE_FIELDS, _NUMBER_FIELDS)
        if self.start not in ("blank", "noise"):
            raise ValueError(f"DreamSettings.start must be 'blank' or 'noise', not {self.start!r}")
        if self.strokes is not None and not isinstance(self.strokes, StrokeSettings):
            raise ValueError(
                f"DreamSettings.strokes must be StrokeSettings or None, not {self.strokes!r}"
            )


@dataclass(frozen=True)
class Target:
    """What to maximise: the spatial mean of channel `channels[i]` of layer `layer` for image i
    (for a (N, F) layer such as the logits, unit `channels[i]` itself)."""

    layer: int
    channels: NDArray[np.intp]
    log_softmax: bool = False  # ascend log p(class) instead of the unit itself (logits only)
    rectify: bool = False  # the mean of ReLU(channel) (for a map the network rectifies later)
    coarse: bool = False  # start at half resolution (whole strokes; not for small filters)


def class_target(
    model: Model | Sequential, classes: Sequence[int], *, log_softmax: bool = False
) -> Target:
    """Target `classes` at the output: their pre-softmax logit (default: with the batch-norm
    model the log-probability mostly grew by pushing the other classes down, into blobs
    rather than strokes), or their log-probability. Starts at half resolution. ValueError
    for no classes or an index outside [0, classes) (-1 is not the last class)."""
    network = network_of(model)
    index = len(network.layers) - 1
    chosen = check_indices(classes, "class index", class_count(model))
    return Target(index, chosen, log_softmax, coarse=True)


def filter_target(
    model: Model | Sequential, layer: str, channels: Sequence[int] | None = None
) -> Target:
    """Target channels of the conv layer called `layer` (default: all of its filters), as the
    mean of their rectified maps (past batch norm and ReLU) - what the next layer sees.
    ValueError for a layer that does not exist (naming those that do) or is no convolution,
    and for a channel outside [0, filters)."""
    network = network_of(model)
    index = layer_index(network, layer)
    conv = network.layers[index][1]
    if not isinstance(conv, Conv2d):
        raise ValueError(f"layer {layer!r} is a {type(conv).__name__}, not a Conv2d")
    every = range(conv.out_channels)
    chosen = check_indices(every if channels is None else channels, "channel", len(every))
    feature = conv_feature_map(network, index)
    return Target(feature.index, chosen, rectify=feature.rectify)


def target_values(model: Model | Sequential, images: Images, target: Target) -> Images:
    """The targeted unit for each image (a logit, or a channel's mean activation): images
    (K, H, W) -> (K,) float32."""
    network = network_of(model)
    out = forward_to(network, images[:, None].astype(np.float32), target.layer)
    if target.rectify:
        out = np.maximum(out, 0)
    rows = np.arange(len(target.channels))
    if out.ndim == 4:  # channels-last (K, h, w, C): the channel's mean
        values: Images = out[rows, :, :, target.channels].mean(axis=(1, 2)).astype(np.float32)
        return values
    values = out[rows, target.channels].astype(np.float32)
    return values


def _gradient(network: Sequential, x: Images, target: Target) -> Images:
    """d objective / d x for a (K, 1, H, W) batch -> (K, 1, H, W)."""
    out = forward_to(network, x, target.layer)
    dy = np.zeros_like(out)
    rows = np.arange(len(target.channels))
    if out.ndim == 4:
        dy[rows, :, :, target.channels] = 1.0 / (out.shape[1] * out.shape[2])
        if target.rectify:
            dy *= out > 0
    else:
        dy[rows, target.channels] = 1.0
        if target.log_softmax:  # d log p_c / d logits = onehot - softmax
            dy -= softmax(out)
    return to_cf(backward_from(network, dy, target.layer)).astype(np.float32)


def _start(count: int, size: int, settings: DreamSettings, rng: np.random.Generator) -> Images:
    """(K, 1, size, size) starting images."""
    if settings.start == "noise":
        return (rng.random((count, 1, size, size)) * settings.noise).astype(np.float32)
    return np.zeros((count, 1, size, size), dtype=np.float32)


def iter_dream(
    model: Model | Sequential,
    target: Target,
    settings: DreamSettings | None = None,
    seed: int = 0,
    size: int = 28,
    start: Images | None = None,
) -> Iterator[Images]:
    """Gradient ascent one step at a time: yields the (K, size, size) images after each step
    (the caller may stop early). The same seed gives the same images. `start` (K, size, size)
    in [0, 1] replaces the blank or noisy start of a pixel dream. A class target (the
    output layer) is drawn with pen strokes unless `settings.strokes` is None. For a coarse target
    the first `coarse_steps` ascend a (K, size/2, size/2) image seen through a 2x upsampling, which
    lays out whole strokes before the full-resolution steps refine them."""
    network = network_of(model)
    settings = DreamSettings() if settings is None else settings
    rng = np.random.default_rng(seed)
    if settings.strokes is not None and target.layer == len(network.layers) - 1:
        strokes = replace(settings.strokes, pen=replace(settings.strokes.pen, size=size))
        sketches = iter_sketches(
            network, target.channels, settings.steps, strokes, rng, target.log_softmax
        )
        yield from (sketch.images(strokes.pen) for sketch in sketches)
        return
    coarse = min(settings.coarse_steps, settings.steps) if target.coarse and size % 2 == 0 else 0
    if start is not None:
        coarse = 0
        x = np.clip(np.asarray(start, np.float32), 0.0, 1.0)[:, None].copy()
    else:
        x = _start(len(target.channels), size // 2 if coarse else size, settings, rng)
    for step in range(settings.steps):
        if coarse and step == coarse:
            x = gaussian_blur(_upsample(x), settings.blur_sigma)
        factor = 2 if step < coarse else 1
        x = _ascend(network, x, target, settings, rng, step, factor)
        yield _upsample(x)[:, 0] if factor == 2 else x[:, 0]


def _ascend(
    network: Sequential,
    x: Images,
    target: Target,
    settings: DreamSettings,
    rng: np.random.Generator,
    step: int,
    factor: int,
) -> Images:
    """One regularised step on x (K, 1, h, w), which the network sees upsampled `factor`
    times (1 or 2); returns the new x."""
    shift = tuple(int(s) for s in rng.integers(-settings.jitter, settings.jitter + 1, 2))
    seen = _upsample(x) if factor == 2 else x
    grad = np.roll(_gradient(network, np.roll(seen, shift, (2, 3)), target), _neg(shift), (2, 3))
    if factor == 2:  # the adjoint of the upsampling: sum each 2x2 block
        grad = grad.reshape(*x.shape[:2], x.shape[2], 2, x.shape[3], 2).sum(axis=(3, 5))
    grad = gaussian_blur(grad, settings.grad_sigma / factor)  # smooth steps: strokes
    scale = np.abs(grad).mean(axis=(1, 2, 3), keepdims=True)  # (K, 1, 1, 1)
    grad /= scale + 1e-12
    grad -= settings.tv * total_variation_grad(x) + settings.l2 * x
    x = x + settings.step_size * grad
    noise = settings.noise if step < settings.steps // 4 else 0.0  # then: give up, blank
    _nudge_dead(x, scale[:, 0, 0, 0] == 0, noise, rng)
    if settings.blur_every and step % settings.blur_every == 0:
        x = gaussian_blur(x, settings.blur_sigma / factor)
    np.clip(x, 0.0, 1.0, out=x)
    return x


def _upsample(x: Images) -> Images:
    """Nearest-neighbour 2x upsampling of the last two axes: (..., h, w) -> (..., 2h, 2w)."""
    up: Images = x.repeat(2, axis=-2).repeat(2, axis=-1)
    return up


def _nudge_dead(x: Images, dead: NDArray[np.bool_], noise: float, rng: np.random.Generator) -> None:
    """Images whose target has no gradient at all (every ReLU on its path is off, as for a
    blank image in a network without positive biases) restart from faint noise (or from
    black with noise=0: nothing in reach excites the target), in place."""
    if dead.any():
        x[dead] = rng.random((int(dead.sum()), *x.shape[1:])).astype(np.float32) * noise


def _neg(shift: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(-s for s in shift)


def dream(
    model: Model | Sequential,
    target: Target,
    settings: DreamSettings | None = None,
    seed: int = 0,
    cancel: Callable[[], bool] | None = None,
) -> Images | None:
    """Run the whole ascent: (K, 28, 28) float32 in [0, 1], or None if `cancel()` said so."""
    final: Images | None = None
    for images in iter_dream(model, target, settings, seed):
        if cancel is not None and cancel():
            return None
        final = images
    assert final is not None
    return final.copy()


def dream_classes(
    model: Model | Sequential,
    classes: Sequence[int],
    settings: DreamSettings | None = None,
    seed: int = 0,
) -> Images:
    """What the network imagines each class looks like: (len(classes), 28, 28)."""
    out = dream(model, class_target(model, classes), settings, seed)
    assert out is not None
    return out


def sketch_classes(
    model: Model | Sequential,
    classes: Sequence[int],
    settings: DreamSettings | None = None,
    seed: int = 0,
) -> Sketch:
    """The strokes of each class's dream (the drawings `dream_classes` shows, same seed)."""
    settings = DreamSettings() if settings is None else settings
    strokes = StrokeSettings() if settings.strokes is None else settings.strokes
    final: Sketch | None = None
    sketches = iter_sketches(
        network_of(model),
        check_indices(classes, "class index", class_count(model)),
        settings.steps,
        strokes,
        np.random.default_rng(seed),
    )
    for sketch in sketches:
        final = sketch
    assert final is not None
    return final


def dream_filters(
    model: Model | Sequential,
    layer: str,
    channels: Sequence[int] | None = None,
    settings: DreamSettings | None = None,
    seed: int = 0,
) -> Images:
    """The "ideal input" of each filter of a conv layer: (channels, 28, 28)."""
    out = dream(model, filter_target(model, layer, channels), settings, seed)
    assert out is not None
    return out
