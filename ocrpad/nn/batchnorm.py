"""Batch normalisation over the channels of NCHW activations (PyTorch names and semantics)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ocrpad.nn.module import Array, Layer


class BatchNorm2d(Layer):
    """``BatchNorm2d(num_features, eps=1e-5, momentum=0.1)``.

    x: (N, C, H, W). Training normalises with the batch statistics and updates
    ``running_mean`` / ``running_var`` (unbiased variance, as PyTorch); inference uses the
    running statistics. params: weight (C,), bias (C,); buffers: running_mean, running_var.
    """

    _cache = ("_xhat", "_invstd")

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1) -> None:
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        c = num_features
        self.params = {"weight": np.ones(c, np.float32), "bias": np.zeros(c, np.float32)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.buffers = {
            "running_mean": np.zeros(c, np.float32),
            "running_var": np.ones(c, np.float32),
        }
        self._xhat: Array | None = None
        self._invstd: Array | None = None
        self._batch_stats = False

    def get_config(self) -> dict[str, Any]:
        return {"num_features": self.num_features, "eps": self.eps, "momentum": self.momentum}

    def forward_cl(self, x: Array, *, training: bool = False) -> Array:
        """x: (N, H, W, C) -> (N, H, W, C)."""
        x2 = x.reshape(-1, self.num_features)  # (N*H*W, C)
        if training:
            mean, var = x2.mean(axis=0), x2.var(axis=0)
            n = x2.shape[0]
            m = self.momentum
            rm, rv = self.buffers["running_mean"], self.buffers["running_var"]
            rm[...] = (1 - m) * rm + m * mean
            rv[...] = (1 - m) * rv + m * var * (n / max(n - 1, 1))
        else:
            mean, var = self.buffers["running_mean"], self.buffers["running_var"]
        invstd = 1.0 / np.sqrt(var + self.eps)
        xhat = (x - mean) * invstd
        self._xhat, self._invstd, self._batch_stats = xhat, invstd, training
        y: Array = xhat * self.params["weight"] + self.params["bias"]
        return y

    def backward_cl(self, dy: Array, *, need_input_grad: bool = True) -> Array | None:
        """dy: (N, H, W, C) -> dx: (N, H, W, C)."""
        if self._xhat is None or self._invstd is None:
            raise RuntimeError("BatchNorm2d.backward called before forward")
        c = self.num_features
        xhat2, dy2 = self._xhat.reshape(-1, c), dy.reshape(-1, c)
        self.grads["weight"][...] = (dy2 * xhat2).sum(axis=0)
        self.grads["bias"][...] = dy2.sum(axis=0)
        if not need_input_grad:
            return None
        dxhat = dy * self.params["weight"]
        if not self._batch_stats:  # fixed statistics: a per-channel affine map
            return dxhat * self._invstd
        n = xhat2.shape[0]
        mean_dxhat = dxhat.reshape(-1, c).sum(axis=0) / n
        mean_dxhat_xhat = (dxhat * self._xhat).reshape(-1, c).sum(axis=0) / n
        dx: Array = (dxhat - mean_dxhat - self._xhat * mean_dxhat_xhat) * self._invstd
        return dx
