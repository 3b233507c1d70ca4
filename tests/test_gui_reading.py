"""The window reads with the person's history, a chosen character set and writing guides."""

from __future__ import annotations

import string
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from gui_helpers import draw_stroke, open_window
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QToolButton
from pytestqt.qtbot import QtBot

from ocrpad.app.draw.canvas import Canvas
from ocrpad.app.draw.prediction import Prediction
from ocrpad.app.draw.prediction_panel import COARSE_SHOWN, explain
from ocrpad.app.draw.recent import RecentDrawings
from ocrpad.app.main_window import MainWindow
from ocrpad.app.train.tab import STORE_NAME
from ocrpad.data.samples import SampleStore
from ocrpad.model import load_model
from ocrpad.reading import HISTORY_CAP, Labelled, Reader

TIMEOUT = 5000


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    win = open_window(qtbot, None, tmp_path)  # the shipped model and its reader
    yield win
    win.close()


def _circle(
    canvas: Canvas, bottom: float, height: float, points: int = 40
) -> list[tuple[float, float]]:
    """A round stroke in canvas units (standing on `bottom`), as widget points."""
    scale, dx, dy = canvas.widget_transform()
    t = np.linspace(0.0, 2 * np.pi, points)
    r = height / 2
    xs, ys = 500 + 0.85 * r * np.sin(t), bottom - r - r * np.cos(t)
    return [(float(x) * scale + dx, float(y) * scale + dy) for x, y in zip(xs, ys, strict=True)]


def _draw(window: MainWindow, qtbot: QtBot, bottom: float = 700, height: float = 400) -> object:
    canvas = window.draw.canvas
    with qtbot.waitSignal(window.prediction_shown, timeout=TIMEOUT) as blocker:
        draw_stroke(canvas, _circle(canvas, bottom, height))
    return blocker.args[0]


def _guides_button(window: MainWindow) -> QToolButton:
    return next(
        b
        for b in window.draw.findChildren(QToolButton)
        if b.defaultAction() is window.actions_by_name["guides"]
    )


def _clear(window: MainWindow, qtbot: QtBot) -> None:
    window.draw.canvas.setFocus()
    qtbot.keyClick(window.draw.canvas, Qt.Key.Key_Escape)
    assert not window.strokes()


def test_the_selector_restricts_the_answer_and_the_chart(window: MainWindow, qtbot: QtBot) -> None:
    box = window.draw.character_set
    assert box.objectName() == "characterSet" and box.currentText() == "All"
    assert "choose Symbols" in box.itemData(0, Qt.ItemDataRole.ToolTipRole)  # All is not 94
    qtbot.keyClick(box, Qt.Key.Key_Down)  # All → Digits
    assert box.currentText() == "Digits"
    prediction = _draw(window, qtbot)
    assert prediction.labels == list(string.digits) and prediction.label == "0"  # type: ignore[attr-defined]
    assert [c for c, _ in window.draw.chart.sorted_classes()] != []
    assert {c for c, _ in window.draw.chart.sorted_classes()} == set(string.digits)


def test_a_chosen_set_is_remembered_by_the_next_window(qtbot: QtBot, tmp_path: Path) -> None:
    first = open_window(qtbot, None, tmp_path)
    first.set_character_set(list("xyz"))
    assert first.draw.character_set.currentText() == "Custom (xyz)"
    first.close()
    second = open_window(qtbot, None, tmp_path)
    assert second.draw.character_set.currentText() == "Custom (xyz)"
    prediction = _draw(second, qtbot)
    assert prediction.labels == ["x", "y", "z"]  # type: ignore[attr-defined]
    second.set_character_set(None)
    assert second.draw.character_set.currentText() == "All"
    second.close()


def test_a_round_drawing_names_its_look_alikes(window: MainWindow, qtbot: QtBot) -> None:
    prediction = _draw(window, qtbot)
    assert prediction.label in "0Oo"  # type: ignore[attr-defined]
    others = [c for c in "0Oo" if c != prediction.label]  # type: ignore[attr-defined]
    text = window.draw.panel.confidence.text()
    assert f"{prediction.label} — or" in text and all(c in text for c in others)  # type: ignore[attr-defined]
    assert "size" in window.draw.panel.confidence.toolTip()
    _clear(window, qtbot)  # the why goes with the drawing
    assert window.draw.panel.confidence.toolTip() == ""


