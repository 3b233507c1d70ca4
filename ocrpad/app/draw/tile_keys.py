"""Where the keys move a cursor: over the viewer's tiles (rows that wrap, in sections) and over
the cells of one enlarged map. Enter or Space then does what a click there does."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from PySide6.QtCore import QRectF, Qt

ACTIVATE: Final = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space)  # a click, by key


def next_tile(tiles: Sequence[QRectF], current: int, key: Qt.Key) -> int | None:
    """The tile `key` moves to from tiles[current] (tiles in reading order): Left / Right the
    one before / after, Up / Down the nearest of the row above / below (in another section if
    need be), Home / End the first / last. At an edge it stays; None: not a moving key."""
    last = len(tiles) - 1
    if key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
        here = tiles[current]
        sign = -1 if key == Qt.Key.Key_Up else 1
        tops = [t.top() for t in tiles if (t.top() - here.top()) * sign > 0]
        if not tops:
            return current  # the top or bottom row
        top = min(tops, key=lambda t: abs(t - here.top()))
        row = [n for n, t in enumerate(tiles) if t.top() == top]
        return min(row, key=lambda n: abs(tiles[n].center().x() - here.center().x()))
    return {
        Qt.Key.Key_Left: max(current - 1, 0),
        Qt.Key.Key_Right: min(current + 1, last),
        Qt.Key.Key_Home: 0,
        Qt.Key.Key_End: last,
    }.get(key)


def next_cell(cell: tuple[int, int], shape: tuple[int, int], key: Qt.Key) -> tuple[int, int] | None:
    """The cell (row, col) of an (H, W) map that `key` moves to from `cell`: the arrows one
    step, Home / End the row's first / last; it stays at an edge. None: not a moving key."""
    (row, col), (h, w) = cell, shape
    moves = {
        Qt.Key.Key_Left: (row, col - 1),
        Qt.Key.Key_Right: (row, col + 1),
        Qt.Key.Key_Up: (row - 1, col),
        Qt.Key.Key_Down: (row + 1, col),
        Qt.Key.Key_Home: (row, 0),
        Qt.Key.Key_End: (row, w - 1),
    }
    if key not in moves:
        return None
    r, c = moves[key]
    return min(max(r, 0), h - 1), min(max(c, 0), w - 1)
