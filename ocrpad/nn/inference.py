"""Inference without backward caches: the pass behind ``Sequential.predict``.

Each convolution runs with the batch norm that follows it folded into its weight matrix, and
the max-pools and ReLU after that applied to every chunk of its output while the chunk is
still in cache. Nothing is kept for a backward pass, so an activation is freed as soon as the
next layer has read it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ocrpad.nn.batchnorm import BatchNorm2d
from ocrpad.nn.conv import Conv2d
from ocrpad.nn.layers import Dropout, ReLU
from ocrpad.nn.module import Array, Layer
from ocrpad.nn.pool import MaxPool2d


def folded_matrix(conv: Conv2d, bn: BatchNorm2d | None, dtype: np.dtype[np.floating]) -> Array:
    """conv's (kh*kw*C + 1, O) weight-and-bias matrix with bn's inference-mode affine map
    (running statistics) folded in: bn(conv(x)) = conv'(x)."""
    matrix = conv.weight_matrix(dtype)
    if bn is None:
        return matrix
    scale = bn.params["weight"] / np.sqrt(bn.buffers["running_var"] + bn.eps)  # (O,)
    folded: Array = matrix * scale
    folded[-1] += bn.params["bias"] - bn.buffers["running_mean"] * scale  # b*scale + shift
    return folded


def _affine_instead(
    conv: Conv2d,
    bn: BatchNorm2d,
    x: Array,
    pools: Sequence[MaxPool2d],
    dtype: np.dtype[np.floating],
) -> tuple[Array, Array] | None:
    """bn's (scale, shift), each (O,), when applying them to the pooled output costs less than
    folding them into conv's weight matrix (few drawings: a lone drawing's last layers hold
    fewer pixels than their matrices hold rows) and is exact there (every scale positive);
    else None, and the batch norm is folded in."""
    height, width = conv.output_size(x)
    for pool in pools:
        height, width = pool.output_size(height, width)
    rows = conv.kernel_size**2 * conv.in_channels + 1  # of the weight-and-bias matrix
    if x.shape[0] * height * width >= rows:
        return None
    scale = bn.params["weight"] / np.sqrt(bn.buffers["running_var"] + bn.eps)  # (O,)
    if not (scale > 0).all():
        return None
    shift = bn.params["bias"] - bn.buffers["running_mean"] * scale
    return scale.astype(dtype), shift.astype(dtype)


def _fusable(layers: Sequence[Layer], start: int) -> tuple[list[MaxPool2d], bool, int]:
    """The max-pools and whether a ReLU follow layers[start - 1] before any other layer
    (ReLU and max-pool commute, dropout is the identity here); returns the index after them."""
    pools: list[MaxPool2d] = []
    relu, index = False, start
    while index < len(layers) and isinstance(layers[index], (MaxPool2d, ReLU, Dropout)):
        layer = layers[index]
        if isinstance(layer, MaxPool2d):
            pools.append(layer)
        elif isinstance(layer, ReLU):
            relu = True
        index += 1
    return pools, relu, index


def predict_cl(layers: Sequence[Layer], h: Array) -> Array:
    """Run h (N, H, W, C) through layers in inference mode, keeping nothing for backward."""
    index = 0
    while index < len(layers):
        layer = layers[index]
        if isinstance(layer, Conv2d):
            bn, index = None, index + 1
            if index < len(layers) and isinstance(after := layers[index], BatchNorm2d):
                bn, index = after, index + 1
            pools, relu, index = _fusable(layers, index)
            dtype = np.result_type(h.dtype, layer.params["weight"].dtype)
            affine = None if bn is None else _affine_instead(layer, bn, h, pools, dtype)
            if affine is not None:
                h = layer.infer_cl(h, layer.weight_matrix(dtype), pools, relu, affine)
            else:
                h = layer.infer_cl(h, folded_matrix(layer, bn, dtype), pools, relu)
        else:
            h = layer.forward_cl(h, training=False)
            layer.release()
            index += 1
    return h
