"""Optimizers (SGD with momentum, Adam with decoupled weight decay) and LR schedules."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from ocrpad.nn.functional import BufferCache
from ocrpad.nn.module import Array
from ocrpad.nn.parallel import run_parts, threads
from ocrpad.nn.sequential import Sequential

_ROWS_SPLIT_SIZE = 1 << 14
"""Adam splits the rows of parameters at least this large over the threads."""


class HasNetwork(Protocol):
    network: Sequential


def _network(model: Sequential | HasNetwork) -> Sequential:
    return model if isinstance(model, Sequential) else model.network


class Optimizer:
    """Applies the current ``grads`` of a Sequential (or a Model) to its ``params``.

    ``lr`` is checked whenever it is set (a NaN, infinite or negative rate would ruin every
    weight at the next step); ``slot_names`` are the per-parameter states a subclass keeps.
    """

    slot_names: tuple[str, ...] = ()

    def __init__(self, model: Sequential | HasNetwork, lr: float) -> None:
        self.network = _network(model)
        self.lr = lr
        self.steps = 0
        self.slots: dict[str, Array] = {}  # "<slot>:<dotted key>" -> state array

    @property
    def lr(self) -> float:
        """The learning rate of the next step: a finite number >= 0 (ValueError otherwise)."""
        return self._lr

    @lr.setter
    def lr(self, value: object) -> None:
        self._lr = learning_rate(value)

    def _slot(self, name: str, key: str, like: Array) -> Array:
        full = f"{name}:{key}"
        if full not in self.slots:
            self.slots[full] = np.zeros_like(like)
        return self.slots[full]

    def step(self) -> None:
        self.steps += 1
        for key, param, grad in self.network.named_parameters():
            self._update(key, param, grad)

    def _update(self, key: str, param: Array, grad: Array) -> None:
        raise NotImplementedError

    def zero_grad(self) -> None:
        self.network.zero_grad()

    def state_dict(self) -> dict[str, Array]:
        """Arrays only, so it can be saved next to the weights."""
        state = {k: v.copy() for k, v in self.slots.items()}
        state["steps"] = np.array(self.steps, dtype=np.int64)
        state["lr"] = np.array(self.lr, dtype=np.float64)
        return state

    def load_state_dict(self, state: Mapping[str, NDArray[Any]]) -> None:
        """Restore what :meth:`state_dict` saved, all or nothing. ValueError, naming the
        entry, if ``steps`` is not a whole number >= 0, ``lr`` not one finite number >= 0,
        or a slot is not one this optimizer keeps for a parameter of the network, has
        another shape or holds NaN or infinite values. Slots left out start from zero."""
        for name in ("steps", "lr"):
            if name not in state:
                raise ValueError(f"the optimizer state lacks {name!r}")
        steps, lr = np.asarray(state["steps"]), np.asarray(state["lr"])
        if steps.shape != () or steps.dtype.kind not in "iu" or steps < 0:
            raise ValueError(f"the optimizer state's 'steps' is not a whole number >= 0: {steps}")
        if lr.shape != () or lr.dtype.kind not in "iuf":
            raise ValueError(f"the optimizer state's 'lr' is not one number: {lr}")
        params = {key: param for key, param, _ in self.network.named_parameters()}
        slots: dict[str, Array] = {}
        for name, value in state.items():
            if name in ("steps", "lr"):
                continue
            slot, _, key = name.partition(":")
            if slot not in self.slot_names or key not in params:
                raise ValueError(f"the optimizer state has an unknown slot {name!r}")
            array, shape = np.asarray(value), params[key].shape
            if array.shape != shape:
                raise ValueError(f"optimizer slot {name!r} has shape {array.shape}, not {shape}")
            if array.dtype.kind not in "iuf" or not np.isfinite(array).all():
                raise ValueError(f"optimizer slot {name!r} is not all finite numbers")
            slots[name] = array.astype(params[key].dtype)
        self.lr = float(lr)
        self.steps, self.slots = int(steps), slots


def learning_rate(value: object) -> float:
    """``value`` as a float if it is a finite real number >= 0 (0 pauses learning); else
    ValueError. A check of one number, cheap enough for every step's schedule."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(value)
        or value < 0
    ):
        raise ValueError(f"the learning rate must be a finite number >= 0, not {value!r}")
    return float(value)


