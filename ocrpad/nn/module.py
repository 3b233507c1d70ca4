"""The one layer contract every engine layer follows.

Public activations are NCHW (or (N, F) after ``Flatten``). Inside a :class:`Sequential` the
spatial layers exchange channels-last (NHWC) arrays instead, through ``forward_cl`` /
``backward_cl``: each convolution's matrix multiply then writes the next layer's layout
directly. The public ``forward`` / ``backward`` of a spatial layer wrap the channels-last code
with two transposes, so the code the gradient checks prove is the code the network runs.
"""

from __future__ import annotations

import copy
import numbers
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np
from numpy.typing import DTypeLike, NDArray

if TYPE_CHECKING:
    from ocrpad.nn.shard import Shard

Array = NDArray[np.floating[Any]]


def to_cl(x: Array) -> Array:
    """NCHW -> NHWC view; 2-D arrays pass through."""
    return x.transpose(0, 2, 3, 1) if x.ndim == 4 else x


def to_cf(x: Array) -> Array:
    """NHWC -> NCHW view; 2-D arrays pass through."""
    return x.transpose(0, 3, 1, 2) if x.ndim == 4 else x


def whole_number(name: str, value: object, low: int = 1) -> int:
    """``value`` if it is a whole number >= ``low`` (not a bool); else ValueError naming it.
    For layer constructors: a size of 0 or a stride of 0 used to pass and fail later, with a
    ZeroDivisionError or a reshape error far from the cause."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{name} must be a whole number >= {low}, not {value!r}")
    return int(value)


def tensor(table: str, key: str, doc: str) -> Any:
    """A PyTorch-style attribute for a layer's ``params`` or ``buffers`` entry (``conv.weight``,
    ``bn.running_var``): reading gives that very array; assigning copies the values into it,
    so every view of it (the weight matrix a convolution multiplies by) stays in step. A
    value of another shape is a ValueError."""

    def get(layer: Layer) -> Array:
        array: Array = getattr(layer, table)[key]
        return array

    def put(layer: Layer, value: object) -> None:
        target = get(layer)
        values = np.asarray(value)
        if values.shape != target.shape:
            raise ValueError(f"{key} is {target.shape}; cannot set it from {values.shape}")
        target[...] = values

    return property(get, put, doc=doc)


class Layer:
    """Base layer: ``forward(x, *, training)`` keeps what ``backward(dy) -> dx`` needs.

    ``params`` and ``grads`` are dicts with the same keys (PyTorch names); ``buffers`` holds
    non-trained state saved with the weights (e.g. batch-norm running statistics).
    Subclasses override ``forward_cl`` / ``backward_cl`` (channels-last) or, for layers whose
    layout does not matter, leave the defaults that call ``forward`` / ``backward``.
    """

    name: str = ""
    """The layer's name in its Sequential (which sets it), for messages; "" on its own."""

    def __init__(self) -> None:
        self.params: dict[str, Array] = {}
        self.grads: dict[str, Array] = {}
        self.buffers: dict[str, Array] = {}

    # Public NCHW contract ---------------------------------------------------------------
    def forward(self, x: Array, *, training: bool = False) -> Array:
        """x: (N, C, H, W) or (N, F) -> y in the same convention."""
        return to_cf(self.forward_cl(to_cl(x), training=training))

    def backward(self, dy: Array) -> Array:
        """dy: gradient of the loss w.r.t. the last ``forward`` output -> dx; fills ``grads``."""
        dx = self.backward_cl(to_cl(dy))
        assert dx is not None
        return to_cf(dx)

    # Channels-last contract used by Sequential -----------------------------------------
    def forward_cl(self, x: Array, *, training: bool = False) -> Array:
        """x: (N, H, W, C) or (N, F)."""
        raise NotImplementedError

    def backward_cl(self, dy: Array, *, need_input_grad: bool = True) -> Array | None:
        """dy: (N, H, W, C) or (N, F); returns dx, or None when ``need_input_grad`` is False."""
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        """Exactly the constructor's architecture arguments: ``type(l)(**l.get_config())``."""
        return {}

    _cache: tuple[str, ...] = ()
    """Attributes holding what backward needs from the last forward (released by ``release``)."""

    def release(self) -> None:
        """Drop the arrays kept for backward (Sequential does this before a new forward, so
        the previous batch's activations are not alive while the next one is computed)."""
        for name in self._cache:
            setattr(self, name, None)

    def replica(self, shard: Shard) -> Layer:
        """A copy for one part of a data-parallel pass (``nn.data_parallel``): it shares this
        layer's parameters and buffers (the same arrays), and has its own gradients (of its
        part of the batch) and backward caches. Methods patched onto this instance (timing
        wrappers) are not carried over: they are bound to this layer, not to the copy.
        Layers whose result depends on the whole batch override this to use ``shard``."""
        twin = copy.copy(self)
        for name in ("forward_cl", "backward_cl", "forward", "backward"):
            twin.__dict__.pop(name, None)
        twin.grads = {key: np.zeros_like(value) for key, value in self.grads.items()}
        twin.release()
        return twin

    def zero_grad(self) -> None:
        """Set every gradient to zero."""
        for g in self.grads.values():
            g.fill(0.0)

    def astype(self, dtype: DTypeLike) -> None:
        """Convert parameters, gradients and buffers in place (float64 for gradient checks)."""
        for store in (self.params, self.grads, self.buffers):
            for key, value in store.items():
                store[key] = value.astype(dtype)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"

    def described(self) -> str:
        """``conv1 = Conv2d(...)`` inside a Sequential, else ``Conv2d(...)``: for messages."""
        return f"{self.name} = {self!r}" if self.name else repr(self)

    def _refuse_input(self, problem: str) -> NoReturn:
        """Raise the ValueError of an input this layer cannot take, naming the layer."""
        raise ValueError(f"{self.described()}: {problem}")


class ElementwiseLayer(Layer):
    """A layer whose result does not depend on the memory layout (ReLU, Dropout)."""

    def forward_cl(self, x: Array, *, training: bool = False) -> Array:
        return self.forward(x, training=training)

    def backward_cl(self, dy: Array, *, need_input_grad: bool = True) -> Array | None:
        return self.backward(dy)
