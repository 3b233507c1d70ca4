"""The network strip of the neuron panel, drawn for the default network's layers: every line of
every block fits in its block at a large font, and the blocks follow the dark theme."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QFont, QFontMetrics, QPalette
from pytestqt.qtbot import QtBot

from ocrpad.app.colormap import contrast
from ocrpad.app.explain.neuron.strip import ArchitectureStrip, unit_text
from ocrpad.app.theme import palette_for
from ocrpad.explain.architecture import layer_blocks, shape_text
from ocrpad.explain.neuron_trace import Unit
from ocrpad.model import ModelConfig, build_model

LABELS = [chr(c) for c in range(33, 127)]  # 94 classes, as the shipped model reads


def _strip(qtbot: QtBot, points: float) -> ArchitectureStrip:
    """The strip at a `points` font, the shipped network's layers, a conv1 unit's path."""
    strip = ArchitectureStrip()
    qtbot.addWidget(strip)
    font = QFont(strip.font())
    font.setPointSizeF(points)
    strip.setFont(font)
    strip.labels = LABELS
    model = build_model(ModelConfig(), LABELS, np.random.default_rng(0))
    strip.set_blocks(layer_blocks(model))
    strip.set_path([Unit("conv1", 31, 27, 27)], "conv1")
    strip.resize(720, 100)
    strip.show()
    qtbot.waitExposed(strip)
    return strip


def _lines(strip: ArchitectureStrip, index: int) -> list[str]:
    block = strip.blocks[index]
    unit = strip.path.get(block.name)
    if unit is not None:
        last = unit_text(unit, len(block.shape) == 1)
    else:
        last = f"{block.params:,} params" if block.params else block.detail
    return [block.name, shape_text(block.shape), last]


def test_at_a_14_point_font_every_line_of_every_block_fits_in_its_block(qtbot: QtBot) -> None:
    strip = _strip(qtbot, 14.0)
    font = QFont(strip.font())
    font.setPointSizeF(14.0 * 0.8)  # the blocks' text
    metrics = QFontMetrics(font)
    for index in range(len(strip.blocks)):
        rect = strip.block_rect(index)
        lines = _lines(strip, index)
        assert 3 * metrics.height() <= rect.height() - 4, (index, rect)
        for line in lines:
            assert metrics.horizontalAdvance(line) <= rect.width() - 4, (line, rect)
        assert rect.bottom() <= strip.height()  # and the strip is as tall as its rows


def test_in_the_dark_theme_the_blocks_are_dark_with_light_text(qtbot: QtBot) -> None:
    strip = _strip(qtbot, 10.0)
    strip.setPalette(palette_for("dark"))
    image = strip.grab().toImage()
    ratio = image.devicePixelRatio()
    for index, block in enumerate(strip.blocks):
        rect = strip.block_rect(index)
        inside = image.pixelColor(int((rect.left() + 3) * ratio), int((rect.top() + 3) * ratio))
        fill = (inside.red(), inside.green(), inside.blue())
        if block.name in strip.path:
            continue  # the path's blocks are highlighted in both themes
        assert inside.lightness() < 110, (block.name, inside.name())  # not a pastel box
        texts = [image.pixelColor(x, y) for x, y in _text_pixels(rect, ratio)]
        brightest = max(texts, key=lambda c: c.lightness())
        shown = (brightest.red(), brightest.green(), brightest.blue())
        assert contrast(fill, shown) >= 4.5, (block.name, inside.name(), brightest.name())
        edge = image.pixelColor(int(rect.left() * ratio), int(rect.center().y() * ratio))
        wanted = strip.palette().color(QPalette.ColorRole.Mid)
        assert abs(edge.lightness() - wanted.lightness()) < 40  # the palette's, not #555 grey


def _text_pixels(rect: object, ratio: float) -> list[tuple[int, int]]:
    from PySide6.QtCore import QRectF

    assert isinstance(rect, QRectF)
    inner = rect.adjusted(6, 6, -6, -6)
    return [
        (int(x * ratio), int(y * ratio))
        for x in range(int(inner.left()), int(inner.right()))
        for y in range(int(inner.top()), int(inner.bottom()))
    ]


def test_the_heading_fits_the_strip_at_any_width_the_path_note_going_first(
    qtbot: QtBot,
) -> None:
    strip = _strip(qtbot, 14.0)
    metrics = strip.fontMetrics()
    for width in (1400, 560, 300):
        strip.resize(width, strip.height())
        heading = strip.heading()
        assert metrics.horizontalAdvance(heading) <= width, (width, heading)
        assert heading.startswith("The network")
    strip.resize(1400, strip.height())
    assert strip.heading().endswith("the traced neuron's path is highlighted")
    strip.resize(560, strip.height())
    assert "trained parameters" in strip.heading()  # the note went; the counts stayed