class SGD(Optimizer):
    """v = momentum * v + g (+ weight_decay * p); p -= lr * v (PyTorch's formulation)."""

    slot_names = ("velocity",)

    def __init__(
        self,
        model: Sequential | HasNetwork,
        lr: float,
        momentum: float = 0.9,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(model, lr)
        self.momentum, self.weight_decay = momentum, weight_decay

    def _update(self, key: str, param: Array, grad: Array) -> None:
        g = grad + self.weight_decay * param if self.weight_decay else grad
        if self.momentum:
            v = self._slot("velocity", key, param)
            v *= self.momentum
            v += g
            g = v
        param -= self.lr * g


class Adam(Optimizer):
    """Adam; ``weight_decay`` > 0 decays the weights directly (decoupled, i.e. AdamW)."""

    slot_names = ("m", "v")

    def __init__(
        self,
        model: Sequential | HasNetwork,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        super().__init__(model, lr)
        self.weight_decay, self.betas, self.eps = weight_decay, betas, eps
        self._scratch = BufferCache()

    def step(self) -> None:
        """One update of every parameter. Large parameters are updated by rows, the rows
        split over the worker threads (one hand-off per step; each row's arithmetic is the
        same as on one thread)."""
        self.steps += 1
        work = []
        for key, param, grad in self.network.named_parameters():
            m, v = self._slot("m", key, param), self._slot("v", key, param)
            tmp = self._scratch.get(key, param.shape, np.result_type(param, grad))
            work.append((param, grad, m, v, tmp))
        big = [arrays for arrays in work if arrays[0].size >= _ROWS_SPLIT_SIZE]
        small = [arrays for arrays in work if arrays[0].size < _ROWS_SPLIT_SIZE]

        parts = threads() if big else 1

        def update(part: int, lo: int, hi: int) -> None:
            for param, grad, m, v, tmp in big:
                rows = slice(param.shape[0] * part // parts, param.shape[0] * (part + 1) // parts)
                self._apply(param[rows], grad[rows], m[rows], v[rows], tmp[rows])
            if part == 0:
                for arrays in small:
                    self._apply(*arrays)

        if parts > 1:
            run_parts(list(range(parts + 1)), update)
        else:
            update(0, 0, 1)

    def _update(self, key: str, param: Array, grad: Array) -> None:
        m, v = self._slot("m", key, param), self._slot("v", key, param)
        tmp = self._scratch.get(key, param.shape, np.result_type(param, grad))
        self._apply(param, grad, m, v, tmp)

    def _apply(self, param: Array, grad: Array, m: Array, v: Array, tmp: Array) -> None:
        """The update of one parameter (or some of its rows), with its moments m and v and a
        scratch array tmp, all of param's shape."""
        b1, b2 = self.betas
        # in place with one reused scratch array: no full-size temporaries per step
        np.multiply(grad, 1 - b1, out=tmp)
        m *= b1
        m += tmp
        np.square(grad, out=tmp)
        tmp *= 1 - b2
        v *= b2
        v += tmp
        if self.weight_decay:
            param *= 1 - self.lr * self.weight_decay
        step_size = self.lr / (1 - b1**self.steps)
        np.divide(v, 1 - b2**self.steps, out=tmp)
        np.sqrt(tmp, out=tmp)
        tmp += self.eps  # the denominator
        np.divide(m, tmp, out=tmp)
        tmp *= step_size
        param -= tmp


def cosine_lr(step: int, total: int, base: float, warmup: int = 0, final: float = 0.0) -> float:
    """Linear warm-up over ``warmup`` steps, then cosine decay from ``base`` to ``final``."""
    if warmup > 0 and step < warmup:
        return base * (step + 1) / warmup
    span = max(total - warmup, 1)
    progress = min(max(step - warmup, 0) / span, 1.0)
    return final + 0.5 * (base - final) * (1.0 + math.cos(math.pi * progress))


def constant_lr(step: int, total: int, base: float, warmup: int = 0, final: float = 0.0) -> float:
    """Linear warm-up, then ``base`` (same signature as :func:`cosine_lr`)."""
    if warmup > 0 and step < warmup:
        return base * (step + 1) / warmup
    return base
