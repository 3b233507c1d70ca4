"""The network at a glance: every layer as a block (name, output shape, parameters), in
order, wrapping over rows; the blocks on the selected neuron's path are filled and name the
unit there. Clicking a block on the path opens that unit; any other block opens the strongest
unit of that layer for the drawing. The keys do the same: Left / Right (Home / End) move a
framed current block, Up / Down pick another unit of it, Enter or Space opens it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from ocrpad.app.colormap import text_colour
from ocrpad.app.draw.numbering import shown_number
from ocrpad.app.draw.spoken import tell
from ocrpad.app.draw.tile_keys import ACTIVATE
from ocrpad.app.focus import paint_focus_frame
from ocrpad.explain.architecture import LayerBlock, shape_text
from ocrpad.explain.neuron_trace import Unit

BLOCK_W: Final = 92  # the least block width; wider for a wide line of text
SMALL: Final = 0.8  # the blocks' text, times the widget's font
PAD: Final = 4  # pixels between a block's edge and its text
ARROW: Final = 12
PATH: Final = QColor("#ffd54f")
SHOWN: Final = QColor("#ff2d95")
TINT: Final = 0.45  # a block's fill: this much of its kind's colour over the palette's base
KIND_COLOURS: Final = {
    "conv": QColor("#90caf9"),
    "batchnorm": QColor("#b0bec5"),
    "relu": QColor("#c5e1a5"),
    "pool": QColor("#ffcc80"),
    "dense": QColor("#ce93d8"),
}
SHUT: Final = ("dropout", "flatten")  # kinds of layer whose units are not traced
MOVES: Final = {  # keys that move the current block, as a change of its index
    Qt.Key.Key_Left: -1,
    Qt.Key.Key_Right: 1,
    Qt.Key.Key_Home: -1_000_000,
    Qt.Key.Key_End: 1_000_000,
}
UNIT_STEPS: Final = {Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1}  # the previous / next unit
KEYS: Final = (
    "Left and Right go to another layer; Up and Down pick another unit of a dense layer, or"
    " another filter at the same place of a layer on the path; Enter opens it."
)


def unit_text(unit: Unit, flat: bool = False, label: str | None = None) -> str:
    """ "f5 (3, 4)": filter 5 at row 3, col 4 of a map; "#17": unit 17 of a flat layer;
    'class “R”': the output unit of a class (its `label`). Filters and units are numbered as
    the feature-map viewer numbers its maps (from 1); rows and columns are positions (from 0).
    """
    if unit.layer is None:
        return f"pixel ({unit.row}, {unit.col})"
    if label is not None:
        return f"class “{label}”"
    number = shown_number(unit.channel)
    return f"#{number}" if flat else f"f{number} ({unit.row}, {unit.col})"


class ArchitectureStrip(QWidget):
    """set_blocks once per model; set_path for each shown neuron (units by layer name). The
    keys act on the `current` block (framed while the strip has the focus) and on the unit
    of it `picked` with Up / Down (None: the unit a click would open)."""

    unit_clicked = Signal(object)  # Unit of a block on the path, or the name of another layer

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("architectureStrip")
        self.setAccessibleName("The network's layers, with the traced neuron's path")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.blocks: list[LayerBlock] = []
        self.path: dict[str, Unit] = {}
        self.shown: str | None = None
        self.labels: list[str] = []  # the classes, to name the output layer's unit
        self.current = 0  # the block the keys act on
        self.picked: Unit | None = None
        self._block: QSize | None = None  # the size of a block, for the font and blocks
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._describe()

    def set_blocks(self, blocks: Sequence[LayerBlock]) -> None:
        self._block = None  # the labels may be new
        if list(blocks) != self.blocks:
            self.blocks = list(blocks)
            self.current, self.picked = 0, None
            self._describe()
            self.update()
        self.setFixedHeight(self.sizeHint().height())

    def set_path(self, units: Sequence[Unit], shown: str | None) -> None:
        """The units of the path by layer (per-unit layers take the unit below them). A newly
        shown layer's block becomes the current one."""
        if shown != self.shown:
            self.picked = None
            names = [b.name for b in self.blocks]
            self.current = names.index(shown) if shown in names else self.current
        self.path, self.shown = {}, shown
        by_layer = {u.layer: u for u in units if u.layer is not None}
        current: Unit | None = None
        for block in self.blocks:
            if block.name in by_layer:
                current = by_layer[block.name]
            elif block.kind not in ("batchnorm", "relu") or current is None:
                current = None
            if current is not None:
                self.path[block.name] = Unit(block.name, current.channel, current.row, current.col)
        self._describe()
        self.update()

    def target(self, index: int) -> Unit | str | None:
        """What block `index` opens: its unit on the path, else its layer's name (its
        strongest unit); None for a layer whose units are not traced (dropout, flatten)."""
        block = self.blocks[index]
        if block.name in self.path:
            return self.path[block.name]
        return None if block.kind in SHUT else block.name

    def small_font(self) -> QFont:
        """The font of the blocks' text."""
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * SMALL)
        return font

    def block_lines(self, index: int, unit: Unit | None = None) -> list[str]:
        """The three lines block `index` shows: name, output shape, and its `unit` (default:
        the one on the path) or else its parameters (or what it does)."""
        block = self.blocks[index]
        unit = unit or self.path.get(block.name)
        if unit is not None:
            last = unit_text(unit, len(block.shape) == 1, self._label(index, unit))
        else:
            last = f"{block.params:,} params" if block.params else block.detail
        return [block.name, shape_text(block.shape), last]

    def block_size(self) -> QSize:
        """Three lines of the small font high, as wide as the widest line any block may show
        (its parameters, or its widest unit), with PAD round them; at least BLOCK_W wide."""
        if self._block is None:
            metrics = QFontMetrics(self.small_font())
            widest = 0
            for index, block in enumerate(self.blocks):
                last = Unit(block.name, block.shape[0] - 1, *(n - 1 for n in block.shape[1:]))
                texts = [*self.block_lines(index, last), *self.block_lines(index)[2:]]
                if index == len(self.blocks) - 1:
                    texts += [f"class “{label}”" for label in self.labels]
                widest = max(widest, *(metrics.horizontalAdvance(t) for t in texts))
            width = max(BLOCK_W, widest + 2 * PAD + 2)
            self._block = QSize(width, 3 * metrics.lineSpacing() + 2 * PAD)
        return self._block

    def _per_row(self) -> int:
        return max(1, (max(self.width(), 300) + ARROW) // (self.block_size().width() + ARROW))

    def block_rect(self, index: int) -> QRectF:
        row, col = divmod(index, self._per_row())
        top = self.fontMetrics().height() + 6
        w, h = self.block_size().width(), self.block_size().height()
        return QRectF(col * (w + ARROW), top + row * (h + 8), w, h)

    def sizeHint(self) -> QSize:  # noqa: N802
        rows = -(-len(self.blocks) // self._per_row()) if self.blocks else 1
        w, h = self.block_size().width(), self.block_size().height()
        return QSize(8 * (w + ARROW), self.fontMetrics().height() + 6 + rows * (h + 8))

    def resizeEvent(self, event: object) -> None:  # noqa: N802
        self.setFixedHeight(self.sizeHint().height())

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.FontChange:
            self._block = None
            self.setFixedHeight(self.sizeHint().height())
        super().changeEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        for index in range(len(self.blocks)):
            if self.block_rect(index).contains(event.position()):
                self._move_to(index)
                target = self.target(index)
                if target is not None:
                    self.unit_clicked.emit(target)
                return

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key = Qt.Key(event.key())
        if not self.blocks:
            super().keyPressEvent(event)
        elif key in ACTIVATE:
            target = self.picked or self.target(self.current)
            if target is not None:
                self.unit_clicked.emit(target)
        elif key in MOVES:
            self._move_to(min(max(self.current + MOVES[key], 0), len(self.blocks) - 1))
        elif key in UNIT_STEPS:
            self._pick(UNIT_STEPS[key])
        else:
            super().keyPressEvent(event)

    def _move_to(self, index: int) -> None:
        if index != self.current:
            self.current, self.picked = index, None
            self._describe()
            self.update()

    def _pick(self, step: int) -> None:
        """Pick the unit `step` channels on from the current block's picked or path unit, at
        the same place; a dense layer off the path starts at its first unit."""
        block = self.blocks[self.current]
        unit = self.picked or self.path.get(block.name)
        if unit is None and (len(block.shape) != 1 or block.kind in SHUT):
            return  # a map off the path: no place to keep (the feature-map viewer picks one)
        channel = 0 if unit is None else min(max(unit.channel + step, 0), block.shape[0] - 1)
        row, col = (0, 0) if unit is None else (unit.row, unit.col)
        self.picked = Unit(block.name, channel, row, col)
        self._describe()
        self.update()

    def _describe(self) -> None:
        """The accessible description: the current block, what Enter opens, and the keys."""
        if not self.blocks:
            tell(self, description="No network shown")
            return
        block = self.blocks[self.current]
        target = self.picked or self.target(self.current)
        if target is None:
            opens = "its units are not traced"
        elif isinstance(target, str):
            last = self.current == len(self.blocks) - 1
            opens = "Enter opens " + ("the class read" if last else "its strongest unit")
        else:
            on_path = "" if self.picked else " on the traced path"
            name = unit_text(target, len(block.shape) == 1, self._label(self.current, target))
            opens = f"Enter opens {name}{on_path}"
        where = f"{block.name} ({block.kind}, {shape_text(block.shape)})"
        tell(
            self,
            description=f"Layer {self.current + 1} of {len(self.blocks)}: {where}; {opens}. {KEYS}",
        )

    def _label(self, index: int, unit: Unit) -> str | None:
        """The class of `unit` if block `index` is the output layer."""
        last = index == len(self.blocks) - 1
        return self.labels[unit.channel] if last and unit.channel < len(self.labels) else None

    def heading(self) -> str:
        """The line above the blocks, as much of it as fits the width: the note about the
        highlighted path goes first, then the counts are elided."""
        total = sum(b.params for b in self.blocks)
        counts = f"The network: {len(self.blocks)} layers, {total:,} trained parameters"
        full = f"{counts} — the traced neuron's path is highlighted"
        metrics = self.fontMetrics()
        if metrics.horizontalAdvance(full) <= self.width():
            return full
        return metrics.elidedText(counts, Qt.TextElideMode.ElideRight, self.width())

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        text = self.palette().color(QPalette.ColorRole.WindowText)
        painter.setPen(text)
        painter.drawText(
            QRectF(0, 0, self.width(), self.fontMetrics().height() + 2), self.heading()
        )
        painter.setFont(self.small_font())
        edge = self.palette().color(QPalette.ColorRole.Mid)
        for index, block in enumerate(self.blocks):
            rect = self.block_rect(index)
            picked = self.picked if index == self.current else None  # keeps the block's fill
            fill = self.block_fill(index)
            chosen = block.name == self.shown
            painter.setPen(QPen(SHOWN, 3) if chosen else QPen(edge, 1))
            painter.setBrush(fill)
            painter.drawRoundedRect(rect, 4, 4)
            painter.setPen(QColor(*text_colour((fill.red(), fill.green(), fill.blue()))))
            centre = Qt.AlignmentFlag.AlignCenter
            lines = self.block_lines(index, picked)
            painter.drawText(rect.adjusted(PAD, PAD, -PAD, -PAD), centre, "\n".join(lines))
            if index + 1 < len(self.blocks) and self.block_rect(index + 1).top() == rect.top():
                y = rect.center().y()
                painter.setPen(QPen(text, 1))
                painter.drawLine(QPointF(rect.right() + 2, y), QPointF(rect.right() + ARROW - 2, y))
        if self.hasFocus():
            self._paint_focus(painter)
        painter.end()

    def block_fill(self, index: int) -> QColor:
        """PATH on the traced path; else a TINT of the block's kind over the palette's base,
        so the blocks are light in the light theme and dark in the dark one; a kind without a
        colour (dropout, flatten) is the base itself."""
        block = self.blocks[index]
        if block.name in self.path:
            return PATH
        base = self.palette().color(QPalette.ColorRole.Base)
        kind = KIND_COLOURS.get(block.kind, base)  # dropout, flatten: plain
        mix = [
            round(b + TINT * (k - b))
            for b, k in zip(
                (base.red(), base.green(), base.blue()),
                (kind.red(), kind.green(), kind.blue()),
                strict=True,
            )
        ]
        return QColor(*mix)

    def _paint_focus(self, painter: QPainter) -> None:
        """A frame in the highlight colour just outside the current block (round the strip
        while it has no blocks)."""
        if not self.blocks:
            paint_focus_frame(painter, self.rect(), self.palette())
            return
        pen = QPen(self.palette().color(QPalette.ColorRole.Highlight), 2)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(self.block_rect(self.current).adjusted(-3, -3, 3, 3), 6, 6)
