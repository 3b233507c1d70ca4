"""The numbers in the neuron panel's grids, read off the real widgets after real clicks: one
way of writing for every cell of a grid (a negative gets the digits a positive gets), a font
one can read, numbers in every conv's cells where the width allows, and a sum line whose
numbers add up as written to the value the panel shows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from neuron_gui import click_cell, draw, enlarge, panel, small_window
from PySide6.QtCore import QEvent, QPoint
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QToolTip
from pytestqt.qtbot import QtBot

from ocrpad.app.colormap import DIVERGING_LUT, SEQUENTIAL_LUT, contrast, text_colour
from ocrpad.app.explain.neuron.grids import HeatGrid, cell_number
from ocrpad.app.main_window import MainWindow

MINUS = "\u2212"
FORMATS = ("3g", "2g", "3f", "2f", "2r")


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    win = small_window(qtbot, tmp_path)
    yield win
    win.close()


def _value(text: str) -> float:
    return float(text.replace(MINUS, "-"))


def _one_format(grid: HeatGrid) -> str:
    """The format every shown cell of `grid` is written in (fails if the cells differ)."""
    cells = [(c, i, j) for c in grid.order for i, j in np.ndindex(grid.values.shape[1:])]
    written = [grid.written(*cell) for cell in cells]
    assert None not in written, "a cell without its number"
    for form in FORMATS:
        wanted = [cell_number(float(grid.values[cell]), form) for cell in cells]
        if written == wanted:
            return form
    raise AssertionError(f"cells written in different ways: {written}")


def _ink_in_first_cell(grid: HeatGrid) -> int:
    """Pixels of the first tile's first cell that differ from the cell's own colour."""
    rect = grid.tile_rect(0)
    cell = int(rect.width()) // grid.values.shape[-1]
    image = grid.grab().toImage()
    left, top = int(rect.left()), int(rect.top())
    fill = image.pixelColor(left + 1, top + 1)
    return sum(
        image.pixelColor(x, y) != fill
        for x in range(left + 2, left + cell - 2)
        for y in range(top + 2, top + cell - 2)
    )


def test_a_conv1_unit_writes_every_product_alike_and_its_sum_adds_up(
    qtbot: QtBot, window: MainWindow
) -> None:
    draw(qtbot, window, (0.3, 0.2), (0.6, 0.8))
    enlarge(qtbot, window, "conv1", 1)
    view = click_cell(qtbot, window, 8, 11)
    trace = view.trace
    assert trace.products is not None and trace.products.shape == (1, 3, 3)
    assert (trace.products < 0).any() and (trace.products > 0).any()  # both signs to compare
    shown = panel(window)
    for grid in (shown.patch, shown.kernel, shown.products):
        assert _one_format(grid) == "3g"  # three significant digits, negative or positive
    style = shown.products.numbers_style()
    assert style is not None and style[0].pointSizeF() >= 0.8 * shown.font().pointSizeF()
    found = re.fullmatch(r"Sum: products \(all 9\) (\S+) \+ bias (\S+) = (\S+)", shown.sum.text())
    assert found is not None, shown.sum.text()
    products, bias, total = found.groups()
    decimals = len(total.split(".")[1])
    units = [round(_value(t) * 10**decimals) for t in (products, bias, total)]
    assert units[0] + units[1] == units[2]  # adds up as written
    unit = 10.0**-decimals
    assert abs(_value(total) - trace.total) <= unit / 2  # the value the panel shows
    assert abs(_value(products) - float(trace.products.sum())) <= 1.5 * unit
    cells = sum(_value(shown.products.written(0, i, j) or "") for i in range(3) for j in range(3))
    assert abs(cells - _value(products)) < 0.005  # the nine cells add up to it too


def test_a_conv2_unit_writes_numbers_in_its_cells(qtbot: QtBot, window: MainWindow) -> None:
    draw(qtbot, window, (0.3, 0.2), (0.6, 0.8))
    enlarge(qtbot, window, "conv2", 2)
    view = click_cell(qtbot, window, 13, 12)
    assert view.trace.patch is not None and len(view.trace.patch) == 3
    shown = panel(window)
    for grid in (shown.patch, shown.kernel, shown.products):
        assert _ink_in_first_cell(grid) > 4  # a number painted on the cell's colour
        _one_format(grid)
    # many channels: the grids one above the other, each as wide as the panel
    assert shown.kernel.y() >= shown.patch.y() + shown.patch.height()
    assert shown.sum.text().startswith("Sum: products (all 27) ")


def test_sixteen_channels_get_numbers_where_the_width_allows_and_hover_otherwise(
    qtbot: QtBot,
) -> None:
    grid = HeatGrid("Kernel")
    qtbot.addWidget(grid)
    values = np.random.default_rng(0).normal(0.0, 0.2, (16, 3, 3)).astype(np.float32)
    grid.set_values(values)
    grid.resize(1060, 100)
    grid.show()
    qtbot.waitExposed(grid)
    assert _one_format(grid) in FORMATS  # 8 tiles a row: room for numbers
    assert grid.height() < 2 * (3 * 52 + 8) + 2 * grid.fontMetrics().height()  # two rows
    grid.resize(400, 100)
    QApplication.processEvents()
    assert grid.written(0, 0, 0) is None  # too narrow: no crammed numbers...
    rect = grid.tile_rect(0)
    pos = QPoint(int(rect.left() + 2), int(rect.top() + 2))
    QApplication.sendEvent(grid, QHelpEvent(QEvent.Type.ToolTip, pos, grid.mapToGlobal(pos)))
    assert QToolTip.text().endswith(f"= {values[0, 0, 0]:.3g}".replace("-", MINUS))  # ...hover


def test_every_colour_of_the_grids_gets_the_text_colour_that_contrasts_more() -> None:
    black, white = (0, 0, 0), (255, 255, 255)
    for lut in (SEQUENTIAL_LUT, DIVERGING_LUT):
        for entry in lut:
            rgb = (int(entry[0]), int(entry[1]), int(entry[2]))
            chosen = text_colour(rgb)
            other = white if chosen == black else black
            assert contrast(rgb, chosen) >= max(4.5, contrast(rgb, other)), (rgb, chosen)
    assert text_colour((253, 231, 37)) == black  # viridis yellow: black, not white


def test_numbers_on_a_yellow_cell_are_written_in_black(qtbot: QtBot) -> None:
    grid = HeatGrid("Patch read")
    qtbot.addWidget(grid)
    grid.set_values(np.array([[[0.0, 0.94, 1.0]]], np.float32), diverging=False)
    grid.resize(300, 100)
    grid.show()
    qtbot.waitExposed(grid)
    assert grid.written(0, 0, 1) == "0.94"
    rect = grid.tile_rect(0)
    cell = int(rect.width()) // 3
    image = grid.grab().toImage()
    left, top = int(rect.left()) + cell, int(rect.top())
    assert image.pixelColor(left + 1, top + 1).yellow() > 200  # a yellow of HSL lightness < 140
    darkest = min(
        image.pixelColor(x, y).lightness()
        for x in range(left + 2, left + cell - 2)
        for y in range(top + 2, top + cell - 2)
    )
    assert darkest < 60  # black digits on it (white ones would only lighten it)


@pytest.mark.parametrize(
    ("value", "form", "text"),
    [
        (-0.00498, "2f", "0"),  # rounds to zero: no "−0.00"
        (0.0, "3f", "0"),
        (0.0228, "2f", "0.023"),  # two significant digits, not "0.02"
        (-0.0228, "2f", f"{MINUS}0.023"),
        (0.00498, "3f", "0.005"),
        (-0.00123, "3f", f"{MINUS}0.0012"),
        (0.456, "2f", "0.46"),
        (-12.345, "2f", f"{MINUS}12.35"),
        (-0.00498, "3g", f"{MINUS}0.00498"),
        (0.0228, "2r", "0.02"),  # cells too small for more
        (-0.00498, "2r", "0"),
        (-1.2e-5, "2g", f"{MINUS}1.2e{MINUS}05"),  # a real minus in the exponent too
    ],
)
def test_a_cell_is_written_without_a_signed_zero_and_with_two_digits_when_small(
    value: float, form: str, text: str
) -> None:
    assert cell_number(value, form) == text
