"""Explanations in the window: heat-map overlays, a class clicked in the chart, the dream
gallery, and each filter's ideal input in the feature-map viewer."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from gui_helpers import draw_stroke, open_window, relative_line
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QApplication, QToolButton
from pytestqt.qtbot import QtBot

from ocrpad.app.explain.controller import ExplainController
from ocrpad.app.explain.gallery import DreamGalleryDialog, time_left
from ocrpad.app.explain.worker import FILTERS, Dreams, ExplainWorker, HeatmapResult
from ocrpad.app.main_window import MainWindow
from ocrpad.devtools.explain_bench import run_heatmap_bench
from ocrpad.explain.session import CLASSES
from ocrpad.model import ConvBlock, Model, ModelConfig, build_model

TIMEOUT = 20_000
LABELS = list("abcd")


def small_model(seed: int) -> Model:
    config = ModelConfig(blocks=(ConvBlock(3), ConvBlock(4, pool=True)), hidden=(8,))
    return build_model(config, LABELS, np.random.default_rng(seed))


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    path = tmp_path / "small.npz"
    small_model(0).save(path)
    win = open_window(qtbot, path, tmp_path)
    yield win
    win.close()


def _draw(qtbot: QtBot, window: MainWindow) -> None:
    canvas = window.draw.canvas
    with qtbot.waitSignal(window.prediction_shown, timeout=TIMEOUT):
        draw_stroke(canvas, relative_line(canvas, (0.3, 0.2), (0.6, 0.8)))


def test_the_heat_map_toggle_shows_and_hides_the_overlays(qtbot: QtBot, window: MainWindow) -> None:
    explain: ExplainController = window.explain
    _draw(qtbot, window)
    assert not explain.preview_overlay.isVisible()
    toggle = window.findChild(QToolButton, "heatmapToggle")
    assert toggle is not None
    with qtbot.waitSignal(explain.heatmap_shown, timeout=TIMEOUT) as blocker:
        qtbot.mouseClick(toggle, Qt.MouseButton.LeftButton)
    result: HeatmapResult = blocker.args[0]
    assert result.label == window.current.label if window.current else False
    assert result.heat.shape == (28, 28)
    assert explain.preview_overlay.isVisible() and explain.canvas_overlay.isVisible()
    assert explain.preview_overlay.heat() is result.heat
    square = explain.canvas_rect()  # the input's square lies over the drawing
    assert square is not None
    assert square.intersects(window.draw.canvas.rect())
    assert "where the network sees" in window.statusBar().currentMessage()
    window.tabs.setCurrentIndex(1)  # the Draw tab's message does not follow to the Train tab
    assert window.statusBar().currentMessage() == ""
    window.tabs.setCurrentIndex(0)
    canvas = window.draw.canvas.grab().toImage()  # the key sits in the bottom-left corner
    corner = [
        canvas.pixelColor(x, y)
        for x in range(0, 200, 2)
        for y in range(canvas.height() - 40, canvas.height(), 2)
    ]
    assert any(c.red() > 200 and c.green() > 180 and c.blue() < 120 for c in corner)  # yellow
    assert "blank paper" in explain.method_actions["gradcam"].toolTip()
    qtbot.mouseClick(toggle, Qt.MouseButton.LeftButton)
    assert not explain.preview_overlay.isVisible() and not explain.canvas_overlay.isVisible()
    assert window.statusBar().currentMessage() == ""  # its message went with it
    assert window.draw.chart.explained() is None


def test_for_a_dot_the_heat_map_says_it_is_on_the_network_input_alone(
    qtbot: QtBot, window: MainWindow
) -> None:
    """A dot (or an opened picture) has no strokes for the canvas's heat map to cover: the
    status bar said where the network sees the class as if the canvas showed it."""
    canvas = window.draw.canvas
    with qtbot.waitSignal(window.prediction_shown, timeout=TIMEOUT):
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=canvas.rect().center())
    toggle = window.findChild(QToolButton, "heatmapToggle")
    assert toggle is not None
    with qtbot.waitSignal(window.explain.heatmap_shown, timeout=TIMEOUT):
        qtbot.mouseClick(toggle, Qt.MouseButton.LeftButton)
    assert window.explain.canvas_rect() is None
    assert "on the network input" in window.statusBar().currentMessage()


def test_clicking_a_class_in_the_chart_shows_that_class_heat_map(
    qtbot: QtBot, window: MainWindow
) -> None:
    _draw(qtbot, window)
    chart = window.draw.chart
    ranked = [label for label, _ in chart.sorted_classes()]
    plot = chart.plot_rect()
    slot = plot.width() / len(ranked)
    last = QPointF(plot.left() + (len(ranked) - 0.5) * slot, plot.center().y())
    with qtbot.waitSignal(window.explain.heatmap_shown, timeout=TIMEOUT) as blocker:
        qtbot.mouseClick(chart, Qt.MouseButton.LeftButton, pos=last.toPoint())
    assert blocker.args[0].label == ranked[-1]  # the least likely class, not the answer
    assert window.explain.toggle.isChecked()
    assert chart.explained() == ranked[-1]  # its bar is marked, however short
    image = chart.grab().toImage()
    edge = [  # the frame's top edge over that column, in the heat maps' orange
        image.pixelColor(x, y)
        for x in range(int(last.x() - slot / 2), int(last.x() + slot / 2) + 1)
        for y in (int(plot.top()), int(plot.top()) + 1)
    ]
    assert any(c.red() > c.blue() + 60 for c in edge)
    with qtbot.waitSignal(window.explain.heatmap_shown, timeout=TIMEOUT):
        draw_stroke(window.draw.canvas, relative_line(window.draw.canvas, (0.7, 0.2), (0.7, 0.8)))
    assert chart.explained() in ranked


def test_under_read_as_the_heat_map_explains_the_class_shown(
    qtbot: QtBot, window: MainWindow
) -> None:
    """The chart lists the set's classes; the network has them all: a heat map of the
    answer once explained the class at the answer's place in the set, not the answer."""
    window.set_character_set(["c", "d"])
    _draw(qtbot, window)
    assert window.current is not None and window.current.labels == ["c", "d"]
    toggle = window.findChild(QToolButton, "heatmapToggle")
    assert toggle is not None
    with qtbot.waitSignal(window.explain.heatmap_shown, timeout=TIMEOUT) as blocker:
        qtbot.mouseClick(toggle, Qt.MouseButton.LeftButton)
    assert blocker.args[0].label == window.current.label
    assert blocker.args[0].class_index == LABELS.index(window.current.label)
    assert window.draw.chart.explained() == window.current.label


