"""One feature map enlarged; a click on a cell of a layer's map asks for that neuron's trace."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from PySide6.QtCore import QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPalette,
    QPen,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import QDialog, QLabel, QSizePolicy, QVBoxLayout, QWidget

from ocrpad.app.draw.colour_scale import ColourBar
from ocrpad.app.draw.map_words import map_words
from ocrpad.app.draw.numbering import shown_number, shown_value
from ocrpad.app.draw.prediction import LayerMaps
from ocrpad.app.draw.spoken import tell
from ocrpad.app.draw.tile_keys import ACTIVATE, next_cell

HEADER: Final = 2  # text lines over each grid of the viewer besides its note: caption, scale
MARK: Final = QColor("#ff2d95")  # the cell being traced
TRACE_TIP: Final = (
    "Click a cell, or pick one with the arrow keys and Enter, to see how its value was computed"
)


@dataclass(frozen=True)
class MapSection:
    """One layer as shown: its maps, the coloured tiles as one image, and a caption."""

    maps: LayerMaps
    tiles: QImage
    caption: str
    traceable: bool = False  # a layer's activations (not filters): its cells open a neuron
    note: str = ""  # a third header line (e.g. which filters respond to blank paper)
    pending: bool = False  # a placeholder: its maps are being computed
    name: str = ""  # the section's name as read ("conv1 learned filters"); "": the maps' name
    item: str = "map"  # what one tile is: a layer's "map", or the "filter" it belongs to
    flat: tuple[int, ...] = ()  # the tiles the note is about (flat ideal inputs)

    @property
    def title(self) -> str:
        """The section's full name, without its shape."""
        return self.name or self.maps.name


