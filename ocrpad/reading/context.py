"""The context layer: what a writer's earlier drawings add to the network's logits.

From the history it takes two things (`writer_frame`):

* the writer's scale — the median over the history of (log height − the height that drawing's
  class usually has against its writer's scale, weighted by what the network reads it as);
* the writer's mix of groups — how much of the history the network reads as digits, capitals,
  small letters (Laplace-smoothed towards the training mix).

A drawing's height and width against that scale (`r`, `rw`, log ratios, clipped to the range
seen in training) and the mix give class-specific terms added to the fixed network logits:

    z_c = a·L_c + g·gauss_c(r) + m·log(θ_group(c) / π_group(c)) + W_c · f + b_c
    p = softmax(z / T)

with f = [r, r², rw, log θ/π per group, 1] · has_history. Every number is fitted
(`ocrpad.reading.fit`) and stored in the model file under ``reader.*`` keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from ocrpad.reading.families import GROUPS, group_of

F64 = NDArray[np.float64]
HISTORY_CAP: Final = 30  # at most this many of the newest earlier drawings are used
ARRAY_KEYS: Final = ("height_mu", "height_sd", "group_prior", "weights", "bias")


def feature_count(groups: int) -> int:
    """Length of f: r, r², rw, one log-ratio per group, has_history."""
    return 3 + groups + 1


@dataclass(frozen=True)
class ContextLayer:
    """Fitted parameters; arrays over `labels` (C classes) and `groups` (G groups)."""

    labels: tuple[str, ...]
    groups: tuple[str, ...]
    height_mu: F64  # (C,) usual log height of each class against its writer's scale
    height_sd: F64  # (C,) its robust spread
    group_prior: F64  # (G,) the training mix of groups
    weights: F64  # (C, K) class-specific weights on f
    bias: F64  # (C,)
    clip: float = 1.5  # |r|, |rw| limit (from the training distribution)
    gauss_weight: float = 0.0
    mix_weight: float = 0.0
    logit_scale: float = 1.0
    temperature: float = 1.0

    @property
    def group_index(self) -> NDArray[np.int64]:
        """(C,) index into `groups` of each class (−1: a group the layer does not know)."""
        where = {g: i for i, g in enumerate(self.groups)}
        return np.array([where.get(group_of(c), -1) for c in self.labels], dtype=np.int64)

    # --- the history ---------------------------------------------------------------------
    def writer_frame(self, log_heights: F64, probs: F64) -> tuple[float, F64]:
        """History of k drawings: log heights (k,), network probabilities (k, C)
        → (the writer's log scale, group mix θ (G,))."""
        expected = probs @ self.height_mu  # (k,) the height each drawing's class usually has
        scale = float(np.median(log_heights - expected))
        index = self.group_index
        known = index >= 0
        mass = np.zeros((len(probs), len(self.groups)))  # (k, G)
        for g in range(len(self.groups)):
            mass[:, g] = probs[:, known & (index == g)].sum(axis=1)
        mass /= np.maximum(mass.sum(axis=1, keepdims=True), 1e-12)
        g_count = len(self.groups)
        theta = (mass.sum(axis=0) + g_count * self.group_prior) / (len(probs) + g_count)
        return scale, theta

    # --- the answer ----------------------------------------------------------------------
    def terms(
        self, log_h: F64, log_w: F64, scale: F64, theta: F64, has: F64
    ) -> tuple[F64, F64, F64]:
        """Per drawing (N,) sizes, scales, has-history and θ (N, G) → f (N, K), the height
        likelihood term (N, C) and the group-mix term (N, C), all zero without history."""
        r = np.clip(log_h - scale, -self.clip, self.clip) * has  # (N,)
        rw = np.clip(log_w - scale, -self.clip, self.clip) * has
        mix = (np.log(theta) - np.log(self.group_prior)) * has[:, None]  # (N, G)
        f = np.column_stack([r, r * r, rw, mix, has])  # (N, K)
        z = (r[:, None] - self.height_mu) / self.height_sd  # (N, C)
        gauss = (-0.5 * z * z - np.log(self.height_sd)) * has[:, None]
        index = self.group_index
        by_class = np.where(index >= 0, mix[:, np.maximum(index, 0)], 0.0)  # (N, C)
        return f, gauss, by_class

    def logits(
        self, net_logits: F64, log_h: F64, log_w: F64, scale: F64, theta: F64, has: F64
    ) -> F64:
        """Calibrated logits (N, C) = z / T for the network's logits (N, C)."""
        f, gauss, mix = self.terms(log_h, log_w, scale, theta, has)
        z = (
            self.logit_scale * net_logits
            + self.gauss_weight * gauss
            + self.mix_weight * mix
            + f @ self.weights.T
            + self.bias
        )
        return np.asarray(z / self.temperature)

    # --- storage -------------------------------------------------------------------------
    def aligned(self, labels: Sequence[str]) -> ContextLayer:
        """The same layer over `labels` (e.g. a fine-tuned model's grown classes): classes it
        was not fitted for get no context terms (weights 0, usual height 0, spread 1)."""
        if tuple(labels) == self.labels:
            return self
        where = {c: i for i, c in enumerate(self.labels)}
        rows = np.array([where.get(c, -1) for c in labels])
        known = rows >= 0

        def take(a: F64, fill: float) -> F64:
            out = np.full((len(labels), *a.shape[1:]), fill, dtype=np.float64)
            out[known] = a[rows[known]]
            return out

        return replace(
            self,
            labels=tuple(labels),
            height_mu=take(self.height_mu, 0.0),
            height_sd=take(self.height_sd, 1.0),
            weights=take(self.weights, 0.0),
            bias=take(self.bias, float(self.bias.mean())),
        )

    def to_file(self) -> tuple[dict[str, NDArray[np.floating[Any]]], dict[str, Any]]:
        """Arrays (keyed ``reader.NAME``) and JSON metadata for the model file."""
        arrays: dict[str, NDArray[np.floating[Any]]] = {
            f"reader.{k}": np.asarray(getattr(self, k), np.float32) for k in ARRAY_KEYS
        }
        meta: dict[str, Any] = {
            "labels": "".join(self.labels),
            "groups": list(self.groups),
            "clip": self.clip,
            "gauss_weight": self.gauss_weight,
            "mix_weight": self.mix_weight,
            "logit_scale": self.logit_scale,
            "temperature": self.temperature,
        }
        return arrays, meta


def from_file(arrays: dict[str, Any], meta: dict[str, Any]) -> ContextLayer:
    """Inverse of `ContextLayer.to_file`; raises ValueError naming what is wrong."""
    try:
        labels = tuple(str(meta["labels"]))
        groups = tuple(str(g) for g in meta["groups"])
        values = {k: np.asarray(arrays[f"reader.{k}"], dtype=np.float64) for k in ARRAY_KEYS}
        scalars = {
            k: float(meta[k])
            for k in ("clip", "gauss_weight", "mix_weight", "logit_scale", "temperature")
        }
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"the reader's context layer is incomplete ({exc!r})") from exc
    c, g = len(labels), len(groups)
    shapes = {
        "height_mu": (c,),
        "height_sd": (c,),
        "group_prior": (g,),
        "weights": (c, feature_count(g)),
        "bias": (c,),
    }
    for key, shape in shapes.items():
        if values[key].shape != shape:
            raise ValueError(f"reader.{key} has shape {values[key].shape}, expected {shape}")
    if not set(groups) <= set(GROUPS) or len(set(labels)) != c:
        raise ValueError("the reader's context layer names unknown groups or repeats a label")
    if (values["height_sd"] <= 0).any() or (values["group_prior"] <= 0).any():
        raise ValueError("the reader's context layer has a non-positive spread or prior")
    if scalars["temperature"] <= 0 or scalars["clip"] <= 0:
        raise ValueError("the reader's context layer has a non-positive temperature or clip")
    return ContextLayer(
        labels=labels,
        groups=groups,
        height_mu=values["height_mu"],
        height_sd=values["height_sd"],
        group_prior=values["group_prior"],
        weights=values["weights"],
        bias=values["bias"],
        **scalars,
    )
