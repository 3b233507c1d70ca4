"""What the Draw tab's "Wrong? It was" bar does: Enter saves the drawing with the right
character, a second Enter on the same drawing relabels that sample (one drawing, one label),
and Undo save takes the last correction back.

The window is reached through the small ``CorrectionHost`` protocol (``MainWindow`` provides it).
"""

from __future__ import annotations

from typing import Final, Protocol

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QStatusBar

from ocrpad.app.draw.strokes import Drawing
from ocrpad.app.draw.tab import DrawTab
from ocrpad.app.train.correction import CorrectionBar
from ocrpad.app.train.keeper import Held
from ocrpad.app.train.tab import TrainTab
from ocrpad.data.samples import StoreError

NOTHING_DRAWN: Final = "Draw something first, then type what it was."
PICTURE_NOT_SAVED: Final = (
    "An opened picture cannot be saved as a sample: draw the character on the canvas "
    "instead, then type what it was."
)


class CorrectionHost(Protocol):
    """What the correction bar needs of the window."""

    draw: DrawTab

    def label_drawing(self, label: str | None) -> None: ...
    def strokes(self) -> Drawing: ...
    def statusBar(self) -> QStatusBar: ...  # noqa: N802  (Qt's name)


def same_drawing(held: Held, strokes: Drawing) -> bool:
    """Whether `strokes` are still the drawing saved as `held`: the very same stroke arrays (a
    new stroke, an erasure or a Clear and a new drawing each make another drawing)."""
    saved = held[0]
    return len(saved) == len(strokes) and all(a is b for a, b in zip(saved, strokes, strict=True))


class Corrections(QObject):
    """Puts a ``CorrectionBar`` on the Draw tab and saves, relabels and takes back what it
    is told through the Train tab (its store, its messages)."""

    def __init__(self, window: CorrectionHost, tab: TrainTab) -> None:
        super().__init__(tab)  # lives as long as the tab, which the window owns
        self.window, self.tab = window, tab
        self.bar = CorrectionBar()
        window.draw.tools.addWidget(self.bar)
        self.bar.corrected.connect(self.correct)
        self.bar.problem.connect(tab.show_message)
        self.bar.undo_requested.connect(self.undo)
        self.last: Held | None = None  # the drawing the newest correction saved, and its label

    def correct(self, label: str) -> None:
        """Save the drawing on the Draw tab as `label`; relabel it if it was saved already."""
        strokes = self.window.strokes()
        if not strokes:  # an opened picture has no strokes to save
            picture = self.window.draw.canvas.background() is not None
            self.tab.show_message(PICTURE_NOT_SAVED if picture else NOTHING_DRAWN)
            return
        if self.last is not None and same_drawing(self.last, strokes):
            self._relabel(self.last, label)
            return
        if self.tab.save(strokes, label, "correction"):
            self.last = self.tab.last_held
            self._done(label, f"Saved this drawing as “{label}”")

    def _relabel(self, held: Held, label: str) -> None:
        if label == held[1]:
            self.tab.show_message(f"This drawing is saved as “{label}” already.")
            self.bar.saved(label)
            return
        try:
            self.last = self.tab.keeper.relabel(held, label)
        except (KeyError, ValueError, StoreError) as exc:  # KeyError: its message is plain
            self.tab.show_message(f"Could not relabel the drawing saved as “{held[1]}” ({exc})")
            return
        self.tab.refresh()
        self.tab.show_message(f"Relabelled the drawing saved as “{held[1]}”: now “{label}”")
        self._done(label, f"Relabelled this drawing “{held[1]}” → “{label}”")

    def _done(self, label: str, said: str) -> None:
        self.window.label_drawing(label)  # the reader now knows what this one was
        self.bar.saved(label)
        self.window.statusBar().showMessage(f"{said} — Undo save takes it back", 8000)

    def undo(self) -> None:
        """Take back the drawing the newest correction saved (and relabelled)."""
        if self.last is None:
            return
        held = self.last
        if self.tab.unsave(held):
            self.last = None
            self.window.label_drawing(None)
            self.bar.undone()
            self.tab.show_message(f"Took back the drawing saved as “{held[1]}”")
