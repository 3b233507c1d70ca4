"""Named layers in order, PyTorch-style ``state_dict`` and every layer's activation."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Literal, overload

import numpy as np
from numpy.typing import DTypeLike, NDArray

from ocrpad.nn import arena
from ocrpad.nn.data_parallel import DataParallel
from ocrpad.nn.inference import predict_cl
from ocrpad.nn.module import Array, Layer, to_cf, to_cl
from ocrpad.nn.parallel import blas_threads_for_batch, part_bounds
from ocrpad.nn.serialization import listing


class StateDictError(ValueError):
    """``load_state_dict`` found missing, unexpected, mis-shaped, non-numeric or non-finite
    arrays; ``problems`` names each (the message joins them)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("state_dict does not fit the network: " + "; ".join(problems))
        self.problems = problems


class Sequential:
    """``Sequential([("conv1", Conv2d(1, 32, 3)), ("relu1", ReLU()), ...])``.

    x: (N, C, H, W) float32 -> output of the last layer. Between layers, 4-D activations
    travel channels-last (N, H, W, C); every public input and output is NCHW.
    A training pass over a batch large enough to split runs data-parallel (each thread takes
    its part of the batch through every layer, see ``nn.data_parallel``); other passes split
    each layer's work over the threads.
    """

    def __init__(self, layers: Sequence[tuple[str, Layer]]) -> None:
        names = [name for name, _ in layers]
        if len(set(names)) != len(names) or any("." in n or not n for n in names):
            raise ValueError(f"layer names must be unique, non-empty and dot-free: {names}")
        self.layers: list[tuple[str, Layer]] = list(layers)
        for name, layer in self.layers:
            layer.name = name  # so that a layer's messages say which one it is
        self._training_pass = False  # the last forward was a training one
        self._data_parallel = DataParallel()
        self._split_pass = False  # the last forward ran data-parallel

    def _arrays(self) -> AbstractContextManager[None]:
        """Training passes reuse their large arrays from batch to batch (``nn.arena``)."""
        return arena.reuse() if self._training_pass else contextlib.nullcontext()

    def forward(self, x: Array, *, training: bool = False) -> Array:
        """x: (N, C, H, W) or (N, F) -> the last layer's output (NCHW if 4-D).

        A training pass refuses an empty batch (N = 0) before anything changes: it has no
        statistics to learn from, and its batch norms would make their running ones NaN."""
        if training and len(x) == 0:
            raise ValueError("a training pass needs at least one input; the batch is empty")
        self.release()
        self._training_pass = training
        h = to_cl(x)
        bounds = part_bounds(len(x))
        self._split_pass = training and len(bounds) > 2
        with blas_threads_for_batch(len(x)), self._arrays():
            if self._split_pass:
                layers = [layer for _, layer in self.layers]
                return to_cf(self._data_parallel.forward(layers, h, bounds))
            for _, layer in self.layers:
                h = layer.forward_cl(h, training=training)
        return to_cf(h)

    @overload
    def backward(
        self, dy: Array, *, need_input_grad: Literal[True] = ..., frozen_below: Literal[0] = ...
    ) -> Array: ...
    @overload
    def backward(
        self, dy: Array, *, need_input_grad: Literal[False], frozen_below: int = ...
    ) -> None: ...
    @overload
    def backward(
        self, dy: Array, *, need_input_grad: bool, frozen_below: int = ...
    ) -> Array | None: ...
    def backward(
        self, dy: Array, *, need_input_grad: bool = True, frozen_below: int = 0
    ) -> Array | None:
        """dy: gradient w.r.t. the output -> dx w.r.t. the input; fills every layer's grads.

        ``need_input_grad=False`` (training) skips the first layer's input gradient.
        ``frozen_below=k`` (fine-tuning with frozen first layers) stops the pass at layer k:
        layers 0..k-1 get no backward at all (their grads are left as they were) and layer
        k computes its parameters' gradients but not its input's. It needs
        ``need_input_grad=False``.
        """
        if not 0 <= frozen_below < len(self.layers):
            raise ValueError(f"frozen_below must be 0..{len(self.layers) - 1}, not {frozen_below}")
        if frozen_below and need_input_grad:
            raise ValueError("frozen_below stops the pass before the input: no input gradient")
        g: Array | None = to_cl(dy)
        with blas_threads_for_batch(len(dy)), self._arrays():
            if self._split_pass:
                layers = [layer for _, layer in self.layers]
                dx = self._data_parallel.backward(layers, to_cl(dy), need_input_grad, frozen_below)
                return None if dx is None else to_cf(dx)
            for index in range(len(self.layers) - 1, frozen_below - 1, -1):
                assert g is not None
                need = need_input_grad or index > frozen_below
                g = self.layers[index][1].backward_cl(g, need_input_grad=need)
        return None if g is None else to_cf(g)

    def predict(self, x: Array) -> Array:
        """x: (N, C, H, W) or (N, F) -> the last layer's output in inference mode, like
        ``forward(x)`` but keeping nothing for backward (batch norms folded into their
        convolutions, pools and ReLUs fused in; see ``nn.inference``). Frees the previous
        pass's backward caches."""
        self.release()
        self._training_pass = False
        with blas_threads_for_batch(len(x)):
            return to_cf(predict_cl([layer for _, layer in self.layers], to_cl(x)))

    def forward_with_activations(self, x: Array) -> list[tuple[str, Array]]:
        """x: (N, C, H, W) -> [(name, output)] per layer in inference mode, NCHW or (N, F)."""
        out: list[tuple[str, Array]] = []
        self.release()
        self._training_pass = False
        h = to_cl(x)
        with blas_threads_for_batch(len(x)):
            for name, layer in self.layers:
                h = layer.forward_cl(h, training=False)
                out.append((name, to_cf(h)))
        return out

    def part_layers(self, part: int) -> list[Layer]:
        """The copies of the layers that part ``part`` of a data-parallel training pass runs
        (``nn.data_parallel``), in order; [] before the first such pass. For tools that time
        the layers."""
        return self._data_parallel.part_layers(part)

    def named_tensors(self) -> Iterator[tuple[str, Layer, str, Literal["param", "buffer"]]]:
        """(dotted key, layer, local name, kind) for every parameter and buffer."""
        for name, layer in self.layers:
            for key in layer.params:
                yield f"{name}.{key}", layer, key, "param"
            for key in layer.buffers:
                yield f"{name}.{key}", layer, key, "buffer"

    def named_parameters(self) -> list[tuple[str, Array, Array]]:
        """[(dotted key, parameter, gradient)] for the optimizers."""
        return [
            (f"{name}.{key}", layer.params[key], layer.grads[key])
            for name, layer in self.layers
            for key in layer.params
        ]

    def state_dict(self) -> dict[str, Array]:
        """Copies of every parameter and buffer under dotted keys (``"conv1.weight"``)."""
        out: dict[str, Array] = {}
        for key, layer, local, kind in self.named_tensors():
            store = layer.params if kind == "param" else layer.buffers
            out[key] = store[local].copy()
        return out

    def load_state_dict(
        self, state: Mapping[str, NDArray[np.generic]], strict: bool = True
    ) -> tuple[list[str], list[str]]:
        """Copy arrays in, all or nothing; returns (missing, unexpected).

        Every array is first converted to its parameter's dtype and checked: its shape, a
        real number type, and finite values once converted (a float64 beyond float32's range
        would become infinite). Only when every array passes is anything copied, so a refused
        state leaves the network as it was. Mis-shaped, non-numeric or non-finite arrays
        always raise :class:`StateDictError`; missing or unexpected keys raise when ``strict``.
        """
        targets = {
            key: _store((layer, local, kind))[local]
            for key, layer, local, kind in self.named_tensors()
        }
        missing = [k for k in targets if k not in state]
        unexpected = [k for k in state if k not in targets]
        problems: list[str] = []
        staged: dict[str, NDArray[np.generic]] = {}
        for key, target in targets.items():
            if key not in state:
                continue
            value = np.asarray(state[key])
            if value.shape != target.shape:
                problems.append(f"{key}: expected shape {target.shape}, got {value.shape}")
            elif isinstance(converted := _converted(value, target.dtype), str):
                problems.append(f"{key}: {converted}")
            else:
                staged[key] = converted
        if strict and missing:
            problems.append(f"missing keys: {listing(missing)}")
        if strict and unexpected:
            problems.append(f"unexpected keys: {listing(unexpected)}")
        if problems:
            raise StateDictError(problems)
        for key, value in staged.items():
            targets[key][...] = value
        return missing, unexpected

    def release(self) -> None:
        """Free every layer's backward cache (the next forward would replace it anyway)."""
        for _, layer in self.layers:
            layer.release()
        self._data_parallel.release()
        self._split_pass = False

    def zero_grad(self) -> None:
        for _, layer in self.layers:
            layer.zero_grad()

    def astype(self, dtype: DTypeLike) -> Sequential:
        """Convert every parameter, gradient and buffer in place; returns self."""
        for _, layer in self.layers:
            layer.astype(dtype)
        return self

    def __getitem__(self, name: str) -> Layer:
        for layer_name, layer in self.layers:
            if layer_name == name:
                return layer
        raise KeyError(name)

    def __repr__(self) -> str:
        rows = "\n".join(f"  ({name}): {layer!r}" for name, layer in self.layers)
        return f"Sequential(\n{rows}\n)"


def _converted(value: NDArray[np.generic], dtype: np.dtype[Any]) -> NDArray[np.generic] | str:
    """``value`` converted to ``dtype`` (itself if it already is), or why it cannot be a
    parameter of that dtype: not a real number type, or NaN / infinite values, counted after
    the conversion (float64 values beyond float32's range turn infinite). One vectorised
    pass over the converted array."""
    if value.dtype.kind not in "iuf":
        return f"dtype {value.dtype} is not a real number type"
    with np.errstate(over="ignore", invalid="ignore"):
        converted = value.astype(dtype, copy=False)
    if bool(np.isfinite(converted).all()):
        return converted
    if bool(np.isfinite(value).all()):
        return f"values beyond the range of {np.dtype(dtype).name} (they would turn infinite)"
    return "NaN or infinite values"


def _store(target: tuple[Layer, str, str]) -> dict[str, Array]:
    layer, _, kind = target
    return layer.params if kind == "param" else layer.buffers
