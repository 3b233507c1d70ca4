"""The window from the keyboard: Alt+letters, where Tab goes, and where the focus is seen.

When two visible controls share an Alt+letter, Qt only moves the focus between them and presses
neither, and a button that shares the File menu's letter hides the menu from the keyboard."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from gui_helpers import open_window
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QGroupBox,
    QLabel,
    QScrollArea,
    QToolButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

from ocrpad.app.main_window import MainWindow

MNEMONIC = re.compile(r"&([^&\s])")


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    opened = open_window(qtbot, None, tmp_path)
    yield opened
    opened.close()


def _letter(text: str) -> str | None:
    found = MNEMONIC.search(text.replace("&&", ""))
    return found.group(1).lower() if found else None


def _letters_in_view(window: MainWindow) -> Counter[str]:
    texts = [a.text() for a in window.menuBar().actions()]
    texts += [window.tabs.tabText(i) for i in range(window.tabs.count())]
    for widget in window.findChildren(QWidget):
        if not widget.isVisibleTo(window):
            continue
        if isinstance(widget, QAbstractButton | QGroupBox):
            texts.append(widget.text() if isinstance(widget, QAbstractButton) else widget.title())
        elif isinstance(widget, QLabel) and widget.buddy() is not None:
            texts.append(widget.text())
    return Counter(letter for text in texts if (letter := _letter(text)))


@pytest.mark.parametrize("tab", [0, 1], ids=["draw", "train"])
def test_no_two_controls_in_view_share_an_alt_letter(window: MainWindow, tab: int) -> None:
    window.tabs.setCurrentIndex(tab)
    letters = _letters_in_view(window)
    assert len(letters) > 8  # the tab's own controls were found, not only the menus
    assert {letter for letter, n in letters.items() if n > 1} == set()


def test_tab_reaches_the_train_pages_first_control_not_its_scroll_area(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.tabs.setCurrentIndex(1)
    window.activateWindow()
    window.tabs.tabBar().setFocus()
    qtbot.waitUntil(window.tabs.tabBar().hasFocus)
    qtbot.keyClick(window.tabs.tabBar(), Qt.Key.Key_Tab)
    focused = QApplication.focusWidget()
    assert focused is not None and not isinstance(focused, QScrollArea)
    assert window.tabs.currentWidget().isAncestorOf(focused)


def test_the_canvas_shows_when_it_has_the_keyboard(qtbot: QtBot, window: MainWindow) -> None:
    canvas = window.draw.canvas
    window.activateWindow()
    window.tabs.tabBar().setFocus()
    qtbot.waitUntil(lambda: not canvas.hasFocus())
    without = canvas.grab().toImage()
    canvas.setFocus()
    qtbot.waitUntil(canvas.hasFocus)
    assert canvas.grab().toImage() != without  # Escape and Delete would clear it: say so


def _tab_to(qtbot: QtBot, window: MainWindow, wanted: type[QWidget]) -> QWidget:
    """Press Tab from the tab bar until a visible `wanted` has the focus (40 presses at most)."""
    window.activateWindow()
    window.tabs.tabBar().setFocus()
    qtbot.waitUntil(window.tabs.tabBar().hasFocus)
    for _ in range(40):
        focused = QApplication.focusWidget()
        assert focused is not None
        qtbot.keyClick(focused, Qt.Key.Key_Tab)
        focused = QApplication.focusWidget()
        if isinstance(focused, wanted) and focused.isVisible():
            return focused
    raise AssertionError(f"Tab never reached a {wanted.__name__}")


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_a_tool_button_reached_by_tab_wears_a_highlight_frame_and_keeps_its_size(
    qtbot: QtBot, window: MainWindow, theme: str
) -> None:
    window.set_theme(theme)
    try:
        button = _tab_to(qtbot, window, QToolButton)
        focused = button.grab().toImage()
        highlight = button.palette().color(QPalette.ColorRole.Highlight)
        window.tabs.tabBar().setFocus()
        qtbot.waitUntil(lambda: not button.hasFocus())
        unfocused = button.grab().toImage()
    finally:
        window.set_theme("light")
    middle = focused.height() // 2
    for x in (0, 1):  # two pixels of the highlight colour at the left edge, focused only
        assert focused.pixelColor(x, middle) == highlight
    assert unfocused.pixelColor(1, middle) != highlight
    assert focused.size() == unfocused.size()
