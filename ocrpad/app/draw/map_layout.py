"""Where the feature-map grid puts each section's header and tiles, for a width (no painting)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from PySide6.QtCore import QRectF

from ocrpad.app.draw.map_captions import MARGIN
from ocrpad.app.draw.map_dialog import MapSection
from ocrpad.app.draw.prediction import LayerMaps

GAP: Final = 2  # pixels between tiles
Placing = tuple[list[tuple[QRectF, int, int]], list[int], int]
"""Every tile (rect, section, index) in reading order, each section's header top, and the
height the sections take."""


def tile_size(maps: LayerMaps, width: int) -> int:
    """The side of one map's tile in a grid `width` pixels wide: twice the map's side
    (24 to 56 px; 28 for maps of 7 or less), or two thirds of that when they would take
    more than four rows."""
    side = int(maps.maps.shape[-1])
    wanted = 28 if side <= 7 else max(24, min(56, 2 * side))
    per_row = max(1, (width - 2 * MARGIN + GAP) // (wanted + GAP))
    rows = -(-maps.count // per_row)
    if rows > 4 and wanted > 28:  # many maps: smaller tiles instead of a very tall grid
        return max(24, wanted * 2 // 3)
    return wanted


def place_tiles(sections: Sequence[MapSection], width: int, heights: Sequence[int]) -> Placing:
    """The tiles and header tops of `sections`, one under another, and the height they take,
    in a grid `width` pixels wide whose sections' headers take `heights` pixels."""
    y = MARGIN
    hits: list[tuple[QRectF, int, int]] = []
    tops: list[int] = []
    for number, section in enumerate(sections):
        tops.append(y)
        y += heights[number]
        tile = tile_size(section.maps, width)
        per_row = max(1, (width - 2 * MARGIN + GAP) // (tile + GAP))
        for index in range(section.maps.count):
            row, col = divmod(index, per_row)
            x = MARGIN + col * (tile + GAP)
            hits.append((QRectF(x, y + row * (tile + GAP), tile, tile), number, index))
        rows = -(-section.maps.count // per_row)
        y += rows * (tile + GAP) + MARGIN + 4
    return hits, tops, y if sections else 0