def test_dreams_arrive_for_a_model_given_after_a_start_without_one(
    qtbot: QtBot, tmp_path: Path
) -> None:
    window = open_window(qtbot, tmp_path / "missing.npz", tmp_path)  # no model at start
    try:
        assert window.model is None
        window.set_model(small_model(0), "a model at last")
        button = window.findChild(QToolButton, "dreamsButton")
        assert button is not None
        with qtbot.waitSignal(
            window.explain.dreams_shown,
            timeout=TIMEOUT,
            check_params_cb=lambda dreams: dreams.kind == CLASSES,
        ):
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        gallery = window.explain.gallery
        assert gallery is not None and gallery.names == LABELS
    finally:
        window.close()


def test_a_new_method_recomputes_the_heat_map(qtbot: QtBot, window: MainWindow) -> None:
    _draw(qtbot, window)
    explain = window.explain
    with qtbot.waitSignal(explain.heatmap_shown, timeout=TIMEOUT):
        explain.toggle.setChecked(True)
    with qtbot.waitSignal(explain.heatmap_shown, timeout=TIMEOUT) as blocker:
        explain.method_actions["saliency"].trigger()
    assert blocker.args[0].method == "saliency"
    assert explain.canvas_overlay.legend().startswith("Saliency for")  # says what it shows


