"""Receptive fields: which input pixels one unit of a layer can see (no Qt)."""

from __future__ import annotations

from ocrpad.explain.graph import layer_index
from ocrpad.nn import Conv2d, Dense, Flatten, MaxPool2d, Sequential


def receptive_field(
    network: Sequential, layer: str, row: int, col: int, size: tuple[int, ...] = (28, 28)
) -> tuple[int, int, int, int]:
    """(top, left, bottom, right) of the input pixels that unit (row, col) of `layer`'s output
    depends on, through every layer below; bottom and right exclusive (``image[top:bottom,
    left:right]``), clipped to the (H, W) input `size`. A unit of a dense layer (or anything
    after a flatten) sees the whole input."""
    height, width = size[-2], size[-1]
    top, bottom, left, right = row, row, col, col  # inclusive, in the current layer's output
    for _, obj in reversed(network.layers[: layer_index(network, layer) + 1]):
        if isinstance(obj, (Dense, Flatten)):
            return 0, 0, height, width
        if isinstance(obj, Conv2d):
            k, s, p = obj.kernel_size, obj.stride, obj.padding
        elif isinstance(obj, MaxPool2d):
            k, s, p = obj.kernel_size, obj.stride, 0
        else:  # batch norm, ReLU, dropout: one output per input, same place
            continue
        top, left = top * s - p, left * s - p
        bottom, right = bottom * s - p + k - 1, right * s - p + k - 1
    return max(top, 0), max(left, 0), min(bottom + 1, height), min(right + 1, width)
