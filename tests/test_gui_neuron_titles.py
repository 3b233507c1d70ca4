"""The titles over the neuron panel's grids stay on their one line when the panel is narrow,
a map's wraps onto two lines with its picture under them (neither hides under a picture), and
each tells the whole title on hover."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPoint
from PySide6.QtGui import QHelpEvent, QImage
from PySide6.QtWidgets import QApplication, QToolTip, QWidget
from pytestqt.qtbot import QtBot

from ocrpad.app.explain.neuron.grids import MAP_TITLE_LINES, HeatGrid, MarkedMap
from ocrpad.app.explain.neuron.title import title_lines

TITLE = "relu2 · map 17 (strongest input outlined)"


def _ink_rows(image: QImage, below: int) -> list[int]:
    """The rows from `below` down that differ from the bottom-left pixel's colour."""
    fill = image.pixelColor(0, image.height() - 1)
    return [
        y
        for y in range(below, image.height())
        if any(image.pixelColor(x, y) != fill for x in range(image.width()))
    ]


def _hover_title(widget: QWidget) -> str:
    pos = QPoint(5, widget.fontMetrics().height() // 2)
    QToolTip.hideText()
    QApplication.sendEvent(widget, QHelpEvent(QEvent.Type.ToolTip, pos, widget.mapToGlobal(pos)))
    return QToolTip.text()


def test_a_narrow_map_wraps_its_title_above_its_picture_and_tells_it_whole_on_hover(
    qtbot: QtBot,
) -> None:
    shown = MarkedMap(TITLE)
    qtbot.addWidget(shown)
    shown.set_map(np.ones((4, 4), np.float32))
    shown.resize(120, 220)  # too narrow for the title on two lines: the second elides
    shown.show()
    qtbot.waitExposed(shown)
    lines = title_lines(shown, TITLE, MAP_TITLE_LINES)
    assert len(lines) == MAP_TITLE_LINES and lines[-1].endswith("…")
    title_bottom = MAP_TITLE_LINES * shown.fontMetrics().height() + 2
    assert shown.image_rect().top() >= title_bottom  # the picture under both lines
    assert _hover_title(shown) == TITLE
    shown.resize(800, 220)
    assert title_lines(shown, TITLE, MAP_TITLE_LINES) == [TITLE]  # all of it, on one line


def test_a_narrow_grid_writes_its_title_on_one_line(qtbot: QtBot) -> None:
    grid = HeatGrid("Patch read (16 of 32 channels), the window the unit reads")
    qtbot.addWidget(grid)
    grid.set_values(np.zeros((1, 3, 3), np.float32), diverging=False)
    grid.resize(130, 100)
    grid.show()
    qtbot.waitExposed(grid)
    image = grid.grab().toImage()
    top = int(grid.tile_rect(0).top())
    line = grid.fontMetrics().height()
    assert _ink_rows(image.copy(0, 0, image.width(), top), line) == []
    assert _hover_title(grid) == grid.title