def test_with_guides_a_cap_height_circle_is_a_capital_and_an_x_height_one_small(
    window: MainWindow, qtbot: QtBot
) -> None:
    window.set_character_set(string.ascii_letters)
    button = _guides_button(window)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    baseline, x_line, cap_line = window.draw.canvas.guides() or (0.0, 0.0, 0.0)
    assert baseline > x_line > cap_line > 0
    big = _draw(window, qtbot, baseline, baseline - cap_line)
    assert big.label == "O"  # type: ignore[attr-defined]
    _clear(window, qtbot)
    small = _draw(window, qtbot, baseline, baseline - x_line)
    assert small.label == "o"  # type: ignore[attr-defined]
    why = window.draw.panel.confidence.toolTip()  # the guides decided it, and it says so
    assert "1.0× the height of a small x" in why and "sits on the baseline" in why
    assert "(from the guides)" in why and "show guides" not in why
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert window.draw.canvas.guides() is None


def test_with_guides_on_a_lone_dot_is_not_told_to_show_the_guides(
    window: MainWindow, qtbot: QtBot
) -> None:
    button = _guides_button(window)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    canvas = window.draw.canvas
    assert canvas.guides() is not None
    scale, dx, dy = canvas.widget_transform()
    where = (500 * scale + dx, 600 * scale + dy)
    with qtbot.waitSignal(window.prediction_shown, timeout=TIMEOUT) as blocker:
        draw_stroke(canvas, [where])  # a click: a dot, with no height to measure
    assert blocker.args[0].look_alikes  # type: ignore[attr-defined]
    why = window.draw.panel.confidence.toolTip()
    assert "no height to measure against the guides" in why and "show guides" not in why


def test_finished_drawings_and_saved_samples_become_the_history(
    qtbot: QtBot, tmp_path: Path
) -> None:
    (tmp_path / "data").mkdir()
    store = SampleStore(tmp_path / "data" / STORE_NAME)
    square = np.array([[0, 0], [300, 0], [300, 300], [0, 300], [0, 0]], dtype=np.float32)
    for label in "ABC":
        store.add([square], label)
    store.add_many([[square * 1000]] * 2, ["x", "y"], "import")  # another person's, units
    store.close()
    window = open_window(qtbot, None, tmp_path)
    assert len(window.recent) == 3  # only what was drawn here tells the person's size
    assert _draw(window, qtbot).history_used == 3  # type: ignore[attr-defined]
    _clear(window, qtbot)
    assert _draw(window, qtbot).history_used == 4  # type: ignore[attr-defined]
    window.close()


def test_a_line_of_full_stops_does_not_push_the_saved_letters_out_of_the_history() -> None:
    """The window kept only the newest 30 drawings, dots included, so thirty full stops left
    the reader nothing to tell the person's size by (a dot has no size)."""
    recent = RecentDrawings()
    square = np.array([[0, 0], [300, 0], [300, 300], [0, 300], [0, 0]], dtype=np.float32)
    recent.seed([Labelled((square,), c) for c in "ABC"])
    for _ in range(HISTORY_CAP):
        dot = (np.array([[500.0, 500.0]], dtype=np.float32),)
        recent.drawing = dot
        recent.cleared(dot)
    reading = Reader(load_model(None)).read((square * 0.5,), history=recent.history())
    assert reading.history_used == 3


def _undo(window: MainWindow, qtbot: QtBot) -> None:
    window.draw.canvas.setFocus()
    qtbot.keyClick(window.draw.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)


def test_only_a_cleared_drawing_joins_the_history_and_undoing_the_clear_takes_it_back(
    window: MainWindow, qtbot: QtBot
) -> None:
    """Strokes the person takes back are no drawing of theirs; a Clear they undo is no
    finished drawing either (it once joined again at every Clear → Undo → Clear)."""
    _draw(window, qtbot)
    _clear(window, qtbot)
    assert len(window.recent) == 1
    first = window.recent[-1]
    _undo(window, qtbot)  # the drawing is back on the canvas: it leaves the history
    assert window.strokes() and len(window.recent) == 0
    _clear(window, qtbot)
    assert len(window.recent) == 1 and all(map(np.array_equal, window.recent[-1], first))
    _draw(window, qtbot, bottom=650, height=300)
    _draw(window, qtbot, bottom=500, height=100)
    _undo(window, qtbot)
    _undo(window, qtbot)  # every stroke undone: nothing was finished
    assert not window.strokes() and len(window.recent) == 1
    _undo(window, qtbot)  # back to the first drawing, which leaves the history again
    assert window.strokes() and len(window.recent) == 0


