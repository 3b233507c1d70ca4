"""Text in the Draw tab is shown whole at larger system fonts (macOS's default is 13 pt, many
Linux desktops use 10-11 pt): nothing is cut by a box sized in fixed pixels."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from ocrpad.app.draw.colour_scale import LEGEND_WIDTH, paint_scale, scale_text
from ocrpad.app.draw.prediction import Prediction
from ocrpad.app.draw.prediction_panel import PredictionPanel
from ocrpad.app.draw.prob_chart import ProbabilityChart

SIZES = (9.0, 12.0, 14.0)  # points: the default here, and two a person may choose


@pytest.fixture
def font_size(qtbot: QtBot) -> Iterator[float]:
    """The application font at a given size, as a person's system setting; restored after."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = QFont(app.font())
    yield before.pointSizeF()
    app.setFont(before)


def _set_application_font(points: float) -> None:
    font = QFont(QApplication.font())
    font.setPointSizeF(points)
    QApplication.setFont(font)
    QApplication.processEvents()  # the change is posted: each widget then gets a FontChange


def _is_ink(image: QImage, x: int, y: int, paper: QColor) -> bool:
    """Text, even antialiased, not the background."""
    return abs(QColor(image.pixel(x, y)).lightness() - paper.lightness()) > 60


def _ink_width(image: QImage, background: QColor, top: int, bottom: int, right: int) -> int:
    """From the first to the last column left of `right` with ink between rows top and bottom."""
    rows = range(max(0, top), min(image.height(), bottom))
    inked = [x for x in range(right) if any(_is_ink(image, x, y, background) for y in rows)]
    return inked[-1] - inked[0] + 1 if inked else 0


@pytest.mark.parametrize("points", SIZES)
def test_the_charts_axis_shows_100_percent_whole_at_any_font_size(
    qtbot: QtBot, font_size: float, points: float
) -> None:
    _set_application_font(points)
    chart = ProbabilityChart()
    qtbot.addWidget(chart)
    chart.resize(600, 160)
    plot = chart.plot_rect()
    axis_font = QFont(chart.font())
    axis_font.setPointSizeF(max(6.5, axis_font.pointSizeF() * 0.8))
    metrics = QFontMetricsF(axis_font)
    ink = metrics.tightBoundingRect("100%").width()
    line = metrics.height()
    image = chart.grab().toImage()
    background = chart.palette().color(QPalette.ColorRole.Window)
    top, bottom = int(plot.top() - line), int(plot.top() + line)
    shown = _ink_width(image, background, top, bottom, int(plot.left()) - 1)
    assert shown >= ink - 1  # "100%", not "00%"


def test_the_charts_axis_follows_a_font_change_after_it_was_made(
    qtbot: QtBot, font_size: float
) -> None:
    chart = ProbabilityChart()
    qtbot.addWidget(chart)
    chart.resize(600, 160)
    before = chart.plot_rect().left()
    _set_application_font(2 * font_size)
    assert chart.plot_rect().left() > before


def _unsure(top: tuple[tuple[str, float], ...]) -> Prediction:
    """An answer under 50%: the panel says "Not sure — maybe:" and names the top three."""
    labels = [label for label, _ in top]
    probabilities = np.array([p for _, p in top], np.float32)
    image = np.zeros((28, 28), np.float32)
    return Prediction(1, labels[0], labels, probabilities, image, top=top)


UNSURE_ANSWERS = (
    _unsure((("`", 0.07), ("%", 0.06), ("~", 0.06))),  # a circle read as a symbol
    _unsure((("W", 0.49), ("@", 0.3), ("m", 0.2))),  # the widest characters there are
)


def _shown_panel(qtbot: QtBot) -> PredictionPanel:
    panel = PredictionPanel()
    qtbot.addWidget(panel)
    panel.resize(panel.sizeHint().width(), 420)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def _caption(panel: PredictionPanel) -> QLabel:
    return next(c for c in panel.findChildren(QLabel) if c.text().startswith("Network input"))


def _assert_the_panels_text_fits(panel: PredictionPanel) -> None:
    caption = _caption(panel)
    assert caption.sizeHint().width() <= caption.width()
    for answer in UNSURE_ANSWERS:
        panel.show_prediction(answer)
        box = panel.confidence
        assert box.text().startswith("Not sure")
        assert box.heightForWidth(box.width()) <= box.height(), box.text()


@pytest.mark.parametrize("points", SIZES)
def test_the_panels_caption_and_unsure_answer_fit_at_any_font_size(
    qtbot: QtBot, font_size: float, points: float
) -> None:
    _set_application_font(points)
    _assert_the_panels_text_fits(_shown_panel(qtbot))


def test_the_panel_refits_its_text_when_the_font_grows_after_it_was_made(
    qtbot: QtBot, font_size: float
) -> None:
    panel = _shown_panel(qtbot)
    _set_application_font(14.0)
    _assert_the_panels_text_fits(panel)


