"""Small heat grids for the neuron panel: a patch, a kernel or their products, and a map with
a marked rectangle and cell. Numbers appear on hover, and in the cells when the width lets
the cells be big enough: every cell of a grid to the same significant digits."""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray
from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QHelpEvent,
    QImage,
    QPainter,
    QPaintEvent,
    QPen,
    QResizeEvent,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from ocrpad.app.colormap import colorize, text_colour
from ocrpad.app.draw.map_words import map_summary
from ocrpad.app.draw.numbering import shown_number
from ocrpad.app.explain.neuron.title import paint_title, title_height, title_tip
from ocrpad.app.qt_numpy import grey_to_qimage, rgb_to_qimage

GAP: Final = 4
MIN_CELL: Final = 10  # pixels per cell, at the least (more rows of tiles then)
MAX_CELL: Final = 52
ROWS: Final = 2  # the tiles of a grid spread over this many rows, as wide as there is room
NUMBER_SCALES: Final = (0.95, 0.8)  # fonts tried for the numbers, times the widget's font
# How the cells' numbers are written, tried in order: 3 or 2 significant digits, else (tiny
# values written to the same few digits are long) 3 or 2 decimals, else (cramped cells) 2
# decimals even for a small value ("2r": 0.0228 as "0.02"); see cell_number
FORMATS: Final = ("3g", "2g", "3f", "2f", "2r")
MINUS: Final = "\u2212"
MARK: Final = QColor("#ff2d95")  # the picked cell / window: pink reads on every scale
Cell = tuple[int, int, int]  # (channel, row, col)


def cell_number(value: float, form: str = "3g") -> str:
    """`value` in a FORMATS format, with real minus signs. Decimals ("3f", "2f", "2r") write
    a value they round to zero as "0" (not "−0.00"); "3f" and "2f" write one they would
    leave a single significant digit of to two ("0.023", not "0.02")."""
    if form[-1] in "fr":
        decimals = int(form[:-1])
        if round(value, decimals) == 0:
            return "0"
        small = abs(value) < 10.0 ** (1 - decimals)
        form = "2g" if small and form.endswith("f") else f"{decimals}f"
    return f"{value:.{form}}".replace("-", MINUS)


def number_style(
    values: NDArray[np.floating], base: QFont, width: float
) -> tuple[QFont, str] | None:
    """The font and the format (of FORMATS) that write every value in `width` pixels: one
    for all, negative or positive, so the grid's numbers are alike and add up alike; the
    largest font and most digits first. None if none fits (the hover still tells)."""
    for scale in NUMBER_SCALES:
        font = QFont(base)
        font.setPointSizeF(base.pointSizeF() * scale)
        metrics = QFontMetrics(font)
        for form in FORMATS:
            longest = max(metrics.horizontalAdvance(cell_number(float(v), form)) for v in values)
            if longest <= width:
                return font, form
    return None


