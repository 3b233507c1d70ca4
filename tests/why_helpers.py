"""One writer's capitals and their S, from the shared UNIPEN test split: the network alone
reads that S as s; after the capitals the reader answers S."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ocrpad.data.unipen import load_unipen

WRITER = "apa/apa00/app0029.dat"
CAPITALS = "ABDEFGHJKLMNPQRTUY"  # the writer's capitals, S and its look-alikes left out

Drawing = list[NDArray[np.float32]]


def capitals_and_s(unipen_dir: Path, count: int = 12) -> tuple[list[Drawing], Drawing]:
    """The writer's first `count` capitals and their first S (tablet units, y down)."""
    test = load_unipen(unipen_dir / "unipen-test.npz", images=False)
    chars = test.characters()
    rows = [int(i) for i in np.flatnonzero(test.writers == WRITER)]
    capitals = [test.strokes(i) for i in rows if chars[i] in CAPITALS][:count]
    return capitals, test.strokes(next(i for i in rows if chars[i] == "S"))
