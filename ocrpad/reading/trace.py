"""The trace network: how a drawing was drawn, beside what it looks like.

The convolutional network sees the 28×28 image, in which a 5 whose bar was drawn last looks
like one drawn first, and an 8-point trace of a 1 with a long flag like a 7. The pen's path
tells them apart: where the drawing starts, which way each part runs, in what order. The trace
network reads that path: the drawing's strokes joined into one polyline (the pen-up moves
included, as a device that loses them would give it), resampled to `TRACE_POINTS` points evenly
along it, in units of the drawing's box (centred, aspect kept), with the direction of travel
at every point (`trace_features`). A small dense network (`TraceNet`) reads those numbers; its
log-probabilities, times a weight fitted on the held-out writers, are added to the
convolutional network's logits before the rest of the reader (`ContextLayer.network_read`).

The two make different mistakes, so together they read better than either: see the model
card (weights/README.md, "The trace network"). A picture has no strokes and gets no trace
term. The trace network is stored with the reader's context layer (arrays `reader.trace.*`,
`meta["reader"]["trace"]`) and fitted by `ocrpad-fit-reader` (`reading.trace_fit`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from ocrpad import bounds
from ocrpad.data.coarse import resample_polyline
from ocrpad.data.unipen import StrokeDataset
from ocrpad.nn.functional import log_softmax
from ocrpad.nn.layers import Dense, Dropout, ReLU
from ocrpad.nn.sequential import Sequential
from ocrpad.strokes import flatten_strokes

F32 = NDArray[np.float32]
F64 = NDArray[np.float64]
TRACE_POINTS: Final = 32
"""Points along the joined polyline: enough for any character's turns at UNIPEN's density,
and an 8-point trace resampled to it keeps its corners."""
FEATURE_COUNT: Final = 4 * TRACE_POINTS  # x, y, and the unit direction (dx, dy) at each point
PREFIX: Final = "reader.trace."


def trace_features(points: NDArray[np.floating[Any]], offsets: NDArray[np.int64]) -> F32:
    """(FEATURE_COUNT,) float32 of one drawing, flat (points (P, 2), stroke offsets (S+1,)):
    x of every point, then y, then the unit direction to the next point in x and in y (the
    last point repeats the one before; a dot's directions are 0). Coordinates are centred on
    the drawing's box and divided by its longer side, so they lie in [−0.5, 0.5]."""
    p = np.asarray(points, dtype=np.float64)
    if len(p) == 0:
        return np.zeros(FEATURE_COUNT, np.float32)
    low, high = p.min(axis=0), p.max(axis=0)
    size = max(float((high - low).max()), 1e-9)
    path = resample_polyline((p - (low + high) * 0.5) / size, TRACE_POINTS)  # (T, 2)
    step = np.diff(path, axis=0)  # (T-1, 2)
    length = np.hypot(step[:, 0], step[:, 1])[:, None]
    unit = np.divide(step, length, out=np.zeros_like(step), where=length > 1e-9)
    unit = np.concatenate([unit, unit[-1:]])  # (T, 2)
    return np.concatenate([path[:, 0], path[:, 1], unit[:, 0], unit[:, 1]]).astype(np.float32)


def dataset_features(data: StrokeDataset) -> F32:
    """(N, FEATURE_COUNT) `trace_features` of every drawing of `data`."""
    out = np.zeros((len(data), FEATURE_COUNT), np.float32)
    for i in range(len(data)):
        out[i] = trace_features(*data.flat(i))
    return out


def build_trace_network(hidden: int, classes: int, rng: np.random.Generator) -> Sequential:
    """features (N, FEATURE_COUNT) → logits (N, classes): three dense layers of `hidden`
    units with ReLU, dropout 0.1 / 0.2 / 0.2 while training."""
    return Sequential(
        [
            ("fc1", Dense(FEATURE_COUNT, hidden, rng=rng)),
            ("relu1", ReLU()),
            ("drop1", Dropout(0.1, rng=rng)),
            ("fc2", Dense(hidden, hidden, rng=rng)),
            ("relu2", ReLU()),
            ("drop2", Dropout(0.2, rng=rng)),
            ("fc3", Dense(hidden, hidden, rng=rng)),
            ("relu3", ReLU()),
            ("drop3", Dropout(0.2, rng=rng)),
            ("out", Dense(hidden, classes, rng=rng)),
        ]
    )


@dataclass(frozen=True, eq=False)
class TraceNet:
    """A fitted trace network: its classes (`labels`), the network and the `weight` its
    log-probabilities get beside the convolutional network's logits."""

    labels: tuple[str, ...]
    network: Sequential
    weight: float
    # False: an earlier drawing counts as history as the reader answers it without the trace
    # term (a writer's unusual stroke order then weighs once, on the drawing being read, not
    # again through their history); True: with it, as the first files with a trace network
    in_history: bool = True

    @property
    def hidden(self) -> int:
        layer = self.network["fc1"]
        assert isinstance(layer, Dense)
        return layer.out_features

    def log_probs(self, features: NDArray[np.floating[Any]]) -> F64:
        """(N, len(labels)) log-probabilities of drawings' `trace_features` (N, F)."""
        x = np.ascontiguousarray(features, dtype=np.float32).reshape(-1, FEATURE_COUNT)
        return np.asarray(log_softmax(self.network.predict(x).astype(np.float64)))

    def term(self, features: NDArray[np.floating[Any]], labels: Sequence[str]) -> F64:
        """(N, len(labels)) what the trace adds to the logits of a model with `labels`:
        `weight` × its log-probability of each class. A class it was not trained for (a
        class taught in a fine-tune) gets the best of the row: the trace has no say against
        it."""
        known = self.log_probs(features)
        where = {c: i for i, c in enumerate(self.labels)}
        out = np.repeat(known.max(axis=1, keepdims=True), len(labels), axis=1)
        mine = [k for k, c in enumerate(labels) if c in where]
        out[:, mine] = known[:, [where[labels[k]] for k in mine]]
        return np.asarray(self.weight * out)

    def to_file(self) -> tuple[dict[str, F32], dict[str, Any]]:
        """Arrays (keyed ``reader.trace.<layer>.<name>``) and the JSON for
        ``meta["reader"]["trace"]``."""
        arrays = {
            PREFIX + k: np.asarray(v, np.float32) for k, v in self.network.state_dict().items()
        }
        meta = {
            "labels": list(self.labels),
            "hidden": self.hidden,
            "points": TRACE_POINTS,
            "weight": float(self.weight),
            "in_history": bool(self.in_history),
        }
        return arrays, meta

    @staticmethod
    def array_shapes(meta: Mapping[str, Any]) -> dict[str, tuple[int, ...]]:
        """The shape of every ``reader.trace.*`` array the file of `meta` holds."""
        hidden, classes = int(meta["hidden"]), len(meta["labels"])
        if not (1 <= hidden <= bounds.MAX_HIDDEN_UNITS and 1 <= classes <= bounds.MAX_CLASSES):
            raise ValueError(f"a trace network of {hidden} units and {classes} classes")
        shapes: dict[str, tuple[int, ...]] = {}
        for name, inputs, outputs in (
            ("fc1", FEATURE_COUNT, hidden),
            ("fc2", hidden, hidden),
            ("fc3", hidden, hidden),
            ("out", hidden, classes),
        ):
            shapes[f"{PREFIX}{name}.weight"] = (outputs, inputs)
            shapes[f"{PREFIX}{name}.bias"] = (outputs,)
        return shapes

    @classmethod
    def from_file(cls, arrays: Mapping[str, Any], meta: Any) -> TraceNet:
        """The trace network stored in a model file; ValueError naming what is wrong."""
        if not isinstance(meta, dict):
            raise ValueError("meta['reader']['trace'] must be an object")
        try:
            labels = tuple(str(c) for c in meta["labels"])
            hidden, weight = int(meta["hidden"]), float(meta["weight"])
            points = int(meta["points"])
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"meta['reader']['trace'] is incomplete: {error}") from None
        if points != TRACE_POINTS:
            raise ValueError(
                f"the trace network reads {points} points; this ocrpad reads {TRACE_POINTS}"
            )
        if not np.isfinite(weight):
            raise ValueError("meta['reader']['trace'] has a weight that is not finite")
        state = {}
        for key, shape in cls.array_shapes(meta).items():
            if key not in arrays:
                raise ValueError(f"the model file lacks {key}")
            value = np.asarray(arrays[key], np.float32)
            if value.shape != shape or not np.isfinite(value).all():
                raise ValueError(
                    f"{key} has shape {value.shape} (expected {shape}) or "
                    "values that are not finite"
                )
            state[key[len(PREFIX) :]] = value
        network = build_trace_network(hidden, len(labels), np.random.default_rng(0))
        network.load_state_dict(state)
        return cls(labels, network, weight, bool(meta.get("in_history", True)))


def with_trace(
    trace: TraceNet | None,
    logits: F64,
    drawings: Sequence[Iterable[Any]],
    labels: Sequence[str],
) -> F64:
    """Network logits (n, C) over `labels` of `drawings` (each a sequence of (k, 2) strokes)
    with the trace network's term added, or as they are without a trace network."""
    if trace is None or not drawings:
        return logits
    return np.asarray(logits + trace.term(traces_of(drawings), labels))


def traces_of(drawings: Sequence[Iterable[Any]]) -> F32:
    """(n, FEATURE_COUNT) `trace_features` of drawings, each a sequence of (k, 2) strokes."""
    return np.stack([trace_features(*flatten_strokes(list(d))) for d in drawings])