def test_the_panel_keeps_its_width_at_the_default_font(qtbot: QtBot, font_size: float) -> None:
    _set_application_font(9.0)
    assert _shown_panel(qtbot).width() == 180


def _inked_rows(label: QLabel) -> list[int]:
    """The pixel rows of the label that hold ink, top to bottom."""
    image = label.grab().toImage()
    paper = label.palette().color(QPalette.ColorRole.Window)
    columns = range(image.width())
    return [y for y in range(image.height()) if any(_is_ink(image, x, y, paper) for x in columns)]


def test_the_big_answer_shows_every_character_whole(qtbot: QtBot) -> None:
    panel = _shown_panel(qtbot)
    roomy = QLabel()  # the same character with room to spare: all its ink
    roomy.setFont(panel.label.font())
    roomy.setAlignment(Qt.AlignmentFlag.AlignCenter)
    roomy.setFixedSize(panel.label.width(), panel.label.height() + 100)
    qtbot.addWidget(roomy)
    roomy.show()
    for character in "_|gjyQ{}()[]@$ÉÅÇ":
        sure = np.ones(1, np.float32)
        answer = Prediction(1, character, [character], sure, np.zeros((28, 28), np.float32))
        panel.show_prediction(answer)
        roomy.setText(character)
        shown, whole = _inked_rows(panel.label), _inked_rows(roomy)
        assert shown[0] > 0 and shown[-1] < panel.label.height() - 1, character  # not cut off
        assert len(shown) >= len(whole) - 1, character  # within a row of antialiasing


@pytest.mark.parametrize("room", [64.0, 120.0, 400.0])  # 64: just room for "−2.9 ▬ 1.7"
def test_a_colour_scale_keeps_its_high_number_inside_the_room_it_is_given(
    qtbot: QtBot, room: float
) -> None:
    image = QImage(500, 40, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    metrics = painter.fontMetrics()
    bar = paint_scale(painter, metrics, QPointF(8, 2), -2.9, 1.7, diverging=True, room=room)
    painter.end()
    high_end = bar.right() + 6 + metrics.horizontalAdvance(scale_text(1.7))
    assert high_end <= 8 + room
    assert 0 < bar.width() <= LEGEND_WIDTH
    if room >= 400:
        assert bar.width() == LEGEND_WIDTH  # room to spare: the usual length


def _plot_height(qtbot: QtBot) -> float:
    """The bars' height in a 700×140 chart of 94 classes, at the application's font."""
    chart = ProbabilityChart()
    qtbot.addWidget(chart)
    probs = np.full(94, 0.0002)
    probs[0] = 0.98
    chart.set_probabilities([chr(c) for c in range(33, 127)], probs)
    chart.resize(700, 140)
    return chart.plot_rect().height()


def test_at_14_points_the_charts_bars_keep_their_room(qtbot: QtBot, font_size: float) -> None:
    """The two rows of class labels are as high as the labels' own (small) font, not the
    application's: a larger font leaves no gap under the bars and keeps them tall."""
    default = _plot_height(qtbot)
    _set_application_font(14.0)
    assert _plot_height(qtbot) >= 0.9 * default


def _edge_ink(image: QImage, paper: QColor) -> list[str]:
    """Which edges of `image` have a pixel of another colour than `paper`: text cut there."""
    pixels = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), -1, 4)
    rgb = pixels[:, : image.width(), 2::-1].astype(int)  # BGRA in memory
    ink = np.abs(rgb - np.array([paper.red(), paper.green(), paper.blue()])).sum(axis=2) > 60
    edges = {"top": ink[0], "bottom": ink[-1], "left": ink[:, 0], "right": ink[:, -1]}
    return [name for name, line in edges.items() if line.any()]


@pytest.mark.parametrize("points", [*SIZES, 20.0])
def test_the_training_curves_show_every_label_whole_at_any_font_size_down_to_their_least_size(
    qtbot: QtBot, font_size: float, points: float
) -> None:
    from ocrpad.app.train.curves import CurvesPlot
    from ocrpad.learning.finetune_report import CurvePoint

    plot = CurvesPlot()
    qtbot.addWidget(plot)
    _set_application_font(points)  # after it was made: it follows the change
    line = plot.fontMetrics().height()
    least = plot.minimumSizeHint()
    assert least.height() >= 6 * line  # legend, caption and three rows of the scale
    plot.resize(max(least.width(), 413), least.height())  # the Train tab's column at 1100 px
    curve = [CurvePoint(s, 1, 2.5 / (1 + s / 10), min(1.0, s / 40), s / 60) for s in range(61)]
    plot.set_points(curve, 60)
    image = plot.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    assert _edge_ink(image, plot.palette().color(QPalette.ColorRole.Window)) == []
    left, top, right, bottom = plot.margins()
    metrics = plot.fontMetrics()
    assert left - 4 >= metrics.horizontalAdvance("0.625")
    assert right - 4 >= metrics.horizontalAdvance("100%")
    assert min(top, bottom) >= line + 4
