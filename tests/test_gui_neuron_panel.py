"""What the neuron panel tells a person, read off the real widgets after real clicks: one
number per filter (the one the enlarged map gives it), how a unit was reached, nothing of a
drawing that was cleared, and all of it within reach on a small screen."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from gui_helpers import draw_stroke, relative_line
from neuron_gui import TIMEOUT, click_cell, draw, enlarge, panel, press, small_window
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QScreen
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from ocrpad.app.main_window import MainWindow


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    win = small_window(qtbot, tmp_path)
    yield win
    win.close()


def _map_number(text: str) -> int:
    """N of the enlarged map's "… map N of M …"."""
    found = re.search(r"\bmap (\d+) of \d+", text)
    assert found is not None, text
    return int(found.group(1))


def test_a_filter_has_the_number_the_enlarged_map_gives_it_everywhere_in_the_panel(
    qtbot: QtBot, window: MainWindow
) -> None:
    draw(qtbot, window, (0.3, 0.2), (0.6, 0.8))
    enlarge(qtbot, window, "conv2", 2)
    dialog = window.draw.feature_maps.dialog
    assert dialog is not None
    picked = _map_number(dialog.caption.text())
    view = click_cell(qtbot, window, 13, 12)
    shown = panel(window)
    assert f"conv2</b> conv · f{picked} (13, 12) =" in shown.title.text()
    strongest = view.trace.strongest
    assert strongest is not None and strongest.layer == "relu1"
    below = re.search(r"relu1 · map (\d+) ", shown.below_map.title)
    assert below is not None
    place = f"({strongest.row}, {strongest.col})"
    assert shown.where.text() == f"next: relu1 · f{below.group(1)} {place}"
    enlarge(qtbot, window, "conv1", strongest.channel)  # the map the panel points to
    assert _map_number(dialog.caption.text()) == int(below.group(1))
    down = press(qtbot, window, shown.down)
    assert down.trace.layer == "conv1"
    assert f"conv1</b> conv · f{below.group(1)} (" in shown.title.text()


def test_the_title_says_a_unit_was_reached_by_the_arrow_not_picked(
    qtbot: QtBot, window: MainWindow
) -> None:
    draw(qtbot, window, (0.3, 0.2), (0.6, 0.8))
    enlarge(qtbot, window, "conv2", 2)
    click_cell(qtbot, window, 13, 12)
    shown = panel(window)
    assert "reached" not in shown.title.text() and "picked" not in shown.title.text()
    below = press(qtbot, window, shown.down)
    assert below.clicked.layer == "relu1" and below.trace.layer == "conv1"
    assert shown.title.text().endswith("(reached from conv2 · f3 (13, 12))")
    assert "you picked" not in shown.title.text()
    press(qtbot, window, shown.back)
    assert "reached" not in shown.title.text()
    press(qtbot, window, shown.down)  # forward again: reached the same way
    assert shown.title.text().endswith("(reached from conv2 · f3 (13, 12))")


def test_clear_empties_the_panel_and_the_outlines_until_the_next_drawing(
    qtbot: QtBot, window: MainWindow
) -> None:
    draw(qtbot, window, (0.3, 0.2), (0.6, 0.8))
    enlarge(qtbot, window, "conv1", 1)
    view = click_cell(qtbot, window, 10, 12)
    shown = panel(window)
    neuron = window.explain.neuron
    assert neuron.preview_field.isVisible() and neuron.canvas_field.isVisible()
    window.draw.canvas.setFocus()
    qtbot.keyClick(window.draw.canvas, Qt.Key.Key_Escape)  # Clear
    assert not window.draw.canvas.strokes()
    assert not neuron.preview_field.isVisible() and not neuron.canvas_field.isVisible()
    assert shown.isVisible()
    assert shown.title.text() == "<b>conv1</b> conv · f2 (10, 12): draw to see it"
    assert shown.line.text() == "" and shown.input_map.values is None
    assert not shown.kernel.isVisible() and not shown.products.isVisible()
    assert not shown.down.isEnabled() and shown.where.text() == ""
    with qtbot.waitSignal(neuron.trace_shown, timeout=TIMEOUT) as blocker:
        draw_stroke(window.draw.canvas, relative_line(window.draw.canvas, (0.2, 0.5), (0.8, 0.5)))
    again = blocker.args[0]
    assert again.trace.unit == view.trace.unit  # the same unit, for the new drawing
    assert "draw to see it" not in shown.title.text() and shown.line.text()
    assert neuron.preview_field.isVisible() and shown.kernel.isVisible()


