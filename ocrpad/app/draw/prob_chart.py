"""A bar chart of the probability of every class, sorted, the top ones highlighted."""

from __future__ import annotations

import math
from typing import Final

import numpy as np
from numpy.typing import NDArray
from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QFont,
    QFontMetricsF,
    QHelpEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from ocrpad.app.draw.chart_labels import LabelStyles
from ocrpad.app.draw.spoken import announce, character_name, percent, ranked, tell
from ocrpad.app.focus import paint_focus_frame

KEYPAD: Final = Qt.KeyboardModifier.KeypadModifier  # arrows on the number pad move too
HIGHLIGHTED: Final = 3  # how many leading bars get the highlight colour
EXPLAINED: Final = QColor(230, 110, 0)  # the class a heat map explains: the heat maps' orange
MIN_BAR: Final = 9.0  # px per class before labels get crowded
LEAST_HEIGHT: Final = 120  # px: where the window is short (a large font), bars still ~60 px high
AXIS_GAP: Final = 5.0  # px between the value axis's labels and the plot
RIGHT_MARGIN: Final = 6.0  # px right of the plot
UNDER_BAR: Final = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop  # a class's label
NOTHING_SAID: Final = "Empty: draw a character"
SAID: Final = 5  # how many leading classes the accessible description names
STEPS: Final = {  # keys that move the picked class, by rank: the next bar to the right is less
    Qt.Key.Key_Right: 1,  # probable
    Qt.Key.Key_Down: 1,
    Qt.Key.Key_Left: -1,
    Qt.Key.Key_Up: -1,
    Qt.Key.Key_PageDown: 5,
    Qt.Key.Key_PageUp: -5,
    Qt.Key.Key_Home: -1_000_000,
    Qt.Key.Key_End: 1_000_000,
}