class HeatGrid(QWidget):
    """Tiles of (C, kh, kw) values, one tile per channel in the given order, coloured on one
    scale (diverging around 0 for signed values); `mark` outlines one cell."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.setAccessibleName(title)
        self.values: NDArray[np.float32] = np.zeros((0, 1, 1), np.float32)
        self.order: list[int] = []
        self.mark: Cell | None = None
        self._image: QImage | None = None
        self._style: tuple[int, tuple[QFont, str] | None] | None = None  # (cell, numbers)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    def set_values(
        self,
        values: NDArray[np.floating],
        order: list[int] | None = None,
        mark: Cell | None = None,
        *,
        diverging: bool = True,
    ) -> None:
        """values: (C, kh, kw); order: the channels to show, in order (default all)."""
        self.values = np.asarray(values, np.float32)
        self.order = list(range(len(self.values))) if order is None else list(order)
        self.mark = mark
        shown = self.values[self.order] if self.order else self.values[:0]
        flat = shown.reshape(-1, shown.shape[-1]) if shown.size else np.zeros((1, 1))
        if diverging:
            bound = float(np.abs(flat).max()) or 1.0
            low, high = -bound, bound
        else:
            low, high = float(flat.min()), float(flat.max())
        self._image = rgb_to_qimage(colorize(flat, low, high, diverging=diverging))
        self._style = None
        self.setFixedHeight(self._height())
        self.updateGeometry()
        self.update()

    def cell_size(self) -> int:
        """The side of one kernel cell in pixels: as large as the width allows with the tiles
        on ROWS rows (MIN_CELL to MAX_CELL pixels), big enough for numbers where there is room."""
        across = -(-max(1, len(self.order)) // ROWS)
        kw = int(self.values.shape[-1])
        cell = ((max(self.width(), 120) + GAP) // across - GAP) // kw
        return max(MIN_CELL, min(MAX_CELL, cell))

    def numbers_style(self) -> tuple[QFont, str] | None:
        """The font and digits the cells' numbers are written with at the current cell size
        (None: too small for numbers)."""
        cell = self.cell_size()
        if self._style is None or self._style[0] != cell:
            shown = self.values[self.order].reshape(-1) if self.order else self.values[:0]
            style = number_style(shown, self.font(), cell - 4) if shown.size else None
            self._style = (cell, style)
        return self._style[1]

    def written(self, channel: int, row: int, col: int) -> str | None:
        """The number written in a cell of a shown channel (None: the cells are too small for
        numbers at this width; the hover text gives it)."""
        style = self.numbers_style()
        if style is None or channel not in self.order:
            return None
        return cell_number(float(self.values[channel, row, col]), style[1])

    def _per_row(self) -> int:
        tile = self.cell_size() * int(self.values.shape[-1]) + GAP
        return max(1, (max(self.width(), 120) + GAP) // tile)

    def _height(self) -> int:
        """Title line plus as many rows of tiles as the current width needs."""
        kh = int(self.values.shape[-2])
        rows = -(-max(1, len(self.order)) // self._per_row())
        return self.fontMetrics().height() + 4 + rows * (kh * self.cell_size() + GAP)

    def sizeHint(self) -> QSize:  # noqa: N802
        kw, count = int(self.values.shape[-1]), max(1, len(self.order))
        per_row = -(-count // ROWS)
        return QSize(per_row * (kw * MAX_CELL + GAP), self._height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(120, self._height())  # narrower: smaller cells, more rows

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self.height() != self._height():
            self.setFixedHeight(self._height())

    def tile_rect(self, slot: int) -> QRectF:
        kh, kw = self.values.shape[-2:]
        cell, per_row = self.cell_size(), self._per_row()
        row, col = divmod(slot, per_row)
        top = self.fontMetrics().height() + 4
        return QRectF(col * (kw * cell + GAP), top + row * (kh * cell + GAP), kw * cell, kh * cell)

    def cell_at(self, pos: QPointF) -> Cell | None:
        """(channel, row, col) under a point, or None."""
        cell = self.cell_size()
        for slot, channel in enumerate(self.order):
            rect = self.tile_rect(slot)
            if rect.contains(pos):
                i = min(int((pos.y() - rect.top()) // cell), self.values.shape[1] - 1)
                j = min(int((pos.x() - rect.left()) // cell), self.values.shape[2] - 1)
                return channel, i, j
        return None

    def text_at(self, pos: QPointF) -> str | None:
        """The hover text of the cell under a point."""
        found = self.cell_at(pos)
        if found is None:
            return None
        c, i, j = found
        where = f"map {shown_number(c)}, " if self.values.shape[0] > 1 else ""
        return f"{self.title}: {where}row {i}, col {j} = {cell_number(float(self.values[c, i, j]))}"

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            assert isinstance(event, QHelpEvent)
            pos = QPointF(event.pos())
            text = self.text_at(pos) or title_tip(self, self.title, pos)
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        paint_title(painter, self, self.title)
        if self._image is None:
            return
        kh, kw = self.values.shape[-2:]
        cell, style = self.cell_size(), self.numbers_style()
        for slot, channel in enumerate(self.order):
            rect = self.tile_rect(slot)
            painter.drawImage(rect, self._image, QRectF(0, slot * kh, kw, kh))
            if style is not None:  # big cells: write the numbers in
                painter.setFont(style[0])
                self._numbers(painter, rect, slot, channel, cell)
            if self.mark is not None and self.mark[0] == channel:
                _, i, j = self.mark
                painter.setPen(QPen(MARK, 2))
                painter.drawRect(QRectF(rect.left() + j * cell, rect.top() + i * cell, cell, cell))
        painter.end()

    def _numbers(self, painter: QPainter, rect: QRectF, slot: int, channel: int, cell: int) -> None:
        """Each cell's value (as `written`), in black or white, whichever contrasts more with the
        cell's colour."""
        assert self._image is not None
        kh = self.values.shape[1]
        for i in range(kh):
            for j in range(self.values.shape[2]):
                box = QRectF(rect.left() + j * cell, rect.top() + i * cell, cell, cell)
                fill = self._image.pixelColor(j, slot * kh + i)
                painter.setPen(QColor(*text_colour((fill.red(), fill.green(), fill.blue()))))
                text = self.written(channel, i, j) or ""
                painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)


