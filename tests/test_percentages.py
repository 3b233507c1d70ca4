"""Shown and spoken percentages never say 100% or 0%: a calibrated reader is never sure."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPoint
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QToolTip
from pytestqt.qtbot import QtBot

from ocrpad.app.draw.prediction import Prediction
from ocrpad.app.draw.prediction_panel import describe, guesses, spoken
from ocrpad.app.draw.prob_chart import ProbabilityChart
from ocrpad.app.draw.spoken import percent


def test_a_percentage_that_would_round_to_0_or_100_says_under_or_over() -> None:
    assert [percent(p) for p in (0.0, 0.004, 0.005, 0.0051, 0.5, 0.994, 0.995, 1.0)] == [
        "under 1%",
        "under 1%",
        "under 1%",
        "1%",
        "50%",
        "99%",
        "over 99%",
        "over 99%",
    ]
    assert percent(0.99996, 2) == "over 99.99%" and percent(0.00004, 2) == "under 0.01%"
    assert percent(0.1234, 2) == "12.34%"


def _prediction(probs: list[float], labels: str, **more: object) -> Prediction:
    values = np.array(probs, dtype=np.float32)
    top = tuple((labels[i], float(values[i])) for i in np.argsort(-values)[:3])
    return Prediction(
        0,
        labels[0],
        list(labels),
        values,
        np.zeros((28, 28), np.float32),
        top=top,
        **more,  # type: ignore[arg-type]
    )


def test_the_answer_is_never_said_to_be_certain() -> None:
    sure = _prediction([0.9996, 0.0003, 0.0001], "R2K")
    assert describe(sure) == "over 99% sure"
    assert spoken(sure) == "Recognised: capital R, over 99% sure"
    family = _prediction([0.998, 0.001, 0.001], "oO0", look_alikes=("O", "0"))
    assert describe(family).endswith("over 99% it is o") and "100%" not in spoken(family)
    assert guesses((("a", 0.49), ("d", 0.4995), ("q", 0.0005))) == "a  49%   d  50%"


def test_the_chart_never_labels_a_bar_100_or_0_percent(qtbot: QtBot) -> None:
    chart = ProbabilityChart()
    qtbot.addWidget(chart)
    chart.resize(600, 160)
    chart.set_probabilities(["R", "2", "K"], np.array([0.99996, 0.00003, 0.00001]))
    said = chart.accessibleDescription()
    assert said.startswith("Most likely: capital R over 99%, 2 under 1%"), said
    chart.show()
    bar = chart.plot_rect().bottomLeft().toPoint() + QPoint(8, -4)  # the first bar: R
    event = QHelpEvent(QEvent.Type.ToolTip, bar, chart.mapToGlobal(bar))
    chart.event(event)
    assert QToolTip.text() == "R: over 99.99%"