def _dash(window: MainWindow, qtbot: QtBot) -> object:
    canvas = window.draw.canvas
    scale, dx, dy = canvas.widget_transform()
    points = [(float(x) * scale + dx, 500.0 * scale + dy) for x in np.linspace(300, 700, 20)]
    with qtbot.waitSignal(window.prediction_shown, timeout=TIMEOUT) as blocker:
        draw_stroke(canvas, points)
    return blocker.args[0]


def test_symbols_are_read_only_from_the_symbols_entry(window: MainWindow, qtbot: QtBot) -> None:
    from ocrpad.charsets import SYMBOLS

    assert window.model is not None and set(SYMBOLS) <= set(window.model.labels)
    everything = _dash(window, qtbot)
    assert not set(everything.labels) & set(SYMBOLS)  # type: ignore[attr-defined]
    _clear(window, qtbot)
    box = window.draw.character_set
    for _ in range(5):  # All → Digits → Capitals → Small letters → Letters → Symbols
        qtbot.keyClick(box, Qt.Key.Key_Down)
    assert box.currentText() == "Symbols"
    dash = _dash(window, qtbot)
    assert dash.labels == list(SYMBOLS) and dash.label in "-_~"  # type: ignore[attr-defined]
    assert {c for c, _ in window.draw.chart.sorted_classes()} == set(SYMBOLS)


def test_the_empty_canvas_asks_for_a_character_of_the_chosen_set(
    window: MainWindow, qtbot: QtBot
) -> None:
    """It said "Draw a digit or a letter here" whatever the set, Symbols too."""
    from ocrpad.charsets import SYMBOLS

    canvas = window.draw.canvas
    assert canvas.hint() == "Draw a digit or a letter here"  # All
    window.set_character_set(SYMBOLS)
    assert canvas.hint() == "Draw a symbol here"
    window.set_character_set(string.digits)
    assert canvas.hint() == "Draw a digit here"
    window.draw.character_set.setFocus()
    qtbot.keyClick(window.draw.character_set, Qt.Key.Key_Down)  # Digits → Capitals
    assert canvas.hint() == "Draw a capital letter here"
    window.set_character_set("01+")
    assert canvas.hint() == "Draw a digit or a symbol here"
    window.set_character_set("Σ")  # a class of the user's own
    assert canvas.hint() == "Draw a character here"
    window.set_character_set(None)
    assert canvas.hint() == "Draw a digit or a letter here"


def test_the_tooltip_says_where_the_drawing_sits_against_the_persons_line() -> None:
    def said(below: float | None) -> str:
        odds = np.array([0.6, 0.4], dtype=np.float32)
        image = np.zeros((28, 28), dtype=np.float32)
        return explain(
            Prediction(
                1, "q", ["q", "9"], odds, image, height_ratio=1.1, history_used=8, below_line=below
            )
        )

    assert "0.4× of it below your line" in said(0.4) and "over 20× of it" in said(1e6)
    assert "above your line" in said(-0.5) and "sits on your line" in said(0.01)
    assert "line" not in said(None) and "1.1× your usual height" in said(None)
    odds, image = np.array([0.6, 0.4], dtype=np.float32), np.zeros((28, 28), dtype=np.float32)

    def liked(alike: float) -> str:
        return explain(
            Prediction(1, "q", ["q", "9"], odds, image, height_ratio=1.0, like_earlier=("q", alike))
        )

    assert "It looks like your earlier q." in liked(0.9) and "earlier" not in liked(0.1)


def test_a_drawing_of_few_points_is_read_as_a_coarse_trace(
    window: MainWindow, qtbot: QtBot
) -> None:
    """Eight mouse positions round a circle, as a fast mouse gives: the reader takes the
    correction for coarse traces and the tooltip says so; forty positions do not."""
    canvas = window.draw.canvas
    with qtbot.waitSignal(window.prediction_shown, timeout=TIMEOUT) as blocker:
        draw_stroke(canvas, _circle(canvas, 700, 400, points=8))
    coarse = blocker.args[0]
    assert coarse.coarse_trace is not None and coarse.coarse_trace > max(COARSE_SHOWN, 0.5)
    assert "few points" in window.draw.panel.confidence.toolTip()
    _clear(window, qtbot)
    dense = _draw(window, qtbot)
    assert dense.coarse_trace is not None and dense.coarse_trace < 0.2  # type: ignore[attr-defined]
    assert "few points" not in window.draw.panel.confidence.toolTip()
