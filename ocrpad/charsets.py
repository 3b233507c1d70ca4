"""Named character sets: what a reading may answer (the selector in the window, `--charset`).

The shipped model knows 94 classes: digits, capitals, small letters and UNIPEN's 32 ASCII
symbols. Symbols are read only when asked for (the "symbols" set, or "all"): in an ordinary
reading `. , ' - _ | /` would compete with letters and digits they share shapes with (l, 1, I,
o, 0), so the default set stays letters and digits, plus whatever the user taught themselves.
"""

from __future__ import annotations

import string
from collections.abc import Collection, Mapping, Sequence
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

SYMBOLS: Final = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
"""UNIPEN's 32 isolated ASCII symbols (category 1d), in the order of its `mapping`."""

NAMED: Final[dict[str, str]] = {
    "digits": string.digits,
    "upper": string.ascii_uppercase,
    "lower": string.ascii_lowercase,
    "letters": string.ascii_uppercase + string.ascii_lowercase,
    "alnum": string.digits + string.ascii_uppercase + string.ascii_lowercase,
    "symbols": SYMBOLS,
}
"""Set names for `--charset` (and "all": every class of the model; "default": see below)."""


def default_charset(labels: Sequence[str], taught: Collection[str] = ()) -> list[str]:
    """The classes read when no set is chosen: every label but the optional symbols, except
    the ones the user taught in a fine-tune (`taught`)."""
    return [c for c in labels if c not in SYMBOLS or c in taught]


def resolve_charset(spec: str, labels: Sequence[str], taught: Collection[str] = ()) -> list[str]:
    """A set name ("digits", "symbols", "all", "default", …) or the characters themselves →
    the model's labels in it, in model order. Raises ValueError when none is a model class."""
    if spec == "all":
        chosen: Collection[str] = set(labels)
    elif spec == "default":
        chosen = set(default_charset(labels, taught))
    else:
        chosen = set(NAMED.get(spec, spec))
    allowed = [c for c in labels if c in chosen]
    if not allowed:
        raise ValueError(f"no class of the model is in the character set {spec!r}")
    return allowed


def class_counts(labels: Sequence[str]) -> str:
    """What a model's classes are, counted: '62 letters and digits, 32 symbols, 2 of your own'."""
    alnum = sum(c in NAMED["alnum"] for c in labels)
    symbols = sum(c in SYMBOLS for c in labels)
    parts = [(alnum, "letters and digits"), (symbols, "symbols")]
    parts.append((len(labels) - alnum - symbols, "of your own"))
    return ", ".join(f"{n} {what}" for n, what in parts if n)


def restrict(
    probs: NDArray[np.float32], labels: Sequence[str], allowed: Collection[str]
) -> NDArray[np.float32]:
    """probs (N, C) over `labels` → the same with classes outside `allowed` at 0 and every row
    renormalised over the rest (a row with no mass there becomes uniform over them)."""
    keep = np.array([c in allowed for c in labels], dtype=bool)
    out = np.where(keep[None, :], probs, 0.0).astype(np.float32)
    total = out.sum(axis=1, keepdims=True)
    uniform = keep.astype(np.float32) / max(int(keep.sum()), 1)
    out = np.where(total > 0, out / np.maximum(total, 1e-30), uniform[None, :])
    return out.astype(np.float32)


def taught_labels(meta: Mapping[str, Any]) -> set[str]:
    """The characters a fine-tune recorded in a model file's meta taught (none otherwise)."""
    record = meta.get("fine_tune")
    if not isinstance(record, Mapping):
        return set()
    return {str(c) for c in record.get("taught_labels", record.get("new_labels", []))}
