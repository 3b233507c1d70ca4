"""``ocrpad --read PICTURE``: recognise a picture of one character without opening the window.

The picture goes the window's way for an opened picture (``preprocess.picture_input`` with the
model's own render parameters → the model → the reader's calibrated odds); the
answer and the next two guesses are printed on one line, e.g. ``R 97% (next: K 2%, P 1%)``.
Needs no display and no Qt.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import numpy as np

from ocrpad import resources

if TYPE_CHECKING:
    from ocrpad.model import Model


def read(picture: Path, model: Model) -> list[tuple[str, float]]:
    """``model``'s three best guesses for ``picture``, best first, as (label, probability).

    Raises ``ValueError`` naming the file for an unreadable picture, or one without ink.
    """
    from ocrpad.charsets import default_charset, taught_labels
    from ocrpad.preprocess import picture_input, render_params_of
    from ocrpad.reading import Reader

    image, _ = picture_input(picture, render_params_of(model.meta))  # (28, 28), as the window
    charset = default_charset(model.labels, taught_labels(model.meta))  # as the window reads
    reading = Reader(model, charset=charset).answer(model.logits(image[None, None])[0], [])
    probs = reading.probabilities
    best = np.argsort(probs)[::-1][:3]
    return [(reading.labels[int(i)], float(probs[i])) for i in best]


def run(picture: Path, weights: Path | None = None, out: TextIO | None = None) -> int:
    """Print the answer for ``picture``; returns 0, or 1 after saying what went wrong."""
    from ocrpad.model import load_model
    from ocrpad.picture import inspect_picture

    out = out or sys.stdout
    try:
        model = load_model(weights)
    except (OSError, ValueError) as error:
        where = weights if weights is not None else resources.default_weights_path()
        print(f"ocrpad: cannot load the model {_naming(where, error)}", file=sys.stderr)
        return 1
    try:
        guesses = read(picture, model)
    except (OSError, ValueError) as error:
        print(f"ocrpad: cannot read {_naming(picture, error)}", file=sys.stderr)
        return 1
    (label, probability), *rest = guesses
    others = ", ".join(f"{other} {p:.0%}" for other, p in rest)
    print(f"{label} {probability:.0%} (next: {others})", file=out)
    frames = inspect_picture(picture).frames
    if frames > 1:  # an animated GIF, a multi-page TIFF
        print(f"ocrpad: read the first of {frames} frames of {picture}", file=sys.stderr)
    return 0


def _naming(path: Path, error: Exception) -> str:
    """``error`` with ``path`` named once: as the error says it, or put before it."""
    return str(error) if str(path) in str(error) else f"{path}: {error}"
