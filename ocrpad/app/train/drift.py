"""What a fine-tune did to the convolutions: one small bar per filter (how far it moved,
relative to its size), and the filters that moved most, before and after side by side."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QHelpEvent, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from ocrpad.app.colormap import colorize
from ocrpad.app.draw.numbering import shown_number
from ocrpad.app.qt_numpy import rgb_to_qimage
from ocrpad.explain.filter_drift import FilterDrift

ROW: Final = 58
HEAD: Final = 20  # the legend line
LABEL_W: Final = 110
BARS_W: Final = 240
TILE: Final = 24  # one 3x3 kernel drawn 8 px a tap
SPACE: Final = 12  # between the tiles of one filter
PAIR_W: Final = 3 * TILE + 2 * SPACE + 16  # before › after, then the change
SHOWN: Final = 3  # most-moved filters drawn per layer
WIDTH: Final = LABEL_W + BARS_W + 12 + SHOWN * PAIR_W  # what a layer's row paints
BAR: Final = QColor("#3b7dd8")
PLACEHOLDER: Final = "After a fine-tune: how far each convolution filter moved"
UNMEASURED: Final = "How far the filters moved could not be measured this time ({})."
LEGEND: Final = (
    "Bars: how far each filter moved, relative to its size.  Most moved: before › after,"
    " then the change (its own scale)"
)


class FilterDriftView(QWidget):
    """set_drift() with the layers of one fine-tune (empty: nothing yet, or ``problem``
    says why they could not be measured)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("filterDrift")
        self.setAccessibleName("How far each convolution filter moved in the fine-tune")
        self.drift: list[FilterDrift] = []
        self.placeholder = PLACEHOLDER  # what the view says while it has no layers to draw
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_drift(self, drift: Sequence[FilterDrift], problem: str = "") -> None:
        self.drift = list(drift)
        self.placeholder = UNMEASURED.format(problem) if problem else PLACEHOLDER
        self.setAccessibleDescription(self.placeholder if not self.drift else "")
        self._fit()
        self.update()

    def _fit(self) -> None:
        """At least as wide as a row paints (narrower, the scroll area around it scrolls)
        and as tall as the legend and the rows; nothing yet: the placeholder wraps."""
        self.setMinimumWidth(WIDTH if self.drift else 0)
        self.setMinimumHeight(self.head() + ROW * len(self.drift) + 8 if self.drift else 60)

    def head(self) -> int:
        """The legend's height: its lines wrapped to the width the rows paint."""
        flags = Qt.TextFlag.TextWordWrap
        lines = self.fontMetrics().boundingRect(QRect(0, 0, WIDTH, 1000), flags, LEGEND)
        return max(HEAD, lines.height() + 4)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(WIDTH, self.head() + max(60, ROW * len(self.drift)))

    def _peak(self) -> float:
        return max((float(d.moved.max()) for d in self.drift if d.moved.size), default=0.0) or 1.0

    def bar_rect(self, row: int, index: int) -> QRectF:
        """Filter `index` of layer `row`: its bar's full-height slot."""
        count = len(self.drift[row].moved)
        width = BARS_W / max(count, 1)
        top = self.head() + 4 + row * ROW
        return QRectF(LABEL_W + index * width, top + 14, max(width - 1, 1), ROW - 22)

    def filter_at(self, pos: QPointF) -> tuple[int, int] | None:
        """(layer row, filter) of the bar under a point."""
        for row, layer in enumerate(self.drift):
            for index in range(len(layer.moved)):
                if self.bar_rect(row, index).contains(pos):
                    return row, index
        return None

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            assert isinstance(event, QHelpEvent)
            found = self.filter_at(QPointF(event.pos()))
            if found is None:
                QToolTip.hideText()
            else:
                layer = self.drift[found[0]]
                moved = 100 * float(layer.moved[found[1]])
                number = shown_number(found[1])
                text = f"{layer.layer} filter {number} moved {moved:.2g}% of its size"
                QToolTip.showText(event.globalPos(), text, self)
            return True
        return super().event(event)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        text = self.palette().color(QPalette.ColorRole.WindowText)
        painter.setPen(text)
        if not self.drift:
            flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
            painter.drawText(self.rect(), flags, self.placeholder)
            return
        peak, head = self._peak(), self.head()
        flags = Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextWordWrap
        painter.drawText(QRectF(0, 0, WIDTH, head), flags, LEGEND)
        for row, layer in enumerate(self.drift):
            top = head + 4 + row * ROW
            painter.setPen(text)
            most = 100 * float(layer.moved.max()) if layer.moved.size else 0.0
            label = f"{layer.layer}\n" + (f"most {most:.2g}%" if most else "unchanged")
            painter.drawText(
                QRectF(0, top, LABEL_W - 6, ROW - 6), Qt.AlignmentFlag.AlignVCenter, label
            )
            for index, moved in enumerate(layer.moved):
                slot = self.bar_rect(row, index)
                height = slot.height() * float(moved) / peak
                painter.fillRect(
                    QRectF(slot.left(), slot.bottom() - height, slot.width(), height), BAR
                )
            if most:
                self._most_moved(painter, layer, top)
        painter.end()

    def _most_moved(self, painter: QPainter, layer: FilterDrift, top: float) -> None:
        """The SHOWN most-moved filters (the input channel that changed most): before and
        after on one colour scale centred on 0, then the change on its own."""
        left = LABEL_W + BARS_W + 12
        centre = Qt.AlignmentFlag.AlignCenter
        for k, index in enumerate(layer.most_moved(SHOWN)):
            channel = layer.strongest_channel(index)
            before, after = layer.before[index, channel], layer.after[index, channel]
            bound = float(max(np.abs(before).max(), np.abs(after).max())) or 1.0
            change = after - before
            change_bound = float(np.abs(change).max()) or 1.0
            x = left + k * PAIR_W
            painter.setPen(self.palette().color(QPalette.ColorRole.WindowText))
            name = f"f{shown_number(index)}"
            painter.drawText(QRectF(x, top, 3 * TILE + 2 * SPACE, 12), centre, name)
            tiles = ((before, bound), (after, bound), (change, change_bound))
            for j, (kernel, scale) in enumerate(tiles):
                image = rgb_to_qimage(colorize(kernel, -scale, scale, diverging=True))
                painter.drawImage(QRectF(x + j * (TILE + SPACE), top + 14, TILE, TILE), image)
            painter.drawText(QRectF(x + TILE, top + 14, SPACE, TILE), centre, "›")
            painter.drawText(QRectF(x + 2 * TILE + SPACE, top + 14, SPACE, TILE), centre, "Δ")
