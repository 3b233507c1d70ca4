"""`Reader`: strokes + the writer's earlier drawings + a character set → a calibrated answer.

The one road from a drawing to an answer (window, `ocrpad-eval`, self-test). The network reads
the shape; the context layer stored with the model (`ocrpad.reading.context`) adds what the
writer's history says — their scale, their mix of digits, capitals and small letters, what
their drawings shaped like this one were read as — and calibrates the odds. A model file
without a context layer reads as the bare network.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any, Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ocrpad.charsets import NAMED, resolve_charset, taught_labels
from ocrpad.model import Model
from ocrpad.nn.functional import softmax
from ocrpad.preprocess import render_params_of, render_strokes
from ocrpad.reading import checks
from ocrpad.reading.aligned import aligned
from ocrpad.reading.answers import Drawing, HistoryItem, Labelled, Reading
from ocrpad.reading.context import (
    HISTORY_CAP,
    ContextLayer,
    Frame,
    given,
    set_kind,
)
from ocrpad.reading.context_file import from_file
from ocrpad.reading.families import look_alikes, restrict
from ocrpad.reading.frames import guides_scale, seen_frame, usual_height
from ocrpad.reading.geometry import WritingGuides, size_of
from ocrpad.reading.history import drawing_key
from ocrpad.reading.likeness import closest, likeness
from ocrpad.reading.memory import Memory, Seen
from ocrpad.reading.reasons import Reasons, scored
from ocrpad.reading.rereading import counted_as, read_all
from ocrpad.reading.trace import with_trace

F64 = NDArray[np.float64]
SCANNED: Final = 4
"""A history's newest `SCANNED * HISTORY_CAP` drawings are looked at for its `HISTORY_CAP`
usable ones: a run of dots (a line of full stops) does not hide the drawings before it, and
a history of thousands of junk entries costs no more than this."""


def context_of(model: Model) -> ContextLayer | None:
    """The model's fitted context layer aligned to its labels, or None if it has none.

    Raises ValueError naming the damage when the stored layer is malformed.
    """
    meta = model.meta.get("reader")
    if not isinstance(meta, dict):
        return None
    return aligned(from_file(model.extras, meta), model.labels)


def _named(charset: Iterable[str] | None, model: Model) -> Iterable[str] | None:
    """A set's name resolved to `model`'s labels in it; anything else as given."""
    if isinstance(charset, str) and (charset in NAMED or charset in ("all", "default")):
        return resolve_charset(charset, model.labels, taught_labels(model.meta))
    return charset


class Reader:
    """Reads drawings with `model`, restricted to `charset`: labels, or a set's name as
    `--charset` takes it ("digits", "upper", "lower", "letters", "symbols", "default", "all";
    `ocrpad.charsets`); None: every class it knows."""

    def __init__(self, model: Model, *, charset: Iterable[str] | None = None) -> None:
        self.model = model
        self.render_params = render_params_of(model.meta)
        self.context = context_of(model)
        self._allowed = restrict(model.labels, _named(charset, model))
        self.labels = [model.labels[i] for i in self._allowed]
        self._kind = set_kind(self.labels)
        self._memory = Memory()
        self._index = {c: i for i, c in enumerate(model.labels)}

    def restricted(self, charset: Iterable[str] | None) -> Reader:
        """The same reader for another character set, sharing what it remembers of history."""
        other = Reader.__new__(Reader)
        other.model, other.render_params, other.context = (
            self.model,
            self.render_params,
            self.context,
        )
        other._allowed = restrict(self.model.labels, _named(charset, self.model))
        other.labels = [self.model.labels[i] for i in other._allowed]
        other._kind = set_kind(other.labels)
        other._memory, other._index = self._memory, self._index
        return other

    def remember(self, history: Sequence[HistoryItem]) -> int:
        """Read the newest history drawings ahead of time (cached); returns how many are usable."""
        items = checks.history_items(history)
        return len(self._remember(items)) if self.context is not None else 0

    # --- one drawing ---------------------------------------------------------------------
    def read(
        self,
        strokes: Drawing,
        *,
        history: Sequence[HistoryItem] = (),
        guides: WritingGuides | None = None,
    ) -> Reading:
        """Read one drawing. `history`: the same person's earlier drawings, newest last, same
        units, each a drawing or a `Labelled` one (its class is then known, not guessed);
        `guides`: writing guides on the canvas, used as the writer's scale.

        Pass the drawings before this one, not this one: a history entry with the same points
        counts as an earlier drawing of the same size (only its likeness vote is left out).
        An earlier drawing counts as this reader answered it when it first read it (with the
        history it had then), so a reader that has read other drawings before may answer a
        little differently from a new one given the same arguments (`rereading`).

        Raises EmptyDrawingError (a ValueError) for a drawing without usable ink."""
        strokes = tuple(strokes)  # any iterable of strokes, read twice below
        image = render_strokes(strokes, self.render_params)
        logits = self.model.logits(image[None, None])[0]  # (C,)
        return self.answer(logits, strokes, history=history, guides=guides)

    def answer(
        self,
        net_logits: ArrayLike,
        strokes: Drawing,
        *,
        history: Sequence[HistoryItem] = (),
        guides: WritingGuides | None = None,
    ) -> Reading:
        """The answer for a drawing whose finite network logits (C,) or (1, C) are known. The
        drawing is remembered, so that once it joins the history it costs no second pass."""
        image = network = logits = checks.one_logits(net_logits, self.model.num_classes)
        history = checks.history_items(history)
        size = size_of(strokes) if len(strokes) else None  # a picture has no strokes
        coarse = plain = None
        if self.context is not None and size is not None:  # its path; a coarse trace's correction
            trace, s = self.context.trace, np.array([size.coarseness])
            network = with_trace(trace, image, [strokes], self.model.labels)
            logits = self.context.network_read(network, s)
            if trace is not None and not trace.in_history:  # what it counts by as history
                plain = self.context.network_read(image, s)
            if self.context.device is not None:
                coarse = float(self.context.device.gate(s)[0])
        key = drawing_key(strokes) if self.context is not None and size is not None else None
        seen = self._remember(history) if self.context is not None else []
        mine, counted = None, logits if plain is None else plain
        if key is not None and size is not None:
            mine = Seen(size, softmax(counted)[0], logits[0], key, plain=counted[0])
            self._memory.put(mine.key, mine)
        frame, told, like_earlier = self._context_frame(logits, key, seen, guides)
        if mine is not None:  # answered as it will count as history: by `counted`
            by = frame if plain is None else self._context_frame(plain, key, seen, guides, True)[0]
            self._answered(mine, by, told)
        if self.context is None or size is None or frame is None:
            z, explain = scored(self.context, self._kind, network, logits, None, None, image=image)
            probs = self._restricted(z)[0]
            why = self._why(probs, explain)
            return replace(self._reading(probs, None, 0), coarse_trace=coarse, **why)
        geometry = np.array([size.geometry()])
        z, explain = scored(
            self.context, self._kind, network, logits, geometry, frame, told, image=image
        )
        probs = self._restricted(z)[0]
        height = usual_height(seen)
        guided = guides_scale(self.context, guides) is not None  # the guides set the frame
        if guided and guides is not None:
            height = guides.baseline - guides.x_line
        ratio = None if height is None else float(np.exp(size.log_height) / height)
        below = None
        if self.context.knows_place and np.isfinite(frame.base[0]) and height:
            below = (size.bottom - float(frame.base[0])) / height
        reading = self._reading(probs, ratio, len(seen), below, like_earlier)
        return replace(reading, coarse_trace=coarse, by_guides=guided, **self._why(probs, explain))

    def _why(self, probs: F64, explain: Callable[[tuple[int, int]], Reasons]) -> dict[str, Any]:
        """`Reading.runner_up` and `Reading.reasons` of an answer `probs` (over `labels`)."""
        if len(probs) < 2:
            return {}
        best, second = (int(i) for i in np.argsort(-probs, kind="stable")[:2])
        why = explain((self._allowed[best], self._allowed[second]))
        return {"runner_up": self.labels[second], "reasons": why}

    def _counted_logits(
        self, logits: F64, drawings: Sequence[Drawing], coarseness: F64
    ) -> tuple[F64, F64 | None]:
        """The logits (n, C) the reader reads `drawings` by (the trace term and the coarse
        correction added), and those they count by as history if other (`TraceNet.in_history`)."""
        if self.context is None:
            return logits, None
        trace = self.context.trace
        paths = with_trace(trace, logits, drawings, self.model.labels)
        read = self.context.network_read(paths, coarseness)
        if trace is None or trace.in_history:
            return read, None
        return read, self.context.network_read(logits, coarseness)

    def _context_frame(
        self,
        logits: F64,
        key: bytes | None,
        seen: list[Seen],
        guides: WritingGuides | None,
        counting: bool = False,
    ) -> tuple[Frame | None, bool, tuple[str, float] | None]:
        """For a drawing with network logits (1, C) and `seen` its history: the writer's frame
        with the likeness votes (None: no frame), whether the history is mostly labelled, and
        the earlier drawing most like it (`Reading.like_earlier`). `counting`: the likeness
        between the logits the drawings count by as history (`Seen.counted_logits`)."""
        frame = seen_frame(self.context, seen, guides)
        told = bool(seen) and 2 * sum(s.told for s in seen) >= len(seen)
        others = [s for s in seen if s.key != key]  # the drawing itself votes for nothing
        if self.context is None or frame is None or not others:
            return frame, told, None
        width = self.context.for_history(told).like_width
        earlier = np.stack([s.counted_logits if counting else s.logits for s in others])
        readings = np.stack([s.probs for s in others])
        frame = replace(frame, like=likeness(logits[0], earlier, readings, width)[None])
        index, weight = closest(logits[0], earlier, width)
        within = readings[index][self._allowed]  # named only as a class of this set, and
        best = int(np.argmax(within))  # only one it was read as, or nearly (half as likely)
        named = 2 * within[best] >= readings[index].max()
        like_earlier = (self.labels[best], weight) if named else None
        return frame, told, like_earlier

    def _answered(self, item: Seen, frame: Frame | None, told: bool) -> Seen:
        """`item` (not labelled) as it counts as history once the reader has answered it with
        `frame` (None: without history), remembered; unchanged unless the context layer
        `reads_history`. The answer is over every class, whatever this reader's set."""
        if self.context is None or not self.context.reads_history:
            return item
        geometry = np.array([item.size.geometry()])
        if frame is None:
            frame, geometry = Frame.empty(self.context, 1), np.zeros((1, 5))
        z = self.context.for_history(told).logits(item.counted_logits[None], geometry, frame, "all")
        done = replace(item, probs=softmax(z)[0], answered=True)
        self._memory.put(item.key, done)
        return done

    def _reading(
        self,
        probs: F64,
        ratio: float | None,
        used: int,
        below: float | None = None,
        like: tuple[str, float] | None = None,
    ) -> Reading:
        best = int(np.argmax(probs))
        label = self.labels[best]
        odds = dict(zip(self.labels, probs, strict=True))
        family = sorted(look_alikes(label, self.labels), key=lambda c: -odds[c])
        return Reading(
            label,
            list(self.labels),
            probs.astype(np.float32),
            tuple(family),
            ratio,
            used,
            below,
            like,
        )

    # --- many drawings (evaluation) ------------------------------------------------------
    def read_batch(
        self,
        net_logits: ArrayLike,
        sizes: ArrayLike,
        history: Sequence[Sequence[int]] | None,
        known: ArrayLike | None = None,
        *,
        traces: ArrayLike | None = None,
    ) -> NDArray[np.float32]:
        """Probabilities (N, len(labels)) for N drawings: finite network logits (N, C),
        geometry (N, 5) (log height, log width — NaN for a dot —, top, bottom, coarseness;
        `stroke_geometry`), or the first 4 or only the sizes (N, 2), and for each drawing
        the other rows that are its history (newest last; `checks.history_rows`), or None
        for no history. `known` (N,): each drawing's class index into the model's labels
        when it serves as history as a `Labelled` drawing would (−1: read by the network);
        None: all read by the network. `traces` (N, F): their `trace_features`, for the trace
        network's term (None: none). Anything else: a ValueError naming it, before work."""
        logits = checks.batch_logits(net_logits, self.model.num_classes)
        geometry = checks.batch_geometry(sizes, len(logits))
        history = checks.history_rows(history, len(logits))
        classes = checks.known_classes(known, len(logits), self.model.num_classes)
        context, plain = self.context, None  # plain: what they count by as history, if other
        if context is not None and context.trace is not None and traces is not None:
            plain = None if context.trace.in_history else logits
            paths = checks.batch_traces(traces, len(logits))
            logits = logits + context.trace.term(paths, self.model.labels)
        if context is not None:  # coarse traces: their correction (`reading.device`)
            logits = context.network_read(logits, geometry[:, 4])
            plain = None if plain is None else context.network_read(plain, geometry[:, 4])
        if context is None or history is None:
            z = scored(context, self._kind, logits, logits, None, None)[0]
            return self._restricted(z).astype(np.float32)
        counted = counted_as(
            context, logits if plain is None else plain, geometry, history, classes
        )
        z = read_all(context, logits, geometry, history, counted, classes >= 0, self._kind)
        return self._restricted(z).astype(np.float32)

    def read_pictures(self, net_logits: ArrayLike) -> NDArray[np.float32]:
        """Probabilities (N, len(labels)) of N pictures from their finite network logits (N, C):
        what `answer(logits, [])` gives each (no strokes: no history, size or coarseness)."""
        logits = checks.batch_logits(net_logits, self.model.num_classes)
        z = scored(self.context, self._kind, logits, logits, None, None)[0]
        return self._restricted(z).astype(np.float32)

    # --- internals -----------------------------------------------------------------------
    def _restricted(self, z: F64) -> F64:
        return np.asarray(softmax(z[:, self._allowed]), np.float64)

    def _remember(self, history: Sequence[HistoryItem]) -> list[Seen]:
        """Sizes and class probabilities of the newest `HISTORY_CAP` usable history drawings
        among the newest `SCANNED` times as many (dots and junk have no size): the reader's
        answer when the context layer `reads_history` (a drawing it never answered is answered
        now, after the ones before it), else the network's reading (both cached), or certainty
        for a `Labelled` drawing whose label the model knows."""
        items = list(history)[-SCANNED * HISTORY_CAP :]  # dots and junk are left out below
        keyed = [(drawing_key(_strokes_of(d)), d) for d in items]
        missing = [(k, _strokes_of(d)) for k, d in keyed if k is not None and k not in self._memory]
        if missing:
            self._memory.learn(self.model, self.render_params, missing, self._counted_logits)
        out = []
        for k, drawing in keyed:
            item = self._memory.get(k) if k is not None else None
            if item is None:
                continue
            label = drawing.label if isinstance(drawing, Labelled) else None
            if label is not None and label in self._index:
                told = np.array([self._index[label]])
                item = replace(item, probs=given(item.probs[None], told)[0], told=True)
            out.append(item)
        out = out[-HISTORY_CAP:]
        if self.context is not None and self.context.reads_history:
            for index, item in enumerate(out):  # answered after the drawings before it
                if not (item.told or item.answered):
                    found = self._context_frame(
                        item.counted_logits[None], item.key, out[:index], None, True
                    )
                    out[index] = self._answered(item, found[0], found[1])
        return out


def _strokes_of(item: HistoryItem) -> Drawing:
    return item.strokes if isinstance(item, Labelled) else item
