"""The traced neuron's receptive field outlined over the drawing on the canvas."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

Placement = Callable[[], QRectF | None]  # the 28x28 input's square in the parent's coordinates


class FieldOverlay(QWidget):
    """A transparent child covering its parent; outlines input pixels (top, left, bottom,
    right; bottom and right exclusive) of a `size`-pixel input placed at `place()`."""

    def __init__(self, parent: QWidget, place: Placement, size: int = 28) -> None:
        super().__init__(parent)
        self.setObjectName(f"{parent.objectName() or 'widget'}FieldOverlay")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self._target, self._place, self._size = parent, place, size
        self.field: tuple[int, int, int, int] | None = None
        self.setGeometry(parent.rect())
        parent.installEventFilter(self)
        self.hide()

    def set_field(self, field: tuple[int, int, int, int] | None) -> None:
        self.field = field
        self.setVisible(field is not None)
        self.raise_()
        self.update()

    def field_rect(self) -> QRectF | None:
        """The outlined rectangle in the parent's coordinates (None: nothing to show)."""
        square = self._place() if self.field is not None else None
        if square is None or self.field is None:
            return None
        top, left, bottom, right = self.field
        unit = square.width() / self._size
        return QRectF(
            square.left() + left * unit,
            square.top() + top * unit,
            (right - left) * unit,
            (bottom - top) * unit,
        )

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self._target and event.type() == QEvent.Type.Resize:
            self.setGeometry(self._target.rect())
        return False

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        rect = self.field_rect()
        if rect is None:
            return
        painter = QPainter(self)
        painter.setPen(QPen(QColor("#00b8d4"), 2, Qt.PenStyle.DashLine))
        painter.drawRect(rect)
        painter.end()
