"""What the neuron panel tells a person, read off the real widgets after real clicks: one
number per filter (the one the enlarged map gives it), how a unit was reached."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from neuron_gui import click_cell, draw, enlarge, panel, press, small_window
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
