"""The About box text: version, the model in use, what ocrpad is, and the data credit."""

from __future__ import annotations

import html

from ocrpad import __version__


def about_text(model: str = "") -> str:
    """Rich text for QMessageBox.about; `model` says which model the window reads with (as
    its status bar does), as plain text."""
    in_use = f"<p>{html.escape(model)}</p>" if model else ""  # "Model: … · 94 classes"
    return (
        f"<h3>ocrpad {__version__}</h3>{in_use}"
        "<p>Draw a character; a convolutional network written from scratch in NumPy reads it "
        "live after every stroke.</p>"
        "<p><b>Look inside:</b> <i>Heat map</i> colours what the answer rests on (the arrow "
        "beside it picks the method); <i>Dreams…</i> shows what the network imagines each "
        "character looks like; the maps on the right are what each layer sees of your "
        "drawing — click one to enlarge it, then a cell for the arithmetic that made it. "
        "<i>Train</i> collects your own drawings and fine-tunes the network on them.</p>"
        "<p><b>Training data:</b> UNIPEN on-line handwriting database, release train_r01_v07 "
        "(categories 1a, 1b, 1c and 1d: digits, capitals, small letters, symbols; Zenodo doi "
        "<a href='https://doi.org/10.5281/zenodo.1195803'>10.5281/zenodo.1195803</a>, "
        "CC BY 4.0). I. Guyon, L. Schomaker, R. Plamondon, M. Liberman, S. Janet, "
        "“UNIPEN project of on-line data exchange and recognizer benchmarks”, ICPR 1994.</p>"
        "<p>Built with NumPy, Pillow and Qt for Python (PySide6, LGPL).</p>"
    )
