"""The dream gallery's picture: on the dialog's own background in either theme (not a dark box
inside a light dialog), and drawn at the screen's pixel density, so that its captions are sharp
on a high-density screen."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from ocrpad.app.explain.gallery import DreamGalleryDialog
from ocrpad.app.theme import Theme, apply_theme

DREAMS = np.random.default_rng(0).random((10, 28, 28)).astype(np.float32)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_gallerys_background_is_the_dialogs_in_either_theme(qtbot: QtBot, theme: Theme) -> None:
    gallery = DreamGalleryDialog()
    qtbot.addWidget(gallery)
    gallery.resize(900, 700)  # room round the picture
    gallery.show()
    gallery.set_dreams(DREAMS, list("0123456789"))
    for shown in (theme, "dark" if theme == "light" else "light"):  # and after a switch
        apply_theme(shown)
        QApplication.processEvents()
        around = gallery.scroller.viewport().grab().toImage().pixelColor(1, 1)
        assert gallery.image is not None
        assert gallery.image.pixelColor(1, 1).rgb() == around.rgb(), shown
    apply_theme("light")  # the palette is the application's: leave it as found


def test_the_gallery_is_drawn_at_the_screens_pixel_density(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    gallery = DreamGalleryDialog()
    qtbot.addWidget(gallery)
    gallery.show()
    gallery.set_dreams(DREAMS, list("0123456789"))
    QApplication.processEvents()
    plain = gallery.image
    assert plain is not None and plain.devicePixelRatio() == gallery.picture.devicePixelRatioF()
    monkeypatch.setattr(gallery.picture, "devicePixelRatioF", lambda: 2.0)  # QT_SCALE_FACTOR=2
    gallery.set_dreams(DREAMS, list("0123456789"))
    sharp = gallery.image
    assert sharp is not None and sharp.devicePixelRatio() == 2.0
    assert sharp.width() == 2 * plain.width()  # as many device pixels as the screen has
    assert sharp.deviceIndependentSize() == plain.deviceIndependentSize()  # the same size


def test_the_gallery_opens_on_its_dreams_named_in_words_and_the_arrows_scroll_them(
    qtbot: QtBot,
) -> None:
    host = QWidget()  # the window it opens from
    qtbot.addWidget(host)
    host.show()
    gallery = DreamGalleryDialog(host)
    gallery.resize(300, 260)
    gallery.show()
    gallery.activateWindow()
    qtbot.waitUntil(gallery.isActiveWindow)
    assert QApplication.focusWidget() is gallery.scroller
    assert gallery.scroller.accessibleDescription() == "Dreaming…"
    assert gallery.progress.accessibleName()
    names = list("0Aa.") + [str(n) for n in range(56)]
    dreams = np.resize(DREAMS, (60, 28, 28))  # more than fit: the view scrolls
    gallery.set_dreams(dreams, names, complete=False)
    said = gallery.scroller.accessibleDescription()
    assert said.startswith("Dreams of 60 classes (more are being dreamt), in reading order: ")
    assert "0, capital A, small a, full stop, 0, 1" in said
    gallery.set_dreams(dreams, names)
    assert "being dreamt" not in gallery.scroller.accessibleDescription()
    bar = gallery.scroller.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)  # once the layout has taken the picture
    qtbot.keyClick(gallery, Qt.Key.Key_Tab)  # the one stop: the focus stays on the dreams
    assert QApplication.focusWidget() is gallery.scroller
    qtbot.keyClick(gallery.scroller, Qt.Key.Key_Down)
    assert bar.value() > 0
