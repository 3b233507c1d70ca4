"""Draw ocrpad's application icon and write it as .png, .ico and .icns beside this script.

Run from anywhere: ``python assets/make_icons.py``. The drawing is a handwritten "a" in one
white pen stroke, with a pen-tip dot, on a blue rounded square. Deterministic: re-running it
rewrites byte-identical PNG pixels.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

HERE = Path(__file__).resolve().parent
SIZE = 1024  # master size; everything below is drawn at SUPER times this, then downsampled
SUPER = 2
ICO_SIZES = [(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)]

Point = tuple[float, float]


def _letter_path() -> list[Point]:
    """A cursive "a" as one stroke, in 0..1 units: bowl, then the stem with an exit flick."""
    points: list[Point] = []
    # Bowl: from the upper right, counter-clockwise around to the right side again.
    for i in range(0, 301):
        t = math.radians(-20 - i * 1.15)
        points.append((0.44 + 0.2 * math.cos(t), 0.56 - 0.2 * math.sin(t) * 1.05))
    # Stem: up to the top of the bowl, straight down, then a small flick to the right.
    top, bottom = (0.655, 0.345), (0.655, 0.72)
    points += [_lerp(points[-1], top, k / 20) for k in range(1, 21)]
    points += [_lerp(top, bottom, k / 40) for k in range(1, 41)]
    for i in range(1, 31):
        t = math.radians(180 + i * 3)
        points.append((0.725 + 0.07 * math.cos(t), 0.72 - 0.07 * math.sin(t)))
    return points


def _lerp(a: Point, b: Point, k: float) -> Point:
    return (a[0] + (b[0] - a[0]) * k, a[1] + (b[1] - a[1]) * k)


def _background(size: int) -> Image.Image:
    """Rounded square with a top-left to bottom-right blue gradient and a soft shadow."""
    top, bottom = (66, 99, 235), (28, 54, 160)
    gradient = Image.new("RGBA", (size, size))
    pixels = gradient.load()
    assert pixels is not None
    for y in range(size):
        for x in range(0, size, 1):
            k = (x + y) / (2 * size - 2)
            colour = tuple(round(a + (b - a) * k) for a, b in zip(top, bottom, strict=True))
            pixels[x, y] = (*colour, 255)
    margin, radius = round(size * 0.06), round(size * 0.2)
    box = (margin, margin, size - margin, size - margin)
    mask = Image.new("L", (size, size), 0)
    ImageDraw.Draw(mask).rounded_rectangle(box, radius=radius, fill=255)
    shadow = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    shadow_box = (box[0], box[1] + size // 80, box[2], box[3] + size // 80)
    ImageDraw.Draw(shadow).rounded_rectangle(shadow_box, radius=radius, fill=(0, 0, 0, 90))
    shadow = shadow.filter(ImageFilter.GaussianBlur(size / 100))
    shadow.paste(gradient, (0, 0), mask)
    return shadow


def _stamp_stroke(
    draw: ImageDraw.ImageDraw, path: list[Point], radius: float, fill: tuple[int, ...]
) -> None:
    """A round-brush stroke: discs stamped along the path at a fraction of the radius apart."""
    step = radius / 6
    for a, b in itertools.pairwise(path):
        count = max(1, math.ceil(math.dist(a, b) / step))
        for k in range(count + 1):
            x, y = _lerp(a, b, k / count)
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=fill)


def draw_icon() -> Image.Image:
    """The icon at SIZE x SIZE, RGBA."""
    big = SIZE * SUPER
    image = _background(big)
    draw = ImageDraw.Draw(image)
    path = [(x * big, y * big) for x, y in _letter_path()]
    width = round(big * 0.075)
    _stamp_stroke(draw, path, width / 2, (255, 255, 255, 255))
    tip_x, tip_y = path[-1]
    r = width * 0.42
    draw.ellipse((tip_x - r, tip_y - r, tip_x + r, tip_y + r), fill=(255, 193, 7, 255))
    return image.resize((SIZE, SIZE), Image.Resampling.LANCZOS)


def main() -> None:
    """Write ocrpad.png (256 px), ocrpad.ico and ocrpad.icns."""
    icon = draw_icon()
    icon.resize((256, 256), Image.Resampling.LANCZOS).save(HERE / "ocrpad.png", optimize=True)
    icon.save(HERE / "ocrpad.ico", sizes=ICO_SIZES)
    icon.save(HERE / "ocrpad.icns")
    print("wrote", ", ".join(f"ocrpad{s}" for s in (".png", ".ico", ".icns")))


if __name__ == "__main__":
    main()
