"""The feature-map viewer: every conv / pool layer as a grid of coloured maps, plus filters."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Final

import numpy as np
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import (
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QResizeEvent,
)
from PySide6.QtWidgets import QScrollArea, QWidget

from ocrpad.app.draw.map_captions import MARGIN, header_height, paint_header
from ocrpad.app.draw.map_dialog import MapDialog, MapSection
from ocrpad.app.draw.map_layout import Placing, place_tiles
from ocrpad.app.draw.map_words import map_words
from ocrpad.app.draw.prediction import LayerMaps
from ocrpad.app.draw.spoken import announce, tell
from ocrpad.app.draw.tile_keys import ACTIVATE, next_tile
from ocrpad.app.focus import paint_focus_frame
from ocrpad.app.qt_numpy import rgb_to_qimage

PLACEHOLDER: Final = "What each layer sees appears here once a drawing is recognised"
NO_MAPS: Final = "This model has no convolution layers, so there are no feature maps to show"


_Section = MapSection
KEPT_LAYOUTS: Final = 4  # the grid's placings kept for reuse


class _MapGrid(QWidget):
    """Paints the sections; a click on a map emits map_clicked(section, index). The arrow keys
    move the current map (framed while the grid has focus), Enter or Space emits
    map_chosen(section, index) for it."""

    map_clicked = Signal(int, int)
    map_chosen = Signal(int, int)
    current_moved = Signal(QRectF)  # the current map's tile, to be scrolled into view

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sections: list[_Section] = []
        self.placeholder = PLACEHOLDER  # what the empty grid says
        self._hits: list[tuple[QRectF, int, int]] = []
        self._tops: list[int] = []  # where each section's header begins
        self._placed: dict[object, Placing] = {}  # the last placings, by what they depend on
        self.current = 0  # the map the keys act on, as a position in _hits
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setObjectName("featureMapGrid")
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)  # paints its own background

    def tile(self, position: int) -> tuple[QRectF, int, int]:
        """Where the `position`-th map (in reading order) is drawn, and its section and index."""
        return self._hits[position]

    def tiles(self) -> tuple[tuple[QRectF, int, int], ...]:
        """Every map's `tile` (rect, section, index), in reading order."""
        return tuple(self._hits)

    def header_top(self, section: int) -> int:
        """Where the header of section `section` begins."""
        return self._tops[section]

    def set_sections(self, sections: list[_Section]) -> None:
        self.sections = sections
        self._relayout()
        self.update()
        tell(self, description=self.current_words())

    def current_words(self) -> str:
        """The current map in words, the grid's accessible description: 'map 3 of 8 of conv2:
        strongest at top left (2.31), 40% of cells active'."""
        if not self._hits:
            return self.placeholder
        _, number, index = self._hits[self.current]
        section = self.sections[number]
        if section.pending:
            return f"{section.title}: being computed"
        maps = section.maps
        return map_words(maps.maps[index], index, maps.count, section.title, section.item)

    def _relayout(self) -> None:
        """Place every header and tile for the grid's width. A new drawing's maps land where
        the last drawing's did, and a cleared canvas empties the grid until the next one, so
        the last few placings are kept by what they depend on (the width, the font, and each
        section's header height, map count and map size) and reused."""
        width, metrics = max(self.width(), 120), self.fontMetrics()
        heights = [header_height(section, metrics, width) for section in self.sections]
        key = (
            width,
            metrics.height(),
            tuple(
                (height, section.maps.count, int(section.maps.maps.shape[-1]))
                for height, section in zip(heights, self.sections, strict=True)
            ),
        )
        placed = self._placed.pop(key, None)
        if placed is None:
            placed = place_tiles(self.sections, width, heights)
        self._placed[key] = placed  # the newest last
        while len(self._placed) > KEPT_LAYOUTS:
            del self._placed[next(iter(self._placed))]
        self._hits, self._tops, height = placed
        self.current = min(self.current, max(len(self._hits) - 1, 0))
        self.setMinimumHeight(height)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        self._relayout()
        super().resizeEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        for position, (rect, section, index) in enumerate(self._hits):
            if rect.contains(event.position()):
                self.current = position
                self.update()
                tell(self, description=self.current_words())
                self.map_clicked.emit(section, index)
                return

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key = Qt.Key(event.key())
        rects = [rect for rect, _, _ in self._hits]
        target = next_tile(rects, self.current, key) if rects else None
        if rects and key in ACTIVATE:
            _, section, index = self._hits[self.current]
            self.map_chosen.emit(section, index)
        elif target is not None:  # at an edge the current map stays (and nothing scrolls)
            self.current = target
            self.current_moved.emit(rects[target])
            self.update()
            tell(self, description=self.current_words())
            announce(self, self.current_words())  # a screen reader follows the frame
        else:
            super().keyPressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        palette = self.palette()
        painter.fillRect(event.rect(), palette.color(QPalette.ColorRole.Base))
        exposed = QRectF(event.rect())
        if not self.sections:
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(
                self.rect().adjusted(MARGIN, MARGIN, -MARGIN, -MARGIN),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                self.placeholder,
            )
        last_section = -1
        ends = [*self._tops[1:], self.height()]  # each section runs down to the next one
        for rect, number, index in self._hits:
            if ends[number] < exposed.top() or self._tops[number] > exposed.bottom():
                continue  # a section scrolled out of view: neither its header nor its maps
            section = self.sections[number]
            if number != last_section:
                last_section = number
                paint_header(painter, self, section, self._tops[number])
            if not rect.intersects(exposed):
                continue
            if section.pending:  # keeps the place of maps still being computed
                painter.fillRect(rect, palette.color(QPalette.ColorRole.AlternateBase))
                continue
            h, w = section.maps.maps.shape[-2:]
            painter.drawImage(rect, section.tiles, QRectF(0, index * h, w, h))
        if self.hasFocus():
            self._paint_focus(painter)
        painter.end()

    def _paint_focus(self, painter: QPainter) -> None:
        """A frame in the highlight colour round the current map (round the grid if empty),
        lined in white inside so that it stands apart from a dark map."""
        palette = self.palette()
        if not self._hits:
            paint_focus_frame(painter, self.rect(), palette)
            return
        pen = QPen(palette.color(QPalette.ColorRole.Highlight), 3)
        pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
        painter.setPen(pen)
        rect = self._hits[self.current][0]
        painter.drawRect(rect.adjusted(-1.5, -1.5, 1.5, 1.5))  # just outside the tile
        pen.setColor(palette.color(QPalette.ColorRole.HighlightedText))
        pen.setWidth(1)
        painter.setPen(pen)
        painter.drawRect(rect.adjusted(0.5, 0.5, -0.5, -0.5))


