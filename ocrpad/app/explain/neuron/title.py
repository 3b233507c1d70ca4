"""The title over a grid or a map of the neuron panel: `lines` lines of the widget's width at
most, broken between words, the last elided if the rest is longer, with the whole title as the
title's tooltip. The widget lays its picture out under `title_height`."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import QWidget


def title_lines(widget: QWidget, title: str, lines: int = 1) -> list[str]:
    """`title` broken between words into at most `lines` lines of `widget`'s width; the last
    holds the rest, elided if longer (a line that has room for no whole word is the last)."""
    metrics, width = widget.fontMetrics(), widget.width()
    words, shown = title.split(), list[str]()
    while len(shown) < lines - 1 and words:
        fitting = [n for n in range(1, len(words) + 1) if _advance(widget, words[:n]) <= width]
        if not fitting or fitting[-1] == len(words):
            break  # no whole word fits, or the rest does: this line is the last
        shown.append(" ".join(words[: fitting[-1]]))
        words = words[fitting[-1] :]
    shown.append(metrics.elidedText(" ".join(words), Qt.TextElideMode.ElideRight, width))
    return shown


def _advance(widget: QWidget, words: list[str]) -> int:
    return widget.fontMetrics().horizontalAdvance(" ".join(words))


def shown_title(widget: QWidget, title: str, lines: int = 1) -> str:
    """What `widget` writes of `title`, its lines joined by spaces."""
    return " ".join(title_lines(widget, title, lines))


def title_height(widget: QWidget, title: str, lines: int = 1) -> int:
    """The pixels the title takes at the top of `widget`."""
    return len(title_lines(widget, title, lines)) * widget.fontMetrics().height() + 2


def paint_title(painter: QPainter, widget: QWidget, title: str, lines: int = 1) -> None:
    """`title` on the top lines of `widget` (`title_lines`)."""
    painter.setPen(widget.palette().color(QPalette.ColorRole.WindowText))
    step = widget.fontMetrics().height()
    flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextSingleLine
    for index, line in enumerate(title_lines(widget, title, lines)):
        painter.drawText(QRectF(0, index * step, widget.width(), step + 2), flags, line)


def title_tip(widget: QWidget, title: str, pos: QPointF, lines: int = 1) -> str | None:
    """The whole title, as the tooltip of its lines when they elide it."""
    on_title = pos.y() < title_height(widget, title, lines)
    elided = shown_title(widget, title, lines) != " ".join(title.split())
    return title if on_title and elided else None
