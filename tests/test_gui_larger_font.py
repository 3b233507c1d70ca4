"""At a 24 pt system font the window's least size fits a 1100×720 screen, and there, as at
1100×720, every tool, the answer and the feature maps' title show whole: the pen slider gives
up width before any tool wraps, the chart a little height, and the maps' title keeps to its
heading (the whole sentence in its tooltip) where the column has no room for it. At the usual
font and at 20 pt nothing of that is needed."""

from __future__ import annotations

from pathlib import Path

import pytest
from gui_helpers import application_font, draw_stroke, open_window, relative_line, save_tiny_model
from PySide6.QtCore import QRect, QSize
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QLayout, QWidget
from pytestqt.qtbot import QtBot

from ocrpad.app.draw.layer_column import HEADING, MAPS_ROOM, WHOLE_TITLE, LayerColumn
from ocrpad.app.draw.prob_chart import LEAST_HEIGHT
from ocrpad.app.draw.tab import PEN_SLIDER_WIDTH
from ocrpad.app.main_window import MainWindow

LARGER_FONT = 24.0  # points
SCREEN = QSize(1100, 720)


def _rect_in(widget: QWidget, ancestor: QWidget) -> QRect:
    return QRect(widget.mapTo(ancestor, widget.rect().topLeft()), widget.size())


def _row_widgets(layout: QLayout) -> list[QWidget]:
    items = (layout.itemAt(i) for i in range(layout.count()))
    return [w for item in items if item and (w := item.widget()) and w.isVisible()]


def _layer_column(window: MainWindow) -> LayerColumn:
    column = window.draw.widget(1)
    assert isinstance(column, LayerColumn)
    return column


def _assert_everything_whole(window: MainWindow) -> None:
    """The tools at their full width, clear of each other and above the chart; the slider
    no narrower than its least; the answer clear of its confidence line; the maps' title
    whole above maps of a usable height."""
    draw = window.draw
    left = draw.widget(0)
    chart = _rect_in(draw.chart, left)
    assert left.rect().contains(chart) and draw.chart.height() >= LEAST_HEIGHT
    shown: list[QRect] = []
    for row in (draw.edit_tools, draw.tools):
        for widget in _row_widgets(row):
            for part in [widget, *widget.findChildren(QWidget)]:
                if isinstance(part, QAbstractButton | QLabel) and part.isVisible():
                    assert part.width() >= part.sizeHint().width(), part.text()
            where = _rect_in(widget, left)
            assert left.rect().contains(where) and where.bottom() < chart.top(), widget
            assert not any(where.intersects(other) for other in shown), widget
            shown.append(where)
    slider = draw.pen_width
    assert slider.width() >= slider.minimumSizeHint().width() > 0
    answer, confidence = draw.panel.label.geometry(), draw.panel.confidence.geometry()
    assert answer.bottom() < confidence.top(), (answer, confidence)
    column = _layer_column(window)
    title = column.title
    assert title.height() >= title.heightForWidth(title.width()), title.text()  # no line cut
    assert title.text() in (WHOLE_TITLE, HEADING)
    if title.text() == HEADING:
        assert title.toolTip() == WHOLE_TITLE
    assert draw.feature_maps.height() >= MAPS_ROOM


def _window_with_an_answer(qtbot: QtBot, tmp_path: Path) -> MainWindow:
    window = open_window(qtbot, save_tiny_model(tmp_path), tmp_path)
    draw_stroke(window.draw.canvas, relative_line(window.draw.canvas, (0.5, 0.2), (0.5, 0.8)))
    qtbot.waitUntil(lambda: bool(window.draw.panel.label.text()), timeout=20_000)
    return window


@pytest.mark.parametrize("first", [SCREEN, None], ids=["1100x720", "least"])
def test_at_24_points_the_window_fits_1100_by_720_with_every_part_whole(
    qtbot: QtBot, tmp_path: Path, first: QSize | None
) -> None:
    with application_font(LARGER_FONT):
        window = _window_with_an_answer(qtbot, tmp_path)
        least = window.minimumSizeHint()
        assert least.width() <= SCREEN.width() and least.height() <= SCREEN.height(), least
        window.resize(first or least)
        qtbot.wait(100)  # a line more or fewer asks for another layout pass
        assert window.size() == (first or least)
        _assert_everything_whole(window)
        assert _layer_column(window).title.text() == HEADING  # no room for the sentence


@pytest.mark.parametrize("points", [None, 20.0], ids=["usual", "20pt"])
def test_where_the_window_has_room_the_slider_is_full_width_and_the_title_whole(
    qtbot: QtBot, tmp_path: Path, points: float | None
) -> None:
    with application_font(points or QApplication.font().pointSizeF()):
        window = _window_with_an_answer(qtbot, tmp_path)
        window.resize(SCREEN)
        qtbot.wait(100)
        assert window.draw.pen_width.width() == PEN_SLIDER_WIDTH
        title = _layer_column(window).title
        assert title.text() == WHOLE_TITLE and not title.toolTip()
        _assert_everything_whole(window)
