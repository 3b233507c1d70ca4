"""Where a drawing sits against the writer's baseline, and odds calibrated per character set."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

import numpy as np
import pytest
from numpy.typing import NDArray
from reading_helpers import circle, dash, lined_model

from ocrpad.reading import Reader, WritingGuides, context_of
from ocrpad.reading.calibrate import fit_temperatures
from ocrpad.reading.scoring import expected_calibration_error

SCALE, BASE = 50.0, 200.0
LINE = [
    circle(SCALE, 0, BASE),
    dash(SCALE, BASE - SCALE / 2),
    circle(SCALE * 1.05, 0, BASE + 1),
    dash(SCALE, BASE),
    circle(SCALE * 0.95, 0, BASE - 1),
    dash(SCALE, BASE - SCALE / 2),
]


def centred(drawing: list[NDArray[np.float32]], y: float = 100.0) -> list[NDArray[np.float32]]:
    """The drawing moved so that its middle is at height y, as on a free canvas."""
    points = np.concatenate(drawing)
    middle = (points[:, 1].min() + points[:, 1].max()) / 2
    return [s - np.array([0, middle - y], dtype=np.float32) for s in drawing]


def test_on_a_line_of_writing_a_dash_floats_and_an_underscore_lies_on_the_baseline() -> None:
    reader = Reader(lined_model())
    floating = reader.read(dash(SCALE, BASE - SCALE / 2), history=LINE)
    lying = reader.read(dash(SCALE, BASE), history=LINE)
    assert floating.label == "-" and lying.label == "_"
    assert floating.probabilities.max() > 0.9 and lying.probabilities.max() > 0.9
    alone = reader.read(dash(SCALE, BASE - SCALE / 2)).probabilities
    assert alone.max() < 0.75  # the same stroke without history: shape alone cannot tell


def test_a_free_canvas_history_leaves_a_centred_line_undecided() -> None:
    reader = Reader(lined_model())
    free = [centred(d) for d in LINE]  # every drawing in the middle of the canvas
    reading = reader.read(centred(dash(SCALE, 0)), history=free)
    odds = dict(zip(reading.labels, reading.probabilities, strict=True))
    assert odds["-"] > 0.1 and odds["_"] > 0.1
    assert context_of(lined_model()).wobbly_weight < context_of(lined_model()).place_weight * 4


def test_the_place_does_not_depend_on_units_or_where_the_line_is() -> None:
    reader = Reader(lined_model())
    moved = [[s * 3 + np.float32(-700) for s in d] for d in LINE]
    drawing = dash(SCALE, BASE - SCALE / 2)
    a = reader.read(drawing, history=LINE).probabilities
    b = reader.read([s * 3 + np.float32(-700) for s in drawing], history=moved).probabilities
    np.testing.assert_allclose(a, b, atol=1e-4)


def test_junk_and_dots_in_the_history_do_not_break_the_place() -> None:
    reader = Reader(lined_model())
    dot = [np.array([[5.0, 5.0]], dtype=np.float32)]
    broken = [np.array([[0.0, np.nan], [1.0, 2.0]], dtype=np.float32)]
    far = circle(SCALE, 0, BASE + 1e6)  # someone else's drawing on another page
    reading = reader.read(dash(SCALE, BASE), history=[dot, *LINE, broken, far])
    assert reading.label == "_" and reading.history_used == len(LINE) + 1


def test_a_model_file_from_before_the_place_and_per_set_temperatures_reads_as_before() -> None:
    model = lined_model().copy()
    for key in ("reader.place_mu", "reader.place_sd"):
        del model.extras[key]
    model.meta = {**model.meta, "reader": dict(model.meta["reader"])}
    for key in ("place_weight", "wobbly_weight", "place_clip", "guide_spread", "temperatures"):
        del model.meta["reader"][key]
    old = context_of(model)
    assert old is not None and old.place_mu is None and old.temperatures is None
    full = context_of(lined_model())
    assert full is not None
    expected = Reader(lined_model())
    expected.context = replace(full, place_mu=None, place_sd=None, temperatures=None)
    reading = Reader(model).read(dash(SCALE, BASE), history=LINE)
    np.testing.assert_allclose(
        reading.probabilities,
        expected.read(dash(SCALE, BASE), history=LINE).probabilities,
        atol=1e-6,
    )


def test_a_damaged_place_is_named() -> None:
    model = lined_model().copy()
    model.extras["reader.place_sd"] = -np.ones((3, 2), dtype=np.float32)
    with pytest.raises(ValueError, match="place spread"):
        context_of(model)


class _Labels:
    labels: ClassVar[list[str]] = ["a", "b", "c", "-", "_", "."]


def test_each_character_set_gets_its_own_temperature_from_held_out_writers() -> None:
    rng = np.random.default_rng(0)
    n = 6000
    y = rng.integers(0, 6, n)
    symbol = y >= 3
    # letters: right 95% of the time, shown timidly; symbols: right 60%, shown boldly
    right = rng.random(n) < np.where(symbol, 0.6, 0.95)
    read = np.where(right, y, np.where(symbol, 3 + (y - 3 + 1) % 3, (y + 1) % 3))
    z = np.zeros((n, 6))
    z[np.arange(n), read] = np.where(symbol, 4.0, 1.5)
    has = (rng.random(n) < 0.5).astype(np.float64)
    overall, per_set = fit_temperatures(z, has, y, _Labels())  # type: ignore[arg-type]
    default, symbols = per_set[0], per_set[1]
    assert (symbols > 1.5).all() and (default < 1.0).all()  # bold ones cooled, timid warmed
    for rows, t in ((~symbol, default[0]), (symbol, symbols[0])):
        columns = slice(3, 6) if rows is symbol else slice(0, 3)
        part = z[rows][:, columns]
        truth = y[rows] - (3 if rows is symbol else 0)

        def softmax(a: NDArray[np.float64]) -> NDArray[np.float64]:
            e = np.exp(a - a.max(axis=1, keepdims=True))
            return np.asarray(e / e.sum(axis=1, keepdims=True))

        before = expected_calibration_error(softmax(part / overall), truth)
        after = expected_calibration_error(softmax(part / t), truth)
        assert after < before and after < 0.03


def test_writing_guides_give_the_baseline_from_the_first_drawing() -> None:
    reader = Reader(lined_model())
    guides = WritingGuides(baseline=BASE, x_line=BASE - SCALE, cap_line=BASE - 1.6 * SCALE)
    assert reader.read(dash(SCALE, BASE), guides=guides).label == "_"
    assert reader.read(dash(SCALE, BASE - SCALE / 2), guides=guides).label == "-"


def test_the_reading_says_how_far_below_the_line_a_drawing_ends() -> None:
    reader = Reader(lined_model())
    lying = reader.read(dash(SCALE, BASE), history=LINE).below_line
    floating = reader.read(dash(SCALE, BASE - SCALE / 2), history=LINE).below_line
    assert lying is not None and floating is not None
    assert abs(lying) < 0.3 and lying - floating > 0.5  # in usual heights: half a circle
    assert reader.read(dash(SCALE, BASE)).below_line is None  # no history: no line
