"""The feature-map viewer and the enlarged map without a mouse: real key presses, sent where
the focus is, move a framed current map and a cell cursor; Enter or Space does what a click
does; both stop at their edges, and the focus is drawn."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from neuron_gui import TIMEOUT, click_cell, draw, panel, small_window
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent, QAccessibleEvent, QImage
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from ocrpad.app.draw.feature_maps import FeatureMapView
from ocrpad.app.draw.map_dialog import MapDialog
from ocrpad.app.draw.map_words import map_summary
from ocrpad.app.main_window import MainWindow

Key = Qt.Key


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    win = small_window(qtbot, tmp_path)
    draw(qtbot, win, (0.3, 0.2), (0.6, 0.8))
    yield win
    win.close()


def _focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None
    return widget


def _keys(qtbot: QtBot, *keys: Key) -> None:
    """Press `keys` one by one, each where the focus is then."""
    for key in keys:
        qtbot.keyClick(_focused(), key)


def _viewer(window: MainWindow) -> FeatureMapView:
    """The feature-map viewer, focused (as a Tab into it would)."""
    view = window.draw.feature_maps
    view.setFocus(Qt.FocusReason.TabFocusReason)
    assert view.hasFocus()
    return view


def _current(view: FeatureMapView) -> tuple[str, int]:
    """The current map of the viewer: its section's caption (up to the shape) and number."""
    _, section, index = view.grid.tile(view.grid.current)
    return view.grid.sections[section].caption.split("  (")[0], index


def _enlarge_by_keys(qtbot: QtBot, window: MainWindow, *keys: Key) -> MapDialog:
    """In the focused viewer, `keys` then Enter; the enlarged map, once it has the focus."""
    _keys(qtbot, *keys, Key.Key_Return)
    dialog = window.draw.feature_maps.dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.image_label)
    return dialog


def _pixels(image: QImage) -> np.ndarray:
    """(H, W, 3) uint8 copy of `image`."""
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h, stride = image.width(), image.height(), image.bytesPerLine()
    data = np.frombuffer(image.constBits(), np.uint8, count=stride * h)
    return data.reshape(h, stride)[:, : 3 * w].reshape(h, w, 3).copy()


def _changed(before: QImage, after: QImage) -> QRectF:
    """The bounding box of the pixels that differ (empty if none)."""
    ys, xs = np.nonzero(np.any(_pixels(before) != _pixels(after), axis=-1))
    if len(xs) == 0:
        return QRectF()
    return QRectF(xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1)


def test_the_keys_alone_enlarge_a_map_and_pick_a_cell_as_a_click_on_it_does(
    qtbot: QtBot, window: MainWindow
) -> None:
    _viewer(window)
    dialog = _enlarge_by_keys(qtbot, window, Key.Key_Right)
    assert dialog.caption.text().startswith("conv1 · map 2 of 3 · 28×28 ·")
    _keys(qtbot, Key.Key_Down, Key.Key_Down, Key.Key_Right)
    with (
        qtbot.waitSignal(dialog.cell_clicked) as by_key,
        qtbot.waitSignal(window.explain.neuron.trace_shown, timeout=TIMEOUT) as traced,
    ):
        _keys(qtbot, Key.Key_Space)
    assert by_key.args == ["conv1", 1, 2, 1]
    assert dialog.picked == ("conv1", 1, 2, 1)
    with qtbot.waitSignal(dialog.cell_clicked) as by_click:
        clicked = click_cell(qtbot, window, 2, 1)
    assert by_click.args == by_key.args
    assert traced.args[0].trace.unit == clicked.trace.unit


