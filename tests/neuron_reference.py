"""An independent plain-loop forward pass and receptive field, the oracle for neuron traces.

Everything here is float64 and written from the layers' definitions with explicit loops
over output positions: no im2col, no channels-last, nothing shared with the engine's code.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ocrpad.nn import BatchNorm2d, Conv2d, Dense, Dropout, Flatten, MaxPool2d, ReLU, Sequential

F64 = NDArray[np.float64]


def _conv(x: F64, conv: Conv2d) -> F64:
    """x: (C, H, W) -> (O, Ho, Wo), one output position at a time."""
    k, s, p = conv.kernel_size, conv.stride, conv.padding
    weight = conv.params["weight"].astype(np.float64)  # (O, C, k, k)
    bias = conv.params["bias"].astype(np.float64)
    padded = np.zeros((x.shape[0], x.shape[1] + 2 * p, x.shape[2] + 2 * p))
    padded[:, p : p + x.shape[1], p : p + x.shape[2]] = x
    ho = (padded.shape[1] - k) // s + 1
    wo = (padded.shape[2] - k) // s + 1
    out = np.zeros((weight.shape[0], ho, wo))
    for r in range(ho):
        for c in range(wo):
            patch = padded[:, r * s : r * s + k, c * s : c * s + k]
            for o in range(weight.shape[0]):
                out[o, r, c] = float((patch * weight[o]).sum()) + bias[o]
    return out


def _pool(x: F64, pool: MaxPool2d) -> F64:
    k, s = pool.kernel_size, pool.stride
    ho, wo = (x.shape[1] - k) // s + 1, (x.shape[2] - k) // s + 1
    out = np.zeros((x.shape[0], ho, wo))
    for r in range(ho):
        for c in range(wo):
            out[:, r, c] = x[:, r * s : r * s + k, c * s : c * s + k].max(axis=(1, 2))
    return out


def _batchnorm(x: F64, bn: BatchNorm2d) -> F64:
    out = np.zeros_like(x)
    for ch in range(x.shape[0]):
        mean = float(bn.buffers["running_mean"][ch])
        std = np.sqrt(float(bn.buffers["running_var"][ch]) + bn.eps)
        gamma, beta = float(bn.params["weight"][ch]), float(bn.params["bias"][ch])
        out[ch] = (x[ch] - mean) / std * gamma + beta
    return out


def _dense(x: F64, dense: Dense) -> F64:
    weight = dense.params["weight"].astype(np.float64)
    out = np.zeros(weight.shape[0])
    for unit in range(weight.shape[0]):
        out[unit] = float(np.dot(x, weight[unit])) + float(dense.params["bias"][unit])
    return out


def reference_outputs(network: Sequential, image: NDArray[np.floating]) -> dict[str, F64]:
    """Every layer's output for one (H, W) image: (C, H, W) or (F,), in inference mode."""
    h: F64 = np.asarray(image, np.float64)[None]
    outputs: dict[str, F64] = {}
    for name, layer in network.layers:
        if isinstance(layer, Conv2d):
            h = _conv(h, layer)
        elif isinstance(layer, BatchNorm2d):
            h = _batchnorm(h, layer)
        elif isinstance(layer, MaxPool2d):
            h = _pool(h, layer)
        elif isinstance(layer, ReLU):
            h = np.maximum(h, 0.0)
        elif isinstance(layer, Flatten):
            h = h.reshape(-1)  # (C, H, W) order
        elif isinstance(layer, Dense):
            h = _dense(h, layer)
        else:
            assert isinstance(layer, Dropout)
        outputs[name] = h
    return outputs


def reference_field(
    network: Sequential, layer: str, row: int, col: int, size: int = 28
) -> tuple[int, int, int, int]:
    """The input pixels one unit depends on, by following the set of positions it reads down
    through every layer; returned as the bounding box (top, left, bottom, right), exclusive."""
    names = [n for n, _ in network.layers]
    positions = {(row, col)}
    sides = _sides(network, size)
    for index in range(names.index(layer), -1, -1):
        obj = network.layers[index][1]
        side_in = sides[index - 1] if index else size
        if isinstance(obj, (Dense, Flatten)):
            positions = {(r, c) for r in range(side_in) for c in range(side_in)}
        elif isinstance(obj, (Conv2d, MaxPool2d)):
            k, s = obj.kernel_size, obj.stride
            p = obj.padding if isinstance(obj, Conv2d) else 0
            positions = {
                (r * s - p + i, c * s - p + j)
                for r, c in positions
                for i in range(k)
                for j in range(k)
                if 0 <= r * s - p + i < side_in and 0 <= c * s - p + j < side_in
            }
    rows = [r for r, _ in positions]
    cols = [c for _, c in positions]
    return min(rows), min(cols), max(rows) + 1, max(cols) + 1


def _sides(network: Sequential, size: int) -> list[int]:
    """The side of every layer's (square) output; 0 once flat."""
    sides, side = [], size
    for _, obj in network.layers:
        if isinstance(obj, Conv2d):
            side = (side + 2 * obj.padding - obj.kernel_size) // obj.stride + 1
        elif isinstance(obj, MaxPool2d):
            side = (side - obj.kernel_size) // obj.stride + 1
        elif isinstance(obj, (Flatten, Dense)):
            side = 0
        sides.append(side)
    return sides
