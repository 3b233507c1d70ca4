"""The context layer: what a writer's earlier drawings add to the network's logits.

From the history it takes three things (`writer_frame` → `Frame`):

* the writer's scale — the median over the history of (log height − the height that drawing's
  class usually has against its writer's scale, weighted by what the network reads it as);
* the writer's mix of groups — how much of the history the network reads as digits, capitals,
  small letters (Laplace-smoothed towards the training mix). A drawing the network reads as
  one of a look-alike family (v or V) says which group it is only as surely as the network
  splits the family: otherwise a writer of nothing but v, half of them read as V by shape,
  would look like a writer of capitals, and that mix would make the next v a V too;
* the writer's baseline — the median over the history of (bottom − where that drawing's class
  usually ends against the baseline, in units of the writer's scale), and how much it wobbles
  (its robust spread): a form with several rows, or a free canvas, wobbles a lot.

A drawing's height and width against that scale (`r`, `rw`, log ratios, clipped to the range
seen in training), where its bottom and top sit against the baseline (`pb`, `pt`, in units of
the writer's scale) and the mix give class-specific terms added to the fixed network logits:

    z_c = a·L_c + g·gauss_c(r) + (q·s + q'·(1 − s))·place_c(pb, pt)
          + m·log(θ_group(c) / π_group(c)) + W_c · f + b_c
    p = softmax(z / T[set, has history])

with f = [r, r², rw, log θ/π per group, 1] · has_history. `place_c` is the log likelihood of
the drawing's bottom and top under class c's usual place, its spread widened by the
baseline's wobble, so a wobbly history makes it flat; s (`Frame.lined`: 1 when the history's
bottoms line up better than their centres, as on a line of writing, 0 when the centres do, as
on a free canvas) lets the fit trust position as much as each kind of history earned. The
temperature T is fitted per character set (letters and digits, symbols, all) and for readings
with and without history. An earlier drawing counts towards the frame as the reader answered
it — its own reading, with the history it had — rather than as the network alone read it
(`reads_history`; `ocrpad.reading.rereading`). Every number is fitted
(`ocrpad.reading.fit`) and stored in the model file under ``reader.*`` keys (`context_file`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from functools import cached_property
from typing import Final

import numpy as np
from numpy.typing import NDArray

from ocrpad.reading.device import DeviceCorrection
from ocrpad.reading.families import family_table, group_of
from ocrpad.reading.geometry import tells_size
from ocrpad.reading.trace import TraceNet

F64 = NDArray[np.float64]
HISTORY_CAP: Final = 30  # at most this many of the newest earlier drawings are used
ARRAY_KEYS: Final = ("height_mu", "height_sd", "group_prior", "weights", "bias")
PLACE_KEYS: Final = ("place_mu", "place_sd")  # optional: files from before position lack them
LABELLED_ARRAY_KEYS: Final = ("weights", "bias")
LABELLED_META_KEYS: Final = (
    *("gauss_weight", "mix_weight", "logit_scale", "temperature", "temperatures"),
    *("place_weight", "wobbly_weight", "like_weight", "like_width"),
)
"""What the head for labelled histories has of its own (`ContextLayer.labelled`)."""
SETS: Final = ("default", "symbols", "all")
"""Rows of `ContextLayer.temperatures`: the set a reading answers from (see `set_kind`)."""


def feature_count(groups: int) -> int:
    """Length of f: r, r², rw, one log-ratio per group, has_history."""
    return 3 + groups + 1


def given(probs: NDArray[np.floating], known: NDArray[np.int64]) -> F64:
    """Class probabilities (N, C) with each drawing whose class is `known` (N,; −1: not
    known) put wholly on that class, as a labelled history drawing counts (`reader.Labelled`)."""
    out = np.array(probs, dtype=np.float64)
    told = known >= 0
    out[told] = np.eye(out.shape[1])[known[told]]
    return out


def set_kind(allowed: Collection[str]) -> str:
    """Which temperature a reading restricted to `allowed` uses: "symbols" when it answers only
    symbols, "default" when it answers no symbol, "all" for a mix."""
    groups = {group_of(c) == "other" for c in allowed}
    if groups == {True}:
        return "symbols"
    return "default" if groups == {False} else "all"


@dataclass(frozen=True)
class Frame:
    """What a history says about its writer, for N drawings (each array's first axis is N):
    log `scale` (N,), group mix `theta` (N, G), `base` line y (N,; NaN: unknown), its wobble
    `spread` (N,) in units of the writer's scale, how much better the history's bottoms line
    up than their centres, `lined` (N,; 1: a baseline, 0: centred drawings, as on a free
    canvas; 0.5 unknown), `has` (N,) 1 where there was history, and `like` (N, C) the
    votes of earlier drawings shaped like this one (`likeness`; None: none)."""

    scale: F64
    theta: F64
    base: F64
    spread: F64
    lined: F64
    has: F64
    like: F64 | None = None

    @staticmethod
    def empty(layer: ContextLayer, n: int) -> Frame:
        """No history for n drawings."""
        prior, nan = np.tile(layer.group_prior, (n, 1)), np.full(n, np.nan)
        like = np.zeros((n, len(layer.labels)))
        return Frame(np.zeros(n), prior, nan, nan.copy(), np.full(n, 0.5), np.zeros(n), like)


@dataclass(frozen=True)
class HeadParts:
    """The terms `ContextLayer.head` adds, each (N, C), in the order it adds them: `shape`
    (logit_scale · the network's logits), `size` (gauss_weight · the height likelihood), `mix`
    (mix_weight · log θ/π of each class's group), `fitted` (f @ weightsᵀ: r, r², rw, the mix
    by group and has-history, `reading.reasons` splits it by feature), `bias`, `place`
    (position against the baseline) and `likeness` (earlier drawings shaped like this one);
    `f` (N, K) the features."""

    shape: F64
    size: F64
    mix: F64
    fitted: F64
    bias: F64
    place: F64
    likeness: F64
    f: F64

    def total(self) -> F64:
        """Their sum (N, C), added in the order the head has always added them."""
        z = self.shape + self.size + self.mix + self.fitted + self.bias
        return np.asarray(z + self.place + self.likeness)


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
    temperature: float = 1.0  # the only temperature of files without `temperatures`
    place_mu: F64 | None = None  # (C, 2) usual (bottom, top) against the baseline, in scales
    place_sd: F64 | None = None  # (C, 2) their robust spread on writers with a steady baseline
    place_weight: float = 0.0  # on the place term of a history written on a line
    wobbly_weight: float = 0.0  # … of a history of centred drawings (as on a free canvas)
    place_clip: float = 3.0  # |pb|, |pt| limit
    guide_spread: float = 0.2  # a steady writer's baseline wobble (used with writing guides)
    like_weight: float = 0.0  # on the likeness term (`reading.likeness`)
    like_width: float = 0.2  # its width
    temperatures: F64 | None = None  # (len(SETS), 2): per set, without / with history
    # True: an earlier drawing counts as the reader answered it (`reading.rereading`), not
    # as the network alone read it; files from before that read as before (False)
    reads_history: bool = False
    # what a coarse trace's network logits lack (`reading.device`); None: no correction
    device: DeviceCorrection | None = None
    # how the drawing was drawn (`reading.trace`), added to the network's logits; None: not
    trace: TraceNet | None = field(default=None, repr=False, compare=False)
    # the same layer with its head fitted on labelled histories (`reader.Labelled`) or None
    labelled: ContextLayer | None = field(default=None, repr=False, compare=False)
    # classes it was not fitted for (a fine-tune's new ones, `aligned.aligned`): in no group
    unfitted: frozenset[str] = field(default=frozenset(), repr=False)

    def for_history(self, labelled: bool) -> ContextLayer:
        """The head for a history that is mostly labelled (True) or read by the network."""
        return self.labelled if labelled and self.labelled is not None else self

    def network_read(self, net_logits: F64, coarseness: F64) -> F64:
        """The network's logits (N, C) with the device correction for drawings of
        `coarseness` (N,; `geometry.coarseness`, NaN: none) added: what the rest of the layer
        reads as the network's logits."""
        logits = np.asarray(net_logits, dtype=np.float64)
        if self.device is None:
            return logits
        return self.device.applied(logits, coarseness)

    @cached_property
    def group_index(self) -> NDArray[np.int64]:
        """(C,) index into `groups` of each class (−1: a group the layer does not know, or a
        class it was not fitted for: a taught "Δ" is no symbol, and counts in no group)."""
        where = {g: i for i, g in enumerate(self.groups)}
        index = [where.get(group_of(c), -1) for c in self.labels]
        return np.where([c in self.unfitted for c in self.labels], -1, index).astype(np.int64)

    @cached_property
    def families(self) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
        """`families.family_table` of `labels`."""
        return family_table(self.labels)

    def group_evidence(self, probs: F64) -> F64:
        """(k, C) the part of each history drawing's class probabilities (k, C) that says
        which group it is. Within a look-alike family the network's split is scaled by how
        sure it is: all of it for a family member it is certain of, none when it cannot tell
        the members apart (share of the likeliest member 1/m for a family of m). A drawing
        whose class was given is one-hot (`given`), so it counts whole."""
        out = np.array(probs, dtype=np.float64)
        columns, real = self.families
        if not len(columns):
            return out
        members = real.sum(axis=1)  # (F,)
        part = np.where(real, out[:, columns], 0.0)  # (k, F, m)
        share = part.max(axis=2) / np.maximum(part.sum(axis=2), 1e-12)  # (k, F)
        sure = np.clip((share * members - 1) / (members - 1), 0.0, 1.0)
        out[:, columns[real]] = (part * sure[:, :, None])[:, real]
        return out

    @property
    def knows_place(self) -> bool:
        return self.place_mu is not None and self.place_sd is not None

    # --- the history ---------------------------------------------------------------------
    def writer_frame(
        self,
        log_heights: F64,
        probs: F64,
        bottoms: F64 | None = None,
        tops: F64 | None = None,
        log_widths: F64 | None = None,
    ) -> tuple[float, F64, float, float, float]:
        """History of k drawings: log heights (k,), class probabilities (k, C) (the network's
        reading, or one-hot where the class was given), bottoms and tops (k,; y down, NaN
        unknown), log widths (k,) → (log scale, group mix θ (G,), baseline y, its wobble, lined:
        how much steadier the bottoms are than the centres, 0 … 1; see `Frame`). Flat strokes
        (`geometry.tells_size`) do not count towards the scale; with only those, it and the
        baseline are NaN."""
        index, evidence = self.group_index, self.group_evidence(probs)
        known = index >= 0
        mass = np.zeros((len(probs), len(self.groups)))  # (k, G)
        for g in range(len(self.groups)):
            mass[:, g] = evidence[:, known & (index == g)].sum(axis=1)
        g_count = len(self.groups)
        theta = (mass.sum(axis=0) + g_count * self.group_prior) / (mass.sum() + g_count)
        base = spread = float("nan")
        sizing = (
            np.ones(len(probs), bool) if log_widths is None else tells_size(log_heights, log_widths)
        )
        if not sizing.any():  # only flat strokes: their height says nothing of the writer's
            return base, theta, base, spread, 0.5
        expected = probs @ self.height_mu  # (k,) the height each drawing's class usually has
        scale = float(np.median(log_heights[sizing] - expected[sizing]))
        lined = 0.5
        if self.place_mu is not None and bottoms is not None:
            unit = float(np.exp(scale))
            usual = probs @ self.place_mu  # (k, 2) where each drawing's class usually sits
            lines = bottoms - unit * usual[:, 0]  # (k,) baseline estimates
            lines = lines[np.isfinite(lines)]
            if len(lines):
                base = float(np.median(lines))
                spread = 1.4826 * float(np.median(np.abs(lines - base))) / unit
            if tops is not None and len(lines):
                centres = (bottoms + tops) / 2 - unit * usual.mean(axis=1)
                centres = centres[np.isfinite(centres)]
                wobble = 1.4826 * float(np.median(np.abs(centres - np.median(centres)))) / unit
                both = spread**2 + wobble**2
                lined = wobble**2 / both if both > 0 else 0.5
        return scale, theta, base, spread, lined

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

    def place(self, top: F64, bottom: F64, frame: Frame) -> F64:
        """(N, C) log likelihood of each drawing's bottom and top (N,) against its writer's
        baseline under each class's usual place (heavy-tailed: a drawing far off its row costs
        little more than one a little off); 0 where the baseline is unknown."""
        n = len(top)
        if self.place_mu is None or self.place_sd is None:
            return np.zeros((n, len(self.labels)))
        known = np.isfinite(frame.base) & np.isfinite(top) & np.isfinite(bottom) & (frame.has > 0)
        unit = np.exp(frame.scale)
        base = np.where(known, frame.base, 0.0)
        spread = np.where(known, frame.spread, 0.0)
        out = np.zeros((n, len(self.labels)))
        for k, y in enumerate((bottom, top)):
            at = np.clip(np.where(known, (y - base) / unit, 0.0), -self.place_clip, self.place_clip)
            var = self.place_sd[None, :, k] ** 2 + spread[:, None] ** 2  # (N, C)
            gap = (at[:, None] - self.place_mu[None, :, k]) ** 2 / var
            out -= np.log1p(0.5 * gap) + 0.5 * np.log(var)  # heavy-tailed (Cauchy-like)
        out -= out.mean(axis=1, keepdims=True)  # only differences between classes matter
        return np.where(known[:, None], out, 0.0)

    def head_parts(self, net_logits: F64, geometry: F64, frame: Frame) -> HeadParts:
        """The terms of `head` for network logits (N, C) and geometry (N, 4 or 5): log height,
        log width, top, bottom (NaN top/bottom: position unknown) and coarseness, which the
        head does not use: it is in the network's logits (`network_read`)."""
        f, gauss, mix = self.terms(
            geometry[:, 0], geometry[:, 1], frame.scale, frame.theta, frame.has
        )
        none = np.zeros_like(gauss)
        place = none
        if self.place_weight or self.wobbly_weight:
            lined = frame.lined[:, None]
            weight = self.place_weight * lined + self.wobbly_weight * (1 - lined)
            place = weight * self.place(geometry[:, 2], geometry[:, 3], frame)
        like = none if not self.like_weight or frame.like is None else self.like_weight * frame.like
        return HeadParts(
            shape=self.logit_scale * net_logits,
            size=self.gauss_weight * gauss,
            mix=self.mix_weight * mix,
            fitted=f @ self.weights.T,
            bias=np.broadcast_to(self.bias, gauss.shape),
            place=place,
            likeness=like,
            f=f,
        )

    def head(self, net_logits: F64, geometry: F64, frame: Frame) -> F64:
        """Uncalibrated logits (N, C): the sum of `head_parts`."""
        return self.head_parts(net_logits, geometry, frame).total()

    def temperature_of(self, kind: str, has: F64) -> F64:
        """(N, 1) temperature for readings from set `kind` (see `set_kind`), by has-history."""
        if self.temperatures is None:
            return np.full((len(has), 1), self.temperature)
        row = self.temperatures[SETS.index(kind)]
        return np.asarray(np.where(has > 0, row[1], row[0])[:, None], dtype=np.float64)

    def logits(self, net_logits: F64, geometry: F64, frame: Frame, kind: str = "default") -> F64:
        """Calibrated logits (N, C) = head / T for a reading from set `kind`."""
        return np.asarray(
            self.head(net_logits, geometry, frame) / self.temperature_of(kind, frame.has)
        )
