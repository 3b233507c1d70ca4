"""Synthetic pen drawings of a few symbols the base model does not know (+ ? Σ #).

Used to measure and test how fine-tuning learns a new character from a handful of drawings:
each drawing picks one of several writing styles, wobbles every control point, bends the
lines slightly, and applies a random slant, rotation and aspect. Coordinates are in a 0…100
box, y down, like a canvas.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Final

import numpy as np
from numpy.typing import NDArray

Stroke = NDArray[np.float32]
Template = list[list[tuple[float, float]]]


def _arc(
    cx: float, cy: float, r: float, start: float, end: float, n: int = 9
) -> list[tuple[float, float]]:
    angles = np.deg2rad(np.linspace(start, end, n))
    return [(cx + r * float(np.cos(a)), cy + r * float(np.sin(a))) for a in angles]


def _plus(rng: np.random.Generator) -> Template:
    across = [(15.0, 50.0), (85.0, 50.0)]
    down = [(50.0, 15.0), (50.0, 85.0)]
    return [across, down] if rng.random() < 0.5 else [down, across]


def _question(rng: np.random.Generator) -> Template:
    hook = [*_arc(50, 30, 22, 200, 400, n=11), (52.0, 58.0), (50.0, 70.0)]
    if rng.random() < 0.4:
        hook = [*_arc(50, 30, 22, 180, 360, n=9), (60.0, 48.0), (50.0, 70.0)]
    dot = [(50.0, 88.0), (50.5, 90.0)]
    return [hook, dot]


def _sigma(rng: np.random.Generator) -> Template:
    outline = [(80.0, 12.0), (20.0, 12.0), (55.0, 50.0), (20.0, 88.0), (80.0, 88.0)]
    if rng.random() < 0.3:
        return [outline[:3], outline[2:]]
    return [outline]


def _hash(rng: np.random.Generator) -> Template:
    lines = [
        [(35.0, 12.0), (28.0, 88.0)],
        [(68.0, 12.0), (61.0, 88.0)],
        [(12.0, 35.0), (88.0, 35.0)],
        [(10.0, 65.0), (86.0, 65.0)],
    ]
    order = rng.permutation(4)
    return [lines[i] for i in order]


TEMPLATES: Final[dict[str, Callable[[np.random.Generator], Template]]] = {
    "+": _plus,
    "?": _question,
    "Σ": _sigma,
    "#": _hash,
}


def _densify(points: NDArray[np.float64], step: float = 3.0) -> NDArray[np.float64]:
    """Insert points so that consecutive points are at most ``step`` apart (like a pen)."""
    out = [points[:1]]
    for a, b in itertools.pairwise(points):
        n = max(1, int(np.ceil(np.linalg.norm(b - a) / step)))
        t = np.linspace(0, 1, n + 1)[1:, None]
        out.append(a + t * (b - a))
    return np.concatenate(out)


def draw_symbol(char: str, rng: np.random.Generator) -> list[Stroke]:
    """One random drawing of ``char`` (a key of ``TEMPLATES``) as (k, 2) float32 strokes."""
    template = TEMPLATES[char](rng)
    angle = np.deg2rad(rng.normal(0, 8))
    slant = rng.normal(0, 0.15)
    aspect = np.exp(rng.normal(0, 0.15))
    matrix = np.array([[aspect, slant], [0.0, 1.0]]) @ np.array(
        [[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]
    )
    strokes: list[Stroke] = []
    for stroke in template:
        control = np.array(stroke, dtype=np.float64) + rng.normal(0, 4.0, (len(stroke), 2))
        dense = _densify(control)
        bend = np.sin(np.linspace(0, np.pi, len(dense)))[:, None] * rng.normal(0, 3.0, 2)
        dense = dense + bend + rng.normal(0, 0.6, dense.shape)
        strokes.append(((dense - 50.0) @ matrix.T + 50.0).astype(np.float32))
    return strokes


def draw_many(char: str, count: int, rng: np.random.Generator) -> list[list[Stroke]]:
    return [draw_symbol(char, rng) for _ in range(count)]
