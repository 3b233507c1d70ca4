"""The View menu's "The pen's path network…": the trace network's every unit for the drawing
on the canvas, opened by a click or by the keys, with its arithmetic; it follows the canvas
and says why when there is nothing to show. Real mouse and key events on the real window."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from gui_helpers import draw_stroke, open_window, relative_line
from neuron_gui import click_cell, enlarge, panel, small_window
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QPushButton
from pytestqt.qtbot import QtBot

from ocrpad.app.explain.path import controller
from ocrpad.app.explain.path.controller import EMPTY, NO_TRACE
from ocrpad.app.explain.path.dialog import PathNetworkDialog
from ocrpad.app.main_window import MainWindow
from ocrpad.explain.neuron_text import number
from ocrpad.explain.path_units import PathTracer, input_point
from ocrpad.reading import context_of
from ocrpad.reading.trace import TraceNet, build_trace_network, traces_of

TIMEOUT = 20_000


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    win = open_window(qtbot, None, tmp_path)  # the shipped model, whose reader has one
    win.resize(1100, 720)
    yield win
    win.close()


def _draw(qtbot: QtBot, window: MainWindow, a: tuple[float, float], b: tuple[float, float]) -> None:
    canvas = window.draw.canvas
    with qtbot.waitSignal(window.prediction_shown, timeout=TIMEOUT):
        draw_stroke(canvas, relative_line(canvas, a, b))


def _open(qtbot: QtBot, window: MainWindow) -> PathNetworkDialog:
    action = window.findChild(QAction, "pathNetworkAction")
    assert action is not None and action.isEnabled()
    action.trigger()  # what the View menu's entry does
    dialog = window.findChild(PathNetworkDialog, "pathNetworkView")
    assert dialog is not None
    qtbot.waitExposed(dialog)
    return dialog


def _text(dialog: PathNetworkDialog, name: str) -> str:
    label = dialog.findChild(QLabel, name)
    assert label is not None
    return label.text()


def _tracer(window: MainWindow) -> PathTracer:
    assert window.model is not None
    context = context_of(window.model)
    assert context is not None and context.trace is not None
    return PathTracer(context.trace, traces_of([window.draw.canvas.strokes()])[0])


def test_a_click_opens_a_unit_and_the_strongest_input_goes_down_to_the_path(
    qtbot: QtBot, window: MainWindow
) -> None:
    _draw(qtbot, window, (0.3, 0.2), (0.6, 0.2))
    _draw(qtbot, window, (0.6, 0.2), (0.35, 0.8))  # a 7
    dialog = _open(qtbot, window)
    tracer = _tracer(window)
    np.testing.assert_allclose(dialog.picture.points[:, 0], tracer.path[:32], atol=1e-6)
    answer = tracer.unit("out", tracer.strongest_unit("out"))
    assert _text(dialog, "pathUnitTitle").startswith(f"out, unit {answer.index + 1} of ")
    assert f"({answer.label})" in _text(dialog, "pathUnitTitle")

    grid = dialog.grids["fc2"]
    qtbot.mouseClick(grid, Qt.MouseButton.LeftButton, pos=grid.cell_rect(37).center().toPoint())
    unit = tracer.unit("fc2", 37)
    assert _text(dialog, "pathUnitTitle").startswith("fc2, unit 38 of 512: ")
    assert _text(dialog, "pathUnitArithmetic").endswith(f"→ ReLU {number(unit.after_relu or 0)}")
    first = unit.contributions[0]
    assert (
        _text(dialog, "pathUnitInputs")
        .splitlines()[0]
        .startswith(f"fc1 unit {first.index + 1}: {number(first.input)}")
    )
    assert grid.opened == 37

    down = dialog.findChild(QPushButton, "pathStrongest")
    assert down is not None
    qtbot.mouseClick(down, Qt.MouseButton.LeftButton)
    assert _text(dialog, "pathUnitTitle").startswith(f"fc1, unit {unit.strongest + 1} of 512")
    fc1 = tracer.unit("fc1", unit.strongest)
    assert "at point" in _text(dialog, "pathUnitInputs")
    assert set(dialog.picture.marked) <= set(range(32)) and dialog.picture.marked
    qtbot.mouseClick(down, Qt.MouseButton.LeftButton)  # down to the path itself
    assert dialog.picture.marked == (input_point(fc1.strongest),)
    assert _text(dialog, "pathUnitTitle").startswith(f"fc1, unit {unit.strongest + 1}")


def test_the_keys_move_through_a_layer_and_enter_opens_the_unit(
    qtbot: QtBot, window: MainWindow
) -> None:
    _draw(qtbot, window, (0.5, 0.2), (0.5, 0.8))
    dialog = _open(qtbot, window)
    grid = dialog.grids["fc3"]
    grid.setFocus()
    qtbot.waitUntil(grid.hasFocus)
    for key in (Qt.Key.Key_Right, Qt.Key.Key_Right, Qt.Key.Key_Down, Qt.Key.Key_Return):
        qtbot.keyClick(grid, key)
    index = 2 + grid.columns
    assert _text(dialog, "pathUnitTitle").startswith(f"fc3, unit {index + 1} of 512")
    assert grid.accessibleDescription().startswith(f"fc3 unit {index + 1} of 512")


def test_the_view_follows_the_canvas_and_says_when_there_is_nothing_to_read(
    qtbot: QtBot, window: MainWindow
) -> None:
    dialog = _open(qtbot, window)
    assert _text(dialog, "pathIntro") == EMPTY and not dialog.grids["fc1"].values.size
    _draw(qtbot, window, (0.5, 0.2), (0.5, 0.8))
    first = dialog.picture.points.copy()
    assert not dialog.picture.lifted.any()
    _draw(qtbot, window, (0.3, 0.5), (0.7, 0.5))  # the path now goes on across
    assert not np.allclose(dialog.picture.points, first)
    assert dialog.picture.lifted.any()  # the move from the bottom to the bar, dashed
    np.testing.assert_allclose(dialog.picture.points[:, 0], _tracer(window).path[:32], atol=1e-6)
    assert dialog.grids["out"].values.size == len(window.model.labels)  # type: ignore[union-attr]
    window.actions_by_name["clear"].trigger()
    qtbot.waitUntil(lambda: _text(dialog, "pathIntro") == EMPTY)
    assert dialog.picture.points is None and _text(dialog, "pathUnitTitle") == ""


def test_a_model_without_a_trace_network_says_so(qtbot: QtBot, tmp_path: Path) -> None:
    window = small_window(qtbot, tmp_path)  # a model with no reader
    _draw(qtbot, window, (0.5, 0.2), (0.5, 0.8))
    dialog = _open(qtbot, window)
    assert _text(dialog, "pathIntro") == NO_TRACE
    assert dialog.picture.points is None
    window.close()


def test_the_neuron_panel_opens_the_path_network_too(qtbot: QtBot, tmp_path: Path) -> None:
    window = small_window(qtbot, tmp_path)
    _draw(qtbot, window, (0.3, 0.2), (0.6, 0.8))
    enlarge(qtbot, window, "conv2", 1)
    click_cell(qtbot, window, 3, 4)
    button = panel(window).findChild(QPushButton, "neuronPathNetwork")
    assert button is not None and button.isVisible()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    dialog = window.findChild(PathNetworkDialog, "pathNetworkView")
    assert dialog is not None
    qtbot.waitExposed(dialog)
    assert _text(dialog, "pathIntro") == NO_TRACE  # this small model's reader has none
    window.close()


def test_a_closed_view_costs_start_up_nothing_and_reads_the_model_once_opened(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading the reader's trace network takes about 15 ms: not at start, nor for a new
    model, while the view is closed; once for each model while it is open."""
    reads: list[object] = []

    def counted(model: object) -> object:
        reads.append(model)
        return context_of(model)  # type: ignore[arg-type]

    monkeypatch.setattr(controller, "context_of", counted)
    window = open_window(qtbot, None, tmp_path)
    assert window.model is not None
    window.set_model(window.model)
    _draw(qtbot, window, (0.5, 0.2), (0.5, 0.8))
    assert reads == []
    dialog = _open(qtbot, window)
    _draw(qtbot, window, (0.3, 0.5), (0.7, 0.5))
    assert reads == [window.model] and dialog.tracer is not None
    window.close()


def test_a_unit_another_model_lacks_gives_way_to_the_answer(qtbot: QtBot) -> None:
    dialog = PathNetworkDialog()
    qtbot.addWidget(dialog)
    features = traces_of([[np.array([[0, 0], [0, 10]], np.float32)]])[0]
    big = TraceNet(tuple("abcdefgh"), build_trace_network(8, 8, np.random.default_rng(0)), 0.3)
    dialog.show_tracer(PathTracer(big, features))
    dialog.open_unit("out", 7)
    small = TraceNet(tuple("abc"), build_trace_network(8, 3, np.random.default_rng(1)), 0.3)
    tracer = PathTracer(small, features)
    dialog.show_tracer(tracer)
    assert dialog.unit is not None
    assert (dialog.unit.layer, dialog.unit.index) == ("out", tracer.strongest_unit("out"))
