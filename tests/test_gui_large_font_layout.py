"""At a 20 pt system font, in a window of 1100×720 or at its smallest, every part of the window
is in view and no text is cut or covered: the Train tab's columns fit side by side, the answer
stays clear of the line under it, and the neuron panel's map titles wrap or elide."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from gui_helpers import (
    application_font,
    draw_stroke,
    open_window,
    relative_line,
    save_tiny_model,
    train_tab,
)
from neuron_gui import click_cell, draw, enlarge, small_window
from neuron_gui import panel as neuron_panel
from PySide6.QtCore import QRect, QSize
from PySide6.QtWidgets import QApplication, QGroupBox, QScrollArea, QWidget
from pytestqt.qtbot import QtBot

from ocrpad.app.explain.neuron.grids import MAP_TITLE_LINES
from ocrpad.app.explain.neuron.title import title_lines
from ocrpad.app.main_window import MainWindow
from ocrpad.app.train.collect import DEFAULT_PROMPT

LARGE_FONT = 20.0  # points: a large system font
WINDOW = (1100, 720)  # the window's first size


@pytest.fixture
def large_font(qtbot: QtBot) -> Iterator[None]:
    with application_font(LARGE_FONT):
        yield


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> MainWindow:
    """The real window (a tiny model) at 1100×720, or at its least size if that is larger."""
    opened = open_window(qtbot, save_tiny_model(tmp_path), tmp_path)
    opened.resize(*WINDOW)
    qtbot.wait(50)
    return opened


def _rect_in(widget: QWidget, ancestor: QWidget) -> QRect:
    return QRect(widget.mapTo(ancestor, widget.rect().topLeft()), widget.size())


def test_at_20_points_the_train_tabs_three_columns_fit_a_window_1100_pixels_wide(
    large_font: None, window: MainWindow, qtbot: QtBot
) -> None:
    tab = train_tab(window)
    page = window.findChild(QScrollArea, "trainTabScroller")
    assert isinstance(page, QScrollArea)
    window.tabs.setCurrentWidget(page)
    qtbot.wait(50)
    assert tab.minimumSizeHint().width() <= WINDOW[0] - 8  # the tab's frame and margins
    assert not page.horizontalScrollBar().isVisible()  # no sideways scrolling
    viewport = page.viewport()
    columns = [c for c in tab.findChildren(QGroupBox) if c.title() == "Fine-tune"]
    assert columns
    for column in columns:
        shown = _rect_in(column, viewport)
        assert shown.left() >= 0 and shown.right() < viewport.width(), shown
    practise = tab.collect.prompt_chars
    assert practise.width() >= practise.fontMetrics().horizontalAdvance(DEFAULT_PROMPT)


def test_at_20_points_the_neuron_panels_map_titles_show_whole_and_it_never_scrolls_sideways(
    large_font: None, qtbot: QtBot, tmp_path: Path
) -> None:
    window = small_window(qtbot, tmp_path)
    window.resize(*WINDOW)
    draw(qtbot, window, (0.3, 0.2), (0.6, 0.8))
    enlarge(qtbot, window, "conv2", 2)
    click_cell(qtbot, window, 13, 12)
    shown = neuron_panel(window)
    qtbot.wait(50)
    viewport = shown.scroller.viewport()
    assert not shown.scroller.horizontalScrollBar().isVisible()  # the long sum wraps
    for picture in (shown.input_map, shown.below_map):
        assert _rect_in(picture, viewport).right() < viewport.width(), picture.title
        lines = title_lines(picture, picture.title, MAP_TITLE_LINES)
        assert " ".join(lines) == picture.title  # wrapped, not cut
        assert picture.image_rect().top() >= len(lines) * picture.fontMetrics().height()
        assert picture.accessibleName() == picture.title
    assert shown.below_map.title.startswith("relu1 · map ")
    assert shown.below_map.title.endswith("(strongest input outlined)")


TITLE_BAR = 40  # px a window manager's title bar may take of a 720-pixel-high screen


def _assert_the_answer_clears_the_confidence_line(window: MainWindow) -> None:
    panel = window.draw.panel
    answer, confidence = panel.label.geometry(), panel.confidence.geometry()
    assert answer.bottom() < confidence.top(), (answer, confidence)
    metrics = panel.label.fontMetrics()  # the character's line fits in its label
    assert metrics.height() <= answer.height()


@pytest.mark.parametrize("points", [None, LARGE_FONT])
def test_the_big_answer_never_covers_the_confidence_line_at_the_least_or_the_first_size(
    qtbot: QtBot, tmp_path: Path, points: float | None
) -> None:
    with application_font(points or QApplication.font().pointSizeF()):
        window = open_window(qtbot, save_tiny_model(tmp_path), tmp_path)
        draw_stroke(window.draw.canvas, relative_line(window.draw.canvas, (0.5, 0.2), (0.5, 0.8)))
        qtbot.waitUntil(lambda: bool(window.draw.panel.label.text()), timeout=20_000)
        for size in (window.minimumSizeHint(), QSize(*WINDOW)):
            window.resize(size)
            qtbot.wait(50)
            _assert_the_answer_clears_the_confidence_line(window)
        # the whole window, title bar included, fits a screen 720 pixels high
        assert window.minimumSizeHint().height() <= WINDOW[1] - TITLE_BAR
        answer, preview = window.draw.panel.label, window.draw.panel.preview
        assert preview.image_rect().width() >= 2 * 28  # at 1100×720: the input legible
        if points is None:  # and at the usual font the answer at its full size beside it
            assert answer.height() == answer.full_height
        else:  # a large font: the answer gave up height for the input, down to its least
            assert answer.least_height <= answer.height() < answer.full_height
