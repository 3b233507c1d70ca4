"""The Draw tab's tool rows: at a 20 pt system font the second row wraps onto another line, so
the window fits 1100×720 with every tool whole; at the usual font each row is one line, as it
was; the flow layout keeps its items' order and never begins a line with a spacing."""

from __future__ import annotations

from pathlib import Path

from gui_helpers import application_font, open_window, save_tiny_model
from PySide6.QtCore import QRect
from PySide6.QtWidgets import (
    QAbstractButton,
    QLabel,
    QLayout,
    QPushButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

from ocrpad.app.draw.flow import FlowLayout
from ocrpad.app.main_window import MainWindow

WINDOW = (1100, 720)
TITLE_BAR = 40  # px a window manager's title bar may take of a 720-pixel-high screen


def _row_widgets(layout: QLayout) -> list[QWidget]:
    items = (layout.itemAt(i) for i in range(layout.count()))
    return [w for item in items if item and (w := item.widget()) and w.isVisible()]


def _rect_in(widget: QWidget, ancestor: QWidget) -> QRect:
    return QRect(widget.mapTo(ancestor, widget.rect().topLeft()), widget.size())


def _window(qtbot: QtBot, tmp_path: Path) -> MainWindow:
    window = open_window(qtbot, save_tiny_model(tmp_path), tmp_path)
    window.resize(*WINDOW)
    qtbot.wait(100)  # a line more or fewer asks for another layout pass
    return window


def _assert_every_tool_whole(window: MainWindow) -> None:
    """Every button and label of the two rows at its size hint's width, inside the tab's left
    side, above the chart and clear of the others."""
    draw = window.draw
    left = draw.widget(0)
    chart = _rect_in(draw.chart, left)
    shown: list[QRect] = []
    for row in (draw.edit_tools, draw.tools):
        for widget in _row_widgets(row):
            for part in [widget, *widget.findChildren(QWidget)]:
                if isinstance(part, QAbstractButton | QLabel) and part.isVisible():
                    assert part.width() >= part.sizeHint().width(), part.text()  # not elided
                    assert part.height() >= part.sizeHint().height() or isinstance(part, QLabel)
            where = _rect_in(widget, left)
            assert left.rect().contains(where), (widget, where)  # not cut at the edge
            assert where.bottom() < chart.top(), widget
            assert not any(where.intersects(other) for other in shown), widget
            shown.append(where)


def test_at_20_points_the_window_fits_1100_pixels_and_every_tool_shows_whole(
    qtbot: QtBot, tmp_path: Path
) -> None:
    with application_font(20.0):
        window = _window(qtbot, tmp_path)
        assert window.minimumSizeHint().width() <= WINDOW[0]
        assert window.width() == WINDOW[0] and window.height() == WINDOW[1]
        assert window.minimumSizeHint().height() <= WINDOW[1] - TITLE_BAR
        tools = window.draw.tools
        assert isinstance(tools, FlowLayout)
        assert len(tools.lines(tools.geometry().width())) == 2  # wrapped, not squeezed
        _assert_every_tool_whole(window)
        window.resize(window.minimumSizeHint())  # and at the window's least size
        qtbot.wait(100)
        _assert_every_tool_whole(window)
        assert window.minimumSizeHint().height() <= WINDOW[1] - TITLE_BAR


def test_at_the_usual_font_each_tool_row_is_one_line(qtbot: QtBot, tmp_path: Path) -> None:
    window = _window(qtbot, tmp_path)
    for row in (window.draw.edit_tools, window.draw.tools):
        middles = {_rect_in(w, window).center().y() for w in _row_widgets(row)}
        assert len(middles) == 1, middles  # all on one line
    _assert_every_tool_whole(window)
    undo = window.findChild(QWidget, "undoCorrection")
    assert undo is not None and _row_widgets(window.draw.tools)[-1].isAncestorOf(undo)


def test_a_flow_layout_wraps_in_order_and_no_line_begins_with_a_spacing(qtbot: QtBot) -> None:
    host = QWidget()
    qtbot.addWidget(host)
    flow = FlowLayout(spacing=4)
    host.setLayout(flow)
    buttons = [QPushButton(text) for text in ("One", "Two", "Three", "Four")]
    flow.addWidget(buttons[0])
    flow.addSpacing(12)
    for button in buttons[1:]:
        flow.addWidget(button)
    host.show()
    whole = flow.sizeHint().width()
    widths = [b.sizeHint().width() for b in buttons]
    assert whole == sum(widths) + 12 + 4 * 3  # a spacing adds to a gap, as in a QBoxLayout
    assert [len(line) for line in flow.lines(whole)] == [5]
    narrow = flow.lines(widths[0] + 4)
    assert [item.widget() for line in narrow for item in line] == buttons  # in order
    assert all(line[0].spacerItem() is None for line in narrow)
    assert flow.heightForWidth(widths[0] + 4) > flow.heightForWidth(whole)
    host.resize(max(widths) + 2, 400)
    qtbot.wait(50)
    assert [b.geometry().left() for b in buttons] == [0, 0, 0, 0]
    tops = [b.geometry().top() for b in buttons]
    assert tops == sorted(tops) and len(set(tops)) == 4
    assert flow.minimumSize().height() == flow.heightForWidth(host.width())
