"""The architecture strip of the neuron panel without a mouse: Tab reaches it, real key
presses move a framed current block along the layers and pick a unit of it, and Enter or Space
opens it as a click does — the only way to a dense or output unit, which the feature-map
viewer does not show."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from neuron_gui import TIMEOUT, click_cell, draw, enlarge, panel, small_window
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from ocrpad.app.explain.neuron.strip import ArchitectureStrip
from ocrpad.app.main_window import MainWindow
from ocrpad.explain.neuron_trace import Unit
from ocrpad.explain.neuron_view import NeuronView

Key = Qt.Key


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    """The small model's window, its panel open at conv1 map 1, cell (5, 5)."""
    win = small_window(qtbot, tmp_path)
    draw(qtbot, win, (0.3, 0.2), (0.6, 0.8))
    enlarge(qtbot, win, "conv1", 0)
    click_cell(qtbot, win, 5, 5)
    yield win
    win.close()


def _tab_to_strip(qtbot: QtBot, window: MainWindow) -> ArchitectureStrip:
    """From the panel's Strongest input button, Tab until the strip has the focus."""
    shown = panel(window)
    shown.activateWindow()
    shown.down.setFocus()
    for _ in range(6):
        if QApplication.focusWidget() is shown.strip:
            return shown.strip
        qtbot.keyClick(QApplication.focusWidget(), Key.Key_Tab)
    raise AssertionError(f"Tab does not reach the strip: stops at {QApplication.focusWidget()}")


def _keys(qtbot: QtBot, strip: ArchitectureStrip, *keys: Key) -> None:
    for key in keys:
        qtbot.keyClick(strip, key)


def _open(qtbot: QtBot, window: MainWindow, strip: ArchitectureStrip, key: Key) -> NeuronView:
    """Press `key` in the strip; the view the panel shows then."""
    with qtbot.waitSignal(window.explain.neuron.trace_shown, timeout=TIMEOUT) as blocker:
        qtbot.keyClick(strip, key)
    view: NeuronView = blocker.args[0]
    return view


def _current(strip: ArchitectureStrip) -> str:
    return strip.blocks[strip.current].name


def test_the_keys_alone_open_a_dense_unit_and_any_class_of_the_output_layer(
    qtbot: QtBot, window: MainWindow
) -> None:
    strip = _tab_to_strip(qtbot, window)
    assert _current(strip) == "conv1"  # the shown neuron's layer
    _keys(qtbot, strip, Key.Key_End, Key.Key_Left, Key.Key_Left)
    assert _current(strip) == "fc1" and "fc1" not in strip.path
    dense = _open(qtbot, window, strip, Key.Key_Return)  # as a click: the strongest unit
    assert (dense.trace.layer, dense.trace.kind) == ("fc1", "dense")
    assert _current(strip) == "fc1" and strip.hasFocus()
    _keys(qtbot, strip, Key.Key_Right, Key.Key_Right)
    assert _current(strip) == "out" and strip.picked is None
    _keys(qtbot, strip, Key.Key_Down, Key.Key_Down, Key.Key_Down, Key.Key_Up)
    assert strip.picked == Unit("out", 1)
    assert "Enter opens class “b”" in strip.accessibleDescription()
    output = _open(qtbot, window, strip, Key.Key_Space)
    assert output.trace.unit == Unit("out", 1)
    assert "out</b> dense · class “b” =" in panel(window).title.text()
    _keys(qtbot, strip, *[Key.Key_Down] * 9)
    assert strip.picked == Unit("out", 3)  # the last class: it stops there


def test_up_and_down_pick_another_filter_at_the_same_place_of_a_layer_on_the_path(
    qtbot: QtBot, window: MainWindow
) -> None:
    strip = _tab_to_strip(qtbot, window)
    _keys(qtbot, strip, Key.Key_Down, Key.Key_Down)
    assert strip.picked == Unit("conv1", 2, 5, 5)
    view = _open(qtbot, window, strip, Key.Key_Enter)
    assert view.trace.unit == Unit("conv1", 2, 5, 5)
    _keys(qtbot, strip, Key.Key_Home, Key.Key_Left, Key.Key_Right, Key.Key_Right, Key.Key_Right)
    assert _current(strip) == "conv2" and "conv2" not in strip.path
    _keys(qtbot, strip, Key.Key_Down)
    assert strip.picked is None  # a map off the path: no place to keep
    _keys(qtbot, strip, *[Key.Key_Right] * 4)
    assert _current(strip) == "dropout"
    assert "its units are not traced" in strip.accessibleDescription()
    with qtbot.assertNotEmitted(strip.unit_clicked, wait=100):
        _keys(qtbot, strip, Key.Key_Down, Key.Key_Return)
    _keys(qtbot, strip, *[Key.Key_Right] * 20)
    assert _current(strip) == "out"  # the last block: it stops there
    assert "Layer 12 of 12: out (dense, 4); Enter opens the class read." in (
        strip.accessibleDescription()
    )


def _pixels(image: QImage) -> np.ndarray:
    """(H, W, 3) uint8 copy of `image`."""
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h, stride = image.width(), image.height(), image.bytesPerLine()
    data = np.frombuffer(image.constBits(), np.uint8, count=stride * h)
    return data.reshape(h, stride)[:, : 3 * w].reshape(h, w, 3).copy()


def test_the_focus_is_drawn_round_the_current_block(qtbot: QtBot, window: MainWindow) -> None:
    strip = _tab_to_strip(qtbot, window)
    _keys(qtbot, strip, Key.Key_Right, Key.Key_Right, Key.Key_Right)
    assert _current(strip) == "conv2"
    focused = _pixels(strip.grab().toImage())
    panel(window).down.setFocus()
    assert not strip.hasFocus()
    ys, xs = np.nonzero(np.any(_pixels(strip.grab().toImage()) != focused, axis=-1))
    assert len(xs)
    frame = QRectF(xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1)
    block = strip.block_rect(strip.current)
    assert block.adjusted(-5, -5, 5, 5).contains(frame) and frame.contains(block)
