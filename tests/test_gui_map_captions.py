"""The feature-map viewer's section headers at a 14 pt font in a narrow panel: the caption
keeps its shape whole (the name is shortened first), and the note about flat filters wraps
onto lines of its own, all above the section's first row of tiles."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from gui_helpers import application_font
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from ocrpad.app.draw.feature_maps import FeatureMapView
from ocrpad.app.draw.map_captions import caption_text, note_lines
from ocrpad.app.draw.prediction import layer_maps

NOTE = "12 of 32 are flat: those filters respond most to blank paper, not to any stroke"


@pytest.fixture
def big_font(qtbot: QtBot) -> Iterator[None]:
    """A 14 pt application font, restored after."""
    with application_font(14.0):
        yield


def _view(qtbot: QtBot) -> FeatureMapView:
    view = FeatureMapView()
    qtbot.addWidget(view)
    rng = np.random.default_rng(0)
    conv1 = layer_maps("conv1", rng.random((32, 28, 28)).astype(np.float32))
    view.set_layers([conv1])
    view.set_ideal_inputs({"conv1": conv1}, notes={"conv1": NOTE}, flat={"conv1": (1, 2)})
    view.resize(300, 600)
    view.show()
    qtbot.waitExposed(view)
    return view


def _ink_rows(image: QImage, top: int, bottom: int, paper: QColor) -> list[int]:
    return [
        y
        for y in range(top, bottom)
        if any(
            abs(image.pixelColor(x, y).lightness() - paper.lightness()) > 60
            for x in range(image.width())
        )
    ]


def test_a_caption_too_long_for_the_panel_keeps_its_shape_whole(qtbot: QtBot) -> None:
    metrics = QFontMetrics(QApplication.font())
    caption = "conv1 ideal inputs  (32×28×28)"
    width = metrics.horizontalAdvance("conv1 ideal  (32×28×28)")
    text = caption_text(caption, metrics, width)
    assert text.endswith("  (32×28×28)") and "…" in text
    assert metrics.horizontalAdvance(text) <= width
    assert caption_text(caption, metrics, 1000) == caption


def test_at_14_points_the_headers_show_the_shape_and_the_whole_note_above_the_tiles(
    qtbot: QtBot, big_font: None
) -> None:
    view = _view(qtbot)
    grid = view.grid
    section = next(s for s in grid.sections if s.note)
    bold = QFont(grid.font())
    bold.setBold(True)
    shown = caption_text(section.caption, QFontMetrics(bold), grid.width() - 16)
    assert shown.endswith("(32×28×28)")
    metrics = grid.fontMetrics()
    lines = note_lines(section.note, metrics, grid.width() - 16)
    assert lines >= 2  # the note is wrapped, not cut with "…"
    number = grid.sections.index(section)
    first = min(r.top() for r, s, _ in grid.tiles() if s == number)
    top = grid.header_top(number)
    note_top = top + 2 * (metrics.height() + 2)
    assert note_top + lines * metrics.height() <= first  # every line above the tiles
    image = grid.grab().toImage()
    paper = image.pixelColor(grid.width() - 2, int(note_top) + 2)
    inked = _ink_rows(image, int(note_top), int(first) - 1, paper)
    assert inked and inked[-1] > note_top + metrics.height()  # a second line is drawn
