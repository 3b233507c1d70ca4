"""Why the reader chose its answer over the runner-up: the context layer's parts, which sum to
the log odds of the two."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from reading_helpers import bare_model, circle, cross, fitted_model

from ocrpad.charsets import default_charset
from ocrpad.data.unipen import load_unipen
from ocrpad.model import load_model
from ocrpad.reading import Labelled, Reader, Reading, WritingGuides
from ocrpad.reading.context import Frame
from ocrpad.reading.reasons import PARTS, named_parts

Drawing = list[NDArray[np.float32]]


def _log_odds(reading: Reading) -> float:
    probs = reading.probabilities.astype(np.float64)
    runner = reading.labels.index(str(reading.runner_up))
    return float(np.log(probs[reading.labels.index(reading.label)] / probs[runner]))


def _scribble(rng: np.random.Generator) -> Drawing:
    """A random drawing: one to three wandering strokes of random size and place."""
    size, x, y = rng.uniform(5, 400), rng.uniform(-300, 300), rng.uniform(-300, 300)
    strokes = []
    for _ in range(int(rng.integers(1, 4))):
        steps = rng.normal(0, 1, (int(rng.integers(3, 30)), 2)).cumsum(axis=0)
        strokes.append((steps / max(1e-6, np.ptp(steps)) * size + (x, y)).astype(np.float32))
    return strokes


def _checked(reading: Reading) -> bool:
    """The reading's reasons are PARTS, largest first, and sum to its log odds; False when the
    runner-up is too unlikely for float32 probabilities to say its log odds."""
    names = [part for part, _ in reading.reasons]
    values = [value for _, value in reading.reasons]
    assert set(names) <= set(PARTS) and len(names) == len(set(names))
    assert [abs(v) for v in values] == sorted((abs(v) for v in values), reverse=True)
    assert reading.runner_up is not None and reading.runner_up != reading.label
    probs = np.sort(reading.probabilities)[::-1]
    assert reading.probabilities[reading.labels.index(reading.runner_up)] == probs[1]
    if probs[1] < 1e-30:
        return False
    assert sum(values) == pytest.approx(_log_odds(reading), rel=1e-4, abs=1e-4)
    return True


def test_the_reasons_sum_to_the_log_odds_of_the_answer_over_the_runner_up() -> None:
    """The shipped reader, random drawings after random histories (some labelled, some with
    guides, some in a smaller set): the parts always add up to log(p_answer / p_runner_up)."""
    model = load_model()
    readers = [Reader(model, charset=default_charset(model.labels)), Reader(model, charset="upper")]
    rng = np.random.default_rng(0)
    checked, moved = 0, 0
    for trial in range(40):
        reader = readers[trial % 2]
        history: list[Drawing | Labelled] = [
            _scribble(rng) for _ in range(int(rng.integers(0, 12)))
        ]
        if trial % 3 == 0:  # a mostly labelled history: the head fitted for those
            history = [Labelled(d, str(rng.choice(reader.labels))) for d in history]
        guides = WritingGuides(200.0, 100.0, 0.0) if trial % 5 == 0 else None
        reading = reader.read(_scribble(rng), history=history, guides=guides)
        checked += _checked(reading)
        moved += dict(reading.reasons).get("shape", 0.0) < 0  # context moved the answer
    assert checked >= 30 and moved >= 1


def test_a_reader_without_a_context_layer_gives_the_shape_alone() -> None:
    reading = Reader(bare_model()).read(circle(50.0))
    assert [part for part, _ in reading.reasons] == ["shape"]
    assert reading.reasons[0][1] == pytest.approx(_log_odds(reading), rel=1e-4)


def test_a_set_of_one_class_has_no_runner_up_and_no_reasons() -> None:
    reading = Reader(fitted_model(), charset="O").read(circle(50.0))
    assert reading.label == "O" and reading.runner_up is None and reading.reasons == ()


def test_a_writer_whose_capitals_are_bigger_chooses_by_size() -> None:
    """Circles the network cannot tell apart: after small ones, a big circle is an O by its
    size against the others, not by its shape."""
    reader = Reader(fitted_model())
    reading = reader.read(circle(180.0), history=[circle(100.0), cross(100.0)] * 4)
    why = dict(reading.reasons)
    assert reading.label == "O" and reading.runner_up == "o"
    assert why["size"] > 0.3 and abs(why["shape"]) < why["size"]
    assert _checked(reading)


def test_the_named_parts_add_up_to_the_head() -> None:
    layer = Reader(load_model()).context
    assert layer is not None
    rng = np.random.default_rng(1)
    c = len(layer.labels)
    net, read = rng.normal(0, 4, (3, c)), rng.normal(0, 4, (3, c))
    geometry = np.array([[3.0, 2.5, -1.0, 20.0, -1.0], [4.0, 1.0, 0.0, 30.0, 0.5], [2, 2, 5, 9, 0]])
    frame = Frame(
        np.array([3.0, 3.5, 2.0]),
        np.tile(layer.group_prior, (3, 1)) * rng.uniform(0.5, 1.5, (3, len(layer.groups))),
        np.array([18.0, 25.0, np.nan]),
        np.array([0.2, 0.5, np.nan]),
        np.array([0.9, 0.1, 0.5]),
        np.ones(3),
        rng.uniform(0, 2, (3, c)),
    )
    parts = layer.head_parts(read, geometry, frame)
    np.testing.assert_array_equal(parts.total(), layer.head(read, geometry, frame))
    named = named_parts(layer, parts, net)
    assert set(named) == set(PARTS)
    np.testing.assert_allclose(sum(named.values()), parts.total(), rtol=1e-12, atol=1e-10)
    assert np.abs(named["coarse"]).max() > 0  # the logits the head read were corrected


@pytest.mark.data
def test_an_s_after_a_writers_capitals_is_a_capital_because_of_their_mix(
    unipen_dir: Path,
) -> None:
    """A real S that the network alone reads as s: after the same writer's capitals the mix
    of their drawings makes it S, while its shape alone still says s."""
    test = load_unipen(unipen_dir / "unipen-test.npz", images=False)
    chars = np.array(test.characters())
    rows = np.flatnonzero(test.writers == "apa/apa00/app0029.dat")
    capitals = [test.strokes(int(i)) for i in rows if chars[i] in "ABDEFGHJKLMNPQRTUY"][:20]
    s = test.strokes(int(next(i for i in rows if chars[i] == "S")))
    model = load_model()
    reader = Reader(model, charset=default_charset(model.labels))
    alone, after = reader.read(s), reader.read(s, history=capitals)
    assert (alone.label, alone.runner_up) == ("s", "S")
    assert dict(alone.reasons)["mix"] == 0.0  # no history: no mix
    assert (after.label, after.runner_up) == ("S", "s")
    why = dict(after.reasons)
    assert after.reasons[0][0] == "mix" and why["mix"] > 1.0 and why["shape"] < 0
    assert _checked(alone) and _checked(after)