class FeatureMapView(QScrollArea):
    """A scrolling list of layers; call set_layers on every prediction and set_filters per model.
    A click on a cell of an enlarged layer map emits neuron_clicked(layer, map, row, col)."""

    neuron_clicked = Signal(str, int, int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("featureMapView")
        self.setAccessibleName("Feature maps of every convolution and pooling layer")
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.grid = _MapGrid()
        self.grid.setAccessibleName(self.accessibleName())
        self.setWidget(self.grid)
        self.setFocusProxy(self.grid)  # the keys move through the maps, not the scroll bar
        self.grid.current_moved.connect(self._scroll_to)
        self._layers: list[_Section] = []
        self._filters: list[_Section] = []
        self._ideal: dict[str, _Section] = {}
        self._pending: tuple[str, ...] = ()  # conv layers whose ideal inputs are coming
        self._input_side = 28
        self.dialog: MapDialog | None = None
        self.grid.map_clicked.connect(self.enlarge)
        self.grid.map_chosen.connect(self._enlarge_by_key)

    def set_layers(
        self, layers: tuple[LayerMaps, ...] | list[LayerMaps], *, answered: bool = True
    ) -> None:
        """The maps of a drawing's answer (`answered`), or none while there is no answer."""
        self._layers = [_section(m, "", traceable=True) for m in layers]
        self.grid.placeholder = NO_MAPS if answered and not layers else PLACEHOLDER
        self._refresh()

    def set_filters(self, filters: LayerMaps | None) -> None:
        self._filters = (
            [] if filters is None else [_section(filters, " learned filters", item="filter")]
        )
        self._refresh()

    def set_ideal_inputs(
        self,
        inputs: Mapping[str, LayerMaps],
        notes: Mapping[str, str] | None = None,
        pending: tuple[str, ...] = (),
        flat: Mapping[str, tuple[int, ...]] | None = None,
    ) -> None:
        """Each filter's ideal input, by conv layer name: shown right after that layer's maps,
        with an optional note line about the filters in `flat` (repeated when one of them is
        enlarged). Layers in `pending` (ideal inputs still being computed) keep their place
        with blank tiles, so nothing moves when they arrive."""
        notes, flat = notes or {}, flat or {}
        self._ideal = {
            layer: dataclasses.replace(
                _section(maps, "", item="filter"),
                note=notes.get(layer, ""),
                flat=tuple(flat.get(layer, ())),
            )
            for layer, maps in inputs.items()
        }
        self._pending = tuple(name for name in pending if name not in self._ideal)
        self._refresh()

    def _placeholder(self, layer: _Section) -> _Section | None:
        """Blank tiles where a layer's ideal inputs will appear (None if none are coming).
        The tiles are as big as the layer's maps, or the whole input after a pool (where
        the ideal inputs are not cut to the maps)."""
        name = layer.maps.name
        if name not in self._pending:
            return None
        count, side = layer.maps.count, layer.maps.maps.shape[-1]
        full = self._input_side if side <= self._input_side // 2 else side
        empty = np.zeros((count, full, full), np.float32)
        maps = LayerMaps(
            f"{name} ideal inputs", empty.shape, empty, np.zeros((1, 1, 3), np.uint8), 0, 0
        )
        return _Section(maps, QImage(), f"{name} ideal inputs  (being computed…)", pending=True)

    def sections(self) -> list[_Section]:
        return self.grid.sections

    def _refresh(self) -> None:
        layers = [
            s
            for layer in self._layers
            for s in (layer, self._ideal.get(layer.maps.name) or self._placeholder(layer))
        ]
        self.grid.set_sections([s for s in layers if s is not None] + self._filters)
        if self.dialog is not None and self.dialog.isVisible() and self.dialog.key:
            index = self.dialog.key[1]  # the same section (a layer's maps and its filters
            for section in self.grid.sections:  # share a layer name), updated
                if section.caption == self.dialog.section_caption and index < section.maps.count:
                    self.dialog.show_map(section, index)
                    break
            else:
                self.dialog.show_nothing()

    def enlarge(self, section: int, index: int) -> None:
        """Open (or update) the enlarged view of one map."""
        if self.grid.sections[section].pending:
            return
        if self.dialog is None:
            self.dialog = MapDialog(self)
            self.dialog.cell_clicked.connect(self.neuron_clicked)
        self.dialog.show_map(self.grid.sections[section], index)
        self.dialog.show()
        self.dialog.raise_()

    def _enlarge_by_key(self, section: int, index: int) -> None:
        """As a click, and the keys go on in the enlarged map (Escape comes back here)."""
        self.enlarge(section, index)
        if self.dialog is not None and not self.grid.sections[section].pending:
            self.dialog.activateWindow()
            self.dialog.image_label.setFocus(Qt.FocusReason.OtherFocusReason)

    def _scroll_to(self, tile: QRectF) -> None:
        centre = tile.center().toPoint()
        self.ensureVisible(centre.x(), centre.y(), int(tile.width()), int(tile.height()))


def _section(
    maps: LayerMaps, suffix: str, *, traceable: bool = False, item: str = "map"
) -> _Section:
    """A section named `maps.name` + `suffix`, whose tiles are each a `item` (map, filter)."""
    shape = "×".join(str(s) for s in maps.shape[-3:])
    name = f"{maps.name}{suffix}"
    return _Section(
        maps, rgb_to_qimage(maps.tiles), f"{name}  ({shape})", traceable, name=name, item=item
    )
