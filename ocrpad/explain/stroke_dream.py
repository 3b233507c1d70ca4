"""Class dreams drawn with a pen: gradient ascent on the control points of a few strokes.

Pixel-space ascent drifts off what the network was trained on (pen strokes framed in a 20 px
box) into smears the network is sure of and people cannot read. Here every dream stays a
drawing: a few smooth strokes (`ocrpad.explain.pen`), rendered like the training drawings, and
the ascent moves their control points through the renderer's gradient. Each step draws every
drawing with a random small shift, zoom, rotation and pen width, so a drawing only scores if
it is read as the class however it is placed; after each step the drawing is framed as the
renderer frames drawings (its longer side fills the box, centred by ink mass).

The objective is the class's logit plus half its log-probability, less a little for the
strokes' length and for their turns (no hatching, no zigzags). Every class starts from several
random drawings of one to `strokes` strokes; after the exploring steps only the best `keep`
(by their recent log-probability, less a little for each extra stroke) continue, and the best
one at the end is the dream. A seed makes it reproducible.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import NDArray

from ocrpad.bounds import MAX_INPUT_SIZE, range_in
from ocrpad.explain.checks import check_fields
from ocrpad.explain.graph import backward_from, forward_to
from ocrpad.explain.pen import DEFAULT_PEN, Pen, draw, draw_backward, spline_basis
from ocrpad.nn import Sequential
from ocrpad.nn.functional import softmax
from ocrpad.nn.module import to_cf

FloatArray = NDArray[np.float32]
_WHOLE_FIELDS = {  # StrokeSettings' whole-number fields and their (lowest, highest) value
    "strokes": (1, 16),
    "controls": (2, 32),
    "samples": (2, 256),
    "restarts": (1, 256),
    "keep": (1, 256),
}
_NUMBER_FIELDS = {  # its other numbers (weights are relative to the objective's gradient)
    "explore": (0.0, 1.0),
    "rate": (0.0, 100.0),
    "log_softmax": (0.0, 100.0),
    "length": (0.0, 100.0),
    "bend": (0.0, 100.0),
    "stroke_cost": (0.0, 100.0),
    "shift": (0.0, float(MAX_INPUT_SIZE)),
    "zoom": (0.0, 0.9),
    "rotate": (0.0, 180.0),
    "box": (1.0, float(MAX_INPUT_SIZE)),
}


@dataclass(frozen=True)
class StrokeSettings:
    """The drawings and their ascent; lengths in output pixels."""

    strokes: int = 3  # at most this many strokes per drawing
    controls: int = 6  # control points per stroke
    samples: int = 14  # points along each stroke (its polyline)
    restarts: int = 8  # random starting drawings per class
    keep: int = 1  # restarts that go on after the exploring steps
    explore: float = 0.2  # the share of the steps every restart takes
    rate: float = 0.5  # Adam step at the start (pixels); cosine decay to a tenth of it
    log_softmax: float = 0.5  # the objective: logit + this x log p(class)
    # the costs, relative to the objective's mean gradient over the drawn control points:
    length: float = 0.2  # - this x the strokes' length in pixels (less ink, fewer hatchings)
    bend: float = 0.1  # - this x the sum of squared turns (second differences) along strokes
    stroke_cost: float = 0.1  # choosing restarts: log p(class) - this x (strokes - 1)
    shift: float = 1.5  # random placement of each drawn copy: up to this many pixels,
    zoom: float = 0.12  # a scale factor within 1 +- zoom (0.08 left a g that read as y small),
    rotate: float = 8.0  # a rotation within +- this many degrees,
    width: tuple[float, float] = (0.8, 1.3)  # and a pen width factor in this range
    box: float = 20.0  # the longer side of the framed drawing
    pen: Pen = DEFAULT_PEN

    def __post_init__(self) -> None:
        """Refuse drawings the ascent cannot make (a ValueError naming the field): no strokes
        or restarts, more survivors than restarts, a NaN rate, a pen width range upside down."""
        check_fields(self, _WHOLE_FIELDS, _NUMBER_FIELDS)
        if self.keep > self.restarts:
            raise ValueError(
                f"StrokeSettings.keep = {self.keep} exceeds restarts = {self.restarts}"
            )
        range_in({"StrokeSettings.width": self.width}, "StrokeSettings.width", 0.05)
        if not isinstance(self.pen, Pen):
            raise ValueError(f"StrokeSettings.pen must be a Pen, not {self.pen!r}")


@dataclass
class _State:
    """The drawings in flight: B = classes x restarts (a class's restarts side by side)."""

    controls: FloatArray  # (B, S, K, 2)
    active: NDArray[np.bool_]  # (B, S)
    classes: NDArray[np.intp]  # (B,)
    score: FloatArray  # (B,) running mean of log p(class)
    moment: FloatArray  # Adam's first moment (B, S, K, 2)
    power: FloatArray  # Adam's second moment (B, S, K, 2)

    def take(self, rows: NDArray[np.intp]) -> _State:
        """The drawings at `rows` (with their scores and Adam moments)."""
        return _State(**{f.name: getattr(self, f.name)[rows] for f in fields(self)})


@dataclass(frozen=True)
class Sketch:
    """One drawing per class: the polylines `points` (K, S, M, 2) (x, y in output pixels) of
    which the strokes marked in `active` (K, S) are drawn."""

    points: FloatArray
    active: NDArray[np.bool_]

    def images(self, pen: Pen = DEFAULT_PEN) -> FloatArray:
        """Draw them as they are (no jitter, the pen's own width): (K, size, size) in [0, 1]."""
        width = np.full(len(self.points), pen.width, dtype=np.float32)
        images, _ = draw(self.points, self.active, width, pen)
        return images

    def strokes(self, index: int) -> list[FloatArray]:
        """The drawn strokes of drawing `index`, each (M, 2) x, y."""
        return [p for p, on in zip(self.points[index], self.active[index], strict=True) if on]


def iter_sketches(
    network: Sequential,
    classes: NDArray[np.intp],
    steps: int,
    settings: StrokeSettings,
    rng: np.random.Generator,
    log_softmax: bool = False,
) -> Iterator[Sketch]:
    """Ascend `classes` (K,) for `steps` steps, yielding the best drawing of each class after
    every step. `log_softmax` ascends log p(class) alone instead of the settings' mix."""
    basis = spline_basis(settings.controls, settings.samples)  # (M, K)
    state = _start(classes, settings, rng)
    explore = max(1, round(settings.explore * steps))
    mix = (0.0, 1.0) if log_softmax else (1.0, settings.log_softmax)
    for step in range(steps):
        if step == explore:
            chosen = _survivors(state, len(classes), settings.keep, settings.stroke_cost)
            state = state.take(chosen)
        rate = settings.rate * (0.55 + 0.45 * np.cos(np.pi * step / max(steps - 1, 1)))
        _ascend(network, state, basis, settings, rng, mix, float(rate), step + 1)
        state.controls = frame(state.controls, state.active, basis, settings)
        best = _survivors(state, len(classes), 1, settings.stroke_cost)
        points = np.einsum("mk,bskc->bsmc", basis, state.controls[best]).astype(np.float32)
        yield Sketch(points, state.active[best])


def _start(classes: NDArray[np.intp], settings: StrokeSettings, rng: np.random.Generator) -> _State:
    """Random smooth scribbles, restarts of each class with 1, 2, ... strokes in turn."""
    count = len(classes) * settings.restarts
    s, k = settings.strokes, settings.controls
    turn = rng.normal(0.0, 0.9, (count, s, k))  # heading changes between control points
    heading = rng.uniform(0, 2 * np.pi, (count, s, 1)) + np.cumsum(turn, axis=2)
    steps = np.stack([np.cos(heading), np.sin(heading)], axis=-1) * 3.0  # (B, S, K, 2)
    origin = rng.uniform(6.0, 21.0, (count, s, 1, 2))
    controls = (origin + np.cumsum(steps, axis=2) - steps[:, :, :1]).astype(np.float32)
    used = np.arange(count) % settings.restarts % s + 1  # strokes drawn by each restart
    active = np.arange(s)[None, :] < used[:, None]
    zeros = np.zeros_like(controls)
    state = _State(
        controls,
        active,
        np.repeat(classes, settings.restarts),
        np.zeros(count, np.float32),
        zeros,
        zeros.copy(),
    )
    basis = spline_basis(k, settings.samples)
    state.controls = frame(state.controls, state.active, basis, settings)
    return state


def _ascend(
    network: Sequential,
    state: _State,
    basis: FloatArray,
    settings: StrokeSettings,
    rng: np.random.Generator,
    mix: tuple[float, float],
    rate: float,
    step: int,
) -> None:
    """One Adam step up the objective of randomly placed copies of the drawings, in place."""
    matrix, offset = _placements(len(state.classes), settings, rng)  # (B, 2, 2), (B, 1, 1, 2)
    centre = np.float32(settings.pen.size / 2 - 0.5)
    placed = (state.controls - centre) @ matrix.transpose(0, 2, 1)[:, None] + centre + offset
    points = np.einsum("mk,bskc->bsmc", basis, placed).astype(np.float32)
    low, high = settings.width
    width = (settings.pen.width * rng.uniform(low, high, len(points))).astype(np.float32)
    images, drawing = draw(points, state.active, width, settings.pen)
    log_p, grad = _objective(network, images, state.classes, mix)
    state.score = np.where(step == 1, log_p, 0.8 * state.score + 0.2 * log_p).astype(np.float32)
    dpoints = draw_backward(drawing, grad)
    dplaced = np.einsum("mk,bsmc->bskc", basis, dpoints)
    up = (dplaced @ matrix[:, None]).astype(np.float32)  # back through the placement
    drawn = state.active.sum(axis=1) * up.shape[2] * 2  # (B,) drawn coordinates
    up /= (np.abs(up).sum(axis=(1, 2, 3)) / drawn + 1e-12)[:, None, None, None]
    if settings.length:
        up -= settings.length * _length_grad(state.controls, state.active, basis)
    if settings.bend:
        up -= settings.bend * _bend_grad(state.controls, basis)
    state.moment = 0.8 * state.moment + 0.2 * up
    state.power = 0.99 * state.power + 0.01 * up * up
    fresh_m = state.moment / (1 - 0.8**step)
    fresh_v = state.power / (1 - 0.99**step)
    state.controls = state.controls + rate * fresh_m / (np.sqrt(fresh_v) + 1e-8)


def _placements(
    count: int, settings: StrokeSettings, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray]:
    """Random rotation x zoom matrices (B, 2, 2) and shifts (B, 1, 1, 2)."""
    angle = np.deg2rad(rng.uniform(-settings.rotate, settings.rotate, count))
    scale = rng.uniform(1 - settings.zoom, 1 + settings.zoom, count)
    cos, sin = np.cos(angle) * scale, np.sin(angle) * scale
    matrix = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], -2)
    shift = rng.uniform(-settings.shift, settings.shift, (count, 1, 1, 2))
    return matrix.astype(np.float32), shift.astype(np.float32)


