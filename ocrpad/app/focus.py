"""Keyboard focus on widgets that paint themselves: the style draws no focus ring on them."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QPainter, QPalette, QPen


def paint_focus_frame(painter: QPainter, rect: QRect, palette: QPalette) -> None:
    """A 2-pixel frame in the palette's highlight colour just inside `rect`."""
    painter.save()
    painter.setPen(QPen(palette.color(QPalette.ColorRole.Highlight), 2))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRect(rect.adjusted(1, 1, -1, -1))
    painter.restore()
