"""Small layers: ReLU, Dropout, Flatten, Dense."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ocrpad.nn import arena
from ocrpad.nn.functional import relu_into
from ocrpad.nn.module import Array, ElementwiseLayer, Layer, tensor, whole_number
from ocrpad.nn.parallel import parallel_for
from ocrpad.nn.shard import Shard


class ReLU(ElementwiseLayer):
    """y = max(x, 0), any shape. Backward masks by y > 0, from the output it keeps (which the
    next layer holds anyway), so inference pays for no mask."""

    _cache = ("_y",)

    def __init__(self) -> None:
        super().__init__()
        self._y: Array | None = None

    def forward(self, x: Array, *, training: bool = False) -> Array:
        y: Array = arena.empty(x.shape, x.dtype)

        def work(part: int, lo: int, hi: int) -> None:
            relu_into(x[lo:hi], y[lo:hi])

        parallel_for(x.shape[0], work)
        self._y = y
        return y

    def backward(self, dy: Array) -> Array:
        if self._y is None:
            raise RuntimeError("ReLU.backward called before forward")
        y = self._y
        dx: Array = arena.empty(np.broadcast_shapes(dy.shape, y.shape), dy.dtype)

        def work(part: int, lo: int, hi: int) -> None:
            np.multiply(dy[lo:hi], y[lo:hi] > 0, out=dx[lo:hi])

        parallel_for(dx.shape[0], work)
        return dx


class Dropout(ElementwiseLayer):
    """Inverted dropout: in training, zero each value with probability p and scale the rest
    by 1 / (1 - p); identity when ``training`` is False. ``rng`` draws the masks (state, not
    configuration: it is not part of ``get_config``).

    The mask compares random 16-bit integers with p * 65536 (p is rounded to 1/65536), which
    costs half as much as drawing random floats. In a data-parallel pass the whole batch's
    mask is drawn once, by the first part to need it, from the original layer's ``rng``: the
    parts together use the serial pass's mask and random stream.
    """

    _cache = ("_keep",)

    def __init__(self, p: float = 0.5, *, rng: np.random.Generator | None = None) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout probability must be in [0, 1), got {p}")
        self.p = p
        self.rng = np.random.default_rng(0) if rng is None else rng
        self._keep: NDArray[np.bool_] | None = None
        self._shard: Shard | None = None
        self._origin = self  # the layer whose rng and p a replica uses

    def get_config(self) -> dict[str, Any]:
        return {"p": self.p}

    def replica(self, shard: Shard) -> Dropout:
        twin = super().replica(shard)
        assert isinstance(twin, Dropout)
        twin._shard, twin._origin = shard, self
        return twin

    def _mask(self, shape: tuple[int, ...]) -> NDArray[np.bool_]:
        """A fresh keep-mask of ``shape`` from this layer's rng."""
        draws = np.frombuffer(self.rng.bytes(2 * math.prod(shape)), dtype=np.uint16)
        return draws.reshape(shape) >= round(self.p * 65536)

    def _scaled(self, x: Array, keep: NDArray[np.bool_]) -> Array:
        """x * keep / (1 - p), in one new array of x's shape and dtype."""
        out: Array = arena.empty(x.shape, x.dtype)
        np.multiply(x, np.asarray(1.0 / (1.0 - self._origin.p), dtype=x.dtype), out=out)
        out *= keep
        return out

    def forward(self, x: Array, *, training: bool = False) -> Array:
        origin, shard = self._origin, self._shard
        if not training or origin.p == 0.0:
            self._keep = None
            return x
        if shard is None:
            self._keep = origin._mask(x.shape)
        else:
            whole = (shard.total, *x.shape[1:])
            mask = shard.group.once(origin, lambda: origin._mask(whole))
            self._keep = mask[shard.lo : shard.hi]
        return self._scaled(x, self._keep)

    def backward(self, dy: Array) -> Array:
        return dy if self._keep is None else self._scaled(dy, self._keep)


