"""The person's recent drawings on the Draw tab: the reader's history, newest last.

A drawing joins when Clear takes it away; strokes undone or erased one by one do not make it
join (the person took them back), and Undo of a Clear takes its drawing back out. Saved
samples seed the history at start; a drawing saved on the Train tab joins as it is saved.
A drawing whose character the person gave (a saved sample, a correction) joins as
`Labelled`, so the reader takes its class as given, not as guessed.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import Final

import numpy as np

from ocrpad.app.draw.strokes import Drawing
from ocrpad.reading import HISTORY_CAP, Labelled
from ocrpad.reading.answers import HistoryItem
from ocrpad.reading.reader import SCANNED

KEPT: Final = SCANNED * HISTORY_CAP
"""Drawings kept: as many as the reader looks at for its `HISTORY_CAP` usable ones, so that a
line of full stops (dots have no size) does not push the person's letters out."""


class RecentDrawings:
    """`items` (at most `KEPT`, newest last), the drawing on the canvas and its label."""

    def __init__(self) -> None:
        self.items: deque[HistoryItem] = deque(maxlen=KEPT)
        self.drawing: Drawing = ()  # the drawing on the canvas now
        self._told: tuple[Drawing, str] | None = None  # the label given to it
        self._joined: HistoryItem | None = None  # what the newest Clear added
        self._joined_labelled: Drawing | None = None  # the newest labelled drawing that joined

    def seed(self, drawings: Iterable[HistoryItem], *, newest: bool = False) -> None:
        """Older drawings, oldest first, go before the ones already here (newest: after them,
        as drawings just labelled on the Train tab do)."""
        old = list(self.items)
        self.items = deque([*old, *drawings] if newest else [*drawings, *old], maxlen=KEPT)

    def history(self) -> tuple[HistoryItem, ...]:
        """The items as the reader takes them (each drawing a tuple of strokes)."""
        return tuple(d if isinstance(d, Labelled) else tuple(d) for d in self.items)

    def restored(self, drawing: Drawing) -> None:
        """Undo brought `drawing` back onto the empty canvas: if the newest Clear added it, it
        leaves the history again, with the label it had."""
        joined = self._joined
        if joined is None or not self.items or self.items[-1] is not joined:
            return
        strokes = joined.strokes if isinstance(joined, Labelled) else joined
        if len(strokes) != len(drawing) or not all(map(np.array_equal, strokes, drawing)):
            return
        self.items.pop()
        self._joined = None
        if isinstance(joined, Labelled):
            self._told, self._joined_labelled = (drawing, joined.label), None

    def cleared(self, strokes: Drawing) -> None:
        """Clear took a drawing away: it joins, labelled if the person gave its character and
        has not redrawn it since."""
        drawing, told = self.drawing or tuple(strokes), self._told
        item: HistoryItem = drawing
        if told is not None and told[0] is drawing:
            item = Labelled(drawing, told[1])
            self._joined_labelled = drawing
        self.items.append(item)
        self._joined, self.drawing, self._told = item, (), None

    def label(self, label: str | None) -> None:
        """The person says the current drawing is `label`. None takes the newest label back
        (Undo of a correction), whether or not its drawing has joined the history yet."""
        if label is not None:
            self._told = (self.drawing, label) if self.drawing else None
            return
        if self._told is not None:
            self._told = None
            return
        for index in range(len(self.items) - 1, -1, -1):
            item = self.items[index]
            if isinstance(item, Labelled) and item.strokes is self._joined_labelled:
                self.items[index] = item.strokes
                if self._joined is item:  # Undo of that Clear still takes it back out
                    self._joined = item.strokes
                self._joined_labelled = None
                return