def _objective(
    network: Sequential, images: FloatArray, classes: NDArray[np.intp], mix: tuple[float, float]
) -> tuple[FloatArray, FloatArray]:
    """log p(class) (B,) and the gradient of mix[0] x logit + mix[1] x log p(class) over the
    images (B, size, size)."""
    top = len(network.layers) - 1
    logits = forward_to(network, images[:, None], top)  # (B, C)
    probs = softmax(logits)
    rows = np.arange(len(classes))
    dy = -mix[1] * probs
    dy[rows, classes] += mix[0] + mix[1]
    grad = to_cf(backward_from(network, dy.astype(np.float32), top))[:, 0]
    log_p = np.log(probs[rows, classes] + 1e-12).astype(np.float32)
    return log_p, grad.astype(np.float32)


def _length_grad(controls: FloatArray, active: NDArray[np.bool_], basis: FloatArray) -> FloatArray:
    """The gradient of the drawn strokes' total length over the controls (B, S, K, 2)."""
    points = np.einsum("mk,bskc->bsmc", basis, controls)  # (B, S, M, 2)
    step = np.diff(points, axis=2)
    unit = step / (np.linalg.norm(step, axis=-1, keepdims=True) + 1e-6) * active[:, :, None, None]
    grad = np.zeros_like(points)
    grad[:, :, :-1] -= unit
    grad[:, :, 1:] += unit
    out: FloatArray = np.einsum("mk,bsmc->bskc", basis, grad).astype(np.float32)
    return out


