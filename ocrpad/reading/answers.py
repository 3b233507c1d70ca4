"""What a `Reader` takes and gives: history drawings, labelled or not, and a `Reading`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ocrpad.reading import checks

Drawing = Sequence[ArrayLike]


@dataclass(frozen=True)
class Labelled:
    """A history drawing whose character the person has said (a saved sample, a corrected
    answer): the reader takes its class from `label` instead of from the network's reading.
    A label the model does not know counts as unlabelled; one that is not a str is refused."""

    strokes: Drawing
    label: str

    def __post_init__(self) -> None:
        checks.check_label(self.label)


HistoryItem = Drawing | Labelled
"""One earlier drawing: its strokes, or its strokes with the character the person gave it."""


@dataclass(frozen=True)
class Reading:
    """One answer: `probabilities` (len(labels),) float32 over the allowed `labels`, sums to 1.

    `look_alikes`: other allowed members of the answer's look-alike family, likeliest first;
    `height_ratio`: the drawing's height over the writer's usual height: with writing guides,
    over their x-height (`by_guides`), else over the median of the history's (None without
    either);
    `history_used`: how many earlier drawings informed the answer (0 when none could: for a
    dot, a picture, or a history of dots and flat strokes);
    `below_line`: how far the drawing's bottom is below the writer's baseline (negative: above
    it), in the writer's usual heights (None when the reader does not know the baseline);
    `like_earlier`: what the earlier drawing most like this one was read as (or labelled),
    or nearly (at least half as likely), among the allowed labels, and how alike the two are,
    0 … 1 (None without history, or when no class of the set is such: in the digits set a C
    drawn after a C is like no earlier digit);
    `coarse_trace`: how much of the correction for coarse traces (few points, as other pens
    and fast mouse strokes give; `reading.device`) the answer took, 0 … 1 (None: the model
    has no such correction, or the drawing has no strokes).
    `by_guides`: the writing guides, not the history, gave the writer's scale and baseline.
    `runner_up`: the likeliest allowed label after `label` (None: the set has one label);
    `reasons`: why `label` rather than `runner_up` — each part of the reading
    (`reading.reasons.PARTS`: shape, coarse, size, mix, place, likeness, prior) and what it
    added to log(p_label / p_runner_up), largest |value| first; they sum to that log ratio
    (empty without a runner-up).
    """

    label: str
    labels: list[str]
    probabilities: NDArray[np.float32]
    look_alikes: tuple[str, ...] = ()
    height_ratio: float | None = None
    history_used: int = 0
    below_line: float | None = None
    like_earlier: tuple[str, float] | None = None
    coarse_trace: float | None = None
    by_guides: bool = False
    runner_up: str | None = None
    reasons: tuple[tuple[str, float], ...] = ()
