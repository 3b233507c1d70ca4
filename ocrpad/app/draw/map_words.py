"""A map said in words, for a person who cannot see it: where it is strongest and how much of
it is active ("map 3 of 8 of conv2: strongest at top left, 40% of cells active").

The feature-map viewer's current map, the enlarged map and the neuron panel's maps carry
these words as their accessible description. A cell is active when its value is above 0 (what
a ReLU lets through); where the map lies is read on a 3×3 split of it, as a person would say
it.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray

from ocrpad.app.draw.numbering import shown_number, shown_value

ROWS: Final = ("top", "middle", "bottom")
COLUMNS: Final = ("left", "middle", "right")


def place(row: int, col: int, shape: tuple[int, int]) -> str:
    """Where cell (row, col) lies in a map of `shape` (H, W), in a person's words: 'top left',
    'top', 'middle', 'bottom right' … (one third of the map each way)."""
    height, width = shape
    vertical = ROWS[min(2, 3 * row // max(height, 1))]
    across = COLUMNS[min(2, 3 * col // max(width, 1))]
    if vertical == "middle" and across == "middle":
        return "the middle"
    if vertical == "middle":
        return across
    if across == "middle":
        return vertical
    return f"{vertical} {across}"


def map_summary(values: NDArray[np.floating]) -> str:
    """What one (H, W) map shows: 'strongest at top left (2.31), 40% of cells active'; a map
    with no cell above 0, or the same value everywhere, says so instead."""
    grid = np.asarray(values, dtype=np.float64)
    if grid.ndim != 2 or grid.size == 0:
        raise ValueError(f"a map is (H, W) with at least one cell, not shape {grid.shape}")
    if not np.all(np.isfinite(grid)):
        return "some values are not numbers"
    low, high = float(grid.min()), float(grid.max())
    if low == high:
        return f"flat: every cell is {shown_value(high)}"
    row, col = (int(i) for i in np.unravel_index(int(np.argmax(grid)), grid.shape))
    where = place(row, col, (grid.shape[0], grid.shape[1]))
    active = float(np.mean(grid > 0))
    if active == 0:
        return f"no cell active; least negative at {where} ({shown_value(high)})"
    share = "under 1%" if active < 0.005 else f"{100 * active:.0f}%"
    return f"strongest at {where} ({shown_value(high)}), {share} of cells active"


def map_words(
    values: NDArray[np.floating], index: int, count: int, title: str, item: str = "map"
) -> str:
    """One map of a layer said whole: 'map 3 of 8 of conv2: strongest at …'. values: (H, W);
    index: the map's 0-based index among `count`; title: the layer (or section) as read;
    item: what one tile is ("map", or "filter" for learned filters)."""
    return f"{item} {shown_number(index)} of {count} of {title}: {map_summary(values)}"
