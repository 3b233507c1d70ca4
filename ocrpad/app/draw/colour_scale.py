"""The colour bar of a layer's maps ("low ▬▬▬ high"), painted the same way in the feature-map
grid's headers and under an enlarged map, so the two read alike."""

from __future__ import annotations

from functools import cache
from typing import Final

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QFontMetrics, QImage, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from ocrpad.app.colormap import DIVERGING_LUT, SEQUENTIAL_LUT
from ocrpad.app.draw.numbering import shown_value
from ocrpad.app.qt_numpy import rgb_to_qimage

LEGEND_WIDTH: Final = 90  # the bar's length in the grid's headers
BAR_HEIGHT: Final = 8


@cache
def legend_image(diverging: bool) -> QImage:
    """The colour scale as a 256×1 image (left: the low end)."""
    lut = DIVERGING_LUT if diverging else SEQUENTIAL_LUT
    return rgb_to_qimage(np.ascontiguousarray(lut[None, :, :]))  # (1, 256, 3)


def scale_text(value: float) -> str:
    """An end of the scale as written beside the bar: two significant digits, a real minus."""
    return shown_value(value, "2g")


def paint_scale(
    painter: QPainter,
    metrics: QFontMetrics,
    origin: QPointF,
    low: float,
    high: float,
    *,
    diverging: bool,
    width: float = LEGEND_WIDTH,
    span: tuple[float, float] | None = None,
    room: float | None = None,
) -> QRectF:
    """Paint "low [bar] high" on one text line whose top-left is `origin`; `span` (values
    between low and high) is bracketed under the bar, e.g. one map's own range on its layer's
    scale. With `room` (the line's width), the bar is shortened so that the high end's number
    still fits. Returns the bar's rectangle."""
    line = metrics.height()
    left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
    low_text, high_text = scale_text(low), scale_text(high)
    low_w = metrics.horizontalAdvance(low_text) + 6
    high_w = metrics.horizontalAdvance(high_text) + 6
    if room is not None:
        width = max(1.0, min(width, room - low_w - 6 - high_w))
    painter.drawText(QRectF(origin.x(), origin.y(), low_w, line + 2), left, low_text)
    bar = QRectF(origin.x() + low_w, origin.y() + line / 2 - 3, width, BAR_HEIGHT)
    painter.drawImage(bar, legend_image(diverging))
    painter.drawText(QRectF(bar.right() + 6, origin.y(), high_w, line + 2), left, high_text)
    if span is not None and high > low:
        a, b = (bar.left() + bar.width() * (v - low) / (high - low) for v in span)
        a, b = (min(max(x, bar.left()), bar.right()) for x in (a, b))
        y = bar.bottom() + 3
        painter.save()
        painter.setPen(QPen(painter.pen().color(), 2))
        painter.drawLine(QPointF(a, y), QPointF(b, y))
        for x in (a, b):
            painter.drawLine(QPointF(x, bar.bottom()), QPointF(x, y + 2))
        painter.restore()
    return bar


class ColourBar(QWidget):
    """One colour bar as a widget, as wide as there is room (up to `longest` pixels)."""

    def __init__(self, parent: QWidget | None = None, *, longest: int = 280) -> None:
        super().__init__(parent)
        self.setObjectName("colourBar")
        self.longest = longest
        self.scale: tuple[float, float, bool] | None = None  # low, high, diverging
        self.span: tuple[float, float] | None = None
        self.bar = QRectF()  # where the bar was last painted
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_scale(
        self,
        low: float,
        high: float,
        *,
        diverging: bool,
        span: tuple[float, float] | None = None,
    ) -> None:
        """The scale to show (None for span: no bracket)."""
        self.scale, self.span = (low, high, diverging), span
        self.update()

    def clear(self) -> None:
        self.scale, self.span = None, None
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(self.longest, self.fontMetrics().height() + 8)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        if self.scale is None:
            return
        low, high, diverging = self.scale
        painter = QPainter(self)
        painter.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        metrics = self.fontMetrics()
        labels = sum(metrics.horizontalAdvance(scale_text(v)) + 12 for v in (low, high))
        width = max(40, min(self.longest, self.width() - labels))
        self.bar = paint_scale(
            painter,
            metrics,
            QPointF(0, 2),
            low,
            high,
            diverging=diverging,
            width=width,
            span=self.span,
        )
        painter.end()
