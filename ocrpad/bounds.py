"""Sane bounds for every size that arrives from a file, checked before anything is allocated.

A model file's configuration, the render parameters stored beside it and the pictures a user
opens all name sizes that decide how much memory and time ocrpad spends. A damaged or hostile
file could ask for a 0-pixel kernel, a 100,000-pixel input or a 2,000,000-unit layer; these
checks turn each of those into a ``ValueError`` naming the value, in microseconds, instead of a
``ZeroDivisionError``, a ``MemoryError`` or gigabytes of swap. The limits are far above what
any ocrpad model or drawing needs (the shipped model: 28-pixel input, 3-pixel kernels, layers
of at most 256 units, ~0.5 M parameters).

Plain values only (no numpy, no ocrpad imports): the modules that own the dataclasses call in.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

MAX_INPUT_SIZE: Final = 128  # pixels per side of the network input
MAX_IN_CHANNELS: Final = 4
MAX_KERNEL_SIZE: Final = 11
MAX_BLOCKS: Final = 16  # convolution blocks
MAX_CHANNELS: Final = 1024  # output channels of one convolution
MAX_HIDDEN_LAYERS: Final = 8
MAX_HIDDEN_UNITS: Final = 16_384
MAX_CLASSES: Final = 10_000
MAX_PARAMETERS: Final = 32_000_000  # 128 MB of float32 weights
MAX_ACTIVATIONS: Final = 8_000_000  # values the network computes for one input (32 MB)
MAX_MULTIPLY_ADDS: Final = 2_000_000_000  # per input: about a second on one core
MAX_SUPERSAMPLE: Final = 8
MAX_BLUR_SIGMA: Final = 8.0
MAX_PICTURE_PIXELS: Final = 40_000_000  # a picture to recognise: 40 MP (e.g. 8000 x 5000)
MAX_PICTURE_SIDE: Final = 20_000


def int_in(data: Mapping[str, Any], key: str, low: int, high: int) -> int:
    """``data[key]`` if it is an int (not a bool) in [low, high]; else a ValueError naming it."""
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{key} must be a whole number, not {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{key} = {value} is outside {low}..{high}")
    return value


def float_in(
    data: Mapping[str, Any], key: str, low: float, high: float, *, open_high: bool = False
) -> float:
    """``data[key]`` if it is a finite number in [low, high] (or [low, high)); else ValueError."""
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{key} must be a finite number, not {value!r}")
    if not low <= value <= high or (open_high and value >= high):
        bracket = ")" if open_high else "]"
        raise ValueError(f"{key} = {value} is outside [{low}, {high}{bracket}")
    return float(value)


def range_in(data: Mapping[str, Any], key: str, low: float, *, whole: bool = False) -> None:
    """``data[key]`` must be an ordered pair (a ≤ b) of finite numbers ≥ low (ints if `whole`)."""
    value = data[key]
    kind = int if whole else int | float
    if (
        not isinstance(value, tuple | list)
        or len(value) != 2
        or any(isinstance(v, bool) or not isinstance(v, kind) for v in value)
        or not all(math.isfinite(v) for v in value)
    ):
        number = "whole numbers" if whole else "finite numbers"
        raise ValueError(f"{key} must be a (low, high) pair of {number}, not {value!r}")
    if value[0] < low or value[0] > value[1]:
        raise ValueError(f"{key} = {tuple(value)} must have {low:g} ≤ low ≤ high")


def number_array(value: object, what: str, *, bools: bool = False) -> NDArray[Any]:
    """`value` as an array if it holds real numbers (ints, floats, and bools if `bools`; not
    text, objects or complex numbers); else a ValueError naming `what`."""
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} must be an array of numbers ({exc})") from exc
    if array.dtype.kind not in ("biuf" if bools else "iuf"):
        raise ValueError(f"{what} must hold real numbers, not {array.dtype} values")
    return array


def _bool(data: Mapping[str, Any], key: str) -> None:
    if not isinstance(data[key], bool):
        raise ValueError(f"{key} must be true or false, not {data[key]!r}")


def check_config_json(data: object) -> None:
    """Check a model configuration as read from JSON (``ModelConfig.to_json`` layout).

    Missing keys take the dataclass defaults later; present keys must have the right type and
    lie within the bounds above. Raises ValueError naming the first bad value.
    """
    if not isinstance(data, Mapping):
        raise ValueError(f"the configuration must be a JSON object, not {type(data).__name__}")
    if "input_size" in data:
        int_in(data, "input_size", 4, MAX_INPUT_SIZE)
    if "in_channels" in data:
        int_in(data, "in_channels", 1, MAX_IN_CHANNELS)
    if "kernel_size" in data:
        int_in(data, "kernel_size", 1, MAX_KERNEL_SIZE)
    if "padding" in data:
        int_in(data, "padding", 0, MAX_KERNEL_SIZE // 2)
    for key in ("conv_dropout", "dense_dropout"):
        if key in data:
            float_in(data, key, 0.0, 1.0, open_high=True)
    blocks = data.get("blocks", ())
    if not isinstance(blocks, list | tuple) or len(blocks) > MAX_BLOCKS:
        raise ValueError(f"blocks must be a list of at most {MAX_BLOCKS} convolution blocks")
    for block in blocks:
        if not isinstance(block, Mapping) or set(block) - {"channels", "batchnorm", "pool"}:
            raise ValueError(f"a block must be {{channels, batchnorm, pool}}, not {block!r}")
        int_in(block, "channels", 1, MAX_CHANNELS)
        for key in ("batchnorm", "pool"):
            if key in block:
                _bool(block, key)
    hidden = data.get("hidden", ())
    if not isinstance(hidden, list | tuple) or len(hidden) > MAX_HIDDEN_LAYERS:
        raise ValueError(f"hidden must be a list of at most {MAX_HIDDEN_LAYERS} layer sizes")
    for units in hidden:
        int_in({"hidden layer size": units}, "hidden layer size", 1, MAX_HIDDEN_UNITS)


def check_cost(parameters: int, activations: int, multiply_adds: int) -> None:
    """Refuse a network whose weights, per-input values or per-input work exceed the bounds."""
    for what, value, limit in (
        ("parameters", parameters, MAX_PARAMETERS),
        ("values computed per input", activations, MAX_ACTIVATIONS),
        ("multiply-adds per input", multiply_adds, MAX_MULTIPLY_ADDS),
    ):
        if value > limit:
            raise ValueError(f"the network would need {value:,} {what} (at most {limit:,})")


def check_render_json(data: object) -> None:
    """Check stored render parameters (``RenderParams.to_dict`` layout; missing keys default)."""
    if not isinstance(data, Mapping):
        raise ValueError(f"render parameters must be a JSON object, not {type(data).__name__}")
    if "size" in data:
        int_in(data, "size", 4, MAX_INPUT_SIZE)
    size = float(data.get("size", MAX_INPUT_SIZE))
    if "supersample" in data:
        int_in(data, "supersample", 1, MAX_SUPERSAMPLE)
    if "box" in data:
        float_in(data, "box", 1.0, size)
    if "stroke_width" in data:
        float_in(data, "stroke_width", 0.05, size)
    if "blur_sigma" in data:
        float_in(data, "blur_sigma", 0.0, MAX_BLUR_SIGMA)


def check_picture_size(width: int, height: int) -> None:
    """Refuse a picture too large to decode safely (checked from its header, before decoding)."""
    if width < 1 or height < 1:
        raise ValueError(f"the picture has no pixels ({width} x {height})")
    if max(width, height) > MAX_PICTURE_SIDE or width * height > MAX_PICTURE_PIXELS:
        raise ValueError(
            f"the picture is too large ({width:,} x {height:,} pixels; at most "
            f"{MAX_PICTURE_PIXELS // 1_000_000} million pixels, {MAX_PICTURE_SIDE:,} per side)"
        )