def test_the_arrows_cross_sections_and_stop_at_the_first_and_last_map_and_cell(
    qtbot: QtBot, window: MainWindow
) -> None:
    view = _viewer(window)
    _keys(qtbot, Key.Key_Left, Key.Key_Up)
    assert _current(view) == ("conv1", 0)
    _keys(qtbot, Key.Key_Right, Key.Key_Right, Key.Key_Right)
    assert _current(view) == ("conv1 ideal inputs", 0)  # on from a layer's last map
    _keys(qtbot, Key.Key_Down)
    assert _current(view) == ("conv2", 0)
    _keys(qtbot, Key.Key_End, Key.Key_Right, Key.Key_Down)
    assert _current(view) == ("conv1 learned filters", 2)
    _keys(qtbot, Key.Key_Up)
    assert _current(view) == ("pool2", 2)  # the map above
    _keys(qtbot, Key.Key_Up)
    assert _current(view) == ("conv2 ideal inputs", 1)  # bigger tiles: the nearest one
    _keys(qtbot, Key.Key_Down)
    assert _current(view) == ("pool2", 2)
    dialog = _enlarge_by_keys(qtbot, window, Key.Key_Left)
    assert dialog.caption.text().startswith("pool2 · map 2 of 4 · 14×14 ·")
    label = dialog.image_label
    for keys, cell in (
        ((Key.Key_Up, Key.Key_Left), (0, 0)),
        ((Key.Key_End, *[Key.Key_Down] * 20, Key.Key_Right), (13, 13)),
        ((Key.Key_Home,), (13, 0)),
    ):
        for key in keys:
            qtbot.keyClick(label, key)
        with qtbot.waitSignal(dialog.cell_clicked) as picked:
            qtbot.keyClick(label, Key.Key_Enter)
        assert picked.args == ["pool2", 1, *cell]


def test_the_focus_is_drawn_round_the_current_map_and_the_cell_under_the_cursor(
    qtbot: QtBot, window: MainWindow
) -> None:
    view = _viewer(window)
    _keys(qtbot, Key.Key_Right)
    grid = view.grid
    focused = grid.grab().toImage()
    window.draw.canvas.setFocus()
    frame = _changed(grid.grab().toImage(), focused)
    tile = grid.tile(1)[0]  # conv1's second map
    assert not frame.isEmpty() and tile.adjusted(-3, -3, 3, 3).contains(frame)
    assert frame.contains(tile)
    view.setFocus()
    dialog = _enlarge_by_keys(qtbot, window, Key.Key_Down, Key.Key_Down)
    label = dialog.image_label
    assert dialog.caption.text().startswith("conv2 · map 2 of 4")
    _keys(qtbot, *[Key.Key_Right] * 5, *[Key.Key_Down] * 3)
    with_cursor = label.pixmap().toImage()
    label.clearFocus()
    cursor = _changed(label.pixmap().toImage(), with_cursor)
    scale = label.pixmap().width() // 28
    cell = QRectF(5 * scale, 3 * scale, scale, scale)
    assert not cursor.isEmpty() and cell.adjusted(-5, -5, 5, 5).contains(cursor)
    label.setFocus()
    # a learned filter is only shown: no cursor, and the keys pick nothing
    window.activateWindow()
    view.setFocus()
    qtbot.waitUntil(view.hasFocus)
    dialog = _enlarge_by_keys(qtbot, window, Key.Key_End)
    assert dialog.caption.text().startswith("conv1 learned filters · filter 3 of 3")
    shown = label.pixmap().toImage()
    with qtbot.assertNotEmitted(dialog.cell_clicked, wait=100):
        _keys(qtbot, Key.Key_Right, Key.Key_Return)
    label.clearFocus()
    assert _changed(label.pixmap().toImage(), shown).isEmpty()


def test_a_screen_reader_hears_each_map_the_arrows_reach_in_words_and_the_enlarged_one_too(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[QAccessibleEvent] = []
    monkeypatch.setattr(QAccessible, "updateAccessibility", sent.append)
    view = _viewer(window)
    assert _focused() is view.grid
    _keys(qtbot, Key.Key_Right)
    _, section, index = view.grid.tile(view.grid.current)
    maps = view.grid.sections[section].maps
    said = view.grid.accessibleDescription()
    assert said.startswith(f"map {index + 1} of {maps.count} of {maps.name}: ")
    share = f"{100 * float(np.mean(maps.maps[index] > 0)):.0f}% of cells active"
    assert share in said or "no cell active" in said or "flat" in said
    heard = [e.message() for e in sent if isinstance(e, QAccessibleAnnouncementEvent)]
    assert heard[-1] == said  # announced as the frame moved
    dialog = _enlarge_by_keys(qtbot, window)
    assert dialog.image_label.accessibleName() == "Enlarged map"
    assert dialog.image_label.accessibleDescription() == said
    with qtbot.waitSignal(window.explain.neuron.trace_shown, timeout=TIMEOUT):
        _keys(qtbot, Key.Key_Return)  # the neuron panel's maps are said in words too
    traced = panel(window)
    for shown in (traced.input_map, traced.below_map):
        assert shown.values is not None
        assert shown.accessibleDescription() == map_summary(shown.values)
    assert "% of cells active" in traced.input_map.accessibleDescription()  # the ink