MAP_TITLE_LINES: Final = 2
"""A map's title wraps onto this many lines at most ("relu1 · map 3 (strongest input
outlined)" at a large font), the picture under them; the last line elides what is left."""


class MarkedMap(QWidget):
    """One (H, W) map scaled to fit, with an outlined rectangle (top, left, bottom, right;
    bottom and right exclusive) and one marked cell; hover shows the value under the mouse."""

    def __init__(self, title: str, parent: QWidget | None = None, *, grey: bool = False) -> None:
        super().__init__(parent)
        self.title, self.grey = title, grey
        self.setAccessibleName(title)
        self.values: NDArray[np.float32] | None = None
        self.box: tuple[int, int, int, int] | None = None
        self.cell: tuple[int, int] | None = None
        self._image: QImage | None = None
        self.setMinimumSize(120, 200)  # the panel scrolls rather than shrink the maps

    def set_map(
        self,
        values: NDArray[np.floating] | None,
        box: tuple[int, int, int, int] | None = None,
        cell: tuple[int, int] | None = None,
        title: str | None = None,
    ) -> None:
        self.values = None if values is None else np.asarray(values, np.float32)
        self.box, self.cell = box, cell
        self.title = self.title if title is None else title
        self.setAccessibleName(self.title)
        self.setAccessibleDescription("" if values is None else map_summary(values))
        v = self.values
        if v is None:
            self._image = None
        elif self.grey:
            self._image = grey_to_qimage(v)
        else:
            self._image = rgb_to_qimage(colorize(v, float(v.min()), float(v.max())))
        self.update()

    def image_rect(self) -> QRectF:
        """Under the title's lines, as large a square as fits, centred."""
        top = title_height(self, self.title, MAP_TITLE_LINES) + 2
        side = max(1.0, min(self.width(), self.height() - top))
        return QRectF((self.width() - side) / 2, top, side, side)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            assert isinstance(event, QHelpEvent)
            rect, pos = self.image_rect(), QPointF(event.pos())
            whole = title_tip(self, self.title, pos, MAP_TITLE_LINES)
            if whole is not None:
                QToolTip.showText(event.globalPos(), whole, self)
            elif rect.contains(pos) and self.values is not None:
                h, w = self.values.shape
                r = min(int((pos.y() - rect.top()) * h / rect.height()), h - 1)
                c = min(int((pos.x() - rect.left()) * w / rect.width()), w - 1)
                value = cell_number(float(self.values[r, c]))
                QToolTip.showText(event.globalPos(), f"row {r}, col {c} = {value}", self)
            return True
        return super().event(event)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        paint_title(painter, self, self.title, MAP_TITLE_LINES)
        if self._image is None or self.values is None:
            return
        rect = self.image_rect()
        painter.drawImage(rect, self._image)
        h, w = self.values.shape
        sy, sx = rect.height() / h, rect.width() / w
        if self.box is not None:
            top, left, bottom, right = self.box
            painter.setPen(QPen(QColor("#00e5ff"), 2))
            painter.drawRect(
                QRectF(
                    rect.left() + left * sx,
                    rect.top() + top * sy,
                    (right - left) * sx,
                    (bottom - top) * sy,
                )
            )
        if self.cell is not None:
            r, c = self.cell
            painter.setPen(QPen(MARK, 2))
            painter.drawRect(QRectF(rect.left() + c * sx, rect.top() + r * sy, sx, sy))
        painter.end()
