"""The version a user can see: the window's status bar and the About box (F1)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from gui_helpers import open_window
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox
from pytestqt.qtbot import QtBot

from ocrpad import __version__
from ocrpad.app.main_window import MainWindow
from ocrpad.model import build_model


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    model = tmp_path / "random.npz"
    build_model(rng=np.random.default_rng(1)).save(model)
    win = open_window(qtbot, model, tmp_path)
    yield win
    win.close()


def test_the_status_bar_shows_the_version(window: MainWindow) -> None:
    label = window.statusBar().findChild(QLabel, "versionStatus")
    assert label is not None and label.isVisible()
    assert label.text() == f"ocrpad {__version__}"
    assert __version__ in label.toolTip()


def test_the_version_is_set_apart_from_the_model_name_by_a_rule(
    window: MainWindow, qtbot: QtBot
) -> None:
    """They ran together: "Model: ocrpad-default.npz · 94 classes ocrpad 0.1.0"."""
    window.show()
    qtbot.waitExposed(window)
    model, version = window.model_status, window.version_status
    text_left = version.mapTo(window, version.contentsRect().topLeft()).x()
    model_text_right = model.mapTo(window, QPoint(model.width(), 0)).x()  # fits its text
    assert text_left - model_text_right >= 12  # more than a space apart
    image = window.grab().toImage()
    y = version.mapTo(window, version.rect().center()).y()
    gap = range(model_text_right + 2, text_left - 2)
    paper = image.pixelColor(model_text_right + 1, y).lightness()
    assert any(abs(image.pixelColor(x, y).lightness() - paper) > 40 for x in gap)  # a rule


def test_f1_opens_the_about_box_with_the_version_and_the_model_in_use(
    window: MainWindow, qtbot: QtBot
) -> None:
    seen: list[str] = []

    def read_and_close() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):  # not open yet: look again shortly
            QTimer.singleShot(20, read_and_close)
            return
        seen.append(box.text())
        box.accept()

    QTimer.singleShot(0, read_and_close)
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    assert f"ocrpad {__version__}" in seen[0]
    assert "Model: random.npz" in seen[0]  # which model is reading, as the status bar says
