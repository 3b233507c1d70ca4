"""The header over each section of the feature-map grid: the caption (name and shape, in
bold), the colour scale, and the note (which filters are flat), wrapped onto as many lines as
it needs; the grid reserves `header_height` for it, so the tiles start below the last line."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QWidget

from ocrpad.app.draw.colour_scale import paint_scale
from ocrpad.app.draw.map_dialog import HEADER, MapSection

MARGIN = 8  # the grid's margin, left and right of the header
SHAPE = "  ("  # where a caption's shape part begins: "conv1 ideal inputs  (32×28×28)"


def caption_text(caption: str, metrics: QFontMetrics, width: int) -> str:
    """`caption` in `width` pixels: the name part is shortened first, so that the shape
    ("(32×28×28)") stays whole; the whole caption elided only if the shape alone is too wide."""
    if metrics.horizontalAdvance(caption) <= width:
        return caption
    cut = caption.rfind(SHAPE)
    shape = caption[cut:] if cut > 0 else ""
    room = width - metrics.horizontalAdvance(shape)
    if not shape or room < metrics.horizontalAdvance("x…"):
        return metrics.elidedText(caption, Qt.TextElideMode.ElideRight, width)
    return metrics.elidedText(caption[:cut], Qt.TextElideMode.ElideRight, room) + shape


def note_lines(note: str, metrics: QFontMetrics, width: int) -> int:
    """The lines `note` takes, word-wrapped to `width` pixels (0 for no note)."""
    if not note:
        return 0
    flags = Qt.TextFlag.TextWordWrap
    height = metrics.boundingRect(QRect(0, 0, max(1, width), 100_000), flags, note).height()
    return max(1, round(height / metrics.lineSpacing()))


def header_height(section: MapSection, metrics: QFontMetrics, width: int) -> int:
    """Pixels above the section's tiles: caption, colour scale and the note's lines."""
    lines = HEADER + note_lines(section.note, metrics, width - 2 * MARGIN)
    return lines * (metrics.height() + 2) + 4


def paint_header(painter: QPainter, widget: QWidget, section: MapSection, y: float) -> None:
    """The header of `section` with its top at `y`, as wide as `widget` less the margins."""
    metrics, width = widget.fontMetrics(), widget.width() - 2 * MARGIN
    line = metrics.height()
    painter.setPen(widget.palette().color(QPalette.ColorRole.Text))
    left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
    bold = QFont(painter.font())
    bold.setBold(True)
    painter.setFont(bold)
    text = caption_text(section.caption, QFontMetrics(bold), width)
    painter.drawText(QRectF(MARGIN, y, width, line + 2), left, text)
    painter.setFont(widget.font())
    if section.note:
        lines = note_lines(section.note, metrics, width)
        note = QRectF(MARGIN, y + 2 * (line + 2), width, lines * (line + 2))
        wrap = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap
        painter.drawText(note, wrap, section.note)
    maps = section.maps
    if section.pending:
        return  # no colour scale yet
    origin = QPointF(MARGIN, y + line + 2)
    # the high end's number stays inside the grid
    paint_scale(
        painter, metrics, origin, maps.vmin, maps.vmax, diverging=maps.diverging, room=width
    )
