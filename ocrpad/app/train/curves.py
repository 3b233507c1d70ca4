"""Live learning curves, painted with QPainter: loss (left scale) and accuracies (right, 0-100%)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Final

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFontMetrics,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from ocrpad.app.draw.spoken import tell
from ocrpad.learning.finetune_report import CurvePoint

LOSS_COLOUR: Final = QColor("#d9534f")
TRAIN_COLOUR: Final = QColor("#5b8def")
HELD_COLOUR: Final = QColor("#2e9e5b")
MARGIN: Final = (44.0, 26.0, 44.0, 30.0)  # left, top (legend), right, bottom: the least
WIDEST_LOSS: Final = "0.625"  # the widest loss label (3 significant digits, as painted)
PLACEHOLDERS: Final = ("Curves appear as training runs", "Curves appear here")  # longest first


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 4, 5 or 10 times a power of ten that is >= value (> 0)."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 2.5, 4, 5, 10) if m * power >= value)


def placeholder(metrics: QFontMetrics, room: QRectF) -> str:
    """The longest of PLACEHOLDERS whose wrapped lines fit `room`: at a large font in a
    narrow column the sentence would wrap to more lines than the empty plot is high."""
    wrap = int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap)
    for text in PLACEHOLDERS:
        if metrics.boundingRect(room.toRect(), wrap, text).height() <= room.height():
            return text
    return PLACEHOLDERS[-1]


class CurvesPlot(QWidget):
    """Curve points along the run's steps; ``set_points`` / ``add_point`` store and repaint.
    The held-back accuracy is drawn through the points that have it (epoch ends)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainCurves")
        self.setAccessibleName("Loss and accuracy curves")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._points: list[CurvePoint] = []
        self._steps = 1  # the run's steps: the width of the plot
        self.setAccessibleDescription(curves_said([], 1))

    @property
    def points(self) -> list[CurvePoint]:
        return list(self._points)

    def set_points(self, points: list[CurvePoint], steps: int | None = None) -> None:
        self._points = list(points)
        self._steps = max(1, steps or max((p.step for p in points), default=1))
        self.update()
        tell(self, description=curves_said(self._points, self._steps))

    def add_point(self, point: CurvePoint, steps: int) -> None:
        self._points.append(point)
        self._steps = max(1, steps)
        self.update()
        tell(self, description=curves_said(self._points, self._steps))

    def clear(self) -> None:
        self.set_points([], 1)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(360, max(200, 8 * self.fontMetrics().height()))

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        """Room for the legend, the caption and three rows of the scale at the font's size."""
        return QSize(180, max(120, 6 * self.fontMetrics().height()))

    def margins(self) -> tuple[float, float, float, float]:
        """Left, top (legend), right and bottom (caption) in pixels, from the font, so that
        a large system font (20 pt) cuts off no label; at least MARGIN."""
        metrics = self.fontMetrics()
        line = metrics.height()
        return (
            max(MARGIN[0], metrics.horizontalAdvance(WIDEST_LOSS) + 8.0),
            max(MARGIN[1], line + 10.0),
            max(MARGIN[2], metrics.horizontalAdvance("100%") + 8.0),
            max(MARGIN[3], line + 8.0),
        )

    def plot_rect(self) -> QRectF:
        """Where the curves are drawn, inside the axes' margins."""
        left, top, right, bottom = self.margins()
        return QRectF(left, top, self.width() - left - right, self.height() - top - bottom)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        text = self.palette().color(QPalette.ColorRole.WindowText)
        area = self.plot_rect()
        painter.fillRect(area, self.palette().color(QPalette.ColorRole.Base))
        self._paint_axes(painter, area, text)
        if not self._points:
            painter.setPen(text)
            room = area.adjusted(4, 0, -4, 0)
            wrap = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
            painter.drawText(room, wrap, placeholder(painter.fontMetrics(), room))
            return
        top_loss = nice_ceiling(max(p.loss for p in self._points))
        self._paint_axis_labels(painter, area, text, top_loss)
        self._line(painter, area, [(p.step, p.loss / top_loss) for p in self._points], LOSS_COLOUR)
        self._line(painter, area, [(p.step, p.accuracy) for p in self._points], TRAIN_COLOUR)
        held = [
            (p.step, p.held_out_accuracy) for p in self._points if p.held_out_accuracy is not None
        ]
        self._line(painter, area, held, HELD_COLOUR)
        self._legend(painter, area, bool(held))

    def _x(self, area: QRectF, step: int) -> float:
        return area.left() + area.width() * min(step, self._steps) / self._steps

    def _line(
        self, painter: QPainter, area: QRectF, values: list[tuple[int, float]], colour: QColor
    ) -> None:
        """A line through (step, value in 0..1) pairs, with a dot on each."""
        points = [
            QPointF(self._x(area, step), area.bottom() - area.height() * min(max(v, 0.0), 1.0))
            for step, v in values
        ]
        painter.setPen(QPen(colour, 2))
        if len(points) > 1:
            painter.drawPolyline(QPolygonF(points))
        painter.setBrush(colour)
        for point in points:
            painter.drawEllipse(point, 2.5, 2.5)
        painter.setBrush(Qt.BrushStyle.NoBrush)

    def _paint_axes(self, painter: QPainter, area: QRectF, text: QColor) -> None:
        grid = QColor(text)
        grid.setAlpha(40)
        painter.setPen(QPen(grid, 1))
        for k in range(5):
            y = area.top() + area.height() * k / 4
            painter.drawLine(QPointF(area.left(), y), QPointF(area.right(), y))
        painter.setPen(QPen(text, 1))
        painter.drawRect(area)
        caption = QRectF(
            area.left(), area.bottom() + 4, area.width(), painter.fontMetrics().height()
        )
        name = f"step (of {self._steps})" if self._points else "step"
        painter.drawText(caption, Qt.AlignmentFlag.AlignHCenter, name)

    def _paint_axis_labels(self, painter: QPainter, area: QRectF, text: QColor, top: float) -> None:
        painter.setPen(text)
        line = painter.fontMetrics().height()
        every = next((n for n in (1, 2) if area.height() * n / 4 >= line), 4)  # never overlap
        middle = Qt.AlignmentFlag.AlignVCenter
        for k in range(0, 5, every):
            y = area.bottom() - area.height() * k / 4
            left = QRectF(0, y - line / 2, area.left() - 4, line)
            right = QRectF(area.right() + 4, y - line / 2, self.width() - area.right() - 4, line)
            painter.drawText(left, Qt.AlignmentFlag.AlignRight | middle, f"{top * k / 4:.3g}")
            painter.drawText(right, Qt.AlignmentFlag.AlignLeft | middle, f"{25 * k}%")

    def _legend(self, painter: QPainter, area: QRectF, with_held: bool) -> None:
        colours = (LOSS_COLOUR, TRAIN_COLOUR, HELD_COLOUR)[: 3 if with_held else 2]
        names = legend_names(self.width() - area.left(), painter.fontMetrics().horizontalAdvance)
        entries = list(zip(names, colours, strict=False))
        x, line = area.left(), painter.fontMetrics().height()
        row = QRectF(0, area.top() - line - 4, 0, line)  # the legend's line of text
        for name, colour in entries:
            painter.setPen(QPen(colour, 3))
            y = row.center().y()
            painter.drawLine(QPointF(x, y), QPointF(x + 14, y))
            painter.setPen(self.palette().color(QPalette.ColorRole.WindowText))
            width = painter.fontMetrics().horizontalAdvance(name)
            place = QRectF(x + 18, row.top(), width + 2, line)
            painter.drawText(
                place, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name
            )
            x += 26 + width


def curves_said(points: list[CurvePoint], steps: int) -> str:
    """The curves in words, for a screen reader: where they start and where they are now
    ('Step 60 of 60: loss 2.5 → 0.31, training accuracy 10% → 95%, held back 90%')."""
    if not points:
        return "No curves yet: they appear as training runs"
    first, last = points[0], points[-1]
    said = (
        f"Step {last.step} of {steps}: loss {first.loss:.3g} → {last.loss:.3g}, "
        f"training accuracy {first.accuracy:.0%} → {last.accuracy:.0%}"
    )
    held = [p.held_out_accuracy for p in points if p.held_out_accuracy is not None]
    return said + (f", held back {held[-1]:.0%}" if held else "")


def legend_names(room: float, advance: Callable[[str], int]) -> tuple[str, str, str]:
    """The legend's names for loss, training and held-back accuracy: in full where `room`
    pixels hold them (`advance`: a name's width), else short, so none is cut off."""
    full = ("loss", "train acc.", "held-back acc.")
    if sum(26 + advance(name) for name in full) <= room:
        return full
    return ("loss", "train", "held back")
