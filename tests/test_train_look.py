"""The Train tab shows its text whole and its pictures sharp: at a large font, at the
window's smallest size, on a high-density screen and in the dark theme."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QStyle, QToolButton
from pytestqt.qtbot import QtBot

from ocrpad.app.train.results import TITLES
from ocrpad.app.train.tab import TrainTab
from ocrpad.data.samples import SampleStore


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SampleStore]:
    with SampleStore(tmp_path / "samples.sqlite", renderer=None) as opened:
        yield opened


@pytest.fixture
def large_font(qtbot: QtBot) -> Iterator[None]:
    """The application font at 14 pt, as a person's system setting; restored after."""
    before = QFont(QApplication.font())
    font = QFont(before)
    font.setPointSizeF(14)
    QApplication.setFont(font)
    yield
    QApplication.setFont(before)


@pytest.fixture
def opened(qtbot: QtBot, store: SampleStore) -> Iterator[Callable[[], TrainTab]]:
    """Opens a Train tab at its smallest size (after a fixture such as `large_font`); the
    fixture keeps it alive to the end of the test (qtbot holds only a weak reference)."""
    tabs: list[TrainTab] = []

    def open_tab() -> TrainTab:
        tab = TrainTab(store, lambda: None, warm_rehearsal=False)
        qtbot.addWidget(tab)
        tab.resize(tab.minimumSizeHint())
        tab.show()
        qtbot.waitExposed(tab)
        tabs.append(tab)
        return tab

    yield open_tab
    for tab in tabs:
        tab.shutdown()


def test_at_14_pt_the_results_tabs_show_their_names_whole_without_scroll_arrows(
    large_font: None, opened: Callable[[], TrainTab]
) -> None:
    tab = opened()
    bar = tab.panel.results.tabBar()
    assert not any(b.isVisible() for b in bar.findChildren(QToolButton))  # no arrows
    for i in range(bar.count()):
        rect = bar.tabRect(i)
        text = bar.fontMetrics().horizontalAdvance(bar.tabText(i))
        assert rect.width() >= text and rect.left() >= 0 and rect.right() < bar.width()
    header = tab.panel.table.horizontalHeader()
    margin = header.style().pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, header)
    for column, title in enumerate(TITLES):  # "Before" clear of its borders
        needed = header.fontMetrics().horizontalAdvance(title) + 2 * margin
        assert header.sectionSize(column) >= needed, title
