"""Write ``selftest_strokes.json``: the built-in drawings that ``ocrpad --self-test`` recognises.

Each character is written as a person would with a pen: a few strokes of lines and arcs, in
a 0..100 box (x right, y down), with a slight slant and a small seeded tremor, then stored as
integer tablet-like units. Run ``python assets/make_selftest_strokes.py``; the output is
deterministic. Only characters that the shipped model reads correctly belong in ``KEEP``:
``python assets/make_selftest_strokes.py --check weights/ocrpad-default.npz`` shows them.
"""

from __future__ import annotations

import itertools
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
Stroke = list[tuple[float, float]]


def line(*points: tuple[float, float], n: int = 12) -> Stroke:
    """A polyline through ``points``, each segment sampled at ``n`` points."""
    out: Stroke = [points[0]]
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        out += [(x0 + (x1 - x0) * k / n, y0 + (y1 - y0) * k / n) for k in range(1, n + 1)]
    return out


def arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float) -> Stroke:
    """An elliptical arc from ``start`` to ``end`` degrees (0 = right, 90 = down: y is down)."""
    count = max(8, round(abs(end - start) / 8))
    angles = np.radians(np.linspace(start, end, count + 1))
    return [(cx + rx * math.cos(a), cy + ry * math.sin(a)) for a in angles]


CHARACTERS: dict[str, Callable[[], list[Stroke]]] = {
    "0": lambda: [arc(50, 50, 28, 45, -100, 265)],
    "1": lambda: [line((38, 20), (54, 5), (54, 95))],
    "2": lambda: [arc(50, 30, 26, 25, 200, 390) + line((74, 38), (24, 95), (80, 95))],
    "3": lambda: [arc(48, 28, 24, 22, 210, 450) + arc(48, 72, 27, 23, -90, 150)],
    "4": lambda: [line((60, 5), (18, 65), (82, 65)), line((62, 35), (62, 96))],
    "5": lambda: [line((76, 5), (28, 5)), line((28, 5), (24, 46)) + arc(46, 68, 30, 28, -125, 150)],
    "6": lambda: [arc(66, 58, 42, 52, -95, -180) + arc(50, 72, 26, 24, 180, 540)],
    "7": lambda: [line((20, 6), (80, 6), (40, 96))],
    "8": lambda: [
        arc(50, 27, 21, 21, 20, -270)
        + line((29, 27), (71, 75))
        + arc(50, 75, 22, 21, -20, 200)
        + line((29, 75), (71, 27))
    ],
    "9": lambda: [  # the tail bends left at the foot, as a 9's does (a straight one is a q's)
        arc(48, 30, 24, 24, 0, 360) + line((72, 30), (70, 76)) + arc(50, 76, 20, 20, 0, 120)
    ],
    "A": lambda: [line((10, 96), (50, 4), (90, 96)), line((26, 60), (74, 60))],
    "E": lambda: [line((78, 5), (22, 5), (22, 95), (78, 95)), line((22, 50), (66, 50))],
    "F": lambda: [line((78, 5), (24, 5), (24, 96)), line((24, 48), (66, 48))],
    "H": lambda: [line((20, 5), (20, 95)), line((80, 5), (80, 95)), line((20, 50), (80, 50))],
    "K": lambda: [line((24, 4), (24, 96)), line((76, 4), (26, 56)), line((40, 42), (80, 96))],
    "L": lambda: [line((26, 4), (26, 95), (78, 95))],
    "M": lambda: [line((10, 96), (16, 4), (50, 70), (84, 4), (90, 96))],
    "N": lambda: [line((18, 96), (18, 4), (82, 96), (82, 4))],
    "R": lambda: [
        line((22, 96), (22, 5), (50, 5))
        + arc(50, 27, 26, 22, -90, 90)
        + line((50, 49), (22, 49), (82, 96))
    ],
    "T": lambda: [line((10, 6), (90, 6)), line((50, 6), (50, 96))],
    "Y": lambda: [line((14, 4), (50, 50)), line((86, 4), (50, 50), (50, 96))],
    "a": lambda: [arc(44, 68, 26, 26, -30, -390) + line((68, 44), (68, 88), (82, 96))],
    "b": lambda: [line((24, 2), (24, 96)) + arc(48, 70, 25, 26, 160, -160)],
    "d": lambda: [arc(50, 70, 26, 26, -20, -340) + line((76, 2), (76, 96))],
    "e": lambda: [line((22, 62), (76, 62)) + arc(50, 64, 28, 30, 0, -310)],
    "g": lambda: [
        arc(48, 30, 24, 24, -20, -380) + line((72, 10), (72, 84)) + arc(50, 84, 22, 14, 0, 160)
    ],
    "h": lambda: [
        line((24, 2), (24, 96)),
        line((24, 56)) + arc(48, 56, 24, 18, -170, 0) + line((72, 56), (72, 96)),
    ],
    "n": lambda: [
        line((24, 34), (24, 96)),
        arc(48, 52, 24, 18, -170, 0) + line((72, 52), (72, 96)),
    ],
    "r": lambda: [line((30, 34), (30, 96)), arc(58, 58, 28, 22, -170, -60)],
    "t": lambda: [line((44, 4), (44, 86)) + arc(58, 84, 14, 12, 180, 60), line((18, 34), (74, 34))],
}

