"""The reader refuses malformed logits, geometry, histories and labels with a ValueError.

Before these checks a history row of -1 quietly read the last drawing as history, extra
history rows were ignored, NaN logits came back as label '0' with NaN odds, logits of two
drawings given to `answer` were read as one, and `history=None` or a list as a `Labelled`
label failed with a TypeError from deep inside.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray
from reading_helpers import bare_model, circle

from ocrpad.model import Model, load_model
from ocrpad.reading import Labelled, Reader
from ocrpad.reading.history import session_history

N = 4
HISTORY = [[1], [0], [0, 1], [0, 1, 2]]


@cache
def shipped() -> Model:
    """The shipped model: it has a context layer, so histories are read."""
    return load_model()


def logits(count: int = N) -> NDArray[np.float64]:
    return np.random.default_rng(0).standard_normal((count, shipped().num_classes))


def geometry(count: int = N) -> NDArray[np.float64]:
    return np.tile([3.0, 2.5, 0.0, 20.0, -3.0], (count, 1))


def test_a_well_formed_batch_is_read_whatever_the_order_of_the_history_rows() -> None:
    reader = Reader(shipped())
    writers = np.array(["a", "a", "b", "a"])
    later = session_history(writers)  # row 0's history lists rows 1 and 3: later rows are fine
    assert later[0] == [1, 3]
    for history in (None, HISTORY, later, [np.array(r, np.int64) for r in HISTORY]):
        probs = reader.read_batch(logits(), geometry(), history)
        assert probs.shape == (N, len(reader.labels))
        np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    as_arrays = [np.array(r, np.int64) for r in HISTORY]
    np.testing.assert_array_equal(
        reader.read_batch(logits(), geometry(), as_arrays),
        reader.read_batch(logits(), geometry(), HISTORY),
    )
    unknown = geometry()
    unknown[1] = np.nan  # a dot has no size, an unknown place is NaN: both allowed
    assert np.isfinite(reader.read_batch(logits(), unknown, HISTORY)).all()


@pytest.mark.parametrize(
    ("history", "message"),
    [
        ([[-1], [0], [0], [0]], r"row 0 lists -1, which is not a row of the batch \(0 … 3\)"),
        ([[1], [0], [9], [0]], r"row 2 lists 9, which is not a row"),
        ([[1], [0], [2], [0]], r"row 2 lists 2, itself"),
        ([[1], [0, 0], [0], [0]], r"row 1 lists 0 twice"),
        ([[1]] * 10, r"history rows: 10, drawings: 4"),
        ([[1]], r"history rows: 1, drawings: 4"),
        ([[0.5], [0], [0], [0]], r"row numbers \(whole numbers\), not 0\.5"),
        ([[True], [0], [0], [0]], r"row numbers \(whole numbers\), not True"),
        ([1, [0], [0], [0]], r"history row 0 must be a list, not 1"),
        ("abcd", r"history must be a list"),
    ],
)
def test_a_malformed_history_is_refused_by_row(history: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Reader(shipped()).read_batch(logits(), geometry(), history)


@pytest.mark.parametrize(
    ("net", "sizes", "message"),
    [
        (logits()[:, :5], geometry(), r"logits must be \(N, 94\).*\(4, 5\)"),
        (logits()[None], geometry(), r"logits must be \(N, 94\).*\(1, 4, 94\)"),
        (logits()[0], geometry(1), r"logits must be \(N, 94\).*\(94,\)"),
        (np.full((N, 94), np.nan), geometry(), r"NaN or infinite"),
        (np.full((N, 94), np.inf), geometry(), r"NaN or infinite"),
        (logits().astype(str), geometry(), r"real numbers"),
        (logits(), geometry(2), r"geometry has 2 rows for 4"),
        (logits(), geometry()[:, :3], r"sizes must be \(N, 2\), \(N, 4\) or \(N, 5\)"),
        (logits(), np.full((N, 5), np.inf), r"infinite value"),
    ],
)
def test_logits_and_geometry_of_the_wrong_shape_or_not_finite_are_refused(
    net: Any, sizes: Any, message: str
) -> None:
    for history in (None, HISTORY):
        with pytest.raises(ValueError, match=message):
            Reader(shipped()).read_batch(net, sizes, history)


@pytest.mark.parametrize(
    ("known", "message"),
    [
        ([0], r"known must be \(4,\)"),
        ([999, 0, 0, 0], r"known\[0\] = 999 is no class index"),
        ([-5, 0, 0, 0], r"known\[0\] = -5 is no class index"),
        ([0.0, 1.0, 2.0, 3.0], r"known must be \(4,\) whole numbers"),
    ],
)
def test_known_classes_outside_the_labels_are_refused(known: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Reader(shipped()).read_batch(logits(), geometry(), HISTORY, known=known)
    reader = Reader(shipped())
    assert reader.read_batch(logits(), geometry(), HISTORY, known=[-1, 3, -1, 0]).shape[0] == N


@pytest.mark.parametrize("model", [shipped, bare_model], ids=["with-context", "bare"])
def test_answer_takes_one_drawings_finite_logits_only(model: Any) -> None:
    reader = Reader(model())
    count = reader.model.num_classes
    one = np.random.default_rng(1).standard_normal(count)
    flat = reader.answer(one, circle(40))
    np.testing.assert_array_equal(
        reader.answer(one[None], circle(40)).probabilities, flat.probabilities
    )
    for bad, message in (
        (np.full(count, np.nan), r"NaN or infinite"),
        (np.zeros((2, count)), rf"one drawing's logits must be \({count},\) or \(1, {count}\)"),
        (np.zeros(count + 1), r"one drawing's logits"),
    ):
        with pytest.raises(ValueError, match=message):
            reader.answer(bad, circle(40))


@pytest.mark.parametrize("model", [shipped, bare_model], ids=["with-context", "bare"])
@pytest.mark.parametrize("history", [None, "abc", 5, {1: 2}])
def test_a_history_that_is_no_list_of_drawings_is_a_clear_error(model: Any, history: Any) -> None:
    reader = Reader(model())
    with pytest.raises(ValueError, match=r"history \(the earlier drawings; an empty list"):
        reader.read(circle(40), history=history)
    with pytest.raises(ValueError, match=r"history \(the earlier drawings"):
        reader.remember(history)
    assert reader.read(circle(40), history=(d for d in [circle(50)])).label in reader.labels


@pytest.mark.parametrize("label", [["a"], None, 7, b"a"])
def test_a_labelled_drawings_label_must_be_text(label: Any) -> None:
    with pytest.raises(ValueError, match="label must be a str"):
        Labelled(circle(40), label)
    reading = Reader(shipped()).read(circle(40), history=[Labelled(circle(50), "o")])
    assert reading.history_used == 1
