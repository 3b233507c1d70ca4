"""The title line over a grid or a map of the neuron panel: one line, elided to the widget's
width, with the whole title as the line's tooltip."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import QWidget


def shown_title(widget: QWidget, title: str) -> str:
    """`title` on one line of `widget`'s width, elided if longer (the title's tooltip has it
    whole): a wrapped second line would hide under the picture below it."""
    return widget.fontMetrics().elidedText(title, Qt.TextElideMode.ElideRight, widget.width())


def paint_title(painter: QPainter, widget: QWidget, title: str) -> None:
    """`title` on the top line of `widget`, elided to its width."""
    painter.setPen(widget.palette().color(QPalette.ColorRole.WindowText))
    line = QRectF(0, 0, widget.width(), widget.fontMetrics().height() + 2)
    flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextSingleLine
    painter.drawText(line, flags, shown_title(widget, title))


def title_tip(widget: QWidget, title: str, pos: QPointF) -> str | None:
    """The whole title, as the tooltip of its line when the line elides it."""
    on_line = pos.y() < widget.fontMetrics().height() + 2
    return title if on_line and shown_title(widget, title) != title else None