def _bend_grad(controls: FloatArray, basis: FloatArray) -> FloatArray:
    """The gradient of the summed squared second differences of the points along each stroke
    over the controls (B, S, K, 2)."""
    points = np.einsum("mk,bskc->bsmc", basis, controls)  # (B, S, M, 2)
    turn = points[:, :, 2:] - 2 * points[:, :, 1:-1] + points[:, :, :-2]  # (B, S, M-2, 2)
    grad = np.zeros_like(points)
    grad[:, :, 2:] += 2 * turn
    grad[:, :, 1:-1] -= 4 * turn
    grad[:, :, :-2] += 2 * turn
    out: FloatArray = np.einsum("mk,bsmc->bskc", basis, grad).astype(np.float32)
    return out


def _survivors(
    state: _State, classes: int, keep: int, stroke_cost: float = 0.0
) -> NDArray[np.intp]:
    """Rows of the best `keep` restarts of every class, class by class."""
    restarts = len(state.score) // classes
    penalty = stroke_cost * (state.active.sum(axis=1) - 1)
    scores = (state.score - penalty).reshape(classes, restarts)
    order = np.argsort(-scores, axis=1, kind="stable")[:, :keep]
    rows: NDArray[np.intp] = (order + np.arange(classes)[:, None] * restarts).ravel()
    return rows


