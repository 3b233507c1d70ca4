"""The neuron panel's GUI tests share these: a window with a small model, a stroke, a click on
a map of the feature-map viewer and on a cell of the enlarged map, real mouse events all."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from gui_helpers import draw_stroke, open_window, relative_line
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from ocrpad.app.explain.neuron.panel import NeuronPanel
from ocrpad.app.main_window import MainWindow
from ocrpad.explain.neuron_view import NeuronView
from ocrpad.model import ConvBlock, ModelConfig, build_model

TIMEOUT = 20_000


def small_window(qtbot: QtBot, tmp_path: Path) -> MainWindow:
    """The window with a small model (conv1 3 maps, conv2 4 maps and a pool, 8 hidden units,
    classes a-d), shown."""
    config = ModelConfig(
        blocks=(ConvBlock(3, batchnorm=True), ConvBlock(4, batchnorm=True, pool=True)),
        padding=1,
        hidden=(8,),
    )
    path = tmp_path / "small.npz"
    build_model(config, list("abcd"), np.random.default_rng(0)).save(path)
    return open_window(qtbot, path, tmp_path)


def draw(qtbot: QtBot, window: MainWindow, a: tuple[float, float], b: tuple[float, float]) -> None:
    canvas = window.draw.canvas
    with qtbot.waitSignal(window.prediction_shown, timeout=TIMEOUT):
        draw_stroke(canvas, relative_line(canvas, a, b))


def enlarge(qtbot: QtBot, window: MainWindow, layer: str, index: int, section: str = "") -> None:
    """Click map `index` of `layer` in the feature-map viewer (of the first section whose
    caption starts with `section`, if given)."""
    grid = window.draw.feature_maps.grid
    rect = next(
        r
        for r, s, i in grid.tiles()
        if i == index
        and grid.sections[s].maps.name == layer
        and grid.sections[s].caption.startswith(section)
    )
    window.draw.feature_maps.ensureVisible(int(rect.center().x()), int(rect.center().y()))
    qtbot.mouseClick(grid, Qt.MouseButton.LeftButton, pos=rect.center().toPoint())


def click_cell(qtbot: QtBot, window: MainWindow, row: int, col: int) -> NeuronView:
    """Click cell (row, col) of the enlarged map; the panel's view once it shows the trace."""
    dialog = window.draw.feature_maps.dialog
    assert dialog is not None and dialog.isVisible()
    label = dialog.image_label
    pixmap, (h, w) = label.pixmap(), label.cells
    x = (label.width() - pixmap.width()) / 2 + (col + 0.5) * pixmap.width() / w
    y = (label.height() - pixmap.height()) / 2 + (row + 0.5) * pixmap.height() / h
    with qtbot.waitSignal(window.explain.neuron.trace_shown, timeout=TIMEOUT) as blocker:
        qtbot.mouseClick(label, Qt.MouseButton.LeftButton, pos=QPoint(int(x), int(y)))
    view: NeuronView = blocker.args[0]
    return view


def shown_map(window: MainWindow, layer: str) -> np.ndarray:
    """The (C, H, W) maps of `layer` that the Draw tab shows for the current drawing."""
    assert window.current is not None
    return next(m.maps for m in window.current.layers if m.name == layer)


def panel(window: MainWindow) -> NeuronPanel:
    found = window.findChild(NeuronPanel, "neuronView")
    assert found is not None and found.isVisible()
    return found


def press(qtbot: QtBot, window: MainWindow, button: QPushButton) -> NeuronView:
    """Click a button of the panel; the view it shows next."""
    with qtbot.waitSignal(window.explain.neuron.trace_shown, timeout=TIMEOUT) as blocker:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    view: NeuronView = blocker.args[0]
    return view
