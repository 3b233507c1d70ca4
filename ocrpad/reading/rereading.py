"""Earlier drawings counted as the reader answered them, not as the network alone read them.

A writer's frame (`ContextLayer.writer_frame`: scale, group mix, baseline) and the likeness
votes (`likeness`) are built from the class probabilities of the writer's earlier drawings.
The network alone misreads many of those drawings, and mostly the look-alikes the frame is
there to settle (a writer's S read as s, their 0 read as O). A frame built from those
misreadings carries them into the next answer. The reader's own answer for an earlier drawing,
made with that drawing's own history, is right more often. A layer with `reads_history`
counts each earlier drawing as the reader answered it.

In the window that answer is the one the reader gave when the drawing was made (`Reader`
remembers it). Over a data set in which every drawing's history is the writer's other drawings
(`ocrpad-eval`, the fit), the answers come from reading the whole set `PASSES` times. The first
pass counts every history as the network reads it; each later pass counts it as the pass before
answered it. A drawing whose class is known (`reader.Labelled`) always counts as that class.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Final

import numpy as np
from numpy.typing import NDArray

from ocrpad.nn.functional import softmax
from ocrpad.reading.context import HISTORY_CAP, ContextLayer, Frame, given
from ocrpad.reading.likeness import likeness

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
Rows = Sequence[Sequence[int]]
PASSES: Final = 2
"""Reads of a whole data set before its answers count as history (see the module's text)."""


def usable(history: Sequence[int], geometry: F64) -> list[int]:
    """The newest `HISTORY_CAP` rows of one drawing's history that have a size (dots and
    junk left out first, so that a run of them does not hide the drawings before it)."""
    return [j for j in history if np.isfinite(geometry[j, 0])][-HISTORY_CAP:]


def likes(width: float, logits: F64, geometry: F64, history: Rows, counted: F64, rows: I64) -> F64:
    """`Frame.like` (len(rows), C) of drawings `rows`: the votes of their history drawings,
    each counting as `counted` (N, C) says, with the likeness width `width`. logits (N, C) and
    geometry (N, 5) (`stroke_geometry`) are over the whole data set."""
    out = np.zeros((len(rows), logits.shape[1]))
    for t, i in enumerate(rows.tolist()):
        past = usable(history[i], geometry)
        if past and np.isfinite(geometry[i, 0]):
            out[t] = likeness(logits[i], logits[past], counted[past], width)
    return out


def history_frames(
    layer: ContextLayer,
    logits: F64,
    geometry: F64,
    history: Rows,
    counted: F64,
    rows: I64,
    told: NDArray[np.bool_] | None = None,
) -> tuple[Frame, NDArray[np.bool_]]:
    """The writers' frames of drawings `rows` from their history rows, each history drawing
    counting as `counted` (N, C) says; and which of them have a mostly labelled history
    (`told` (N,): the drawings whose class is known; None: none). Those rows take the votes'
    width of the head for labelled histories (`ContextLayer.for_history`)."""
    frame = Frame.empty(layer, len(rows))
    assert frame.like is not None
    mostly_told = np.zeros(len(rows), dtype=bool)
    for t, i in enumerate(rows.tolist()):
        past = usable(history[i], geometry)
        if not past or not np.isfinite(geometry[i, 0]):
            continue
        found = layer.writer_frame(
            *(geometry[past, 0], counted[past], geometry[past, 3], geometry[past, 2]),
            log_widths=geometry[past, 1],
        )
        if not np.isfinite(found[0]):  # only flat strokes such as "-": read as without
            continue
        if told is not None:
            mostly_told[t] = 2 * told[past].sum() >= len(past)
        frame.scale[t], frame.theta[t], frame.base[t], frame.spread[t] = found[:4]
        frame.lined[t], frame.has[t] = found[4], 1.0
        width = layer.for_history(bool(mostly_told[t])).like_width
        frame.like[t] = likeness(logits[i], logits[past], counted[past], width)
    return frame, mostly_told


def read_all(
    layer: ContextLayer,
    logits: F64,
    geometry: F64,
    history: Rows,
    counted: F64,
    told: NDArray[np.bool_],
    kind: str,
) -> F64:
    """Calibrated logits (N, C) of every drawing read with its history (`history_frames`),
    for a reading from set `kind`; a mostly labelled history takes its own head."""
    rows = np.arange(len(logits))
    frame, mostly_told = history_frames(layer, logits, geometry, history, counted, rows, told)
    sized = np.column_stack([np.nan_to_num(geometry[:, :2]), geometry[:, 2:]])
    z = layer.logits(logits, sized, frame, kind)
    if mostly_told.any():
        z_told = layer.for_history(True).logits(logits, sized, frame, kind)
        z[mostly_told] = z_told[mostly_told]
    return z


def counted_as(layer: ContextLayer, logits: F64, geometry: F64, history: Rows, known: I64) -> F64:
    """(N, C) how each drawing counts as another's history: as the reader answered it after
    `PASSES` reads of the whole set when the layer `reads_history`, else as the network reads
    it; one-hot where `known` (N,; −1: not known) gives its class."""
    network = given(softmax(logits), known)
    if not layer.reads_history:
        return network
    told, counted = known >= 0, network
    for _ in range(PASSES):
        answers = softmax(read_all(layer, logits, geometry, history, counted, told, "all"))
        counted = np.where(told[:, None], network, answers)
    return counted


def reading_history(layer: ContextLayer) -> ContextLayer:
    """The layer, and its head for labelled histories, marked as counting earlier drawings as
    the reader answered them."""
    labelled = None if layer.labelled is None else replace(layer.labelled, reads_history=True)
    return replace(layer, reads_history=True, labelled=labelled)
