"""The drawing canvas: mouse and tablet pen, round smooth strokes kept as vectors, an eraser."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPointingDevice,
    QResizeEvent,
    QTabletEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from ocrpad.app.draw.stroke_paths import (
    is_dot,
    paint_eraser_ring,
    paint_guides,
    paint_hint,
    paint_ink,
    paint_picture,
)
from ocrpad.app.draw.strokes import Drawing, Stroke, StrokeHistory, strokes_touching
from ocrpad.app.focus import paint_focus_frame

CanvasPoint = tuple[float, float]  # x, y in canvas units
LOGICAL_SIZE: Final = 1000.0  # strokes live in a square of this many units, centred in the widget
HINT: Final = "Draw a digit or a letter here"
GUIDE_LINES: Final = (0.72, 0.47, 0.28)  # baseline, x-height line, cap line (canvas fractions)


class Canvas(QWidget):
    """Strokes drawn with the left button or a pen; every release emits the whole drawing.

    strokes_changed carries a tuple of (k, 2) float32 arrays in canvas units (y down).
    """

    strokes_changed = Signal(object)
    picture_dismissed = Signal()  # a stroke, an erasure or a Clear: no picture, shown or due
    history_changed = Signal()
    cleared = Signal(object)  # the drawing a Clear (or the Redo of one) took away; never empty
    restored = Signal(object)  # the drawing an Undo brought back onto an empty canvas

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("canvas")
        self.setAccessibleName("Drawing canvas")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 160)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)  # paints its own background
        self.history = StrokeHistory()
        self._pen_width = 14
        self._eraser = False
        self._current: list[CanvasPoint] | None = None  # the stroke being drawn, canvas units
        self._erasing: list[int] | None = None  # stroke indices kept during an eraser drag
        self._cursor: QPointF | None = None
        self._cache = QImage()
        self._background: QImage | None = None
        self._guides = False
        self._hint = HINT  # what the empty canvas asks for

    # -- state setters -------------------------------------------------------------------
    def strokes(self) -> Drawing:
        return self.history.strokes

    def guides(self) -> tuple[float, float, float] | None:
        """(baseline, x-height line, cap line) y in canvas units while the guides show."""
        if not self._guides:
            return None
        base, x_line, cap = (LOGICAL_SIZE * f for f in GUIDE_LINES)
        return base, x_line, cap

    def set_guides(self, on: bool) -> None:
        self._guides = on
        self.update()

    def hint(self) -> str:
        return self._hint

    def set_hint(self, text: str) -> None:
        """The words the empty canvas shows, e.g. "Draw a symbol here"."""
        self._hint = text
        self.update()

    def pen_width(self) -> int:
        return self._pen_width

    def set_pen_width(self, width: int) -> None:
        self._pen_width = max(2, min(60, int(width)))
        self._invalidate()

    def eraser(self) -> bool:
        return self._eraser

    def set_eraser(self, on: bool) -> None:
        self._eraser = bool(on)
        self.setCursor(Qt.CursorShape.PointingHandCursor if on else Qt.CursorShape.CrossCursor)
        self.update()

    def background(self) -> QImage | None:
        """The picture shown behind the drawing, if any."""
        return self._background

    def set_background(self, image: QImage | None) -> None:
        """Show an imported picture behind the (empty) drawing; None removes it."""
        self._background = image
        self.update()

    def set_strokes(self, strokes: Drawing) -> None:
        """Replace the drawing (undoable) and announce it."""
        self._drop_drag()
        self._apply(self.history.replace(tuple(np.asarray(s, np.float32) for s in strokes)))

    def clear(self) -> None:
        """Remove every stroke (undoable) and any imported picture, also one still to come."""
        self._drop_drag()
        had_picture, self._background = self._background is not None, None
        drawing = self.history.strokes
        if self.history.clear():
            self.cleared.emit(drawing)
            self._apply(True)
        elif had_picture:
            self.update()
            self.strokes_changed.emit(self.history.strokes)  # the picture's answer goes too
        self.picture_dismissed.emit()

    def start_afresh(self) -> None:
        """Empty, with a new history: no Undo brings back what was drawn (a saved drawing)."""
        self._drop_drag()
        self._apply(self.history.reset())

    def undo(self) -> None:
        self._drop_drag()
        empty = not self.history.strokes
        changed = self.history.undo()
        if changed and empty and self.history.strokes:  # a Clear (or an erasure) undone
            self.restored.emit(self.history.strokes)
        self._apply(changed)

    def redo(self) -> None:
        self._drop_drag()
        drawing = self.history.strokes
        changed = self.history.redo()
        if changed and drawing and not self.history.strokes:  # a Clear done again
            self.cleared.emit(drawing)
        self._apply(changed)

    def _drop_drag(self) -> None:
        """An edit in the middle of a stroke or an eraser drag ends it: the strokes it held
        by their places may be gone (a Clear under a held eraser once crashed the app)."""
        self._erasing = self._current = None

    def _apply(self, changed: bool) -> None:
        if changed:
            self._background = None  # Undo or Redo past an opened picture: the strokes show
            self._invalidate()
            self.history_changed.emit()
            self.strokes_changed.emit(self.history.strokes)

    def _invalidate(self) -> None:
        self._cache = QImage()
        self.update()

    # -- coordinates ---------------------------------------------------------------------
    def _transform(self) -> tuple[float, float, float]:
        """(scale, dx, dy): widget = canvas * scale + (dx, dy)."""
        side = float(min(self.width(), self.height()))
        return side / LOGICAL_SIZE, (self.width() - side) / 2, (self.height() - side) / 2

    def widget_transform(self) -> tuple[float, float, float]:
        """(scale, dx, dy) from canvas units to widget pixels (for overlays)."""
        return self._transform()

    def _to_canvas(self, pos: QPointF) -> CanvasPoint:
        """A point of the widget in canvas units: each as it comes, so that a resize in the
        middle of a stroke (a window maximised with the pen down) keeps its start where it was."""
        scale, dx, dy = self._transform()
        return (pos.x() - dx) / scale, (pos.y() - dy) / scale

    def _to_widget(self, stroke: Sequence[CanvasPoint] | Stroke) -> list[QPointF]:
        scale, dx, dy = self._transform()
        return [QPointF(float(x) * scale + dx, float(y) * scale + dy) for x, y in stroke]

    # -- input ---------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self._begin(event.position())
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self._move(event.position())
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self._end(event.position())
        event.accept()

    def tabletEvent(self, event: QTabletEvent) -> None:  # noqa: N802
        kind = event.type()
        erasing = event.pointerType() == QPointingDevice.PointerType.Eraser
        tip = event.button() == Qt.MouseButton.LeftButton  # not a barrel button
        if kind == QTabletEvent.Type.TabletPress and tip:
            self._begin(event.position(), eraser=erasing)
        elif kind == QTabletEvent.Type.TabletMove:
            self._move(event.position())
        elif kind == QTabletEvent.Type.TabletRelease and tip:
            self._end(event.position())
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Escape, Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.clear()
            event.accept()
        else:
            super().keyPressEvent(event)

    def _begin(self, pos: QPointF, *, eraser: bool = False) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        if self._background is not None:  # the picture goes, and with it its answer
            self._background = None
            self._invalidate()
            self.strokes_changed.emit(self.history.strokes)
        self.picture_dismissed.emit()  # also one still to come (after a shown one went)
        if self._eraser or eraser:
            self._erasing = list(range(len(self.history.strokes)))
            self._erase_at(pos)
        else:
            self._current = [self._to_canvas(pos)]
            self._paint_stroke_into_cache([pos])
            self._update_around(pos, pos)

    def _move(self, pos: QPointF) -> None:
        old_cursor = self._cursor
        self._cursor = pos
        if self._erasing is not None:
            self._erase_at(pos)
        elif self._current is not None:
            (x, y), (last_x, last_y) = self._to_canvas(pos), self._current[-1]
            if (abs(x - last_x) + abs(y - last_y)) * self._transform()[0] >= 1.0:  # a pixel or more
                self._current.append((x, y))
                piece = self._to_widget(self._current[-3:])
                self._paint_stroke_into_cache(piece, piece=True)
                self._update_around(piece[0], piece[-1])
        elif self._eraser:
            self._update_around(old_cursor or pos, pos)

    def _end(self, pos: QPointF) -> None:
        if self._erasing is not None:
            kept, self._erasing = self._erasing, None
            self._apply(self.history.replace(tuple(self.history.strokes[i] for i in kept)))
            return
        if self._current is None:
            return
        points, self._current = self._current, None
        if points[-1] != (end := self._to_canvas(pos)):
            points.append(end)
            self._paint_stroke_into_cache(self._to_widget(points[-3:]), piece=True)
        if is_dot(self._to_widget(points), self._pen_width):
            points = points[:1]  # it looks like a dot on screen: the network gets a dot too
        self.history.add(np.array(points, dtype=np.float32))  # (k, 2)
        self._paint_stroke_into_cache(self._to_widget(points[-2:]), piece=True, last=True)
        self.update()
        self.history_changed.emit()
        self.strokes_changed.emit(self.history.strokes)

    def _erase_at(self, pos: QPointF) -> None:
        assert self._erasing is not None
        x, y = self._to_canvas(pos)
        radius = (self._pen_width * 1.5) / max(self._transform()[0], 1e-6)
        live = tuple(self.history.strokes[i] for i in self._erasing)
        hits = set(strokes_touching(live, x, y, radius))
        if hits:
            self._erasing = [i for n, i in enumerate(self._erasing) if n not in hits]
            self._cache = QImage()
        self.update()

    def _update_around(self, a: QPointF, b: QPointF) -> None:
        margin = self._pen_width * 2 + 4
        self.update(QRectF(a, b).normalized().adjusted(-margin, -margin, margin, margin).toRect())

    # -- painting ------------------------------------------------------------------------
    def _visible_strokes(self) -> Drawing:
        strokes = self.history.strokes
        if self._erasing is not None:
            return tuple(strokes[i] for i in self._erasing)
        return strokes

    def _rebuild_cache(self) -> None:
        ratio = self.devicePixelRatioF()
        self._cache = QImage(self.size() * ratio, QImage.Format.Format_ARGB32_Premultiplied)
        self._cache.setDevicePixelRatio(ratio)
        self._cache.fill(Qt.GlobalColor.transparent)
        for stroke in self._visible_strokes():
            self._paint_stroke_into_cache(self._to_widget(stroke))
        if self._current:  # a stroke in progress, at the present size; its next pieces follow
            self._paint_stroke_into_cache(self._to_widget(self._current))

    def _paint_stroke_into_cache(
        self, points: list[QPointF], *, piece: bool = False, last: bool = False
    ) -> None:
        ink = self.palette().color(QPalette.ColorRole.Text)  # (see `paint_ink`)
        paint_ink(self._cache, points, ink, self._pen_width, piece=piece, last=last)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        if self._cache.isNull() or self._cache.size() != self.size() * self.devicePixelRatioF():
            self._rebuild_cache()
        painter = QPainter(self)
        painter.fillRect(event.rect(), self.palette().color(QPalette.ColorRole.Base))
        if self._background is not None:
            paint_picture(painter, self._background, self.rect())
        if self._guides:
            colour = self.palette().color(QPalette.ColorRole.PlaceholderText)
            paint_guides(painter, colour, GUIDE_LINES, *self._transform(), LOGICAL_SIZE)
        painter.drawImage(QPointF(0, 0), self._cache)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self._eraser and self._cursor is not None:
            ring = self.palette().color(QPalette.ColorRole.Highlight)
            paint_eraser_ring(painter, self._cursor, self._pen_width * 1.5, ring)
        if not self.history.strokes and self._current is None and self._background is None:
            hint = QColor(self.palette().color(QPalette.ColorRole.PlaceholderText))
            paint_hint(painter, self.rect(), hint, self._hint)
        if self.hasFocus():  # where Escape, Delete (and Enter to save) will go
            paint_focus_frame(painter, self.rect(), self.palette())
        painter.end()

    def leaveEvent(self, event: QEvent) -> None:  # noqa: N802
        self._cursor = None  # hide the eraser ring
        self.update()
        super().leaveEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        self._cache = QImage()
        super().resizeEvent(event)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(360, 360)