def test_choosing_a_method_while_the_heat_map_is_off_turns_it_on(
    qtbot: QtBot, window: MainWindow
) -> None:
    """Picking Grad-CAM from the arrow's menu once only moved the menu's check mark."""
    _draw(qtbot, window)
    explain = window.explain
    assert not explain.toggle.isChecked()
    with qtbot.waitSignal(explain.heatmap_shown, timeout=TIMEOUT) as blocker:
        explain.method_actions["gradcam"].trigger()
    assert blocker.args[0].method == "gradcam" and explain.toggle.isChecked()
    assert explain.canvas_overlay.legend() == f"Grad-CAM for “{blocker.args[0].label}”"


def test_the_gallery_shows_one_dream_per_class_and_follows_a_model_swap(
    qtbot: QtBot, window: MainWindow
) -> None:
    explain = window.explain
    button = window.findChild(QToolButton, "dreamsButton")
    assert button is not None

    def class_dreams(dreams: Dreams) -> bool:
        return dreams.kind == CLASSES

    with qtbot.waitSignal(explain.dreams_shown, timeout=TIMEOUT, check_params_cb=class_dreams):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    gallery = explain.gallery
    assert gallery is not None and gallery.isVisible()
    assert gallery.names == LABELS
    assert not gallery.picture.pixmap().isNull()
    first = gallery.picture.pixmap().toImage()
    with qtbot.waitSignal(
        explain.dreams_shown, timeout=TIMEOUT, check_params_cb=class_dreams
    ) as blocker:
        window.set_model(small_model(7), "another model")
    assert blocker.args[0].model_serial == 2
    assert gallery.picture.pixmap().toImage() != first


def test_the_feature_map_viewer_shows_each_filter_ideal_input(
    qtbot: QtBot, window: MainWindow
) -> None:
    seen: set[str] = set()

    def both_layers(dreams: Dreams) -> bool:
        seen.add(dreams.kind)
        return {"conv1", "conv2"} <= seen

    with qtbot.waitSignal(
        window.explain.dreams_shown, timeout=TIMEOUT, check_params_cb=both_layers
    ):
        _draw(qtbot, window)
    captions = [section.caption for section in window.draw.feature_maps.sections()]
    conv1 = captions.index(next(c for c in captions if c.startswith("conv1 ")))
    assert captions[conv1 + 1].startswith("conv1 ideal inputs")
    ideal = window.draw.feature_maps.sections()[conv1 + 1].maps
    assert ideal.maps.shape == (3, 26, 26)  # cut to the pixels under conv1's 26x26 maps


def test_the_gallery_request_overtakes_filter_dreams_in_progress(qtbot: QtBot) -> None:
    config = ModelConfig(blocks=(ConvBlock(16), ConvBlock(8, pool=True)), hidden=(8,))
    worker = ExplainWorker(build_model(config, LABELS, np.random.default_rng(0)))
    kinds: list[str] = []
    worker.dreams_ready.connect(lambda dreams: kinds.append(dreams.kind))
    with qtbot.waitSignal(worker.progress, timeout=TIMEOUT) as blocker:
        worker.request_dreams(FILTERS)
    assert blocker.args[0].kind == "conv1"  # under way, not finished
    worker.request_dreams(CLASSES, first=True)
    qtbot.waitUntil(lambda: len(kinds) == 3, timeout=TIMEOUT)
    assert kinds == [CLASSES, "conv1", "conv2"]


def test_the_heat_map_bench_times_every_stroke(tmp_path: Path) -> None:
    path = tmp_path / "small.npz"
    small_model(0).save(path)
    result = run_heatmap_bench(path, count=3, warmup=1)
    assert result["heatmaps"] == 3
    assert (
        0 < result["heatmap_after_prediction_p50_ms"] <= result["heatmap_after_prediction_max_ms"]
    )