def test_on_a_small_screen_the_panel_fits_and_its_content_scrolls(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = QRect(0, 0, 800, 536)  # a netbook's screen less its task bar
    monkeypatch.setattr(QScreen, "availableGeometry", lambda _: small)
    draw(qtbot, window, (0.3, 0.2), (0.6, 0.8))
    enlarge(qtbot, window, "conv1", 0)
    click_cell(qtbot, window, 5, 5)
    shown = panel(window)
    strip = shown.strip
    point = strip.block_rect([b.name for b in strip.blocks].index("out")).center().toPoint()
    with qtbot.waitSignal(window.explain.neuron.trace_shown, timeout=TIMEOUT):
        qtbot.mouseClick(strip, Qt.MouseButton.LeftButton, pos=point)  # a dense unit: tall
    QApplication.processEvents()
    assert shown.width() <= small.width() and shown.height() <= small.height()
    for button in (shown.back, shown.down):  # the arrows stay in view
        corner = button.mapTo(shown, QPoint(button.width(), button.height()))
        assert button.isVisible() and shown.rect().contains(corner - QPoint(1, 1))
    bar = shown.scroller.verticalScrollBar()
    assert bar.maximum() > 0  # the rest is a scroll away, not off the screen
    shown.scroller.ensureWidgetVisible(strip)
    top = strip.mapTo(shown.scroller.viewport(), QPoint(0, 0)).y()
    assert 0 <= top < shown.scroller.viewport().height()


def test_the_output_block_opens_the_class_shown_not_the_highest_logit(
    qtbot: QtBot, window: MainWindow
) -> None:
    """Under Read as, the answer is the likeliest of the set, which is often not the class
    with the highest logit over all of them: the output block opens the one shown."""
    assert window.model is not None
    draw(qtbot, window, (0.3, 0.2), (0.6, 0.8))
    enlarge(qtbot, window, "conv1", 0)
    click_cell(qtbot, window, 5, 5)
    strip = panel(window).strip
    traced = window.explain.neuron
    top = traced.model.labels.index(window.current.label) if window.current else -1
    others = [c for c in window.model.labels if c != window.model.labels[top]]
    with qtbot.waitSignal(traced.trace_shown, timeout=TIMEOUT):  # the open unit, re-traced
        window.set_character_set(others)  # the network's favourite is out of the set
    answer = window.current.label if window.current else ""
    assert answer in others
    point = strip.block_rect([b.name for b in strip.blocks].index("out")).center().toPoint()
    with qtbot.waitSignal(
        traced.trace_shown, timeout=TIMEOUT, check_params_cb=lambda v: v.clicked.layer == "out"
    ) as opened:
        qtbot.mouseClick(strip, Qt.MouseButton.LeftButton, pos=point)
    assert opened.args[0].clicked.channel == window.model.labels.index(answer) != top


def test_the_panel_opens_on_its_step_down_and_tab_reaches_only_named_controls(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.activateWindow()
    draw(qtbot, window, (0.3, 0.2), (0.6, 0.8))
    enlarge(qtbot, window, "conv2", 1)
    click_cell(qtbot, window, 2, 3)
    shown = panel(window)
    qtbot.waitUntil(shown.isActiveWindow)
    assert QApplication.focusWidget() is shown.down  # the next step, not the scrolling area
    reached = []
    for _ in range(4):
        focused = QApplication.focusWidget()
        assert focused is not None
        qtbot.keyClick(focused, Qt.Key.Key_Tab)
        focused = QApplication.focusWidget()
        assert focused is not None
        reached.append(focused)
        name = focused.accessibleName() or getattr(focused, "text", str)()
        assert name.replace("&", "").strip(), focused.objectName()
    assert shown.strip in reached
    pictures = (shown.input_map, shown.below_map, shown.patch, shown.kernel, shown.products)
    names = [picture.accessibleName() for picture in pictures]
    assert names[0] == "Input (receptive field)" and names[2:] == [
        "Patch read",
        "Kernel",
        "Products",
    ]
    assert names[1] == shown.below_map.title and names[1].startswith("relu1 · map ")
