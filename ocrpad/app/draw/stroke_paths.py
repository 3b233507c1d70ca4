"""Strokes as painter paths: smooth curves through the pen's points, drawn whole or piece by
piece as the pen moves with a round ink pen, the test for a stroke that is only a dot; and the
canvas's other layers: the writing guides, an opened picture, the eraser's ring and the empty
canvas's hint."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen

GUIDE_STYLES = (Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine, Qt.PenStyle.DotLine)


def stroke_path(points: list[QPointF]) -> QPainterPath:
    """A smooth path through points: quadratic curves between segment midpoints."""
    path = QPainterPath(points[0])
    if len(points) == 1:
        path.lineTo(points[0] + QPointF(0.01, 0.0))
        return path
    for a, b in itertools.pairwise(points[1:]):
        path.quadTo(a, (a + b) / 2)
    path.lineTo(points[-1])
    return path


def stroke_piece(points: list[QPointF], *, last: bool = False) -> QPainterPath:
    """The part of `stroke_path` that the newest of up to three points adds: the quadratic
    curve between the midpoints around the middle point (a straight start for two points,
    a dot for one); with `last`, the straight end from the final midpoint instead."""
    if len(points) == 1:
        return stroke_path(points)
    if last:
        a, b = points[-2], points[-1]
        path = QPainterPath((a + b) / 2)
        path.lineTo(b)
        return path
    if len(points) == 2:
        path = QPainterPath(points[0])
        path.lineTo((points[0] + points[1]) / 2)
        return path
    a, b, c = points[-3:]
    path = QPainterPath((a + b) / 2)
    path.quadTo(b, (b + c) / 2)
    return path


def paint_ink(
    image: QImage,
    points: list[QPointF],
    colour: QColor,
    width: float,
    *,
    piece: bool = False,
    last: bool = False,
) -> None:
    """Draw a whole stroke into `image` (none if it is null), or (`piece`) only the newest bit
    of the one being drawn: the curve between the midpoints around points[-2] of its last
    three points (with `last`, the straight end from the last midpoint), so each mouse move
    costs the same."""
    if image.isNull():
        return
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(ink_pen(colour, width))
    painter.drawPath(stroke_piece(points, last=last) if piece else stroke_path(points))
    painter.end()


def ink_pen(colour: QColor, width: float) -> QPen:
    """The pen strokes are drawn with: round ends and joins, as a felt pen's."""
    pen = QPen(colour, width)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    return pen


def is_dot(points: list[QPointF], pen_width: float) -> bool:
    """True when a stroke never leaves its first point by more than half the pen's width:
    on screen it is one round blot (a click, or a pen tap that wobbled)."""
    first = points[0]
    reach = pen_width / 2
    return all(abs(p.x() - first.x()) <= reach and abs(p.y() - first.y()) <= reach for p in points)


def paint_guides(
    painter: QPainter,
    colour: QColor,
    fractions: Sequence[float],
    scale: float,
    dx: float,
    dy: float,
    side: float,
) -> None:
    """Baseline (solid), x-height (dashed) and cap line (dotted) across the drawing square
    (`side` canvas units, shown at `scale` from (dx, dy)); `fractions` of it from the top."""
    pen = QPen(colour, 1.0)
    for fraction, style in zip(fractions, GUIDE_STYLES, strict=True):
        pen.setStyle(style)
        painter.setPen(pen)
        y = dy + fraction * side * scale
        painter.drawLine(QPointF(dx, y), QPointF(dx + side * scale, y))


def paint_picture(painter: QPainter, image: QImage, area: QRect) -> None:
    """An opened picture, as large as fits in `area` and centred, on white: the reader puts a
    transparent picture on white (`ocrpad.picture`), so the canvas shows what it reads."""
    size = image.size().scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
    target = QRectF(0, 0, size.width(), size.height())
    target.moveCenter(QRectF(area).center())
    painter.fillRect(target, Qt.GlobalColor.white)
    painter.drawImage(target, image)


def paint_eraser_ring(painter: QPainter, pos: QPointF, radius: float, colour: QColor) -> None:
    painter.setPen(QPen(colour, 1.5))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawEllipse(pos, radius, radius)


def paint_hint(painter: QPainter, area: QRect, colour: QColor, text: str) -> None:
    painter.setPen(colour)
    font = painter.font()
    font.setPointSizeF(font.pointSizeF() * 1.3)
    painter.setFont(font)
    painter.drawText(area, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, text)