def test_ideal_inputs_keep_their_place_so_the_maps_do_not_move_when_they_arrive(
    qtbot: QtBot, window: MainWindow
) -> None:
    view = window.draw.feature_maps
    _draw(qtbot, window)
    waiting = [s for s in view.sections() if s.pending]
    assert [s.maps.name for s in waiting] == ["conv1 ideal inputs", "conv2 ideal inputs"]
    height = view.grid.minimumHeight()
    with qtbot.waitSignal(
        window.explain.dreams_shown, timeout=TIMEOUT, check_params_cb=lambda d: d.kind == "conv2"
    ):
        pass
    assert not any(s.pending for s in view.sections())
    assert view.grid.minimumHeight() == height


def test_the_gallery_fills_in_batch_by_batch_and_fits_every_class_in_view(qtbot: QtBot) -> None:
    labels = list("abcdefgh")  # two batches of four
    config = ModelConfig(blocks=(ConvBlock(3), ConvBlock(4, pool=True)), hidden=(8,))
    worker = ExplainWorker(build_model(config, labels, np.random.default_rng(0)))
    seen: list[Dreams] = []
    worker.dreams_ready.connect(seen.append)
    worker.request_dreams(CLASSES, first=True)
    qtbot.waitUntil(lambda: any(d.complete for d in seen), timeout=3 * TIMEOUT)
    assert not seen[0].complete  # the first batch came before the last one
    assert seen[0].images[:4].any() and not seen[0].images[4:].any()
    gallery = DreamGalleryDialog()
    qtbot.addWidget(gallery)
    gallery.show()
    many = np.random.default_rng(0).random((62, 28, 28)).astype(np.float32)
    gallery.set_dreams(many, [chr(48 + i) for i in range(62)])
    QApplication.processEvents()
    assert gallery.scroller.verticalScrollBar().maximum() == 0  # all 62 at the first look
    assert gallery.scroller.horizontalScrollBar().maximum() == 0


def test_the_dreams_progress_says_how_long_the_rest_will_take(qtbot: QtBot) -> None:
    """Dreaming every class takes minutes here: the bar says how many are left in time."""
    gallery = DreamGalleryDialog()
    qtbot.addWidget(gallery)
    now = [100.0]
    gallery.clock = lambda: now[0]
    gallery.clear()  # the model changed: dreaming starts again
    gallery.show_progress(0, 62)
    assert gallery.progress.format() == "%p%"  # no pace yet
    now[0] += 30.0
    gallery.show_progress(10, 62)  # 3 s a step, 52 to go
    assert gallery.progress.format() == "%p% · about 3 min left"
    now[0] += 150.0
    gallery.show_progress(60, 62)
    assert gallery.progress.format() == "%p% · about 6 s left"
    assert time_left(62, 62, 200.0) is None


def test_time_away_from_the_dreams_does_not_count_towards_their_time_left(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """A model swapped while the gallery is closed is dreamt when Dreams opens again: the
    estimate is the pace of the dreaming, not of the ten minutes before it began."""
    window = open_window(qtbot, None, tmp_path)  # the shipped model: its dreams take minutes
    explain: ExplainController = window.explain
    away = [0.0]
    gallery = explain.open_gallery()
    gallery.clock = lambda: time.monotonic() + away[0]
    gallery.close()
    assert window.model is not None
    tuned = window.model.copy()
    weights = tuned.network.state_dict()
    tuned.network.load_state_dict({**weights, "out.bias": weights["out.bias"] + 1e-3})
    window.set_model(tuned, "fine-tuned")
    away[0] += 600.0  # ten minutes of drawing, then Dreams
    explain.open_gallery()
    qtbot.waitUntil(lambda: "left" in gallery.progress.text(), timeout=TIMEOUT)
    done, total = gallery.progress.value(), gallery.progress.maximum()
    found = re.search(r"about (\d+) (min|s) left", gallery.progress.text())
    assert found is not None, gallery.progress.text()
    shown = int(found[1]) * (60 if found[2] == "min" else 1)
    idle = 600.0 / done * (total - done)  # what the time away alone would make of it
    assert shown < idle / 10
    window.close()
