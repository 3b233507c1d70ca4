"""Metrics matched by character: merged pairs, top-3, restricted and per-group argmax."""

from __future__ import annotations

import numpy as np
import pytest

from ocrpad.learning.evaluate import (
    METRIC_KEYS,
    confused_pairs,
    confusion_matrix,
    merge_case,
    metrics,
)


def _probs(rows: list[dict[str, float]], labels: list[str]) -> np.ndarray:
    out = np.full((len(rows), len(labels)), 0.001, dtype=np.float32)
    for i, row in enumerate(rows):
        for c, p in row.items():
            out[i, labels.index(c)] = p
    return out / out.sum(axis=1, keepdims=True)


LABELS = ["0", "1", "O", "l", "o", "x"]


def test_metrics_have_exactly_the_documented_keys() -> None:
    result = metrics(_probs([{"0": 1}], LABELS), LABELS, ["0"])
    assert tuple(result) == METRIC_KEYS
    assert set(result["per_group"]) == {"digits", "upper", "lower"}


def test_case_pairs_merge_only_for_the_fifteen_look_alikes() -> None:
    assert merge_case("O") == "o" and merge_case("X") == "x" and merge_case("o") == "o"
    assert merge_case("A") == "A" and merge_case("a") == "a" and merge_case("0") == "0"


def test_figures_on_a_hand_made_example() -> None:
    truth = ["o", "O", "0", "l", "x"]
    rows = [
        {"O": 0.6, "o": 0.3, "0": 0.1},  # o read as O: wrong, right once merged, top-3 ok
        {"O": 0.9},  # right
        {"O": 0.5, "0": 0.4},  # 0 read as O: wrong; digits-restricted right
        {"1": 0.7, "l": 0.2},  # l read as 1: wrong; lower-restricted right
        {"x": 0.8},  # right
    ]
    result = metrics(_probs(rows, LABELS), LABELS, truth)
    assert result["samples"] == 5
    assert result["accuracy"] == pytest.approx(2 / 5)
    assert result["merged_accuracy"] == pytest.approx(3 / 5)
    assert result["top3_accuracy"] == pytest.approx(1.0)
    assert result["per_class"] == {"0": 0.0, "O": 1.0, "l": 0.0, "o": 0.0, "x": 1.0}
    assert result["balanced_accuracy"] == pytest.approx(2 / 5)
    # the classes present are 0 O l o x: "1" is excluded, so the "l" sample becomes right
    assert result["restricted_accuracy"] == pytest.approx(3 / 5)
    # lower case only: the "o" sample now beats "O" and the "l" sample beats "1"
    assert result["per_group"] == {"digits": 1.0, "upper": 1.0, "lower": 1.0}


def test_unknown_characters_count_as_errors_and_are_kept_out_of_the_matrix() -> None:
    probs = _probs([{"x": 1}, {"x": 1}], LABELS)
    result = metrics(probs, LABELS, ["x", "Q"])
    assert result["accuracy"] == 0.5 and result["per_class"]["Q"] == 0.0
    assert confusion_matrix(LABELS, probs, ["x", "Q"]).sum() == 1
    assert confused_pairs(LABELS, probs, ["x", "Q"]) == [("Q", "x", 1)]
