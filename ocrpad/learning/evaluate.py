"""Classification metrics for a model on a labelled set, with classes matched by character.

`metrics()` returns exactly the figures `ocrpad-eval --json` prints (INTERFACES.md): overall,
balanced (mean per class), look-alike case pairs merged (EMNIST "balanced", 47 classes), top-3,
restricted to the classes present, per group (digits / upper / lower, and symbols when the data
holds them) and per class.
"""

from __future__ import annotations

import string
from collections import Counter
from collections.abc import Sequence
from typing import Any, Final, Protocol

import numpy as np
from numpy.typing import NDArray

from ocrpad.charsets import SYMBOLS

MERGED_LETTERS: Final = "cijklmopsuvwxyz"
"""Lower-case letters whose capital looks the same once scaled; merged like EMNIST balanced."""
GROUPS: Final[dict[str, str]] = {
    "digits": string.digits,
    "upper": string.ascii_uppercase,
    "lower": string.ascii_lowercase,
    "symbols": SYMBOLS,
}
METRIC_KEYS: Final = (
    "samples",
    "accuracy",
    "balanced_accuracy",
    "merged_accuracy",
    "top3_accuracy",
    "restricted_accuracy",
    "per_group",
    "per_class",
)


class Predictor(Protocol):
    def predict_proba(self, x: NDArray[np.float32]) -> NDArray[np.float32]: ...


def predict_in_batches(
    model: Predictor, images: NDArray[np.float32], batch_size: int = 512
) -> NDArray[np.float32]:
    """images: (N, 28, 28) or (N, 1, 28, 28) float32 → probabilities (N, C) float32."""
    x = images[:, None] if images.ndim == 3 else images
    parts = [model.predict_proba(x[i : i + batch_size]) for i in range(0, len(x), batch_size)]
    return np.concatenate(parts).astype(np.float32, copy=False)


def merge_case(char: str) -> str:
    """The merged (47-class) identity of a character: look-alike capitals become lower case."""
    low = char.lower()
    return low if low in MERGED_LETTERS else char


def _masked_argmax(probs: NDArray[np.float32], columns: Sequence[int]) -> NDArray[np.int64]:
    """Argmax over only `columns` (model class indices) → (N,) model class indices."""
    cols = np.asarray(columns, dtype=np.int64)
    return np.asarray(cols[np.argmax(probs[:, cols], axis=1)], dtype=np.int64)


def _mean(values: NDArray[np.bool_]) -> float:
    return float(values.mean()) if values.size else 0.0


def metrics(
    probs: NDArray[np.float32], labels: Sequence[str], truth: Sequence[str]
) -> dict[str, Any]:
    """probs: (N, C) over the model's `labels`; truth: N characters → the metrics dict.

    A true character the model does not know counts as an error everywhere. Classes whose
    probability is 0 in every row were outside the set the answers came from (`ocrpad-eval
    --charset`): `restricted_accuracy` and `per_group` take their argmax over the classes
    the answers could be, and are None where none of those is left (no figure, rather than
    an argmax over zeros).
    """
    index = {c: i for i, c in enumerate(labels)}
    true_chars = np.asarray(list(truth), dtype=object)
    true_idx = np.array([index.get(c, -1) for c in truth], dtype=np.int64)  # (N,)
    pred_idx = np.argmax(probs, axis=1)
    label_arr = np.asarray(list(labels), dtype=object)
    correct = pred_idx == true_idx
    present = sorted(set(truth), key=lambda c: (index.get(c, len(index)), c))
    per_class = {c: _mean(correct[true_chars == c]) for c in present}
    merged_true = np.array([merge_case(c) for c in truth], dtype=object)
    merged_pred = np.array([merge_case(c) for c in label_arr[pred_idx]], dtype=object)
    top3 = np.argsort(-probs, axis=1)[:, :3]
    answerable: NDArray[np.bool_] = np.ones(len(labels), dtype=bool)  # (C,) the set's classes
    if len(probs):
        answerable = np.asarray(probs.any(axis=0), dtype=bool)
    known = [index[c] for c in present if c in index]
    possible = [k for k in known if answerable[k]]
    restricted: float | None = _mean(correct)
    if known:
        restricted = _mean(_masked_argmax(probs, possible) == true_idx) if possible else None
    return {
        "samples": len(true_idx),
        "accuracy": _mean(correct),
        "balanced_accuracy": float(np.mean(list(per_class.values()))) if per_class else 0.0,
        "merged_accuracy": _mean(merged_true == merged_pred),
        "top3_accuracy": _mean((top3 == true_idx[:, None]).any(axis=1)),
        "restricted_accuracy": restricted,
        "per_group": _per_group(probs, labels, true_chars, true_idx, answerable),
        "per_class": per_class,
    }


def _per_group(
    probs: NDArray[np.float32],
    labels: Sequence[str],
    true_chars: NDArray[Any],
    true_idx: NDArray[np.int64],
    answerable: NDArray[np.bool_],
) -> dict[str, float | None]:
    """Accuracy per group with the argmax restricted to the group's classes (the symbols
    group only when the data holds symbols); None for a group none of whose characters was
    drawn, or whose classes were all outside the set answered from (no figure, not 0%); 0.0
    for one the model does not know."""
    out: dict[str, float | None] = {}
    for name, chars in GROUPS.items():
        rows = np.isin(true_chars, list(chars))
        known = [i for i, c in enumerate(labels) if c in chars]
        columns = [i for i in known if answerable[i]]
        if name == "symbols" and not rows.any():
            continue
        if not rows.any() or (known and not columns):
            out[name] = None
            continue
        if not columns:
            out[name] = 0.0
            continue
        out[name] = _mean(_masked_argmax(probs[rows], columns) == true_idx[rows])
    return out


def confused_pairs(
    labels: Sequence[str], probs: NDArray[np.float32], truth: Sequence[str], top: int = 10
) -> list[tuple[str, str, int]]:
    """Most frequent (true, predicted, count) mistakes, largest first."""
    predicted = [labels[i] for i in np.argmax(probs, axis=1)]
    mistakes = Counter((t, p) for t, p in zip(truth, predicted, strict=True) if t != p)
    return [(t, p, n) for (t, p), n in mistakes.most_common(top)]


def confusion_matrix(
    labels: Sequence[str], probs: NDArray[np.float32], truth: Sequence[str]
) -> NDArray[np.int64]:
    """Counts (C, C): rows true class, columns predicted class, in the model's label order.

    Samples whose true character the model does not know are left out.
    """
    index = {c: i for i, c in enumerate(labels)}
    matrix = np.zeros((len(labels), len(labels)), dtype=np.int64)
    pred = np.argmax(probs, axis=1)
    rows = np.array([index.get(c, -1) for c in truth], dtype=np.int64)
    keep = rows >= 0
    np.add.at(matrix, (rows[keep], pred[keep]), 1)
    return matrix


def accuracy(probs: NDArray[np.float32], targets: NDArray[np.integer[Any]]) -> float:
    """Plain top-1 accuracy for class-index targets (N,)."""
    return _mean(np.argmax(probs, axis=1) == targets)
