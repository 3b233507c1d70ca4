"""What the reader accepts: the network logits, geometry, history and known classes it is given.

The reader indexes and broadcasts what its caller passes, so without these checks a history
row of -1 quietly took the last drawing as history, extra history rows were ignored, logits of
the wrong width failed deep inside with a broadcast error and NaN logits came back as a label
with NaN odds. `Reader.answer`, `Reader.read_batch`, `Reader.remember` and `Labelled` call in
here before any work, so bad input fails at once with a ValueError that names what is wrong.

History rows in a batch are the row numbers of the drawing's *other* drawings by the same
writer (`history.session_history`): any row of the batch but its own, each at most once, in
any order of rows (a data set's order is not the order the person wrote in).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import chain
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ocrpad.bounds import number_array
from ocrpad.reading.history import full_geometry
from ocrpad.reading.trace import FEATURE_COUNT

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
Rows = Sequence[Sequence[int]]


def numbers(value: ArrayLike, what: str) -> F64:
    """`value` as a float64 array if it holds real numbers (not bools, text or complex
    numbers); else a ValueError naming `what`."""
    return number_array(value, what).astype(np.float64)


def batch_logits(net_logits: ArrayLike, classes: int) -> F64:
    """Network logits (N, classes), every one finite -> float64 (N, classes)."""
    logits = numbers(net_logits, "the logits")
    if logits.ndim != 2 or logits.shape[1] != classes:
        raise ValueError(
            f"the logits must be (N, {classes}), one row a drawing, not {logits.shape}"
        )
    if not np.isfinite(logits).all():
        raise ValueError("the logits hold NaN or infinite values: every one must be finite")
    return logits


def batch_traces(traces: ArrayLike, count: int) -> F64:
    """`trace_features` (N, F) of `count` drawings, every one finite -> float64 (N, F)."""
    paths = numbers(traces, "the traces")
    if paths.shape != (count, FEATURE_COUNT):
        raise ValueError(
            f"the traces must be ({count}, {FEATURE_COUNT}), one row a drawing, not {paths.shape}"
        )
    if not np.isfinite(paths).all():
        raise ValueError("the traces hold NaN or infinite values: every one must be finite")
    return paths


def one_logits(net_logits: ArrayLike, classes: int) -> F64:
    """One drawing's network logits, (classes,) or (1, classes), finite -> (1, classes)."""
    logits = numbers(net_logits, "the logits")
    if logits.shape not in ((classes,), (1, classes)):
        raise ValueError(
            f"one drawing's logits must be ({classes},) or (1, {classes}), not {logits.shape}"
        )
    return batch_logits(logits.reshape(1, classes), classes)


def batch_geometry(sizes: ArrayLike, count: int) -> F64:
    """Geometry (N, 5), (N, 4) or (N, 2) of `count` drawings -> (N, 5) (`full_geometry`).
    NaN means unknown (a dot has no size); an infinite value is refused."""
    geometry = full_geometry(numbers(sizes, "the geometry"))
    if len(geometry) != count:
        raise ValueError(f"the geometry has {len(geometry)} rows for {count} drawings' logits")
    if np.isinf(geometry).any():
        raise ValueError("the geometry holds an infinite value (NaN marks an unknown one)")
    return geometry


def history_rows(history: Rows | None, count: int) -> list[list[int]] | None:
    """None, or for each of `count` drawings a list of other rows of the batch (whole numbers
    in [0, count), not its own, none twice): its history. Checked all at once (a data set's
    histories hold millions of rows)."""
    if history is None:
        return None
    rows = [_listed(row, f"history row {i}") for i, row in enumerate(_listed(history, "history"))]
    if len(rows) != count:
        raise ValueError(
            f"history rows: {len(rows)}, drawings: {count}; there must be one a drawing"
        )
    flat: list[Any] = list(chain.from_iterable(rows))
    for kind in set(map(type, flat)):
        if kind is bool or not issubclass(kind, int | np.integer):
            bad = next(v for v in flat if type(v) is kind)
            raise ValueError(f"history rows hold row numbers (whole numbers), not {bad!r}")
    owner = np.repeat(np.arange(count), [len(row) for row in rows])  # (M,) the row of each
    listed = np.array(flat, dtype=np.int64).reshape(-1)  # (M,) the rows they name
    for wrong, why in (
        ((listed < 0) | (listed >= count), f"which is not a row of the batch (0 … {count - 1})"),
        (listed == owner, "itself: a drawing is not its own history"),
    ):
        if wrong.any():
            at = int(np.argmax(wrong))
            raise ValueError(f"history row {owner[at]} lists {listed[at]}, {why}")
    pairs, first = np.unique(owner * count + listed, return_index=True)
    if len(pairs) < len(listed):
        at = int(np.setdiff1d(np.arange(len(listed)), first)[0])
        raise ValueError(f"history row {owner[at]} lists {listed[at]} twice")
    return rows


def known_classes(known: ArrayLike | None, count: int, classes: int) -> I64:
    """(N,) class index of each drawing whose class is known, −1 where it is not; None: none
    known. Whole numbers in [−1, classes) only."""
    if known is None:
        return np.full(count, -1, dtype=np.int64)
    array = np.asarray(known)
    if array.dtype.kind not in "iu" or array.shape != (count,):
        raise ValueError(
            f"known must be ({count},) whole numbers (class indices, −1: unknown), "
            f"not {array.dtype} values of shape {array.shape}"
        )
    outside = (array < -1) | (array >= classes)
    if outside.any():
        at = int(np.argmax(outside))
        raise ValueError(f"known[{at}] = {array[at]} is no class index (−1 … {classes - 1})")
    return array.astype(np.int64)


def history_items(history: object) -> list[Any]:
    """The earlier drawings of a history as a list (what is in it is the reader's to judge:
    junk drawings are skipped); a history that is no list of drawings is a ValueError."""
    return _listed(history, "history (the earlier drawings; an empty list for none)")


def check_label(label: object) -> str:
    """A `Labelled` drawing's label: a str (its character)."""
    if not isinstance(label, str):
        raise ValueError(f"a Labelled drawing's label must be a str (its character), not {label!r}")
    return label


def _listed(value: object, what: str) -> list[Any]:
    """`value` as a list if it is an iterable other than text (a list, a tuple, an array, a
    generator); else a ValueError naming `what`."""
    if value is None or isinstance(value, str | bytes | dict) or not isinstance(value, Iterable):
        raise ValueError(f"{what} must be a list, not {value!r}")
    return list(value)
