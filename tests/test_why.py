"""The sentence under the answer: why it is the answer and not the runner-up."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from why_helpers import capitals_and_s

from ocrpad.app.draw.prediction import Prediction
from ocrpad.app.draw.spoken import character_name
from ocrpad.app.draw.why import MEANINGFUL, shorter, why
from ocrpad.app.draw.worker import Request, recognise
from ocrpad.model import load_model


def _prediction(
    label: str, runner_up: str, reasons: dict[str, float], **more: object
) -> Prediction:
    ordered = tuple(sorted(reasons.items(), key=lambda pair: -abs(pair[1])))
    labels = [label, runner_up]
    probs = np.array([0.7, 0.3], dtype=np.float32)
    return Prediction(
        0,
        label,
        labels,
        probs,
        np.zeros((28, 28), np.float32),
        runner_up=runner_up,
        reasons=ordered,
        **more,  # type: ignore[arg-type]
    )


@pytest.mark.data
def test_an_s_after_capitals_says_the_history_leans_to_capitals_and_alone_its_shape(
    unipen_dir: Path,
) -> None:
    capitals, s = capitals_and_s(unipen_dir)
    model = load_model()
    alone = recognise(model, Request(1, tuple(s)))
    after = recognise(model, Request(2, tuple(s), history=tuple(capitals)))
    assert why(alone).startswith("s, not S: its shape is more like s.")
    said = why(after)  # the mix named first: it pushed the most
    assert said.startswith("S, not s: your earlier drawings lean to capitals rather than small")
    assert said.endswith(" alone it is more like s.") and ". By its shape" in said
    heard = why(after, character_name)
    assert heard.startswith("capital S, not small s: your earlier drawings lean to capitals")
    assert heard.endswith("it is more like small s.")


def test_nothing_is_said_when_the_shape_chose_an_answer_with_no_look_alike() -> None:
    plain = _prediction("7", "1", {"shape": 2.0, "mix": 0.8})
    assert why(plain) == "" and shorter(plain) == []
    moved = _prediction("7", "1", {"shape": -0.4, "mix": 0.8})  # context moved it: said
    assert why(moved) == (
        "7, not 1: the mix of your earlier drawings suits 7 better. By its shape alone it is"
        " more like 1."
    )


def test_only_parts_that_pushed_by_a_meaningful_amount_are_named() -> None:
    small = MEANINGFUL * 0.9
    prediction = _prediction(
        "O",
        "o",
        {"size": 1.2, "shape": small, "place": -small, "likeness": 0.5},
        look_alikes=("o",),
        like_earlier=("O", 0.9),
    )
    assert why(prediction) == (
        "O, not o: its size against your other drawings suits O better; it is like your earlier O."
    )
    nothing = _prediction("O", "o", {"size": small, "shape": small}, look_alikes=("o",))
    assert why(nothing) == ""


def test_each_part_is_said_in_words_and_guides_are_named_as_such() -> None:
    prediction = _prediction(
        "p",
        "P",
        {"place": 1.5, "size": 1.0, "coarse": 0.6, "prior": 0.4},
        look_alikes=("P",),
        by_guides=True,
    )
    assert why(prediction) == (
        "p, not P: where its top and bottom sit against the baseline suits p better; its size"
        " against the guides suits p better; it has few points, and the correction for such"
        " traces favours p."
    )
    assert shorter(prediction) == [
        why(prediction),
        "p, not P: where its top and bottom sit against the baseline suits p better.",
    ]


def test_a_reading_with_no_runner_up_says_nothing() -> None:
    lone = Prediction(0, "O", ["O"], np.ones(1, np.float32), np.zeros((28, 28), np.float32))
    assert why(lone) == "" and shorter(lone) == []
