"""Helpers for GUI tests: drawing with raw mouse events that carry the pressed button.

qtbot.mouseMove sends moves with no button held, so a canvas would never see a drag; these
helpers send QMouseEvents directly (press, moves with LeftButton held, release).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QSettings, Qt, QTimer
from PySide6.QtGui import QFont, QMouseEvent
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from ocrpad.app.main import create_main_window
from ocrpad.app.main_window import MainWindow
from ocrpad.app.train.tab import TrainTab
from ocrpad.model import ConvBlock, ModelConfig, build_model

Point = tuple[float, float]


def _send(widget: QWidget, kind: QEvent.Type, pos: QPointF, buttons: Qt.MouseButton) -> None:
    button = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseMove else Qt.MouseButton.LeftButton
    event = QMouseEvent(
        kind,
        pos,
        QPointF(widget.mapToGlobal(pos)),
        button,
        buttons,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(widget, event)


def draw_stroke(widget: QWidget, points: Sequence[Point]) -> None:
    """Press at points[0], drag through the rest with the left button held, release at the end."""
    press_and_drag(widget, points)
    release(widget, points[-1])


def press_and_drag(widget: QWidget, points: Sequence[Point]) -> None:
    """Press at points[0] and drag through the rest with the left button held, still held after
    (a stroke in the middle of being drawn); `release` ends it."""
    first = QPointF(*points[0])
    _send(widget, QEvent.Type.MouseButtonPress, first, Qt.MouseButton.LeftButton)
    for x, y in points[1:]:
        _send(widget, QEvent.Type.MouseMove, QPointF(x, y), Qt.MouseButton.LeftButton)


def release(widget: QWidget, point: Point) -> None:
    """Let the left button go at `point`."""
    _send(widget, QEvent.Type.MouseButtonRelease, QPointF(*point), Qt.MouseButton.NoButton)


def draw_strokes(widget: QWidget, strokes: Iterable[Sequence[Point]]) -> None:
    for stroke in strokes:
        draw_stroke(widget, stroke)


def line(a: Point, b: Point, steps: int = 12) -> list[Point]:
    """Evenly spaced points from a to b (inclusive)."""
    t = np.linspace(0.0, 1.0, steps)
    return [(a[0] + (b[0] - a[0]) * s, a[1] + (b[1] - a[1]) * s) for s in t]


def relative_line(widget: QWidget, a: Point, b: Point, steps: int = 12) -> list[Point]:
    """A line between two points given as fractions (0..1) of the widget's width and height."""
    w, h = widget.width(), widget.height()
    return line((a[0] * w, a[1] * h), (b[0] * w, b[1] * h), steps)


def pen_event(
    widget: QWidget,
    kind: QEvent.Type,
    point: Point,
    button: Qt.MouseButton,
    held: Qt.MouseButton,
    *,
    eraser: bool = False,
) -> None:
    """One tablet event (press, move or release) from a pen, or its eraser end, at `point`:
    `button` is the one that changed (the tip is the left button), `held` those down after."""
    from PySide6.QtGui import QInputDevice, QPointingDevice, QTabletEvent

    pointer = QPointingDevice.PointerType.Eraser if eraser else QPointingDevice.PointerType.Pen
    device = QPointingDevice(
        "test pen",
        1000 + int(eraser),
        QInputDevice.DeviceType.Stylus,
        pointer,
        QInputDevice.Capability.Position | QInputDevice.Capability.Pressure,
        1,
        3,
    )
    pos = QPointF(*point)
    pressure = 0.6 if held & Qt.MouseButton.LeftButton else 0.0
    event = QTabletEvent(
        kind,
        device,
        pos,
        QPointF(widget.mapToGlobal(pos)),
        *(pressure, 0.0, 0.0, 0.0, 0.0, 0.0),
        Qt.KeyboardModifier.NoModifier,
        button,
        held,
    )
    QApplication.sendEvent(widget, event)


def pen_stroke(widget: QWidget, points: Sequence[Point], *, eraser: bool = False) -> None:
    """The same drag with a tablet pen (or its eraser end): press, moves, release."""
    tip, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    pen_event(widget, QEvent.Type.TabletPress, points[0], tip, tip, eraser=eraser)
    for point in points[1:]:
        pen_event(widget, QEvent.Type.TabletMove, point, none, tip, eraser=eraser)
    pen_event(widget, QEvent.Type.TabletRelease, points[-1], tip, none, eraser=eraser)


def open_window(qtbot: QtBot, model_path: Path | None, folder: Path) -> MainWindow:
    """The real main window, shown, with its settings and data kept inside ``folder``."""
    settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    window = create_main_window(model_path, folder / "data", settings=settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def answer_message_box(button_text: str, seen: list[str]) -> None:
    """Click ``button_text`` in the next modal message box (recording its text in ``seen``)."""

    def click() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, click)
            return
        seen.append(box.text())
        for button in box.findChildren(QPushButton):
            if button.text().replace("&", "") == button_text:
                button.click()
                return
        raise AssertionError(f"no button {button_text!r} in {box.text()!r}")

    QTimer.singleShot(20, click)


TINY_WINDOW_MODEL = ModelConfig(blocks=(ConvBlock(4, pool=True),), hidden=(16,))
"""A network small enough that a window test's fine-tune or reading takes no time."""


def save_tiny_model(folder: Path) -> Path:
    """A model file of `TINY_WINDOW_MODEL` (the default classes, seeded) in `folder`."""
    path = folder / "tiny.npz"
    build_model(TINY_WINDOW_MODEL, rng=np.random.default_rng(1)).save(path)
    return path


def train_tab(window: MainWindow) -> TrainTab:
    """The window's Train tab, found as a user's tools would find it: by its object name."""
    tab = window.findChild(QWidget, "trainTab")
    assert isinstance(tab, TrainTab)
    return tab


def train_window_with_a_drawing(qtbot: QtBot, model_path: Path, folder: Path) -> MainWindow:
    """The window (`open_window`) on its Train tab, with one saved drawing of "a"."""
    window = open_window(qtbot, model_path, folder)
    window.tabs.setCurrentIndex(1)
    store = train_tab(window).store
    assert store is not None
    store.add([np.array([[0, 0], [10, 10]], np.float32)], "a", "free")
    train_tab(window).refresh()
    return window


@contextmanager
def application_font(points: float) -> Iterator[None]:
    """The application font at `points`, as a person's system setting, restored after."""
    before = QFont(QApplication.font())
    font = QFont(before)
    font.setPointSizeF(points)
    QApplication.setFont(font)
    QApplication.processEvents()  # the change is posted: each widget then gets a FontChange
    try:
        yield
    finally:
        QApplication.setFont(before)