class _MapImage(QLabel):
    """The enlarged map, as large as the dialog lets it be (whole screen pixels per cell);
    a click on a cell emits cell_clicked(row, col). On a traceable map the arrow keys move a
    cell cursor (shown while it has focus) and Enter or Space emits cell_clicked for it."""

    cell_clicked = Signal(int, int)

    def __init__(self) -> None:
        super().__init__()
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.cells = (1, 1)  # the map's (H, W)
        self._tile: QImage | None = None
        self._mark: tuple[int, int] | None = None  # (row, col) outlined
        self.current = (0, 0)  # (row, col) the keys act on
        self.traceable = False  # whether the keys move a cursor
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def show_tile(self, tile: QImage, mark: tuple[int, int] | None, traceable: bool) -> None:
        """One map's coloured cells, (W, H) pixels, with `mark` outlined; the cursor goes to
        `mark`, or stays where it is on a map of the same size."""
        cells = (tile.height(), tile.width())
        if mark is not None:
            self.current = mark
        elif cells != self.cells:
            self.current = (0, 0)
        self._tile, self._mark, self.traceable, self.cells = tile, mark, traceable, cells
        self._render()

    def clear(self) -> None:
        self._tile = None
        super().clear()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(300, 300)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(120, 120)  # not the picture's size: the dialog may shrink it

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._render()  # the picture follows the dialog's size

    def _render(self) -> None:
        if self._tile is None:
            return
        h, w = self.cells
        scale = max(1, min(self.width(), self.height()) // max(h, w))
        pixmap = QPixmap.fromImage(
            self._tile.scaled(QSize(w * scale, h * scale), Qt.AspectRatioMode.KeepAspectRatio)
        )
        painter = QPainter(pixmap)
        if self.traceable and self.hasFocus():
            self._paint_cursor(painter, scale, QRectF(pixmap.rect()))
        if self._mark is not None:
            painter.setPen(QPen(MARK, 2))
            painter.drawRect(self._mark[1] * scale, self._mark[0] * scale, scale, scale)
        painter.end()
        self.setPixmap(pixmap)

    def _paint_cursor(self, painter: QPainter, scale: int, picture: QRectF) -> None:
        """A thick ring in the highlight colour round the current cell, lined in white on
        both sides, moved inside the picture at its edges; the cell's colour stays seen."""
        cell = QRectF(self.current[1] * scale, self.current[0] * scale, scale, scale)
        ring = cell.adjusted(-2, -2, 2, 2).intersected(picture.adjusted(2, 2, -2, -2))
        palette = self.palette()
        pen = QPen(palette.color(QPalette.ColorRole.HighlightedText), 1)
        pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
        painter.setPen(pen)
        painter.drawRect(ring.adjusted(-2, -2, 2, 2))
        painter.drawRect(ring.adjusted(2, 2, -2, -2))
        pen.setColor(palette.color(QPalette.ColorRole.Highlight))
        pen.setWidth(3)
        painter.setPen(pen)
        painter.drawRect(ring)

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802
        super().focusInEvent(event)
        self._render()

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802
        super().focusOutEvent(event)
        self._render()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key = Qt.Key(event.key())
        target = next_cell(self.current, self.cells, key)
        if self._tile is None or not self.traceable:
            super().keyPressEvent(event)  # Escape and the rest go to the dialog
        elif key in ACTIVATE:
            self.cell_clicked.emit(*self.current)
        elif target is not None:
            self.current = target
            self._render()
        else:
            super().keyPressEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pixmap = self.pixmap()
        if pixmap.isNull() or event.button() != Qt.MouseButton.LeftButton:
            return
        left = (self.width() - pixmap.width()) / 2
        top = (self.height() - pixmap.height()) / 2
        x, y = event.position().x() - left, event.position().y() - top
        if 0 <= x < pixmap.width() and 0 <= y < pixmap.height():
            h, w = self.cells
            self.cell_clicked.emit(int(y * h / pixmap.height()), int(x * w / pixmap.width()))


class MapDialog(QDialog):
    """One map enlarged, with its section, number, value range and colour bar; follows new
    predictions. A click on a cell of a layer's map emits cell_clicked(layer, map index, row,
    col); learned filters and ideal inputs are only shown."""

    cell_clicked = Signal(str, int, int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Feature map")
        self.image_label = _MapImage()
        self.image_label.setAccessibleName("Enlarged map")  # its description: the map in words
        self.image_label.cell_clicked.connect(self._on_cell)
        self.traceable = False
        self.picked: tuple[str, int, int, int] | None = None  # layer, map, row, col clicked
        self._section: MapSection | None = None
        self.colour_bar = ColourBar()
        self.colour_bar.setToolTip(
            "The colours of the whole layer; the bracket marks this map's own values"
        )
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.note = QLabel()
        self.note.setObjectName("mapNote")
        self.note.setWordWrap(True)
        self.note.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(self.image_label, 1)
        layout.addWidget(self.colour_bar)
        layout.addWidget(self.caption)
        layout.addWidget(self.note)
        self.key: tuple[str, int] | None = None
        self.section_caption = ""  # which section of the viewer the map is from
        self._name = ("", "map")  # the section's title and what one of its tiles is
        self.resize(480, 420)  # the caption on one or two lines; the picture grows with it

    def show_map(self, section: MapSection, index: int) -> None:
        maps = section.maps
        h, w = maps.maps.shape[-2:]
        tile = section.tiles.copy(QRect(0, index * h, w, h))
        picked = self.picked
        mark = None
        if section.traceable and picked is not None and picked[:2] == (maps.name, index):
            mark = (picked[2], picked[3])  # the traced cell (a filter shares the layer's name)
        self.image_label.show_tile(tile, mark, section.traceable)
        self._section = section
        values = maps.maps[index]
        words = map_words(values, index, maps.count, section.title, section.item)
        tell(self.image_label, description=words)
        low, high = float(values.min()), float(values.max())
        self.colour_bar.set_scale(maps.vmin, maps.vmax, diverging=maps.diverging, span=(low, high))
        self.caption.setText(
            f"{section.title} · {section.item} {shown_number(index)} of {maps.count} · "
            f"{h}×{w} · values {shown_value(low)} … {shown_value(high)} "
            f"(layer scale {shown_value(maps.vmin)} … {shown_value(maps.vmax)})"
        )
        flat = index in section.flat and bool(section.note)
        self.note.setText(f"This one is flat. {section.note}" if flat else "")
        self.note.setVisible(flat)
        self.key, self.section_caption = (maps.name, index), section.caption
        self._name = (section.title, section.item)
        self.traceable = section.traceable
        if section.traceable:
            self.image_label.setCursor(Qt.CursorShape.CrossCursor)
            self.image_label.setToolTip(TRACE_TIP)
        else:  # a click does nothing here: promise nothing
            self.image_label.unsetCursor()
            self.image_label.setToolTip("")

    def show_nothing(self) -> None:
        """Its section is gone (the canvas was cleared): say so, and show the same map again
        when the section returns."""
        self.image_label.clear()
        self.colour_bar.clear()
        self.note.hide()
        self._section = None
        tell(self.image_label, description="Nothing to show: draw to see the map")
        if self.key is not None:
            title, item = self._name
            self.caption.setText(f"{title} · {item} {shown_number(self.key[1])}: draw to see it")

    def _on_cell(self, row: int, col: int) -> None:
        if self.key is not None and self.traceable and self._section is not None:
            self.picked = (self.key[0], self.key[1], row, col)
            self.show_map(self._section, self.key[1])
            self.cell_clicked.emit(self.key[0], self.key[1], row, col)
