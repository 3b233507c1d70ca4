"""The Train tab shows its text whole and its pictures sharp: at a large font, at the
window's smallest size, on a high-density screen and in the dark theme."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from gui_helpers import application_font
from PySide6.QtCore import QPoint, QRect, QSize
from PySide6.QtGui import QColor, QImage, QPalette, QPixmap
from PySide6.QtWidgets import QApplication, QStyle, QToolButton
from pytestqt.qtbot import QtBot

from ocrpad.app.theme import apply_theme
from ocrpad.app.train.browser import LARGE
from ocrpad.app.train.browser_items import FRAME, THUMB
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
    with application_font(14.0):
        yield


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


def _add(store: SampleStore, count: int, label: str = "7") -> None:
    """`count` small drawings of `label`, each a little different."""
    drawings = [[np.array([[0, 0], [k + 1, 10], [2, 12]], np.float32)] for k in range(count)]
    store.add_many(drawings, [label] * count, "prompt")


def _extent(image: QImage, colour: QColor) -> QRect:
    """The smallest rectangle holding every pixel near `colour` (a style may shade it)."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    pixels = np.frombuffer(rgb.constBits(), np.uint8).reshape(rgb.height(), -1)
    pixels = pixels[:, : 3 * rgb.width()].reshape(rgb.height(), rgb.width(), 3).astype(int)
    near = np.abs(pixels - [colour.red(), colour.green(), colour.blue()]).max(axis=2) < 40
    ys, xs = np.nonzero(near)
    if not len(xs):
        return QRect()
    return QRect(QPoint(int(xs.min()), int(ys.min())), QPoint(int(xs.max()), int(ys.max())))


def test_a_chosen_thumbnail_is_framed_in_its_own_cell_without_a_bar_beside_it(
    store: SampleStore, opened: Callable[[], TrainTab]
) -> None:
    _add(store, 3)
    grid = opened().browser.grid
    grid.setCurrentRow(1)
    grid.setFocus()
    QApplication.processEvents()
    cell = grid.gridSize()
    chosen = grid.visualItemRect(grid.item(1))
    colour = grid.palette().color(QPalette.ColorRole.Highlight)
    highlight = _extent(grid.viewport().grab().toImage(), colour)
    assert not highlight.isEmpty()
    assert highlight.width() <= THUMB + 2 * FRAME and highlight.height() <= THUMB + 2 * FRAME
    assert chosen.contains(highlight)  # around the drawing, not a bar to its right
    first = grid.visualItemRect(grid.item(0))  # centred in its cell
    assert abs(first.center().x() - (cell.width() - 1) / 2) <= 1 and first.width() < cell.width()


def test_on_a_two_pixels_to_a_point_screen_the_drawings_are_drawn_at_twice_the_size(
    store: SampleStore, opened: Callable[[], TrainTab], monkeypatch: pytest.MonkeyPatch
) -> None:
    _add(store, 2)
    browser = opened().browser
    for view in (browser, browser.grid):
        monkeypatch.setattr(view, "devicePixelRatioF", lambda: 2.0)  # as QT_SCALE_FACTOR=2
    shown: list[QPixmap] = []  # (QLabel.pixmap() hands it back at the label's own density)
    monkeypatch.setattr(browser.large, "setPixmap", shown.append)
    browser.refresh()
    thumbnail = browser.grid.item(0).icon().pixmap(QSize(THUMB, THUMB), 2.0)
    for pixmap, size in ((thumbnail, THUMB), (shown[-1], LARGE)):
        assert pixmap.devicePixelRatio() == 2.0 and pixmap.width() == 2 * size
        assert pixmap.deviceIndependentSize().width() == size  # the same room on screen


def test_in_the_dark_theme_the_drawings_are_light_ink_on_dark_paper_like_the_canvas(
    store: SampleStore, opened: Callable[[], TrainTab]
) -> None:
    _add(store, 2)
    tab = opened()
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before, sheet = QPalette(app.palette()), app.styleSheet()  # the application's: put back
    try:
        apply_theme("dark")  # after the tab was built: its drawings follow
        QApplication.processEvents()
        canvas = tab.collect.canvas.palette()
        paper, ink = canvas.color(QPalette.ColorRole.Base), canvas.color(QPalette.ColorRole.Text)
        assert paper.lightness() < 100 < ink.lightness()
        for pixmap in (
            tab.browser.grid.item(1).icon().pixmap(QSize(THUMB, THUMB)),
            tab.browser.large.pixmap(),
        ):
            image = pixmap.toImage()
            assert image.pixelColor(0, 0) == paper  # the margin
            inked = {
                image.pixelColor(x, y).rgb()
                for x in range(image.width())
                for y in range(image.height())
            }
            assert ink.rgb() in inked
    finally:
        app.setPalette(before)
        app.setStyleSheet(sheet)
