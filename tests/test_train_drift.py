"""The Train tab's results show how far each conv filter moved in a fine-tune."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, QRect, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QScrollArea, QStyle, QTabBar, QToolTip
from pytestqt.qtbot import QtBot

from ocrpad.app.train.drift import BARS_W, LEGEND, PAIR_W, SHOWN
from ocrpad.app.train.panel import FineTunePanel
from ocrpad.app.train.tab import TrainTab
from ocrpad.data.samples import SampleStore
from ocrpad.devtools.symbols import draw_many
from ocrpad.explain.filter_drift import FilterDrift, filter_drift
from ocrpad.learning.finetune import FineTuneSettings, fine_tune
from ocrpad.model import ConvBlock, Model, ModelConfig, build_model

TIMEOUT = 60_000
TINY = ModelConfig(blocks=(ConvBlock(4, pool=True), ConvBlock(8, pool=True)), hidden=(32,))
FAST = FineTuneSettings(epochs=2, batch_user=8, batch_rehearsal=0, held_out=0.25, min_steps=0)


@pytest.fixture
def model() -> Model:
    return build_model(TINY, list("0123456789"), np.random.default_rng(0))


@pytest.fixture
def tab(qtbot: QtBot, tmp_path: Path, model: Model) -> Iterator[TrainTab]:
    with SampleStore(tmp_path / "samples.sqlite", renderer=None) as store:
        rng = np.random.default_rng(0)
        for symbol, char in (("+", "+"), ("?", "?")):
            store.add_many(draw_many(symbol, 6, rng), [char] * 6, "prompt")
        tune = functools.partial(fine_tune, settings=FAST, rehearsal=None)
        opened = TrainTab(store, lambda: model, tune, warm_rehearsal=False)
        qtbot.addWidget(opened)
        opened.resize(1200, 700)
        opened.show()
        qtbot.waitExposed(opened)
        yield opened
        opened.shutdown()


def test_the_filters_tab_shows_how_far_each_filter_moved(
    qtbot: QtBot, tab: TrainTab, model: Model
) -> None:
    view = tab.panel.drift
    assert view.drift == []
    with qtbot.waitSignal(tab.fine_tune_done, timeout=TIMEOUT):
        qtbot.mouseClick(tab.panel.start_button, Qt.MouseButton.LeftButton)
    assert tab.pending is not None
    bar = tab.panel.results.findChild(QTabBar)
    assert bar is not None
    index = next(i for i in range(bar.count()) if bar.tabText(i) == "Filters")
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
    shown = tab.panel.results.currentWidget()
    assert isinstance(shown, QScrollArea) and shown.widget() is view and view.isVisible()
    expected = filter_drift(model, tab.pending.model)
    assert [d.layer for d in view.drift] == ["conv1", "conv2"]
    for shown, wanted in zip(view.drift, expected, strict=True):
        np.testing.assert_allclose(shown.moved, wanted.moved)
        assert shown.moved.shape == (len(shown.before),)
    assert view.drift[0].moved.max() == 0  # the fine-tune keeps the first conv frozen
    assert view.drift[1].moved.min() > 0
    layer = view.drift[1]
    top = layer.most_moved(1)[0]
    point = view.bar_rect(1, top).center().toPoint()
    QApplication.sendEvent(view, QHelpEvent(QEvent.Type.ToolTip, point, view.mapToGlobal(point)))
    assert QToolTip.text().startswith(f"conv2 filter {top + 1} moved")  # counted from 1
    assert view.filter_at(QPointF(point)) == (1, top)
    assert not view.grab().isNull()


def test_on_a_small_screen_the_result_scrolls_into_view_and_the_filters_keep_to_their_tab(
    qtbot: QtBot, tmp_path: Path, model: Model
) -> None:
    """The page scrolls to Keep / Discard when a fine-tune ends, and opening the Filters tab
    (as tall as the network is deep) makes the page no taller than its own scroll bar."""
    with SampleStore(tmp_path / "samples.sqlite", renderer=None) as store:
        store.add_many(draw_many("+", 6, np.random.default_rng(0)), ["+"] * 6, "prompt")
        store.add_many(draw_many("?", 6, np.random.default_rng(1)), ["?"] * 6, "prompt")
        tune = functools.partial(fine_tune, settings=FAST, rehearsal=None)
        tab = TrainTab(store, lambda: model, tune, warm_rehearsal=False)
        page = QScrollArea()
        page.setWidgetResizable(True)
        page.setWidget(tab)
        qtbot.addWidget(page)
        page.resize(800, 300)  # far shorter than the tab: the page scrolls
        page.show()
        qtbot.waitExposed(page)
        try:
            assert page.verticalScrollBar().value() == 0
            with qtbot.waitSignal(tab.fine_tune_done, timeout=TIMEOUT):
                qtbot.mouseClick(tab.panel.start_button, Qt.MouseButton.LeftButton)
            QApplication.processEvents()
            keep = tab.panel.keep_button
            top = keep.mapTo(page.viewport(), keep.rect().topLeft()).y()
            assert keep.isEnabled() and top >= 0 and top + keep.height() <= page.viewport().height()
            tallest = page.verticalScrollBar().maximum()
            tab.panel.results.setCurrentIndex(2)  # Filters
            bar = page.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
            # once the page has laid itself out again (on a busy machine the fine-tune's last
            # queued updates may still be arriving): no taller than the tab's own scroll bar
            qtbot.waitUntil(lambda: page.verticalScrollBar().maximum() <= tallest + bar)
            summary = tab.panel.summary
            assert summary.minimumHeight() == summary.heightForWidth(summary.width())
        finally:
            tab.shutdown()


def _drifts(rng: np.random.Generator) -> list[FilterDrift]:
    """Three layers of 8 filters, each moved a little (no fine-tune needed)."""
    layers = []
    for k in range(3):
        before = rng.normal(size=(8, 4, 3, 3)).astype(np.float32)
        after = before + 0.1 * rng.normal(size=before.shape).astype(np.float32)
        layers.append(filter_drift_of(f"conv{k + 1}", before, after))
    return layers


def filter_drift_of(name: str, before: np.ndarray, after: np.ndarray) -> FilterDrift:
    moved = np.linalg.norm((after - before).reshape(len(before), -1), axis=1)
    return FilterDrift(name, moved.astype(np.float32), before, after)


def test_a_narrow_filters_tab_scrolls_sideways_to_what_it_paints(qtbot: QtBot) -> None:
    """The filters paint at fixed places, as wide as a row; a narrower tab scrolls sideways
    instead of cutting the most-moved filters (and the legend) off at its right edge."""
    panel = FineTunePanel()
    qtbot.addWidget(panel)
    panel.resize(420, 700)
    panel.show()
    qtbot.waitExposed(panel)
    panel.results.setCurrentIndex(2)
    view = panel.drift
    view.set_drift(_drifts(np.random.default_rng(0)))
    room = panel.results.currentWidget()
    assert isinstance(room, QScrollArea) and room.widget() is view
    QApplication.processEvents()
    last = view.bar_rect(0, 0).left() + BARS_W + 12 + SHOWN * PAIR_W  # the last pair's end
    assert view.minimumWidth() >= last and view.width() >= last
    assert room.viewport().width() < last
    assert room.horizontalScrollBar().maximum() >= last - room.viewport().width()
    legend = view.fontMetrics().boundingRect(
        QRect(0, 0, view.width(), 1000), Qt.TextFlag.TextWordWrap, LEGEND
    )
    assert legend.width() <= view.width() and legend.height() <= view.head()
    assert view.bar_rect(0, 0).top() > legend.height()  # the bars start below the legend