def frame(
    controls: FloatArray, active: NDArray[np.bool_], basis: FloatArray, settings: StrokeSettings
) -> FloatArray:
    """Frame drawings as the renderer frames strokes: the longer side of the drawn strokes'
    centre lines scaled to `box`, centred by ink mass (as far as the image leaves room).

    controls (B, S, K, 2), active (B, S) -> framed controls (B, S, K, 2)."""
    points = np.einsum("mk,bskc->bsmc", basis, controls)  # (B, S, M, 2)
    mask = active[:, :, None, None]
    low = np.where(mask, points, np.inf).min(axis=(1, 2))  # (B, 2)
    high = np.where(mask, points, -np.inf).max(axis=(1, 2))
    scale = settings.box / np.maximum((high - low).max(axis=1), 1.0)  # (B,)
    seg = np.linalg.norm(np.diff(points, axis=2), axis=-1) * active[:, :, None]  # (B, S, M-1)
    mid = 0.5 * (points[:, :, 1:] + points[:, :, :-1])
    mass = (mid * seg[..., None]).sum(axis=(1, 2)) / np.maximum(seg.sum(axis=(1, 2)), 1e-6)[:, None]
    box_centre = 0.5 * (low + high)
    pen = settings.pen
    room = 0.5 * (pen.size - (high - low) * scale[:, None]) - (0.5 * pen.width + 2 * pen.blur + 0.5)
    limit = np.maximum(room, 0.0) / scale[:, None]
    centre = box_centre + np.clip(mass - box_centre, -limit, limit)  # (B, 2)
    middle = pen.size / 2 - 0.5
    framed: FloatArray = (controls - centre[:, None, None]) * scale[:, None, None, None] + middle
    return framed.astype(np.float32)
