"""What a fine-tune changed in the convolutions: how far each filter moved (no Qt).

A filter's move is the size of its weight change relative to its size before,
||w_after - w_before|| / ||w_before||, over all its input channels and kernel taps (the
bias is left out: it shifts the map without changing what the filter looks for).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ocrpad.explain.graph import network_of
from ocrpad.model import Model
from ocrpad.nn import Conv2d, Sequential

F32 = NDArray[np.float32]


@dataclass(frozen=True)
class FilterDrift:
    """One conv layer's filters before and after: `moved` (O,) relative change per filter;
    `before` and `after` (O, C, kh, kw) the weights."""

    layer: str
    moved: F32
    before: F32
    after: F32

    def most_moved(self, count: int) -> list[int]:
        """Indices of the `count` filters that moved most, most first."""
        order = np.argsort(-self.moved, kind="stable")
        return [int(i) for i in order[:count]]

    def strongest_channel(self, index: int) -> int:
        """The input channel of filter `index` whose kernel changed most (what to draw of a
        filter that reads many channels)."""
        change = self.after[index] - self.before[index]  # (C, kh, kw)
        return int(np.argmax((change.astype(np.float64) ** 2).sum(axis=(1, 2))))


def filter_drift(before: Model | Sequential, after: Model | Sequential) -> list[FilterDrift]:
    """Per conv layer (in order), how far each filter moved from `before` to `after`.

    The two networks must have the same conv layers (a fine-tune may grow the output layer,
    which is not a convolution); ValueError names the first mismatch otherwise.
    """
    old = {n: layer for n, layer in network_of(before).layers if isinstance(layer, Conv2d)}
    new = {n: layer for n, layer in network_of(after).layers if isinstance(layer, Conv2d)}
    if list(old) != list(new):
        raise ValueError(f"different conv layers: {list(old)} and {list(new)}")
    drifts = []
    for name, layer in old.items():
        w0 = np.array(layer.params["weight"], np.float32)  # (O, C, kh, kw)
        w1 = np.array(new[name].params["weight"], np.float32)
        if w0.shape != w1.shape:
            raise ValueError(f"{name}: weight shapes {w0.shape} and {w1.shape} differ")
        size = np.sqrt((w0.astype(np.float64) ** 2).sum(axis=(1, 2, 3)))
        change = np.sqrt(((w1.astype(np.float64) - w0) ** 2).sum(axis=(1, 2, 3)))
        moved = (change / np.maximum(size, 1e-12)).astype(np.float32)
        drifts.append(FilterDrift(name, moved, w0, w1))
    return drifts
