"""The device correction: what the network's logits lack for a coarse trace.

Other pens, cheap tablets and fast mouse strokes give few points, so a curve becomes a handful
of straight segments, and a recorder that loses pen-up events joins the strokes into one
polyline (`ocrpad.data.coarse`). The network was trained on such traces too, but it still
reads them with a lean towards some classes. A per-class offset fitted on coarse traces of the
training writers' drawings takes that lean out:

    z_c = net_c + sigmoid(slope · s + offset) · u_c

with s the drawing's `geometry.coarseness` (log mean segment length over its size). The gate
sigmoid(slope · s + offset) is fitted together with u on the same drawings once as written and
once made coarse (`DEVICE_POINTS`, `DEVICE_SAMPLING`), so a pen tablet's dense trace gets
almost none of the correction and a coarse one most of it. The rest of the reader reads the
corrected logits as the network's (`ContextLayer.network_read`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
from numpy.typing import NDArray

from ocrpad.data.coarse import Sampling, coarse_dataset
from ocrpad.data.unipen import StrokeDataset
from ocrpad.reading.adam import adam_step
from ocrpad.reading.geometry import coarseness

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

DEVICE_POINTS: Final = (4, 16)
DEVICE_SAMPLING: Final = "either"
"""The correction is fitted on the training writers' drawings joined into one polyline and
resampled to 4–16 points, half of them evenly along the ink and half evenly in time
(`coarse_dataset(..., by="either")`): the range of coarse traces cheap tablets, lost pen-up
events and fast mouse strokes give, not one simulation of them. Chosen on the held-out
writers (network alone, 30,000-drawing fits, digits read): fitted on 8 arc-length points only,
the correction lifted that very protocol (0.9397 → 0.9470) but not 6-point or time-sampled
traces (0.8958 → 0.8958, 0.8720 → 0.8684), and on the test writers it lowered them; this mix
lifts the coarsest traces (6 points 0.8958 → 0.9013, 6 in time 0.8720 → 0.8867) and leaves
8, 12 and time-sampled 8 points and the drawings as written where they were."""


@dataclass(frozen=True)
class DeviceCorrection:
    """Fitted offsets `bias` (C,) and the gate's `slope` and `offset` (see the module's text)."""

    bias: F64
    slope: float
    offset: float

    def gate(self, coarseness: F64) -> F64:
        """(N,) the share of the correction for drawings of `coarseness` (N,; NaN: none)."""
        s = np.asarray(coarseness, dtype=np.float64)
        known = np.isfinite(s)
        x = np.clip(self.slope * np.where(known, s, 0.0) + self.offset, -60.0, 60.0)
        return np.where(known, 1.0 / (1.0 + np.exp(-x)), 0.0)

    def applied(self, logits: F64, coarseness: F64) -> F64:
        """Network logits (N, C) with the correction for drawings of `coarseness` (N,)."""
        return np.asarray(logits + self.gate(coarseness)[:, None] * self.bias)


def fit_device(
    logits: F64,
    coarseness: F64,
    y: I64,
    *,
    seed: int = 0,
    steps: int = 600,
    batch: int = 4096,
    lr: float = 0.05,
    l2: float = 1e-4,
    start: tuple[float, float] = (4.0, 7.0),
) -> DeviceCorrection:
    """Cross-entropy fit (Adam, minibatches) of the offsets and the gate on drawings with
    network logits (N, C), coarseness (N,; NaN rows get no correction and teach nothing) and
    classes y (N,). Give it ordinary and coarse traces together: the gate learns to tell them
    apart. `start`: the gate's first (slope, offset), half open at s = −offset/slope."""
    n, c = logits.shape
    s = np.where(np.isfinite(coarseness), coarseness, 0.0)
    known = np.isfinite(coarseness)
    params = {"u": np.zeros(c), "a": np.array([start[0]]), "b": np.array([start[1]])}
    moments = {k: (np.zeros_like(p), np.zeros_like(p)) for k, p in params.items()}
    rng = np.random.default_rng(seed)
    step = 0
    while step < steps:  # minibatches of a fresh permutation each pass over the drawings
        for rows in np.array_split(rng.permutation(n), max(1, n // batch)):
            if step == steps:
                break
            step += 1
            x = np.clip(params["a"] * s[rows] + params["b"], -60.0, 60.0)
            g = np.where(known[rows], 1.0 / (1.0 + np.exp(-x)), 0.0)  # (B,)
            z = logits[rows] + g[:, None] * params["u"]
            e = np.exp(z - z.max(axis=1, keepdims=True))
            d = e / e.sum(axis=1, keepdims=True)
            d[np.arange(len(rows)), y[rows]] -= 1.0
            d /= len(rows)  # dloss/dz (B, C)
            dx = (d @ params["u"]) * g * (1.0 - g)  # (B,) through the gate
            grads = {
                "u": g @ d + l2 * params["u"],
                "a": np.array([dx @ s[rows]]),
                "b": np.array([dx.sum()]),
            }
            adam_step(params, grads, moments, lr, step)
    return DeviceCorrection(params["u"], float(params["a"][0]), float(params["b"][0]))


def device_step(
    read_network: Callable[[StrokeDataset, I64], NDArray[np.floating[Any]]],
    data: StrokeDataset,
    net: F64,
    geometry: F64,
    y: I64,
    writers: tuple[I64, I64],
    points: tuple[int, int] = DEVICE_POINTS,
    seed: int = 0,
    by: Sampling | Literal["either"] = DEVICE_SAMPLING,
) -> tuple[DeviceCorrection, dict[str, Any]]:
    """The fit's step 0 (`ocrpad.reading.fit`): the correction fitted on the training
    writers' drawings (`writers`: rows of the training writers, then of the held-out ones) as
    written and made coarse (`coarse_dataset`: strokes joined, resampled to `points` points
    by arc length or in time as `by` says), and its report: the held-out writers' accuracy
    (network and correction only, every class) on their drawings as written and made coarse
    the same way, before → after. `net` (N, C)
    (the network's logits), `geometry` (N, 5) and `y` (N,) are over the whole data set;
    `read_network` gives the network's logits for a data set whose drawings are made from
    the given rows of `data`."""
    rng = np.random.default_rng(seed)
    keep, held = writers
    rows = {name: r[y[r] >= 0] for name, r in (("fit", keep), ("held", held))}
    coarse_logits, coarse_s = {}, {}
    for name, r in rows.items():
        coarse = coarse_dataset(data.subset(r), points, by=by, rng=rng)
        coarse_logits[name] = np.asarray(read_network(coarse, r), np.float64)
        coarse_s[name] = coarseness(coarse.points, coarse.stroke_offsets, coarse.sample_offsets)
    fit = rows["fit"]
    correction = fit_device(
        np.r_[net[fit], coarse_logits["fit"]],
        np.r_[geometry[fit, 4], coarse_s["fit"]],
        np.r_[y[fit], y[fit]],
        seed=seed,
    )
    h = rows["held"]
    report: dict[str, Any] = {
        "points": list(points),
        "sampling": by,
        "slope": correction.slope,
        "offset": correction.offset,
    }
    for name, z, s in (
        ("as_written", net[h], geometry[h, 4]),
        ("coarse", coarse_logits["held"], coarse_s["held"]),
    ):
        after = correction.applied(z, s)
        report[name] = {
            "accuracy_before": round(float((z.argmax(axis=1) == y[h]).mean()), 4),
            "accuracy_after": round(float((after.argmax(axis=1) == y[h]).mean()), 4),
            "mean_gate": round(float(correction.gate(s).mean()), 3),
        }
    return correction, report