class ProbabilityChart(QWidget):
    """Columns for every class, most probable first; clicking one emits class_clicked(label),
    and so do the arrow keys (Home, End, Page Up/Down) as they move the picked class."""

    class_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("probabilityChart")
        self.setAccessibleName("Class probabilities")
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleDescription(NOTHING_SAID)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Maximum)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)  # paints its own background
        self._labels: list[str] = []
        self._probs: NDArray[np.float32] = np.zeros(0, np.float32)
        self._order: NDArray[np.intp] = np.zeros(0, np.intp)
        self._explained: str | None = None
        self._picked: str | None = None  # clicked or reached by the keys

    def set_explained(self, label: str | None) -> None:
        """Mark the class a heat map explains (None: no heat map shown)."""
        if label != self._explained:
            self._explained = label
            self.update()

    def explained(self) -> str | None:
        return self._explained

    def set_probabilities(self, labels: list[str], probabilities: NDArray[np.floating]) -> None:
        """labels: C class characters; probabilities: (C,) summing to 1."""
        self._labels = list(labels)
        self._probs = np.asarray(probabilities, dtype=np.float32)
        self._order = np.argsort(-self._probs, kind="stable")
        if self._picked not in self._labels:
            self._picked = None
        tell(self, description=self._said())
        self.update()

    def clear(self) -> None:
        self._picked = None
        self.set_probabilities([], np.zeros(0, np.float32))

    def picked(self) -> str | None:
        """The class last clicked or reached with the keys (None since the chart was cleared)."""
        return self._picked

    def _said(self) -> str:
        """The accessible description: the leading classes, and the picked one."""
        if not len(self._order):
            return NOTHING_SAID
        said = f"Most likely: {ranked(self.sorted_classes(), SAID)}."
        if self._picked is not None:
            said += f" Picked: {self._say(self._picked)}."
        return said

    def _say(self, label: str) -> str:
        return f"{character_name(label)} {percent(float(self._probs[self._labels.index(label)]))}"

    def _pick(self, label: str) -> None:
        self._picked = label
        tell(self, description=self._said())
        self.update()
        self.class_clicked.emit(label)

    def sorted_classes(self) -> list[tuple[str, float]]:
        """(label, probability), most probable first."""
        return [(self._labels[i], float(self._probs[i])) for i in self._order]

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(62 * 11 + round(self._plot_left() + RIGHT_MARGIN), 140)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(200, LEAST_HEIGHT)  # gives up height before the answer beside the canvas

    # -- geometry ------------------------------------------------------------------------
    def plot_rect(self) -> QRectF:
        """Where the bars are drawn, in widget pixels: one equal slot per class, left to right
        in `sorted_classes` order, between the value axis and the labels."""
        line = math.ceil(QFontMetricsF(self._label_font()).height())  # labels and percentages
        top = max(line + 4, math.ceil(QFontMetricsF(self._axis_font()).height() / 2) + 2)
        lines = 2 if self._staggered() else 1
        bottom = lines * line + 6
        left = self._plot_left()
        width = self._plot_width()
        return QRectF(left, top, max(1, width), max(1, self.height() - top - bottom))

    def _axis_font(self) -> QFont:
        """The value axis's labels: the widget's font at 0.8 its size, 6.5 pt at least."""
        font = self.font()
        font.setPointSizeF(max(6.5, font.pointSizeF() * 0.8))
        return font

    def _label_font(self) -> QFont:
        """The classes' labels under the bars and the percentages over them: 0.8 pt per pixel of
        a bar's slot, from 6.5 pt up to 10 pt or the axis font if that is larger."""
        slot = self._plot_width() / max(1, len(self._order))
        font = self.font()
        font.setPointSizeF(max(6.5, min(max(10.0, self._axis_font().pointSizeF()), slot * 0.8)))
        return font

    def _plot_left(self) -> float:
        """The plot's left edge: room for the widest axis label, "100%", in the axis font, so
        a larger system font widens the column rather than cutting the label."""
        return math.ceil(QFontMetricsF(self._axis_font()).horizontalAdvance("100%")) + AXIS_GAP

    def _plot_width(self) -> float:
        return self.width() - self._plot_left() - RIGHT_MARGIN

    def _staggered(self) -> bool:
        """Narrow bars: labels alternate between two rows so that every class stays labelled."""
        count = len(self._order)
        return bool(count) and self._plot_width() / count < 2 * MIN_BAR

    def _bar_at(self, pos: QPointF) -> int | None:
        plot = self.plot_rect()
        count = len(self._order)
        if not count or not (plot.left() <= pos.x() < plot.right()):
            return None
        slot = int((pos.x() - plot.left()) / (plot.width() / count))
        return int(self._order[min(slot, count - 1)])

    # -- events --------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        index = self._bar_at(event.position())
        if index is not None and event.button() == Qt.MouseButton.LeftButton:
            self._pick(self._labels[index])

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        step = STEPS.get(Qt.Key(event.key()))
        if step is None or not len(self._order) or event.modifiers() & ~KEYPAD:
            super().keyPressEvent(event)
            return
        rank = min(max(self._cursor() + step, 0), len(self._order) - 1)
        label = self._labels[self._order[rank]]
        self._pick(label)
        announce(self, self._say(label))  # the focus stays: say where it went

    def _cursor(self) -> int:
        """The rank the keys move from: the picked class, else the explained one, else 0."""
        ranks = [self._labels[i] for i in self._order]
        for label in (self._picked, self._explained):
            if label in ranks:
                return ranks.index(label)
        return 0

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802
        self.update()  # the focus frame
        super().focusInEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802
        self.update()
        super().focusOutEvent(event)

    def event(self, event: QEvent) -> bool:
        if isinstance(event, QHelpEvent) and event.type() == QEvent.Type.ToolTip:
            index = self._bar_at(QPointF(event.pos()))
            if index is None:
                QToolTip.hideText()
            else:
                text = f"{self._labels[index]}: {percent(float(self._probs[index]), 2)}"
                QToolTip.showText(event.globalPos(), text, self)
            return True
        return super().event(event)

    # -- painting ------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        palette = self.palette()
        painter.fillRect(event.rect(), palette.color(QPalette.ColorRole.Window))
        plot = self.plot_rect()
        self._paint_axes(painter, plot, palette)
        if len(self._order):
            self._paint_bars(painter, plot, palette)
        else:
            self._paint_placeholder(painter, plot, palette)
        if self.hasFocus():
            self._paint_focus(painter, plot, palette)
        painter.end()

    def _paint_placeholder(self, painter: QPainter, plot: QRectF, palette: QPalette) -> None:
        """The chart's name in the empty plot, on a clear patch: the 50% gridline runs
        through the plot's middle and would strike the words through."""
        text, centre = "Class probabilities", Qt.AlignmentFlag.AlignCenter
        box = painter.boundingRect(plot, centre, text).adjusted(-6, -2, 6, 2)
        painter.fillRect(box, palette.color(QPalette.ColorRole.Window))
        painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
        painter.drawText(plot, centre, text)

    def _paint_focus(self, painter: QPainter, plot: QRectF, palette: QPalette) -> None:
        """A frame round the chart, and a solid one round the picked class's column (where
        the arrow keys move from)."""
        paint_focus_frame(painter, self.rect(), palette)
        if not len(self._order):
            return
        painter.setPen(QPen(palette.color(QPalette.ColorRole.Highlight), 2.0))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        slot = plot.width() / len(self._order)
        column = QRectF(plot.left() + self._cursor() * slot, plot.top(), slot, plot.height())
        painter.drawRect(column.adjusted(-1.5, -1.5, 1.5, 1.5))

    def _paint_axes(self, painter: QPainter, plot: QRectF, palette: QPalette) -> None:
        grid = QColor(palette.color(QPalette.ColorRole.Text))
        grid.setAlphaF(0.15)
        text = palette.color(QPalette.ColorRole.Text)
        font = self._axis_font()
        painter.setFont(font)
        line = QFontMetricsF(font).height()
        for fraction in (0.0, 0.5, 1.0):
            y = plot.bottom() - fraction * plot.height()
            painter.setPen(grid)
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(text)
            label_rect = QRectF(0, y - line / 2, plot.left() - AXIS_GAP, line)
            align = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
            painter.drawText(label_rect, align, f"{int(fraction * 100)}%")

    def _paint_bars(self, painter: QPainter, plot: QRectF, palette: QPalette) -> None:
        count = len(self._order)
        slot = plot.width() / count
        highlight = palette.color(QPalette.ColorRole.Highlight)
        other = QColor(palette.color(QPalette.ColorRole.Text))
        other.setAlphaF(0.45)
        text = palette.color(QPalette.ColorRole.Text)
        styles = LabelStyles(self._label_font())  # fonts and metrics once a paint
        every = 1 if slot >= MIN_BAR / 2 else int(np.ceil(MIN_BAR / 2 / slot))
        staggered = self._staggered()  # measured once a paint, not once a label
        for rank, index in enumerate(self._order):
            x = plot.left() + rank * slot
            height = float(self._probs[index]) * plot.height()
            explained = self._labels[index] == self._explained
            colour = EXPLAINED if explained else highlight if rank < HIGHLIGHTED else other
            bar = QRectF(x + slot * 0.12, plot.bottom() - height, max(1.0, slot * 0.76), height)
            painter.fillRect(bar, colour)
            if explained:  # even a near-zero bar shows where it is: a frame up to the top
                self._paint_explained_frame(painter, QRectF(x, plot.top(), slot, plot.height()))
            if rank < HIGHLIGHTED or rank % every == 0 or explained:
                ink = EXPLAINED if explained else text
                row = rank % 2 if staggered else 0
                self._paint_label(painter, styles, ink, x, slot, plot, (rank, row), int(index))

    def _paint_explained_frame(self, painter: QPainter, column: QRectF) -> None:
        frame = QColor(EXPLAINED)
        frame.setAlphaF(0.6)
        painter.setPen(QPen(frame, 1.0, Qt.PenStyle.DashLine))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(column.adjusted(0.5, 0.5, -0.5, -0.5))

    def _paint_label(
        self,
        painter: QPainter,
        styles: LabelStyles,
        colour: QColor,
        x: float,
        slot: float,
        plot: QRectF,
        place: tuple[int, int],
        index: int,
    ) -> None:
        """The class's label under its bar, in label row `place[1]`, and its percentage
        above it for the leading ranks (`place[0]` is the bar's rank)."""
        rank, row = place
        character = self._labels[index]
        font, metrics = (
            styles.bold if rank < HIGHLIGHTED or character == self._explained else styles.regular
        )
        painter.setFont(font)
        painter.setPen(colour)
        line = math.ceil(metrics.height())
        below = QRectF(x - 8, plot.bottom() + 2 + row * line, slot + 16, line + 2)
        painter.drawText(below, UNDER_BAR, character)
        if character == "0":  # a slashed zero: 0, O and o are told apart at a glance
            glyph = metrics.tightBoundingRect("0")
            centre_x = below.center().x()
            top = below.top() + metrics.ascent() + glyph.top()
            slash = QRectF(centre_x - glyph.width() / 2, top, glyph.width(), glyph.height())
            painter.setPen(QPen(colour, max(1.0, font.pointSizeF() / 9)))
            painter.drawLine(slash.bottomLeft(), slash.topRight())
        if rank >= HIGHLIGHTED:
            return
        label = percent(float(self._probs[index]))
        fits = slot >= metrics.horizontalAdvance(label) + 8
        if not label.startswith("under") and (rank == 0 or fits):
            painter.setPen(colour)
            y = plot.bottom() - float(self._probs[index]) * plot.height()
            height = line
            if rank == 0:  # from the bar's left edge: clear of the axis labels on its left
                wide = max(slot + 40, metrics.horizontalAdvance(label) + 4)  # "over 99%"
                above = QRectF(x + slot * 0.12, y - height - 1, wide, height)
                align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom
            else:
                above = QRectF(x - 20, y - height - 1, slot + 40, height)
                align = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom
            if character == self._explained:  # the heat map's dashed frame runs under it
                backdrop = painter.boundingRect(above, align, label).adjusted(-1, 0, 1, 0)
                painter.fillRect(backdrop, self.palette().color(QPalette.ColorRole.Window))
            painter.drawText(above, align, label)
