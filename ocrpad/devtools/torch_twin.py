"""The PyTorch twin of an ocrpad network, for the benchmark only (never used by the product).

Built from the same :class:`ModelConfig` with the same layer names and order, so an ocrpad
``state_dict`` loads into it unchanged (``strict=True``): that also checks the layout claim.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from ocrpad.model import Model
from ocrpad.nn import BatchNorm2d, Conv2d, Dense, Dropout, Flatten, Layer, MaxPool2d, ReLU


def _twin_layer(layer: Layer) -> nn.Module:
    if isinstance(layer, Conv2d):
        return nn.Conv2d(**layer.get_config())
    if isinstance(layer, Dense):
        return nn.Linear(layer.in_features, layer.out_features)
    if isinstance(layer, BatchNorm2d):
        return nn.BatchNorm2d(**layer.get_config())
    if isinstance(layer, MaxPool2d):
        return nn.MaxPool2d(**layer.get_config())
    if isinstance(layer, ReLU):
        return nn.ReLU()
    if isinstance(layer, Dropout):
        return nn.Dropout(layer.p)
    if isinstance(layer, Flatten):
        return nn.Flatten()
    raise TypeError(f"no PyTorch twin for {layer!r}")


class TorchTwin:
    """Same interface as the benchmark's ocrpad engine: ``infer`` and ``train_step``."""

    name = "torch"

    def __init__(self, model: Model, threads: int = 2) -> None:
        torch.set_num_threads(threads)
        layers = OrderedDict((name, _twin_layer(layer)) for name, layer in model.network.layers)
        self.net = nn.Sequential(layers)
        state = {
            k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in model.state_dict().items()
        }
        self.net.load_state_dict(state, strict=False)  # BatchNorm's num_batches_tracked only
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=1e-3)
        self.description = f"torch {torch.__version__} (threads {torch.get_num_threads()})"

    def infer(self, x: NDArray[np.float32]) -> NDArray[Any]:
        self.net.eval()
        with torch.inference_mode():
            out: NDArray[Any] = self.net(torch.from_numpy(x)).numpy()
        return out

    def train_step(self, x: NDArray[np.float32], y: NDArray[np.int64]) -> None:
        self.net.train()
        self.optimizer.zero_grad(set_to_none=True)
        logits = self.net(torch.from_numpy(x))
        loss = nn.functional.cross_entropy(logits, torch.from_numpy(y))
        loss.backward()
        self.optimizer.step()


def missing_keys(model: Model) -> list[str]:
    """Keys a strict PyTorch load would report, besides BatchNorm's step counter."""
    twin = TorchTwin(model, threads=1)
    state = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in model.state_dict().items()}
    result = twin.net.load_state_dict(state, strict=False)
    missing = [k for k in result.missing_keys if not k.endswith("num_batches_tracked")]
    return missing + list(result.unexpected_keys)
