"""A picture file of a built-in drawing, drawn with a thick pen in black on white, as a person's
photo or scan of one character would be."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from ocrpad.launch import selftest


def picture_of(label: str, path: Path, size: int = 300) -> Path:
    """Draw the built-in drawing of ``label`` into a ``size`` x ``size`` PNG at ``path``."""
    drawing = next(d for d in selftest.load_drawings() if d.label == label)
    points = np.concatenate(drawing.strokes)  # (P, 2)
    low, high = points.min(axis=0), points.max(axis=0)
    scale = (size * 2 / 3) / float(max(high - low))
    image = Image.new("L", (size, size), 255)
    pen = ImageDraw.Draw(image)
    for stroke in drawing.strokes:
        xy = [(float(x), float(y)) for x, y in (stroke - low) * scale + size / 6]
        pen.line(xy, fill=0, width=size // 25, joint="curve")
    image.save(path)
    return path
