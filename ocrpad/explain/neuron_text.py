"""A neuron trace as one readable line of arithmetic (no Qt).

"0.42·0.91 + 0.88·(−0.3) + … 7 more + bias −0.13 = 1.87 → BN 0.64 → ReLU 0.64"

An output unit's line goes on to the softmax of all the output units:
"… + bias 0.21 = 9.47 → softmax 87% (of 62 outputs)".
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray

from ocrpad.explain.neuron_trace import NeuronTrace, Step
from ocrpad.reading.scoring import percent

SHOWN_TERMS: Final = 2  # input·weight terms written out before "… N more"
MINUS: Final = "\u2212"


def number(value: float) -> str:
    """3 significant digits, a real minus sign: -0.1304 -> "−0.13"."""
    text = f"{value:.3g}"
    return MINUS + text[1:] if text.startswith("-") else text


def factor(value: float) -> str:
    """A number as a factor: in brackets when negative, "(−0.3)"."""
    return f"({number(value)})" if value < 0 else number(value)


def terms_line(pairs: list[tuple[float, float]], count: int, bias: float, total: float) -> str:
    """ "a·b + c·d + … N more + bias e = total" for the strongest (input, weight) pairs."""
    parts = [f"{number(x)}·{factor(w)}" for x, w in pairs]
    if count > len(pairs):
        parts.append(f"… {count - len(pairs)} more")
    parts.append(f"bias {number(bias)}")
    return " + ".join(parts) + f" = {number(total)}"


def step_text(step: Step) -> str:
    """One per-unit step: "BN 0.64" / "ReLU 0.64"."""
    return f"{'BN' if step.kind == 'batchnorm' else 'ReLU'} {number(step.value)}"


def _chained(line: str, trace: NeuronTrace) -> str:
    return " → ".join([line, *(step_text(s) for s in trace.chain)])


def chain_line(trace: NeuronTrace) -> str:
    """The arithmetic of `trace` in one line (see the module docstring)."""
    if trace.kind == "conv" and trace.patch is not None and trace.products is not None:
        assert trace.kernel is not None
        order = np.argsort(-np.abs(trace.products.reshape(-1)), kind="stable")[:SHOWN_TERMS]
        patch, kernel = trace.patch.reshape(-1), trace.kernel.reshape(-1)
        pairs = [(float(patch[i]), float(kernel[i])) for i in order]
        return _chained(terms_line(pairs, trace.products.size, trace.bias, trace.value), trace)
    if trace.kind == "dense":
        pairs = [(c.input, c.weight) for c in trace.contributions[:SHOWN_TERMS]]
        count = len(trace.contributions) + trace.rest_count
        return _chained(terms_line(pairs, count, trace.bias, trace.value), trace)
    if trace.kind == "pool" and trace.window is not None:
        cells = ", ".join(number(float(v)) for v in trace.window.reshape(-1))
        return _chained(f"max({cells}) = {number(trace.value)}", trace)
    step = trace.step
    if step is None:
        return f"{trace.layer} = {number(trace.value)}"
    if step.kind == "relu":
        return f"ReLU({number(step.input)}) = {number(step.value)}"
    std = float(np.sqrt(step.var + step.eps))
    return (
        f"({number(step.input)} {MINUS} mean {number(step.mean)}) / std {number(std)}"
        f" × {number(step.weight)} + {factor(step.bias)} = {number(step.value)}"
    )


def softmax_at(logits: NDArray[np.floating], index: int) -> float:
    """The softmax of `logits` (C,) at `index`, computed stably in float64."""
    z = np.asarray(logits, np.float64)
    e = np.exp(z - z.max())
    return float(e[index] / e.sum())


def output_line(line: str, logits: NDArray[np.floating], index: int) -> str:
    """An output unit's `line` continued to its softmax over all `logits` (C,)."""
    return f"{line} → softmax {percent(softmax_at(logits, index))} (of {len(logits)} outputs)"


def fixed(value: float, decimals: int) -> str:
    """`value` with `decimals` decimals and a real minus sign: -0.0065, 3 -> "−0.007"."""
    text = f"{value:.{decimals}f}"
    return MINUS + text[1:] if text.startswith("-") else text


def sum_decimals(total: float) -> int:
    """Decimals for the numbers of a sum that must add up as written: 3, or as many as the
    total needs for 3 significant digits (at most 8)."""
    magnitude = int(np.floor(np.log10(abs(total)))) if total else 0
    return min(max(3, 2 - magnitude), 8)


def sum_line(products: float, count: int, bias: float, total: float) -> str:
    """The sum under the products grid, in numbers that add up as written:
    "products (all 9) 0.778 + bias 0.080 = 0.858". One number of decimals for all three (3,
    or as many as the total needs for 3 significant digits); the bias and the total are
    rounded, the products written as their difference (within a unit of the last decimal of
    the products' own rounding), so the line adds up to the total the panel shows."""
    decimals = sum_decimals(total)
    scale = 10**decimals
    b, t = round(bias * scale), round(total * scale)
    parts = (fixed((t - b) / scale, decimals), fixed(b / scale, decimals))
    return f"products (all {count}) {parts[0]} + bias {parts[1]} = {fixed(t / scale, decimals)}"