class Flatten(Layer):
    """x: (N, C, H, W) -> (N, C*H*W) in PyTorch's (C, H, W) order; (N, F) passes through."""

    def __init__(self) -> None:
        super().__init__()
        self._shape: tuple[int, ...] = ()

    def forward(self, x: Array, *, training: bool = False) -> Array:
        self._shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dy: Array) -> Array:
        return dy.reshape(self._shape)

    def forward_cl(self, x: Array, *, training: bool = False) -> Array:
        """x: (N, H, W, C) -> (N, C*H*W), the same order as the NCHW flatten."""
        self._shape = x.shape
        if x.ndim != 4:
            return x.reshape(x.shape[0], -1)
        n, h, w, c = x.shape
        out: Array = arena.empty((n, c * h * w), x.dtype)
        np.copyto(out.reshape(n, c, h, w), x.transpose(0, 3, 1, 2))
        return out

    def backward_cl(self, dy: Array, *, need_input_grad: bool = True) -> Array | None:
        if len(self._shape) != 4:
            return dy.reshape(self._shape)
        n, h, w, c = self._shape
        return dy.reshape(n, c, h, w).transpose(0, 2, 3, 1)  # (N, H, W, C)


class Dense(Layer):
    """``Dense(in_features, out_features)`` = PyTorch ``Linear``: weight (out, in), bias (out,).

    x: (N, in) -> y = x @ weight.T + bias: (N, out).
    """

    _cache = ("_x",)
    weight = tensor("params", "weight", "(out, in): ``params['weight']``")
    bias = tensor("params", "bias", "(out,): ``params['bias']``")

    def __init__(
        self, in_features: int, out_features: int, *, rng: np.random.Generator | None = None
    ) -> None:
        super().__init__()
        self.in_features = whole_number("in_features", in_features)
        self.out_features = whole_number("out_features", out_features)
        rng = np.random.default_rng(0) if rng is None else rng
        std = np.sqrt(2.0 / in_features)
        w = rng.standard_normal((out_features, in_features)) * std
        self.params = {
            "weight": w.astype(np.float32),
            "bias": np.zeros(out_features, dtype=np.float32),
        }
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self._x: Array | None = None

    def get_config(self) -> dict[str, Any]:
        return {"in_features": self.in_features, "out_features": self.out_features}

    def forward(self, x: Array, *, training: bool = False) -> Array:
        if x.ndim != 2 or x.shape[1] != self.in_features:
            self._refuse_input(f"needs (N, {self.in_features}) inputs, got {x.shape}")
        self._x = x
        weight, bias = self.params["weight"], self.params["bias"]
        y: Array = np.empty((x.shape[0], self.out_features), np.result_type(x, weight))

        def work(part: int, lo: int, hi: int) -> None:
            np.matmul(x[lo:hi], weight.T, out=y[lo:hi])
            y[lo:hi] += bias

        parallel_for(x.shape[0], work)
        return y

    def backward(self, dy: Array) -> Array:
        if self._x is None:
            raise RuntimeError("Dense.backward called before forward")
        x, weight = self._x, self.params["weight"]
        dx: Array = arena.empty(x.shape, np.result_type(dy, weight))
        grad_w, dy_t = self.grads["weight"], dy.T

        def weight_grad(part: int, lo: int, hi: int) -> None:
            # split over input features: every part writes its own columns, nothing to sum
            np.matmul(dy_t, x[:, lo:hi], out=grad_w[:, lo:hi])  # (out, in)

        def input_grad(part: int, lo: int, hi: int) -> None:
            np.matmul(dy[lo:hi], weight, out=dx[lo:hi])

        parallel_for(x.shape[1], weight_grad)
        parallel_for(x.shape[0], input_grad)
        self.grads["bias"][...] = dy.sum(axis=0)
        return dx

    def forward_cl(self, x: Array, *, training: bool = False) -> Array:
        return self.forward(x, training=training)

    def backward_cl(self, dy: Array, *, need_input_grad: bool = True) -> Array | None:
        dx = self.backward(dy)
        return dx if need_input_grad else None
