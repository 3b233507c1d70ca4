"""The records of a neuron trace: units, per-unit steps, dense contributions (no Qt).

Filled by ``ocrpad.explain.neuron``; read by scripts, tests and the window's neuron panel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
from numpy.typing import NDArray

F32 = NDArray[np.float32]
F64 = NDArray[np.float64]
Kind = Literal["conv", "batchnorm", "relu", "pool", "dense"]
TOP_CONTRIBUTIONS: Final = 16


@dataclass(frozen=True)
class Unit:
    """One number of the network: `channel`, `row`, `col` of `layer`'s output (dense and
    other flat layers: `channel` is the unit, row = col = 0); ``layer=None`` is an input
    pixel (channel 0)."""

    layer: str | None
    channel: int
    row: int = 0
    col: int = 0


@dataclass(frozen=True)
class Step:
    """One per-unit layer: `value` = f(`input`). Batch norm: value = (input - mean) /
    sqrt(var + eps) * weight + bias; ReLU: value = max(input, 0)."""

    layer: str
    kind: Kind
    input: float
    value: float
    mean: float = 0.0
    var: float = 1.0
    eps: float = 0.0
    weight: float = 1.0
    bias: float = 0.0


@dataclass(frozen=True)
class Contribution:
    """One input of a dense unit: input feature `index` (of the layer below, flattened in
    (C, H, W) order), its value, its weight and their product."""

    index: int
    input: float
    weight: float
    product: float


@dataclass(frozen=True)
class NeuronTrace:
    """How one unit was computed. Common: `layer`, `kind`, `unit`, `value` (the layer's
    output there), `receptive_field` (top, left, bottom, right input pixels, bottom and right
    exclusive: ``image[top:bottom, left:right]``), `below` (the layer whose output this unit
    read, dropout and flatten skipped; None: the input image) and `strongest` (the input
    there that contributed most; its ``layer`` is None for a pixel).

    conv: `patch`, `kernel`, `products` (C, kh, kw) — the patch as read, padding as zeros —
    `origin` (row, col of the patch's top-left in the layer below, negative in the padding),
    `bias`, `total` = products.sum() + bias. conv, pool, dense: `chain` (the batch norm
    and ReLU layers right after it, at the same unit).
    batchnorm, relu: `step`. pool: `window` (k, k), `origin`, `winner` (row, col inside the
    window: the first maximum in row-major order). dense: `contributions` (the top 16 by
    |product|, largest first), `rest` (sum of the other products, `rest_count` of them),
    `bias`, `total`.
    """

    layer: str
    kind: Kind
    unit: Unit
    value: float
    receptive_field: tuple[int, int, int, int]
    below: str | None
    strongest: Unit | None
    patch: F32 | None = None
    kernel: F32 | None = None
    products: F64 | None = None
    origin: tuple[int, int] = (0, 0)
    bias: float = 0.0
    total: float = 0.0
    chain: tuple[Step, ...] = ()
    step: Step | None = None
    window: F32 | None = None
    winner: tuple[int, int] = (0, 0)
    contributions: tuple[Contribution, ...] = ()
    rest: float = 0.0
    rest_count: int = 0
