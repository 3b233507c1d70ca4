"""What the explanations accept: one check per kind of argument, shared by every entry point.

An explanation indexes arrays with what its caller passes, so without these checks a class
index of -1 quietly explains the last class, a 200x200 image builds gigabytes of occlusion
masks before the network refuses it, and a NaN pixel turns the whole map NaN. Each public
function of `attribution` and `dream` (and the settings dataclasses) calls in here before any
work, so bad input fails at once with a ValueError that names the value and what is expected.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ocrpad.bounds import MAX_INPUT_SIZE, float_in, int_in, number_array
from ocrpad.explain.graph import conv_indices, feature_grid, network_of
from ocrpad.model import Model
from ocrpad.nn import Conv2d, Dense, Flatten, Sequential

Image = NDArray[np.float32]


def whole(value: object, what: str, low: int, high: int) -> int:
    """`value` as an int if it is a whole number (a Python or NumPy integer, not a bool) in
    [low, high]; else a ValueError naming `what`."""
    if isinstance(value, np.integer):
        value = int(value)
    return int_in({what: value}, what, low, high)


def check_fields(
    settings: object,
    ints: Mapping[str, tuple[int, int]],
    floats: Mapping[str, tuple[float, float]],
) -> None:
    """Every field named in `ints` (`floats`) of a settings dataclass must be a whole (finite)
    number within its (low, high), both ends included; the ValueError names the class and
    field, e.g. "DreamSettings.steps = 0 is outside 1..100000"."""
    name = type(settings).__name__
    for field, (low, high) in ints.items():
        whole(getattr(settings, field), f"{name}.{field}", low, high)
    for field, (lo, hi) in floats.items():
        key = f"{name}.{field}"
        float_in({key: getattr(settings, field)}, key, lo, hi)


def class_count(model: Model | Sequential) -> int:
    """How many classes the model scores: its labels, or a bare network's last Dense layer."""
    if isinstance(model, Model):
        return model.num_classes
    dense = [layer for _, layer in model.layers if isinstance(layer, Dense)]
    if not dense:
        raise ValueError("the network has no output (Dense) layer to explain")
    return dense[-1].out_features


def check_class(model: Model | Sequential, class_index: object) -> int:
    """The class index as an int in [0, classes): -1 does not mean the last class here."""
    return whole(class_index, "the class index", 0, class_count(model) - 1)


def check_indices(values: object, what: str, count: int) -> NDArray[np.intp]:
    """A non-empty list of whole numbers in [0, count) -> (K,) intp; `what` names one of them
    ("class index", "channel") in the message."""
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise ValueError(f"expected a list of whole numbers (each a {what}), not {values!r}")
    checked = [whole(v, what, 0, count - 1) for v in values]
    if not checked:
        raise ValueError(f"no {what} given: name at least one")
    return np.asarray(checked, dtype=np.intp)


def check_conv(network: Sequential, conv: object) -> int:
    """`conv` as the index of one of the network's convolution layers (not another layer)."""
    convs = conv_indices(network)
    names = [network.layers[i][0] for i in convs]
    if isinstance(conv, np.integer):
        conv = int(conv)
    if isinstance(conv, bool) or not isinstance(conv, int) or conv not in convs:
        raise ValueError(
            f"conv must be the index of a convolution layer, one of {convs} ({names}), not {conv!r}"
        )
    return conv


def check_image(model: Model | Sequential, image: ArrayLike) -> Image:
    """`image` as a (S, S) float32 array, if it is one finite grey image of the side S the
    model reads (a Model's configured input size; for a bare network, a side its layers map
    onto its first Dense layer). Anything else -> ValueError, before any work is done."""
    array = number_array(image, "the image", bools=True)
    side = _side(model, array.shape)
    if side is None:
        raise ValueError(
            f"the image must be one grey {_expected(model)} image, as the model reads it, "
            f"not an array of shape {array.shape}"
        )
    if not np.isfinite(array).all():
        raise ValueError("the image holds NaN or infinite pixels: every pixel must be finite")
    return np.asarray(array, dtype=np.float32)


def _side(model: Model | Sequential, shape: tuple[int, ...]) -> int | None:
    """The image's side if an image of `shape` is one the model reads, else None."""
    if len(shape) != 2 or shape[0] != shape[1]:
        return None
    side = shape[0]
    if isinstance(model, Model):
        ok = model.config.in_channels == 1 and side == model.config.input_size
    else:
        ok = 1 <= side <= MAX_INPUT_SIZE and _network_reads(model, side)
    return side if ok else None


def _network_reads(network: Sequential, side: int) -> bool:
    """Whether a bare network takes a (1, 1, side, side) input: its first convolution reads
    one channel, and the flattened map before its first Dense layer has that layer's width
    (a network without a Flatten then Dense fixes no size)."""
    layers = [layer for _, layer in network.layers]
    convs = [layer for layer in layers if isinstance(layer, Conv2d)]
    if convs and convs[0].in_channels != 1:
        return False
    flat = next((i for i, layer in enumerate(layers) if isinstance(layer, Flatten)), None)
    if flat is None:
        return True
    dense = next((x for x in layers[flat:] if isinstance(x, Dense)), None)
    if dense is None:
        return True
    before = [layer for layer in layers[:flat] if isinstance(layer, Conv2d)]
    channels = before[-1].out_channels if before else 1
    grid = feature_grid(network, flat, side)
    return grid.side >= 1 and channels * grid.side**2 == dense.in_features


def _expected(model: Model | Sequential) -> str:
    """The image size the model reads, for a message: "28x28" (or a description)."""
    if isinstance(model, Model):
        size = model.config.input_size
        return f"{size}x{size}" if model.config.in_channels == 1 else "(multi-channel)"
    network = network_of(model)
    sides = (s for s in range(1, MAX_INPUT_SIZE + 1) if _network_reads(network, s))
    first = next(sides, None)
    return "square" if first is None else f"{first}x{first}"
