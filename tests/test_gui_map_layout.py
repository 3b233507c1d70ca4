"""Where the feature-map grid places its tiles, now that it keeps its last few placings: a
new drawing, a cleared canvas, a narrower panel and a note that wraps each land the tiles
exactly where a grid placing them afresh would; and a scrolled grid, which paints only the
sections in view, shows what a full painting shows there."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF
from pytestqt.qtbot import QtBot

from ocrpad.app.draw.feature_maps import FeatureMapView
from ocrpad.app.draw.map_captions import MARGIN
from ocrpad.app.draw.prediction import LayerMaps, layer_maps

NOTE = "12 of 32 are flat: those filters respond most to blank paper, not to any stroke"


def _layers(seed: int) -> list[LayerMaps]:
    rng = np.random.default_rng(seed)
    shapes = {"conv1": (32, 28, 28), "pool2": (32, 14, 14), "conv3": (64, 14, 14)}
    return [layer_maps(n, rng.random(s).astype(np.float32)) for n, s in shapes.items()]


def _view(qtbot: QtBot, width: int, layers: list[LayerMaps]) -> FeatureMapView:
    view = FeatureMapView()
    qtbot.addWidget(view)
    view.resize(width, 500)
    view.set_layers(layers)
    view.show()
    qtbot.waitExposed(view)
    return view


def _places(view: FeatureMapView) -> list[tuple[tuple[float, float, float, float], int, int]]:
    return [(r.getRect(), s, i) for r, s, i in view.grid.tiles()]


def test_a_new_drawing_after_a_cleared_canvas_lands_where_a_fresh_grid_puts_it(
    qtbot: QtBot,
) -> None:
    view = _view(qtbot, 320, _layers(0))
    first = _places(view)
    view.set_layers([], answered=False)  # the canvas cleared
    assert view.grid.tiles() == () and view.grid.minimumHeight() == 0
    view.set_layers(_layers(1))  # the next drawing: other values, the same shapes
    fresh = _view(qtbot, 320, _layers(1))
    assert _places(view) == first == _places(fresh)
    assert view.grid.minimumHeight() == fresh.grid.minimumHeight()
    assert view.grid.minimumHeight() > max(r.bottom() for r, _, _ in view.grid.tiles())


def test_a_narrower_panel_places_the_tiles_again_and_a_wider_one_gets_its_own_back(
    qtbot: QtBot,
) -> None:
    view = _view(qtbot, 420, _layers(0))
    wide = _places(view)
    view.resize(240, 500)
    qtbot.waitUntil(lambda: _places(view) != wide)
    narrow = _places(view)
    assert narrow == _places(_view(qtbot, 240, _layers(0)))
    right = view.grid.width() - MARGIN
    assert all(r.right() <= right for r, _, _ in view.grid.tiles())
    view.resize(420, 500)
    qtbot.waitUntil(lambda: _places(view) == wide)


def test_a_note_over_a_section_moves_its_tiles_down_by_its_lines(qtbot: QtBot) -> None:
    layers = _layers(0)
    view = _view(qtbot, 300, layers)
    before = _places(view)
    view.set_ideal_inputs({"conv1": layers[0]}, notes={"conv1": NOTE}, flat={"conv1": (1, 2)})
    fresh = _view(qtbot, 300, layers)
    fresh.set_ideal_inputs({"conv1": layers[0]}, notes={"conv1": NOTE}, flat={"conv1": (1, 2)})
    after = _places(view)
    assert after == _places(fresh)
    last = len(view.grid.sections) - 1  # conv3: below the noted ideal inputs
    top_before = min(r[1] for r, s, _ in before if s == 2)
    top_after = min(r[1] for r, s, _ in after if s == last)
    assert top_after > top_before


def test_a_scrolled_grid_shows_what_a_full_painting_shows_there(qtbot: QtBot) -> None:
    view = _view(qtbot, 320, _layers(2))
    view.resize(320, 240)
    bar = view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    whole = view.grid.grab().toImage()  # every section painted
    for value in (0, bar.maximum() // 2, bar.maximum()):
        bar.setValue(value)
        shown = view.viewport().grab().toImage()
        top = -view.grid.y()
        expected = whole.copy(0, top, shown.width(), shown.height())
        assert shown == expected, f"scrolled to {value}"
        visible = QRectF(0, top, shown.width(), shown.height())
        assert any(visible.intersects(r) for r, _, _ in view.grid.tiles())
