"""Measure how pictures of handwriting are read: is the ink told from the paper, and is the
character read right? Nothing is stored: the pictures are drawn in memory from UNIPEN test
drawings.

Each drawing becomes pictures under every condition: pen (thin: 1-2 pixels; medium; thick:
the character cropped tight, its ink covering 30-50 % of the frame), ink (dark on light paper,
light on dark, or only in the alpha channel of a transparent picture), light (even; or a
gradient across the frame with a soft shadow) and size (600×450, or 4000×3000 for a subset).
A picture's ink counts as found when its 28×28 input correlates positively with the drawing's
own rendering; its reading counts as right when the answer is the drawing's label (the
strokes' own rendering read by the same model is the ceiling, printed first).

    python -m ocrpad.devtools.picture_polarity --data ../shared/data/unipen/unipen-test.npz \\
        --count 200 --large 40
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFilter

from ocrpad.charsets import default_charset, taught_labels
from ocrpad.data.unipen import load_unipen
from ocrpad.model import Model, load_model
from ocrpad.preprocess import EmptyDrawingError, bitmap_to_input, render_params_of, render_strokes
from ocrpad.reading import Reader

PENS = ("thin", "medium", "thick")
INKS = ("dark", "light", "alpha")
LIGHTS = ("even", "shadow")


@dataclass(frozen=True)
class Condition:
    pen: str
    ink: str
    light: str
    size: tuple[int, int]  # (width, height)

    def name(self) -> str:
        return f"{self.pen:6} {self.ink:5} {self.light:6} {self.size[0]}×{self.size[1]}"


def draw(
    strokes: list[NDArray[np.float32]], cond: Condition, rng: np.random.Generator
) -> tuple[NDArray[np.uint8], float]:
    """A picture (H, W) uint8 grey or (H, W, 4) RGBA of `strokes` under `cond`, and the share
    of its pixels that are ink."""
    width, height = cond.size
    points = np.concatenate(strokes)
    low, high = points.min(axis=0), points.max(axis=0)
    extent = float(max(high - low)) or 1.0
    if cond.pen == "thick":  # tight crop: the character fills the frame edge to edge
        fill, pen = 0.97, 0.24
    elif cond.pen == "medium":
        fill, pen = 0.6, 0.06
    else:
        fill, pen = 0.6, 0.0
    scale = fill * min(width, height) / extent
    pen_px = max(1, round(pen * extent * scale)) if pen else int(rng.integers(1, 3))
    centre = (low + high) / 2
    mask = Image.new("L", cond.size, 0)
    pencil = ImageDraw.Draw(mask)
    r = pen_px / 2
    for stroke in strokes:
        xy = [(float(x), float(y)) for x, y in (stroke - centre) * scale + (width / 2, height / 2)]
        if len(xy) > 1:
            pencil.line(xy, fill=255, width=pen_px, joint="curve")
        for x, y in (xy[0], xy[-1]):
            pencil.ellipse((x - r, y - r, x + r, y + r), fill=255)
    ink = np.asarray(mask, dtype=np.float32) / 255.0  # (H, W) 1 = ink
    share = float((ink > 0.5).mean())
    if cond.ink == "alpha":
        rgba = np.zeros((height, width, 4), np.uint8)
        rgba[..., :3] = 255 if rng.random() < 0.5 else 0  # white or black ink, all see-through
        rgba[..., 3] = np.round(ink * 255).astype(np.uint8)
        return rgba, share
    paper, pen_level = (0.85, 0.15) if cond.ink == "dark" else (0.15, 0.85)
    paper += float(rng.uniform(-0.08, 0.08))
    pen_level += float(rng.uniform(-0.1, 0.1))
    if cond.light == "shadow":
        ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
        angle = rng.uniform(0, 2 * np.pi)
        ramp = (np.cos(angle) * xs / width + np.sin(angle) * ys / height) * 0.35
        shade = Image.new("L", cond.size, 0)
        corner = (rng.uniform(-0.3, 0.5) * width, rng.uniform(-0.3, 0.5) * height)
        ImageDraw.Draw(shade).ellipse(
            (*corner, corner[0] + width * 0.7, corner[1] + height * 0.7), fill=255
        )
        shade = shade.filter(ImageFilter.GaussianBlur(0.08 * min(width, height)))
        light = 1.0 - ramp + ramp.mean() - 0.3 * np.asarray(shade, np.float32) / 255.0
    else:
        light = np.float32(1.0)
    grey = (paper + (pen_level - paper) * ink) * light
    grey += rng.normal(0, 0.02, grey.shape).astype(np.float32)
    return np.round(np.clip(grey, 0, 1) * 255).astype(np.uint8), share


def conditions(large: bool) -> Iterator[Condition]:
    for pen in PENS:
        for ink in INKS:
            for light in LIGHTS if ink != "alpha" else ("even",):
                yield Condition(pen, ink, light, (4000, 3000) if large else (600, 450))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="unipen-test.npz")
    parser.add_argument("--count", type=int, default=200, help="drawings per condition")
    parser.add_argument("--large", type=int, default=40, help="drawings per 4000×3000 condition")
    parser.add_argument("--weights", type=Path, default=None)
    args = parser.parse_args()
    data = load_unipen(args.data, images=False)
    model = load_model(args.weights)
    params = render_params_of(model.meta)
    reader = Reader(model, charset=default_charset(model.labels, taught_labels(model.meta)))
    rng = np.random.default_rng(0)
    picked = rng.choice(len(data), size=max(args.count, args.large), replace=False)
    truth = [data.mapping[int(data.labels[i])] for i in picked]
    drawings = [data.strokes(int(i)) for i in picked]
    canon = np.stack([render_strokes(s, params) for s in drawings])  # (N, 28, 28)
    right = [label_of(model, reader, x) == t for x, t in zip(canon, truth, strict=True)]
    print(f"ceiling (strokes rendered): {np.mean(right[: args.count]):.1%} read right")
    print("condition                       ink share  ink found  read right  no ink  s/pic")
    totals = np.zeros(3)
    for large, count in ((False, args.count), (True, args.large)):
        for cond in conditions(large):
            found = read = empty = 0
            shares = []
            start = time.perf_counter()
            for k in range(count):
                picture, share = draw(drawings[k], cond, rng)
                shares.append(share)
                try:
                    x = bitmap_to_input(picture, params)
                except EmptyDrawingError:
                    empty += 1
                    continue
                found += np.corrcoef(x.ravel(), canon[k].ravel())[0, 1] > 0.2
                read += label_of(model, reader, x) == truth[k]
            seconds = (time.perf_counter() - start) / count
            totals += (found, read, count)
            print(
                f"{cond.name():31} {np.mean(shares):8.0%} {found / count:10.1%} "
                f"{read / count:11.1%} {empty:7d} {seconds:6.2f}"
            )
    print(f"all: ink found {totals[0] / totals[2]:.1%}, read right {totals[1] / totals[2]:.1%}")


def label_of(model: Model, reader: Reader, image: NDArray[np.float32]) -> str:
    """The reader's answer for one (28, 28) input."""
    return reader.answer(model.logits(image[None, None])[0], []).label


if __name__ == "__main__":
    main()
