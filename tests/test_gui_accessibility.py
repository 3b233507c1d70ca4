"""The Draw tab without a mouse or without sight: what a screen reader hears of the answer and
the chart, the unsure answer's contrast, the heat map from the keyboard, and the Tab order."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from gui_helpers import draw_stroke, draw_strokes, open_window, train_tab
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import (
    QAccessible,
    QAccessibleAnnouncementEvent,
    QAccessibleEvent,
    QColor,
    QGuiApplication,
    QImage,
    QPalette,
)
from PySide6.QtWidgets import QAbstractButton, QApplication, QMenu, QTabBar, QWidget
from pytestqt.qtbot import QtBot

from ocrpad.app import theme
from ocrpad.app.draw.prediction import Prediction
from ocrpad.app.draw.spoken import character_name
from ocrpad.app.main_window import MainWindow
from ocrpad.devtools.screenshot import fit_to_widget
from ocrpad.launch.selftest import load_drawings

TIMEOUT = 20_000


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    win = open_window(qtbot, None, tmp_path)  # the shipped model
    win.activateWindow()
    qtbot.waitActive(win)
    yield win
    win.set_theme("light")  # the palette is the application's: leave it as found
    win.close()


def _read(qtbot: QtBot, window: MainWindow, char: str = "R") -> Prediction:
    """Draw the built-in drawing of `char` on a clean canvas; returns the answer shown."""
    canvas = window.draw.canvas
    canvas.clear()
    drawing = next(d for d in load_drawings() if d.label == char)
    with qtbot.waitSignal(window.prediction_shown, timeout=TIMEOUT) as blocker:
        draw_strokes(canvas, fit_to_widget(drawing.strokes, canvas))
    prediction: Prediction = blocker.args[0]
    return prediction


def _read_a_squiggle(qtbot: QtBot, window: MainWindow) -> Prediction:
    """A wavy dash the shipped model cannot place (under 50% for its best guess)."""
    canvas = window.draw.canvas
    canvas.clear()
    w, h = canvas.width(), canvas.height()
    points = [(w * 0.3, h * 0.5), (w * 0.45, h * 0.45), (w * 0.5, h * 0.55), (w * 0.7, h * 0.5)]
    with qtbot.waitSignal(window.prediction_shown, timeout=TIMEOUT) as blocker:
        draw_stroke(canvas, points)
    prediction: Prediction = blocker.args[0]
    assert prediction.confidence < 0.5
    return prediction


def _luminance(colour: QColor) -> float:
    """WCAG 2 relative luminance."""
    channels = [colour.redF(), colour.greenF(), colour.blueF()]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: QColor, b: QColor) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _glyph_contrast(widget: QWidget) -> float:
    """The contrast of the ink drawn in a widget against its background (its corner pixel),
    from the pixels on screen: the strongest ink pixel is the core of a stroke."""
    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    background = image.pixelColor(0, 0)
    pixels = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), -1, 4)
    rgb = pixels[:, : image.width(), 2::-1].reshape(-1, 3)  # BGRA in memory
    return max(_contrast(QColor(*map(int, c)), background) for c in np.unique(rgb, axis=0))


def _name(widget: QWidget | None) -> str:
    assert widget is not None
    text = getattr(widget, "text", lambda: "")()
    return widget.objectName() or str(text).replace("&", "")


def test_the_answer_is_heard_with_how_sure_the_network_is_and_announced_when_it_changes(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[QAccessibleEvent] = []
    monkeypatch.setattr(QAccessible, "updateAccessibility", sent.append)
    label = window.draw.panel.label
    _read(qtbot, window, "R")
    assert re.fullmatch(r"Recognised: capital R, \d+% sure", label.accessibleName())
    assert label.isEnabled()
    names = [e.object() for e in sent if e.type() == QAccessible.Event.NameChanged]
    said = [e.message() for e in sent if isinstance(e, QAccessibleAnnouncementEvent)]
    assert label in names and said == [label.accessibleName()]
    sent.clear()
    _read_a_squiggle(qtbot, window)
    assert label.accessibleName().startswith("Not sure: maybe ")
    assert label.isEnabled()  # a disabled label is announced as unavailable
    assert [e.message() for e in sent if isinstance(e, QAccessibleAnnouncementEvent)] == [
        label.accessibleName()
    ]


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_an_unsure_answer_is_grey_yet_legible_in_either_theme(
    qtbot: QtBot, window: MainWindow, theme: str
) -> None:
    window.set_theme(theme)  # type: ignore[arg-type]
    QApplication.processEvents()
    label = window.draw.panel.label
    palette = label.palette()
    normal = _contrast(
        palette.color(QPalette.ColorRole.WindowText), palette.color(QPalette.ColorRole.Window)
    )
    _read_a_squiggle(qtbot, window)
    unsure = _glyph_contrast(label)
    assert unsure >= 3.0, f"{unsure:.2f}:1"  # WCAG AA for large text
    assert unsure < 0.6 * normal  # still reads as less sure than the normal text
    _read(qtbot, window, "R")
    assert _glyph_contrast(label) > 0.9 * normal  # a sure answer is in the normal colour


def test_the_chart_takes_the_focus_and_the_arrow_keys_pick_the_class_the_heat_map_explains(
    qtbot: QtBot, window: MainWindow
) -> None:
    _read(qtbot, window, "R")
    chart, explain = window.draw.chart, window.explain
    ranked = [label for label, _ in chart.sorted_classes()]
    said = chart.accessibleDescription()  # the leading classes, not only "Class probabilities"
    assert re.match(r"Most likely: capital R \d+%, \w+ \w+ (\d+%|under 1%), ", said), said
    chart.setFocus(Qt.FocusReason.TabFocusReason)
    assert chart.hasFocus()
    frame = chart.grab().toImage().pixelColor(1, chart.height() // 2)
    assert frame == chart.palette().color(QPalette.ColorRole.Highlight)  # a visible frame
    with qtbot.waitSignal(explain.heatmap_shown, timeout=TIMEOUT) as blocker:
        qtbot.keyClick(chart, Qt.Key.Key_Right)
    assert blocker.args[0].label == ranked[1] and explain.toggle.isChecked()
    assert chart.explained() == ranked[1]
    assert f"Picked: {character_name(ranked[1])}" in chart.accessibleDescription()
    for key, rank in ((Qt.Key.Key_Down, 2), (Qt.Key.Key_Up, 1), (Qt.Key.Key_Home, 0)):
        with qtbot.waitSignal(explain.heatmap_shown, timeout=TIMEOUT) as blocker:
            qtbot.keyClick(chart, key)
        assert blocker.args[0].label == ranked[rank]
    with qtbot.waitSignal(explain.heatmap_shown, timeout=TIMEOUT) as blocker:
        qtbot.keyClick(chart, Qt.Key.Key_End)
    assert blocker.args[0].label == ranked[-1] == chart.explained()


@pytest.mark.parametrize(
    "key, modifier",
    [
        (Qt.Key.Key_F4, Qt.KeyboardModifier.NoModifier),
        (Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier),
    ],
    ids=["F4", "Alt+Down"],
)
def test_the_heat_map_button_opens_its_methods_from_the_keyboard(
    qtbot: QtBot, window: MainWindow, key: Qt.Key, modifier: Qt.KeyboardModifier
) -> None:
    _read(qtbot, window, "R")
    toggle = window.explain.toggle
    toggle.setFocus(Qt.FocusReason.TabFocusReason)
    opened: list[QWidget | None] = []

    def choose_the_second_method() -> None:
        popup = QApplication.activePopupWidget()
        opened.append(popup)
        if popup is not None:
            qtbot.keyClick(popup, Qt.Key.Key_Down)
            qtbot.keyClick(popup, Qt.Key.Key_Down)
            qtbot.keyClick(popup, Qt.Key.Key_Return)

    QTimer.singleShot(100, choose_the_second_method)
    with qtbot.waitSignal(window.explain.heatmap_shown, timeout=TIMEOUT) as blocker:
        qtbot.keyClick(toggle, key, modifier)
    assert opened == [toggle.menu()]
    assert blocker.args[0].method == "layercam" and toggle.isChecked()


def test_the_view_menu_holds_the_heat_map_with_the_buttons_own_actions(
    qtbot: QtBot, window: MainWindow
) -> None:
    _read(qtbot, window, "R")
    explain = window.explain
    menu = window.findChild(QMenu, "heatmapMenu")
    assert menu is not None
    assert set(explain.method_actions.values()) <= set(menu.actions())  # one state, two places
    qtbot.keyClick(window, Qt.Key.Key_V, Qt.KeyboardModifier.AltModifier)  # View
    view = QApplication.activePopupWidget()
    assert view is not None and menu.menuAction() in view.actions()
    with qtbot.waitSignal(explain.heatmap_shown, timeout=TIMEOUT) as blocker:
        qtbot.keyClick(view, Qt.Key.Key_M)  # Heat map ▸
        qtbot.waitUntil(lambda: QApplication.activePopupWidget() is menu)
        qtbot.keyClick(menu, Qt.Key.Key_S)  # Show heat map
    assert explain.toggle.isChecked() and blocker.args[0].method == "occlusion"
    explain.toggle.setChecked(False)
    shown = next(a for a in menu.actions() if a.text() == "&Show heat map")
    assert not shown.isChecked()  # it follows the button


def test_tab_goes_through_the_draw_tab_as_it_reads(qtbot: QtBot, window: MainWindow) -> None:
    _read(qtbot, window, "R")  # Undo is on; Redo and Undo save stay off, so Tab skips them
    window.draw.canvas.setFocus(Qt.FocusReason.TabFocusReason)
    visited = []
    for _ in range(13):
        widget = QApplication.focusWidget()
        visited.append(_name(widget))
        qtbot.keyClick(widget, Qt.Key.Key_Tab)
    assert visited == [
        "canvas",
        "characterSet",
        "penWidth",
        "Undo",
        "Clear",
        "Eraser",
        "Writing guides",
        "Open image",
        "heatmapToggle",
        "dreamsButton",
        "correctionInput",
        "probabilityChart",
        "featureMapGrid",  # inside featureMapView: the keys move through the maps
    ]


def test_every_button_on_the_draw_and_train_tabs_says_what_it_does_in_a_tooltip(
    window: MainWindow,
) -> None:
    """Save, Skip, Clear, Cancel, Keep, Relabel, Undo save … had none."""
    tabs = [window.draw, train_tab(window)]
    silent = [
        f"{tab.objectName()}: {button.objectName() or button.text()}"
        for tab in tabs
        for button in tab.findChildren(QAbstractButton)
        if button.window() is window  # not a progress dialog's own Cancel
        and not button.objectName().startswith("qt_")  # nor a table's corner button
        and not isinstance(button.parent(), QTabBar)  # nor a tab bar's scroll arrows
        and not button.toolTip().strip()
    ]
    assert silent == []


def test_no_action_tooltip_says_its_name_twice(window: MainWindow) -> None:
    """ "Clear — Clear the canvas" read the verb twice."""
    for name, action in window.actions_by_name.items():
        words = action.toolTip().replace("—", " ").lower().split()
        verb = action.text().replace("&", "").split()[0].lower()
        assert words.count(verb) == 1, (name, action.toolTip())
    assert window.actions_by_name["undo"].toolTip() == "Undo the last stroke (Ctrl+Z)"


def _contrast_preference(preference: Qt.ContrastPreference) -> None:
    """What the platform sends when the person turns high contrast on or off."""
    hints = QGuiApplication.styleHints()
    hints.accessibility().contrastPreferenceChanged.emit(preference)


def test_in_high_contrast_the_platforms_colours_stay_whatever_theme_is_chosen(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    light = app.palette().color(QPalette.ColorRole.Window)
    monkeypatch.setattr(theme, "high_contrast", lambda: True)
    _contrast_preference(Qt.ContrastPreference.HighContrast)
    platform = app.palette().color(QPalette.ColorRole.Window)
    assert platform != light  # the theme's colours gave way at once
    dark_theme = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(window, Qt.Key.Key_D, dark_theme)
    assert window.actions_by_name["dark"].isChecked()  # the choice is kept for later …
    assert app.palette().color(QPalette.ColorRole.Window) == platform  # … not forced now
    assert "#" not in app.styleSheet()  # the tool buttons too: the platform's colours only
    monkeypatch.setattr(theme, "high_contrast", lambda: False)
    _contrast_preference(Qt.ContrastPreference.NoPreference)
    assert app.palette().color(QPalette.ColorRole.Window) == QColor("#2b2d31")  # dark again
