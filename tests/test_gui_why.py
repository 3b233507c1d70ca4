"""The Draw tab says why it chose S over s, under the answer and to screen readers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from gui_helpers import draw_strokes, open_window
from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot
from why_helpers import Drawing, capitals_and_s

from ocrpad.app.draw.canvas import Canvas
from ocrpad.app.draw.prediction import Prediction
from ocrpad.app.draw.prediction_panel import WHY_NAME
from ocrpad.app.main_window import MainWindow
from ocrpad.data.coarse import coarse_dataset
from ocrpad.data.unipen import load_unipen

TIMEOUT = 5000


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    win = open_window(qtbot, None, tmp_path)  # the shipped model and its reader
    win.resize(1100, 720)
    yield win
    win.close()


def _on_canvas(drawing: Drawing, canvas: Canvas, unit: float) -> list[list[tuple[float, float]]]:
    """A tablet drawing as widget points: `unit` canvas units per tablet unit, centred, its
    bottom on the canvas's line at 700."""
    scale, dx, dy = canvas.widget_transform()
    points = np.concatenate(drawing)
    x0, bottom = (points[:, 0].min() + points[:, 0].max()) / 2, points[:, 1].max()
    return [
        [
            (
                float((x - x0) * unit + 500) * scale + dx,
                float((y - bottom) * unit + 700) * scale + dy,
            )
            for x, y in stroke
        ]
        for stroke in drawing
    ]


def _draw(window: MainWindow, qtbot: QtBot, drawing: Drawing, unit: float) -> Prediction:
    with qtbot.waitSignal(window.prediction_shown, timeout=TIMEOUT) as blocker:
        draw_strokes(window.draw.canvas, _on_canvas(drawing, window.draw.canvas, unit))
    prediction = blocker.args[0]
    assert isinstance(prediction, Prediction)
    return prediction


def _clear(window: MainWindow, qtbot: QtBot) -> None:
    window.draw.canvas.setFocus()
    qtbot.keyClick(window.draw.canvas, Qt.Key.Key_Escape)
    assert not window.strokes()


@pytest.mark.data
def test_after_capitals_drawn_in_the_window_it_says_why_s_is_a_capital(
    window: MainWindow, qtbot: QtBot, unipen_dir: Path
) -> None:
    capitals, s = capitals_and_s(unipen_dir)
    heights = [np.ptp(np.concatenate(d)[:, 1]) for d in capitals]
    unit = 300 / float(np.median(heights))  # capitals 300 canvas units tall
    alone = _draw(window, qtbot, s, unit)  # no history: the shape alone reads it s
    assert (alone.label, alone.runner_up) == ("s", "S")
    why = window.draw.panel.why
    assert why.isVisible() and why.text().startswith("s, not S: its shape is more like s.")
    _clear(window, qtbot)
    assert not why.isVisible() and why.accessibleDescription() == ""
    for capital in capitals:
        _draw(window, qtbot, capital, unit)
        _clear(window, qtbot)
    after = _draw(window, qtbot, s, unit)
    assert (after.label, after.runner_up) == ("S", "s")
    said = "S, not s: your earlier drawings lean to capitals rather than small letters"
    qtbot.waitUntil(lambda: why.text().startswith(said))  # once the panel is laid out
    assert why.isVisible() and why.toolTip().startswith(said)
    assert said in window.draw.panel.confidence.toolTip()
    assert why.accessibleName() == WHY_NAME
    heard = why.accessibleDescription()
    assert heard.startswith("capital S, not small s: your earlier drawings lean to capitals")
    assert heard.endswith("alone it is more like small s.")  # what spoke against it
    assert "By its shape" in heard
    box = window.draw.character_set
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Tab)  # Read as → the sentence under the answer
    assert why.hasFocus()
    panel = window.draw.panel  # the sentence sits in the free height below the input
    top, bottom = why.mapTo(panel, QPoint(0, 0)).y(), why.mapTo(panel, QPoint(0, why.height()))
    assert panel.preview.geometry().bottom() < top and bottom.y() <= panel.height()
    assert panel.label.geometry().bottom() < panel.confidence.geometry().top()


@pytest.mark.data
def test_a_coarse_4_that_looks_like_a_9_is_read_by_the_way_it_was_drawn(
    window: MainWindow, qtbot: QtBot, unipen_dir: Path
) -> None:
    """A test writer's 4, joined into one 8-point polyline as a cheap device gives it: its
    image is a 9's, its path (down, across, then the long stroke) a 4's."""
    test = load_unipen(unipen_dir / "unipen-test.npz", images=False)
    digits = np.flatnonzero(np.isin(test.characters(), list("0123456789")))
    four = coarse_dataset(test.subset(digits[804:805]), 8)
    assert four.characters() == ["4"]
    window.set_character_set(list("0123456789"))
    drawing = four.strokes(0)
    unit = 300 / float(np.ptp(np.concatenate(drawing)[:, 1]))  # 300 canvas units tall
    shown = _draw(window, qtbot, drawing, unit)
    assert (shown.label, shown.runner_up) == ("4", "9")
    assert shown.reasons is not None and dict(shown.reasons)["trace"] > 1.0
    assert dict(shown.reasons)["shape"] < 0  # by its image alone, a 9
    why = window.draw.panel.why
    said = "4, not 9: the way it was drawn, the order and direction of its strokes, is more like 4"
    qtbot.waitUntil(lambda: why.toolTip().startswith(said))
    assert why.isVisible()
