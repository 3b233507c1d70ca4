"""One layer of the trace network as a grid of cells, a cell a unit, coloured by what the unit
gave for this drawing. A click on a cell, or Enter on the framed one, opens that unit; the
arrow keys move the frame."""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from ocrpad.app.colormap import colorize, text_colour
from ocrpad.app.draw.spoken import tell
from ocrpad.app.draw.tile_keys import ACTIVATE
from ocrpad.app.focus import paint_focus_frame

GAP: Final = 1
MOVES: Final = {  # (rows, columns) the framed cell moves by
    Qt.Key.Key_Left: (0, -1),
    Qt.Key.Key_Right: (0, 1),
    Qt.Key.Key_Up: (-1, 0),
    Qt.Key.Key_Down: (1, 0),
}
OPENED: Final = QColor("#ff2d95")  # the unit shown below the grids


class UnitGrid(QWidget):
    """`set_values(values)` colours the cells (units,); `labels` (one per unit, or none) are
    written in them. Emits unit_opened(index) for a click, or Enter on the framed cell."""

    unit_opened = Signal(int)

    def __init__(self, layer: str, columns: int, cell: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layer, self.columns, self.cell = layer, columns, cell
        self.values: NDArray[np.float32] = np.zeros(0, np.float32)
        self.labels: tuple[str, ...] = ()
        self.current = 0  # the framed cell, where the keys act
        self.opened: int | None = None  # the cell whose unit is shown
        self._colours: NDArray[np.uint8] = np.zeros((0, 3), np.uint8)
        self.setObjectName(f"pathUnits_{layer}")
        self.setAccessibleName(f"{layer}: its units for this drawing; Enter opens one")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def set_values(self, values: NDArray[np.floating], labels: tuple[str, ...] = ()) -> None:
        self.values = np.asarray(values, np.float32).reshape(-1)
        self.labels = labels
        top = float(self.values.max()) if len(self.values) else 0.0
        self._colours = colorize(self.values[None], 0.0, max(top, 1e-9))[0]
        self.current = min(self.current, max(len(self.values) - 1, 0))
        self.updateGeometry()
        self.update()
        tell(self, description=self.words())

    def words(self) -> str:
        """The framed unit in words, for screen readers."""
        if not len(self.values):
            return f"{self.layer}: no drawing"
        name = self.labels[self.current] if self.labels else f"unit {self.current + 1}"
        return f"{self.layer} {name} of {len(self.values)}: {self.values[self.current]:.3g}"

    def rows(self) -> int:
        return -(-len(self.values) // self.columns) if len(self.values) else 1

    def sizeHint(self) -> QSize:  # noqa: N802
        step = self.cell + GAP
        return QSize(self.columns * step + GAP + 2, self.rows() * step + GAP + 2)

    def cell_rect(self, index: int) -> QRectF:
        """Where unit `index`'s cell is drawn, in the widget's pixels."""
        row, col = divmod(index, self.columns)
        step = self.cell + GAP
        return QRectF(1 + GAP + col * step, 1 + GAP + row * step, self.cell, self.cell)

    def _index_at(self, x: float, y: float) -> int | None:
        step = self.cell + GAP
        col, row = int((x - 1 - GAP) // step), int((y - 1 - GAP) // step)
        index = row * self.columns + col
        inside = 0 <= col < self.columns and 0 <= index < len(self.values)
        return index if inside else None

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        index = self._index_at(event.position().x(), event.position().y())
        if index is not None:
            self.current = index
            self.update()
            self.unit_opened.emit(index)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key = Qt.Key(event.key())
        move = MOVES.get(key)
        if len(self.values) and key in ACTIVATE:
            self.unit_opened.emit(self.current)
        elif len(self.values) and move is not None:
            target = self.current + move[0] * self.columns + move[1]
            if 0 <= target < len(self.values):
                self.current = target
                self.update()
                tell(self, description=self.words())
        else:
            super().keyPressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Base))
        font = painter.font()
        font.setPixelSize(max(6, self.cell - 5))
        painter.setFont(font)
        for index, colour in enumerate(self._colours.tolist()):
            rect = self.cell_rect(index)
            painter.fillRect(rect, QColor(*colour))
            if self.labels:
                painter.setPen(QColor(*text_colour(tuple(colour))))
                painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self.labels[index])
        if self.opened is not None and self.opened < len(self.values):
            painter.setPen(QPen(OPENED, 2))
            painter.drawRect(self.cell_rect(self.opened).adjusted(-1, -1, 1, 1))
        if self.hasFocus():
            paint_focus_frame(painter, self.rect(), palette)
            if len(self.values):
                painter.setPen(QPen(palette.color(QPalette.ColorRole.Highlight), 1))
                painter.drawRect(self.cell_rect(self.current).adjusted(-1, -1, 1, 1))
        painter.end()
