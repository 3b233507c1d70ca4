"""The path as the trace network reads it: its points joined in drawing order, from the first
(ringed) to the last (an arrowhead), in the drawing's box, the moves between strokes dashed
(the network reads them as ink); points a shown unit leans on are marked."""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QWidget

from ocrpad.reading.trace import TRACE_POINTS

MARK: Final = QColor("#ff2d95")
SIDE: Final = 180


class PathPicture(QWidget):
    """`set_path(features)` draws the path of `trace_features` (x then y of every point);
    `marked` holds the points (0-based) to ring; None: nothing is drawn."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pathPicture")
        self.setAccessibleName("The pen's path, as the trace network reads it")
        self.points: NDArray[np.float64] | None = None  # (T, 2), box units in [-0.5, 0.5]
        self.marked: tuple[int, ...] = ()
        self.lifted: NDArray[np.bool_] = np.zeros(TRACE_POINTS - 1, dtype=bool)  # dashed steps
        self.setMinimumSize(SIDE, SIDE)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(SIDE, SIDE)

    def set_path(
        self, features: NDArray[np.floating] | None, lifted: NDArray[np.bool_] | None = None
    ) -> None:
        """The path of `features`; `lifted` (TRACE_POINTS - 1,): the steps to dash."""
        self.lifted = np.zeros(TRACE_POINTS - 1, dtype=bool) if lifted is None else lifted
        if features is None:
            self.points = None
        else:
            flat = np.asarray(features, np.float64).reshape(-1)
            self.points = np.stack([flat[:TRACE_POINTS], flat[TRACE_POINTS : 2 * TRACE_POINTS]], 1)
        self.marked = ()
        self.update()

    def set_marked(self, points: tuple[int, ...]) -> None:
        self.marked = points
        self.update()

    def where(self, point: int) -> QPointF:
        """Where point `point` (0-based) is drawn, in the widget's pixels."""
        assert self.points is not None
        side = min(self.width(), self.height()) - 24
        left, top = (self.width() - side) / 2, (self.height() - side) / 2
        x, y = self.points[point]
        return QPointF(left + (x + 0.5) * side, top + (y + 0.5) * side)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Base))
        ink = palette.color(QPalette.ColorRole.Text)
        if self.points is None:
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(
                QRectF(self.rect()),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                "The path appears here",
            )
            painter.end()
            return
        places = [self.where(k) for k in range(len(self.points))]
        solid, dashed = QPen(ink, 1.5), QPen(ink, 1.0, Qt.PenStyle.DashLine)
        for step in range(len(places) - 1):
            painter.setPen(dashed if self.lifted[step] else solid)
            painter.drawLine(places[step], places[step + 1])
        painter.setPen(solid)
        painter.setBrush(ink)
        for place in places:
            painter.drawEllipse(place, 2.0, 2.0)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawEllipse(places[0], 6.0, 6.0)  # where the pen started
        self._arrowhead(painter, places[-2], places[-1])
        painter.setPen(QPen(MARK, 2.5))
        for point in self.marked:
            painter.drawEllipse(places[point], 5.0, 5.0)
        painter.end()

    @staticmethod
    def _arrowhead(painter: QPainter, before: QPointF, end: QPointF) -> None:
        dx, dy = end.x() - before.x(), end.y() - before.y()
        length = float(np.hypot(dx, dy))
        if length < 1e-6:
            return
        ux, uy = dx / length, dy / length
        back = QPointF(end.x() - 9 * ux, end.y() - 9 * uy)
        wing = QPointF(-uy * 4.5, ux * 4.5)
        painter.drawLine(end, back + wing)
        painter.drawLine(end, back - wing)
