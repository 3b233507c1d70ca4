"""At a 24 pt system font the Train tab's three columns fit side by side in a window 1100 pixels
wide, with no sideways scrolling: the few long texts that set their widths ("I'll type the
label", "Undo delete", "Confusion", the columns' titles, "each") give way to short ones, and
each keeps its full text as its accessible name and in its tooltip. At the usual font the
full texts show and nothing of that is seen."""

from __future__ import annotations

from pathlib import Path

import pytest
from gui_helpers import application_font, open_window, save_tiny_model, train_tab
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QGroupBox, QScrollArea, QWidget
from pytestqt.qtbot import QtBot

from ocrpad.app.main_window import MainWindow
from ocrpad.app.train.collect import FREE_MODE, HOW_MANY_OF_EACH
from ocrpad.app.train.curves import PLACEHOLDERS, placeholder
from ocrpad.app.train.panel import RESULT_NAMES
from ocrpad.app.train.short_texts import ShortWhenNarrowTabBar, plain
from ocrpad.app.train.tab import TrainTab
from ocrpad.app.train.tips import TIPS

LARGER_FONT = 24.0  # points
SCREEN = QSize(1100, 720)


def _rect_in(widget: QWidget, ancestor: QWidget) -> QRect:
    return QRect(widget.mapTo(ancestor, widget.rect().topLeft()), widget.size())


def _train_page(qtbot: QtBot, tmp_path: Path) -> tuple[MainWindow, QScrollArea, TrainTab]:
    """The window at 1100×720 on its Train tab."""
    window = open_window(qtbot, save_tiny_model(tmp_path), tmp_path)
    page = window.findChild(QScrollArea, "trainTabScroller")
    assert isinstance(page, QScrollArea)
    window.tabs.setCurrentWidget(page)
    window.resize(SCREEN)
    qtbot.wait(100)  # a shorter text asks for another layout pass
    assert window.size() == SCREEN
    return window, page, train_tab(window)


def _results_bar(tab: TrainTab) -> ShortWhenNarrowTabBar:
    bar = tab.panel.results.tabBar()
    assert isinstance(bar, ShortWhenNarrowTabBar)
    return bar


def _assert_no_text_is_cut(tab: TrainTab) -> None:
    """Every button's text and every results tab's name has the room it needs."""
    for button in tab.findChildren(QAbstractButton):
        if button.isVisible() and button.text():
            needed = button.fontMetrics().horizontalAdvance(plain(button.text()))
            assert button.width() >= needed, button.text()
    bar = _results_bar(tab)
    for index in range(bar.count()):
        shown = bar.tabRect(index)
        needed = bar.fontMetrics().horizontalAdvance(bar.tabText(index))
        assert shown.width() >= needed and bar.rect().contains(shown), bar.tabText(index)
    plot = tab.panel.curves
    room = plot.plot_rect().adjusted(4, 0, -4, 0)
    assert placeholder(plot.fontMetrics(), room) in PLACEHOLDERS
    wrap = int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap)  # as the plot does
    said = plot.fontMetrics().boundingRect(
        room.toRect(), wrap, placeholder(plot.fontMetrics(), room)
    )
    assert said.height() <= room.height()


def test_at_24_points_the_train_tabs_columns_fit_1100_pixels_without_scrolling_sideways(
    qtbot: QtBot, tmp_path: Path
) -> None:
    with application_font(LARGER_FONT):
        _, page, tab = _train_page(qtbot, tmp_path)
        viewport = page.viewport()
        assert tab.minimumSizeHint().width() <= viewport.width()
        assert not page.horizontalScrollBar().isVisible()
        columns = tab.findChildren(QGroupBox)
        assert len(columns) == 3
        for column in columns:
            shown = _rect_in(column, viewport)
            assert shown.left() >= 0 and shown.right() < viewport.width(), column.title()
        _assert_no_text_is_cut(tab)


def test_at_24_points_the_shortened_texts_keep_their_full_text_for_a_reader_and_a_tooltip(
    qtbot: QtBot, tmp_path: Path
) -> None:
    with application_font(LARGER_FONT):
        _, _, tab = _train_page(qtbot, tmp_path)
        free, undo = tab.collect.free_mode, tab.browser.undo_button
        assert free.text() == "Type the la&bel"  # the same Alt key
        assert free.accessibleName() == plain(FREE_MODE) == "I'll type the label"
        assert free.toolTip() == f"I'll type the label — {TIPS['freeMode']}"
        assert undo.text() == "&Undo" and undo.accessibleName() == "Undo delete"
        assert undo.toolTip() == f"Undo delete — {TIPS['undoDeleteButton']}"
        bar = _results_bar(tab)
        for index, (full, short) in enumerate(RESULT_NAMES):
            assert bar.tabText(index) == short and bar.accessibleTabName(index) == full
            assert bar.tabToolTip(index).startswith(full)
        assert bar.tabText(1) == "Matrix"
        assert tab.samples_box.title() == "Your samples"
        assert tab.samples_box.accessibleName() == "Your samples: 0 drawings"
        repeats = tab.collect.prompt_repeats
        assert not tab.collect.each.isVisible()
        assert repeats.toolTip() == repeats.accessibleName() == HOW_MANY_OF_EACH


@pytest.mark.parametrize("points", [None, 20.0], ids=["usual", "20pt"])
def test_where_the_columns_have_room_the_full_texts_show(
    qtbot: QtBot, tmp_path: Path, points: float | None
) -> None:
    with application_font(points or QApplication.font().pointSizeF()):
        _, page, tab = _train_page(qtbot, tmp_path)
        assert not page.horizontalScrollBar().isVisible()
        assert tab.collect.free_mode.text() == FREE_MODE
        assert tab.collect.free_mode.toolTip() == TIPS["freeMode"]
        assert tab.browser.undo_button.text() == "&Undo delete"
        assert tab.samples_box.title() == "Your samples: 0 drawings"
        assert tab.collect.each.isVisible() and not tab.collect.prompt_repeats.toolTip()
        if points is None:  # at 20 pt the Fine-tune column may be narrower than the names
            bar = _results_bar(tab)
            assert [bar.tabText(i) for i in range(bar.count())] == [n for n, _ in RESULT_NAMES]
        _assert_no_text_is_cut(tab)
