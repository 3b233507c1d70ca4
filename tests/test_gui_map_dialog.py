"""The enlarged feature map, opened by real clicks in the viewer: it names the section the map
is from (a layer's maps, its learned filters, their ideal inputs), invites clicks only where a
click traces a neuron, and outlines the traced cell only on the map it belongs to."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from neuron_gui import TIMEOUT, click_cell, draw, enlarge, small_window
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from ocrpad.app.colormap import DIVERGING_LUT, SEQUENTIAL_LUT
from ocrpad.app.draw.colour_scale import scale_text
from ocrpad.app.draw.map_dialog import MapDialog
from ocrpad.app.explain.worker import Dreams
from ocrpad.app.main_window import MainWindow

PINK = QColor("#ff2d95")  # the traced cell's outline


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    win = small_window(qtbot, tmp_path)
    yield win
    win.close()


def _dialog(window: MainWindow) -> MapDialog:
    dialog = window.draw.feature_maps.dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def _pink_pixels(dialog: MapDialog) -> int:
    """How many pixels of the enlarged picture have the traced cell's colour."""
    image = dialog.image_label.pixmap().toImage().convertToFormat(QImage.Format.Format_RGB888)
    w, h, stride = image.width(), image.height(), image.bytesPerLine()
    data = np.frombuffer(image.constBits(), np.uint8, count=stride * h)
    rgb = data.reshape(h, stride)[:, : 3 * w].reshape(h, w, 3)
    return int(np.all(rgb == (PINK.red(), PINK.green(), PINK.blue()), axis=-1).sum())


def test_filters_and_ideal_inputs_are_named_by_their_section_and_a_flat_one_says_why(
    qtbot: QtBot, window: MainWindow
) -> None:
    shown: list[Dreams] = []

    def both_layers(dreams: Dreams) -> bool:
        shown.append(dreams)
        return {"conv1", "conv2"} <= {d.kind for d in shown}

    with qtbot.waitSignal(
        window.explain.dreams_shown, timeout=TIMEOUT, check_params_cb=both_layers
    ):
        draw(qtbot, window, (0.3, 0.2), (0.6, 0.8))
    enlarge(qtbot, window, "conv1", 1, section="conv1 learned filters")
    dialog = _dialog(window)
    assert dialog.caption.text().startswith("conv1 learned filters · filter 2 of 3 · 3×3 ·")
    assert not dialog.note.isVisible()
    # conv1's filter 2 turns out to respond most to blank paper: its ideal input is flat
    real = next(d for d in shown if d.kind == "conv1")
    images = real.images.copy()
    images[1] = 0.0
    flat = Dreams("conv1", real.names, images, real.model_serial, blank_paper=(1,))
    window.explain.worker.dreams_ready.emit(flat)
    section = next(
        s for s in window.draw.feature_maps.sections() if s.caption.startswith("conv1 ideal")
    )
    assert section.note.startswith("1 of 3 are flat")  # the grid's note line
    enlarge(qtbot, window, "conv1 ideal inputs", 1)
    assert dialog.caption.text().startswith("conv1 ideal inputs · filter 2 of 3 · 28×28 ·")
    assert dialog.note.isVisible() and dialog.note.text() == f"This one is flat. {section.note}"
    enlarge(qtbot, window, "conv1 ideal inputs", 0)
    assert dialog.caption.text().startswith("conv1 ideal inputs · filter 1 of 3 ·")
    assert not dialog.note.isVisible()
    enlarge(qtbot, window, "conv1", 2)
    assert dialog.caption.text().startswith("conv1 · map 3 of 3 · 28×28 ·")


def test_only_a_layers_maps_invite_a_click_and_show_the_traced_cell(
    qtbot: QtBot, window: MainWindow
) -> None:
    draw(qtbot, window, (0.3, 0.2), (0.6, 0.8))
    enlarge(qtbot, window, "conv1", 1)
    dialog = _dialog(window)
    label = dialog.image_label
    assert label.cursor().shape() == Qt.CursorShape.CrossCursor and label.toolTip()
    assert _pink_pixels(dialog) == 0
    click_cell(qtbot, window, 1, 1)
    assert _pink_pixels(dialog) > 0  # the traced cell, outlined
    enlarge(qtbot, window, "conv1", 1, section="conv1 learned filters")  # same layer name
    assert dialog.image_label.cells == (3, 3)
    assert label.cursor().shape() == Qt.CursorShape.ArrowCursor and label.toolTip() == ""
    assert _pink_pixels(dialog) == 0  # a filter is not the traced map
    with qtbot.assertNotEmitted(dialog.cell_clicked, wait=100):
        qtbot.mouseClick(label, Qt.MouseButton.LeftButton, pos=label.rect().center())
    enlarge(qtbot, window, "conv1", 1)
    assert label.cursor().shape() == Qt.CursorShape.CrossCursor
    assert _pink_pixels(dialog) > 0


def test_the_enlarged_map_has_its_layers_colour_bar_and_grows_with_the_dialog(
    qtbot: QtBot, window: MainWindow
) -> None:
    draw(qtbot, window, (0.3, 0.2), (0.6, 0.8))
    enlarge(qtbot, window, "conv2", 1)
    dialog = _dialog(window)
    maps = next(s.maps for s in window.draw.feature_maps.sections() if s.maps.name == "conv2")
    own = maps.maps[1]
    bar = dialog.colour_bar
    assert bar.isVisible()
    assert bar.scale == (maps.vmin, maps.vmax, maps.diverging)  # the grid's scale for conv2
    assert bar.span == (float(own.min()), float(own.max()))  # this map's part of it
    picture = bar.grab().toImage()
    lut = SEQUENTIAL_LUT if not maps.diverging else DIVERGING_LUT
    y = int(bar.bar.center().y())
    for x, colour in ((bar.bar.left() + 1, lut[0]), (bar.bar.right() - 2, lut[-1])):
        painted = picture.pixelColor(int(x), y)
        assert abs(painted.red() - int(colour[0])) + abs(painted.green() - int(colour[1])) < 24
    label = dialog.image_label
    small = label.pixmap().width()
    dialog.resize(dialog.width() + 300, dialog.height() + 300)
    qtbot.waitUntil(lambda: label.pixmap().width() >= small + 280)  # 10 px more per cell
    assert label.pixmap().width() <= label.width() and label.pixmap().height() <= label.height()
    click_cell(qtbot, window, 20, 7)  # the cells are where they are drawn
    assert dialog.picked == ("conv2", 1, 20, 7)
    dialog.resize(260, 320)
    qtbot.waitUntil(lambda: label.pixmap().width() < small)
    assert dialog.width() <= 280 and label.pixmap().width() <= label.width()


def test_negative_values_are_written_with_a_real_minus_sign(
    qtbot: QtBot, window: MainWindow
) -> None:
    """As the neuron panel writes them: "−6.49", not the hyphen "-6.49"."""
    assert scale_text(-15.2) == "\u221215" and scale_text(0.5) == "0.5"
    draw(qtbot, window, (0.3, 0.2), (0.6, 0.8))
    enlarge(qtbot, window, "conv1", 0, section="conv1 learned filters")
    caption = _dialog(window).caption.text()
    assert "\u2212" in caption  # a signed filter's low end
    assert "-" not in caption, caption