LOOK_ALIKES = {"0", "1", "g"}  # 0 O o, 1 l I and g 9 are ambiguous by nature, even to people
KEEP: list[str] = [c for c in CHARACTERS if c not in LOOK_ALIKES]
"""The characters the shipped model reads correctly; the self-test expects every one."""
MARGIN = 0.5  # keep only drawings the shipped model reads with at least this probability


def hand(stroke: Stroke, rng: np.random.Generator, slant: float) -> list[list[int]]:
    """Slant, tremor and tablet units: (x, y) in 0..100 -> integer points in about 0..1000."""
    points = np.asarray(stroke, dtype=np.float64)
    points[:, 0] += (100 - points[:, 1]) * slant  # lean right, pivoting on the baseline
    points += rng.normal(0, 0.35, size=points.shape)
    return [[round(x * 10 + 200), round(y * 10 + 300)] for x, y in points]


def strokes_of(label: str) -> list[list[list[int]]]:
    """One character's strokes as integer points; the tremor is seeded by the character alone."""
    rng = np.random.default_rng([20261127, ord(label)])
    return [hand(s, rng, slant=0.12) for s in CHARACTERS[label]()]


def drawing(label: str) -> dict[str, object]:
    """One character as a JSON-ready drawing."""
    strokes = strokes_of(label)
    kind = "digit" if label.isdigit() else "upper" if label.isupper() else "lower"
    return {"name": f"{kind} {label}", "label": label, "strokes": strokes}


def check(weights: str) -> None:
    """Print how the model in ``weights`` reads every candidate drawing (to choose KEEP)."""
    from ocrpad.model import load_model
    from ocrpad.preprocess import render_strokes

    model = load_model(weights)
    for label in CHARACTERS:
        strokes = [np.asarray(s, np.float32) for s in strokes_of(label)]
        probs = model.predict_proba(render_strokes(strokes)[None, None])[0]
        order = np.argsort(-probs)[:3]
        top = ", ".join(f"{model.labels[i]} {probs[i]:.0%}" for i in order)
        right = model.labels[order[0]] == label
        verdict = "ok  " if right and probs[order[0]] >= MARGIN else "weak" if right else "BAD "
        print(f"{verdict} {label}: {top}{'' if label in KEEP else '   (not kept)'}")


def main() -> None:
    """Write the drawings of KEEP; with ``--check WEIGHTS``, report how a model reads them."""
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        check(sys.argv[2])
        return
    document = {
        "about": "Built-in drawings for ocrpad --self-test; written by make_selftest_strokes.py.",
        "units": "x right, y down, tablet-like integer units",
        "drawings": [drawing(label) for label in KEEP],
    }
    text = json.dumps(document, separators=(",", ":"))
    (HERE / "selftest_strokes.json").write_text(text.replace('{"name"', '\n{"name"') + "\n")
    print(f"wrote {len(KEEP)} drawings: {''.join(KEEP)}")


if __name__ == "__main__":
    main()
