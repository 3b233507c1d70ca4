"""The neuron panel in the window, driven by real mouse clicks: open a unit from an enlarged
feature map, read its arithmetic, step down to its strongest input and back, follow a new
stroke, hover a cell for its number."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from gui_helpers import draw_stroke, relative_line
from neuron_gui import TIMEOUT, click_cell, draw, enlarge, panel, shown_map, small_window
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QPushButton, QToolTip
from pytestqt.qtbot import QtBot

from ocrpad.app.main_window import MainWindow
from ocrpad.explain.neuron_text import chain_line
from ocrpad.explain.neuron_view import NeuronView
from ocrpad.reading.scoring import percent


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    win = small_window(qtbot, tmp_path)
    yield win
    win.close()


def test_a_click_on_a_cell_of_an_enlarged_map_shows_how_that_number_was_computed(
    qtbot: QtBot, window: MainWindow
) -> None:
    draw(qtbot, window, (0.3, 0.2), (0.6, 0.8))
    enlarge(qtbot, window, "conv2", 2)
    view = click_cell(qtbot, window, 13, 12)
    trace = view.trace
    assert (trace.layer, trace.unit.channel, trace.unit.row, trace.unit.col) == ("conv2", 2, 13, 12)
    dialog = window.draw.feature_maps.dialog
    assert dialog is not None and dialog.picked == ("conv2", 2, 13, 12)  # outlined there
    # the same number the feature-map viewer shows, computed there by the recognition worker
    assert trace.value == pytest.approx(float(shown_map(window, "conv2")[2, 13, 12]), abs=1e-5)
    assert trace.products is not None
    assert float(trace.products.sum()) + trace.bias == pytest.approx(trace.value, abs=1e-4)
    shown = panel(window)
    assert shown.line.text() == chain_line(trace) and "→ BN" in shown.line.text()
    assert shown.kernel.isVisible() and shown.products.isVisible()
    assert shown.input_map.box == trace.receptive_field == (11, 10, 16, 15)
    neuron = window.explain.neuron
    assert neuron.canvas_field.isVisible() and neuron.preview_field.isVisible()
    outline = neuron.canvas_field.field_rect()
    assert outline is not None and window.draw.canvas.rect().toRectF().intersects(outline)
    assert neuron.latency_ms is not None


def test_the_arrow_steps_to_the_strongest_input_and_back(qtbot: QtBot, window: MainWindow) -> None:
    draw(qtbot, window, (0.3, 0.2), (0.6, 0.8))
    enlarge(qtbot, window, "pool2", 1)
    first = click_cell(qtbot, window, 6, 6)
    assert first.trace.kind == "pool" and first.trace.window is not None
    winner = first.trace.strongest
    assert winner is not None and winner.layer == "bn2"
    top, left = first.trace.origin
    assert (winner.row, winner.col) == (top + first.trace.winner[0], left + first.trace.winner[1])
    shown = panel(window)
    assert shown.below_map.cell == (winner.row, winner.col)  # the winner, in the layer below
    down = shown.findChild(QPushButton, "neuronDown")
    with qtbot.waitSignal(window.explain.neuron.trace_shown, timeout=TIMEOUT) as blocker:
        qtbot.mouseClick(down, Qt.MouseButton.LeftButton)
    below: NeuronView = blocker.args[0]
    assert below.trace.layer == "conv2"  # bn2 is shown with the conv it normalises
    assert (below.trace.unit.row, below.trace.unit.col) == (winner.row, winner.col)
    assert [s.layer for s in below.trace.chain] == ["bn2"]
    assert below.trace.chain[-1].value == pytest.approx(first.trace.value, abs=1e-6)
    back = shown.findChild(QPushButton, "neuronBack")
    with qtbot.waitSignal(window.explain.neuron.trace_shown, timeout=TIMEOUT) as blocker:
        qtbot.mouseClick(back, Qt.MouseButton.LeftButton)
    assert blocker.args[0].trace.unit == first.trace.unit
    assert not shown.softmax.isVisible()  # a hidden unit has no softmax
    assert not back.isEnabled()


def test_the_open_trace_follows_a_new_stroke(qtbot: QtBot, window: MainWindow) -> None:
    draw(qtbot, window, (0.3, 0.2), (0.6, 0.8))
    enlarge(qtbot, window, "conv1", 0)
    before = click_cell(qtbot, window, 14, 14)
    with qtbot.waitSignal(window.explain.neuron.trace_shown, timeout=TIMEOUT) as blocker:
        draw_stroke(window.draw.canvas, relative_line(window.draw.canvas, (0.2, 0.5), (0.8, 0.5)))
    after: NeuronView = blocker.args[0]
    assert after.trace.unit == before.trace.unit
    assert not np.array_equal(after.image, before.image)
    assert after.trace.value == pytest.approx(
        float(shown_map(window, "conv1")[0, 14, 14]), abs=1e-5
    )


def test_hovering_a_kernel_cell_shows_its_number(qtbot: QtBot, window: MainWindow) -> None:
    draw(qtbot, window, (0.3, 0.2), (0.6, 0.8))
    enlarge(qtbot, window, "conv1", 1)
    view = click_cell(qtbot, window, 10, 12)
    kernel = panel(window).kernel
    rect = kernel.tile_rect(0)
    cell = kernel.cell_size()
    pos = QPoint(int(rect.left() + 2.5 * cell), int(rect.top() + 0.5 * cell))  # row 0, col 2
    event = QHelpEvent(QEvent.Type.ToolTip, pos, kernel.mapToGlobal(pos))
    QApplication.sendEvent(kernel, event)
    assert view.trace.kernel is not None
    value = float(view.trace.kernel[0, 0, 2])
    assert QToolTip.text() == kernel.text_at(QPointF(pos))
    assert QToolTip.text().endswith(f"row 0, col 2 = {value:.3g}".replace("-", "\u2212"))


def test_a_block_on_the_path_in_the_architecture_strip_opens_that_unit(
    qtbot: QtBot, window: MainWindow
) -> None:
    draw(qtbot, window, (0.3, 0.2), (0.6, 0.8))
    enlarge(qtbot, window, "pool2", 0)
    view = click_cell(qtbot, window, 3, 4)
    strip = panel(window).strip
    names = [b.name for b in strip.blocks]
    assert names[:3] == ["conv1", "bn1", "relu1"] and set(strip.path) >= {"conv1", "pool2"}
    conv1 = strip.path["conv1"]
    assert conv1 == next(u for u in view.path if u.layer == "conv1")
    point = strip.block_rect(names.index("conv1")).center().toPoint()
    with qtbot.waitSignal(window.explain.neuron.trace_shown, timeout=TIMEOUT) as blocker:
        qtbot.mouseClick(strip, Qt.MouseButton.LeftButton, pos=point)
    assert blocker.args[0].trace.unit == conv1


def test_a_click_answered_after_a_newer_drawing_arrived_is_traced_again_for_it(
    qtbot: QtBot, window: MainWindow
) -> None:
    draw(qtbot, window, (0.3, 0.2), (0.6, 0.8))
    enlarge(qtbot, window, "conv1", 1)
    dialog = window.draw.feature_maps.dialog
    assert dialog is not None and window.current is not None
    label = dialog.image_label
    neuron = window.explain.neuron
    with qtbot.waitSignal(neuron.trace_shown, timeout=TIMEOUT) as blocker:
        qtbot.mouseClick(label, Qt.MouseButton.LeftButton, pos=label.rect().center())
        # the worker's answer is still queued: a newer recognition of the drawing arrives
        newer = dataclasses.replace(window.current, request_id=window.current.request_id + 99)
        neuron.on_prediction(newer)
    assert blocker.args[0].trace.layer == "conv1" and neuron.request_id == newer.request_id


def test_a_block_off_the_path_opens_that_layers_strongest_unit_and_back_returns(
    qtbot: QtBot, window: MainWindow
) -> None:
    draw(qtbot, window, (0.3, 0.2), (0.6, 0.8))
    enlarge(qtbot, window, "conv1", 0)
    first = click_cell(qtbot, window, 5, 5)
    shown = panel(window)
    strip = shown.strip
    names = [b.name for b in strip.blocks]
    assert "out" not in strip.path
    point = strip.block_rect(names.index("out")).center().toPoint()
    neuron = window.explain.neuron
    with qtbot.waitSignal(neuron.trace_shown, timeout=TIMEOUT) as blocker:
        qtbot.mouseClick(strip, Qt.MouseButton.LeftButton, pos=point)
    view: NeuronView = blocker.args[0]
    assert window.current is not None
    assert view.trace.kind == "dense" and view.trace.unit.channel == window.current.labels.index(
        window.current.label
    )
    assert len(view.trace.contributions) == 8 and shown.contributions.isVisible()
    assert "Strongest inputs" in shown.contributions.text()
    assert (
        f"<b>sum</b></td><td align=right>{view.trace.total:.3g}".replace("-", "\u2212")
        in shown.contributions.text()
    )  # the table adds up to the unit's value
    assert f"out</b> dense · class “{window.current.label}” =" in shown.title.text()
    assert "→ softmax " in shown.line.text() and view.softmax is not None
    chart = dict(zip(window.current.labels, window.current.probabilities.tolist(), strict=True))
    label = window.current.label
    said = f"The network alone gives {label} {percent(view.softmax)} (the softmax above)."
    assert said in shown.softmax.text() and shown.softmax.isVisible()
    after = f"The chart shows {percent(chart[label])}: the reader's answer"  # after the reader
    assert after in shown.softmax.text()
    with qtbot.waitSignal(neuron.trace_shown, timeout=TIMEOUT) as blocker:
        qtbot.mouseClick(shown.back, Qt.MouseButton.LeftButton)
    assert blocker.args[0].trace.unit == first.trace.unit
    assert not shown.softmax.isVisible()  # a hidden unit has no softmax


def test_an_enlarged_map_stays_that_layers_map_not_its_filter_and_waits_out_a_clear(
    qtbot: QtBot, window: MainWindow
) -> None:
    draw(qtbot, window, (0.2, 0.2), (0.8, 0.8))
    enlarge(qtbot, window, "conv1", 1)
    dialog = window.draw.feature_maps.dialog
    assert dialog is not None and "28×28" in dialog.caption.text()
    click_cell(qtbot, window, 14, 13)  # the panel opens; the viewer refreshes its sections
    assert dialog.section_caption.startswith("conv1  (") and "28×28" in dialog.caption.text()
    assert dialog.image_label.cells == (28, 28)  # not conv1's 3×3 learned filter
    window.draw.canvas.setFocus()
    qtbot.keyClick(window.draw.canvas, Qt.Key.Key_Escape)
    assert dialog.caption.text() == "conv1 · map 2: draw to see it"
    assert dialog.image_label.pixmap().isNull()  # the cleared drawing's map is not left showing
    draw(qtbot, window, (0.8, 0.2), (0.2, 0.8))
    assert "28×28" in dialog.caption.text() and not dialog.image_label.pixmap().isNull()
