"""The network at a glance: every layer as a block (name, output shape, parameters), in
order, wrapping over rows; the blocks on the selected neuron's path are filled and name the
unit there. Clicking a block on the path opens that unit; any other block opens the strongest
unit of that layer for the drawing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from ocrpad.app.draw.numbering import shown_number
from ocrpad.explain.architecture import LayerBlock, shape_text
from ocrpad.explain.neuron_trace import Unit

BLOCK_W: Final = 92
BLOCK_H: Final = 50
ARROW: Final = 12
PATH: Final = QColor("#ffd54f")
SHOWN: Final = QColor("#ff2d95")
KIND_COLOURS: Final = {
    "conv": QColor("#90caf9"),
    "batchnorm": QColor("#b0bec5"),
    "relu": QColor("#c5e1a5"),
    "pool": QColor("#ffcc80"),
    "dense": QColor("#ce93d8"),
}


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
    """set_blocks once per model; set_path for each shown neuron (units by layer name)."""

    unit_clicked = Signal(object)  # Unit of a block on the path, or the name of another layer

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("architectureStrip")
        self.setAccessibleName("The network's layers, with the traced neuron's path")
        self.blocks: list[LayerBlock] = []
        self.path: dict[str, Unit] = {}
        self.shown: str | None = None
        self.labels: list[str] = []  # the classes, to name the output layer's unit
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_blocks(self, blocks: Sequence[LayerBlock]) -> None:
        if list(blocks) != self.blocks:
            self.blocks = list(blocks)
            self.setFixedHeight(self.sizeHint().height())
            self.update()

    def set_path(self, units: Sequence[Unit], shown: str | None) -> None:
        """The units of the path by layer (per-unit layers take the unit below them)."""
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
        self.update()

    def _per_row(self) -> int:
        return max(1, (max(self.width(), 300) + ARROW) // (BLOCK_W + ARROW))

    def block_rect(self, index: int) -> QRectF:
        row, col = divmod(index, self._per_row())
        top = self.fontMetrics().height() + 6
        return QRectF(col * (BLOCK_W + ARROW), top + row * (BLOCK_H + 8), BLOCK_W, BLOCK_H)

    def sizeHint(self) -> QSize:  # noqa: N802
        rows = -(-len(self.blocks) // self._per_row()) if self.blocks else 1
        return QSize(8 * (BLOCK_W + ARROW), self.fontMetrics().height() + 6 + rows * (BLOCK_H + 8))

    def resizeEvent(self, event: object) -> None:  # noqa: N802
        self.setFixedHeight(self.sizeHint().height())

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        for index, block in enumerate(self.blocks):
            if self.block_rect(index).contains(event.position()):
                if block.name in self.path:
                    self.unit_clicked.emit(self.path[block.name])
                elif block.kind not in ("dropout", "flatten"):
                    self.unit_clicked.emit(block.name)  # its strongest unit
                return

    def _label(self, index: int, unit: Unit) -> str | None:
        """The class of `unit` if block `index` is the output layer."""
        last = index == len(self.blocks) - 1
        return self.labels[unit.channel] if last and unit.channel < len(self.labels) else None

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        text = self.palette().color(QPalette.ColorRole.WindowText)
        total = sum(b.params for b in self.blocks)
        painter.setPen(text)
        painter.drawText(
            QRectF(0, 0, self.width(), self.fontMetrics().height() + 2),
            f"The network: {len(self.blocks)} layers, {total:,} trained parameters"
            " — the traced neuron's path is highlighted",
        )
        font = painter.font()
        small = font.pointSizeF() * 0.8
        font.setPointSizeF(small)
        painter.setFont(font)
        for index, block in enumerate(self.blocks):
            rect = self.block_rect(index)
            unit = self.path.get(block.name)
            fill = PATH if unit is not None else KIND_COLOURS.get(block.kind, QColor("#e0e0e0"))
            chosen = block.name == self.shown
            painter.setPen(QPen(SHOWN, 3) if chosen else QPen(QColor("#555"), 1))
            painter.setBrush(fill if unit is not None else fill.lighter(115))
            painter.drawRoundedRect(rect, 4, 4)
            painter.setPen(QColor("black"))
            lines = [block.name, shape_text(block.shape)]
            if unit is not None:
                lines.append(unit_text(unit, len(block.shape) == 1, self._label(index, unit)))
            else:
                lines.append(f"{block.params:,} params" if block.params else block.detail)
            centre = Qt.AlignmentFlag.AlignCenter
            painter.drawText(rect.adjusted(3, 2, -3, -2), centre, "\n".join(lines))
            if index + 1 < len(self.blocks) and self.block_rect(index + 1).top() == rect.top():
                y = rect.center().y()
                painter.setPen(QPen(text, 1))
                painter.drawLine(QPointF(rect.right() + 2, y), QPointF(rect.right() + ARROW - 2, y))
        painter.end()
