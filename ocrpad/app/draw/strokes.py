"""The drawing as vectors, with undo/redo: plain Python + numpy, no Qt."""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray

Stroke = NDArray[np.float32]  # (k, 2) x, y in canvas units, y down
Drawing = tuple[Stroke, ...]
MAX_UNDO: Final = 300  # undo steps kept; older ones are dropped so a long session stays small


class StrokeHistory:
    """The current strokes plus undo and redo stacks of earlier drawings (arrays are shared)."""

    def __init__(self) -> None:
        self.strokes: Drawing = ()
        self._undo: list[Drawing] = []
        self._redo: list[Drawing] = []

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    def replace(self, strokes: Drawing) -> bool:
        """Make `strokes` the drawing as one undoable step; False if nothing changed."""
        if len(strokes) == len(self.strokes) and all(
            a is b for a, b in zip(strokes, self.strokes, strict=True)
        ):
            return False
        self._undo.append(self.strokes)
        del self._undo[:-MAX_UNDO]
        self._redo.clear()
        self.strokes = strokes
        return True

    def add(self, stroke: Stroke) -> None:
        self.replace((*self.strokes, stroke))

    def clear(self) -> bool:
        return self.replace(())

    def reset(self) -> bool:
        """An empty drawing with nothing to undo or redo; False if it was so already."""
        changed = bool(self.strokes or self._undo or self._redo)
        self.strokes, self._undo, self._redo = (), [], []
        return changed

    def undo(self) -> bool:
        if not self._undo:
            return False
        self._redo.append(self.strokes)
        self.strokes = self._undo.pop()
        return True

    def redo(self) -> bool:
        if not self._redo:
            return False
        self._undo.append(self.strokes)
        self.strokes = self._redo.pop()
        return True


def strokes_touching(strokes: Drawing, x: float, y: float, radius: float) -> list[int]:
    """Indices of strokes with a segment passing within `radius` of (x, y)."""
    hits: list[int] = []
    point = np.array([x, y], dtype=np.float32)
    for index, stroke in enumerate(strokes):
        if _distance_to_polyline(stroke, point) <= radius:
            hits.append(index)
    return hits


def _distance_to_polyline(stroke: Stroke, point: NDArray[np.float32]) -> float:
    """Shortest distance from point: (2,) to the polyline stroke: (k, 2)."""
    if len(stroke) == 1:
        return float(np.hypot(*(stroke[0] - point)))
    start, end = stroke[:-1], stroke[1:]  # (k-1, 2) each
    seg = end - start
    length2 = np.maximum((seg * seg).sum(axis=1), 1e-12)
    t = np.clip(((point - start) * seg).sum(axis=1) / length2, 0.0, 1.0)
    nearest = start + t[:, None] * seg  # (k-1, 2)
    return float(np.sqrt(((nearest - point) ** 2).sum(axis=1).min()))
