"""What a fine-tune changed: per-class accuracy before/after and a confusion view."""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray
from PySide6.QtCore import QEvent, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPaintEvent, QPalette, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QSizePolicy,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from ocrpad.learning.finetune_report import FineTuneReport

BETTER: Final = QColor("#d4f1dc")
WORSE: Final = QColor("#f8d7d5")


def percent(value: float | None) -> str:
    """An accuracy as a whole percentage; '—' when there is none."""
    return "—" if value is None else f"{100 * value:.0f}%"


TITLES: Final = ("Class", "Held", "Before", "After", "Δ")
EXPLAINED: Final = (
    "The character",
    "How many of its drawings were held back to measure the change",
    "Held-back drawings read correctly before the fine-tune",
    "Held-back drawings read correctly after it",
    "The change, in percentage points",
)


class BeforeAfterTable(QTableWidget):
    """One row per held-back class: drawings, accuracy before, after, change."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, 5, parent)
        self.setObjectName("beforeAfterTable")
        self.setAccessibleName("Held-back drawings read correctly before and after")
        self.setHorizontalHeaderLabels(list(TITLES))
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        for column, text in enumerate(EXPLAINED):  # short titles, so the table fits the
            item = self.horizontalHeaderItem(column)  # column of a small window; the
            if item is not None:  # tooltip says what each one means
                item.setToolTip(text)
        header = self.horizontalHeader()  # the columns share the width they are given
        header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # (see `_share`), so that
        header.setMinimumSectionSize(8)  # the change (Δ) is in view without a sideways
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # scroll

    def _needs(self) -> list[int]:
        """Each title's width with the header's margins (and a grid line)."""
        header = self.horizontalHeader()
        margin = self.style().pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, header)
        metrics = header.fontMetrics()
        return [metrics.horizontalAdvance(title) + 2 * margin + 2 for title in TITLES]

    def _share(self) -> None:
        """Every column its title's width, and an equal share of the rest: "Before" is never
        cut or pressed against its borders while "Δ" has room to spare."""
        needs = self._needs()
        extra = max(0, self.viewport().width() - sum(needs))
        for column, need in enumerate(needs):
            share = extra // len(needs) + (column < extra % len(needs))
            self.horizontalHeader().resizeSection(column, need + share)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        hint = super().minimumSizeHint()
        return QSize(sum(self._needs()) + 2 * self.frameWidth(), hint.height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._share()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self.updateGeometry()
            self._share()

    def show_report(self, report: FineTuneReport | None) -> None:
        self.setRowCount(0)
        if report is None:
            return
        before, after = report.per_class_before, report.per_class_after
        counts = {c: report.held_out_truth.count(c) for c in before}
        rows = [("All", report.held_out_count, report.accuracy_before, report.accuracy_after)]
        rows += [(c, counts[c], before[c], after.get(c)) for c in sorted(before)]
        self.setRowCount(len(rows))
        for r, (label, count, old, new) in enumerate(rows):
            change = None if old is None or new is None else new - old
            cells = [label, str(count), percent(old), percent(new)]
            cells.append("—" if change is None else f"{100 * change:+.0f}")
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if change is not None and abs(change) > 1e-9:
                    item.setBackground(QBrush(BETTER if change > 0 else WORSE))
                    item.setForeground(QBrush(QColor("black")))
                self.setItem(r, c, item)


class ConfusionView(QWidget):
    """Rows = true class, columns = prediction; cell shade = count, diagonal green, rest red."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("confusionView")
        self.setAccessibleName("Confusion matrix of the held-back drawings")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(100, 100)
        self._chars: list[str] = []
        self._counts: NDArray[np.int64] = np.zeros((0, 0), np.int64)

    def set_matrix(self, chars: list[str], counts: NDArray[np.int64]) -> None:
        self._chars, self._counts = list(chars), np.asarray(counts, np.int64)
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(240, 240)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        text = self.palette().color(QPalette.ColorRole.WindowText)
        painter.setPen(text)
        n = len(self._chars)
        if n == 0:
            painter.drawText(
                self.rect(),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                "The confusion view fills in after a fine-tune with held-back drawings",
            )
            return
        title = float(self.fontMetrics().height()) + 2  # the axis names
        gutter = 22.0 + title
        cell = max(4.0, min((self.width() - gutter) / n, (self.height() - gutter) / n))
        peak = max(1, int(self._counts.max()))
        painter.setPen(text)
        left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        painter.drawText(QRectF(gutter, 0, n * cell + 200, title), left, "predicted as →")
        painter.save()
        painter.translate(0, gutter + n * cell)
        painter.rotate(-90)  # "true class", read bottom to top along the rows
        painter.drawText(QRectF(0, 0, n * cell, title), left, "← true class")
        painter.restore()
        for i in range(n):
            centre = Qt.AlignmentFlag.AlignCenter
            painter.setPen(text)
            row_label = QRectF(title, gutter + i * cell, gutter - title, cell)
            painter.drawText(row_label, centre, self._chars[i])
            column_label = QRectF(gutter + i * cell, title, cell, gutter - title)
            painter.drawText(column_label, centre, self._chars[i])
        for i in range(n):
            for j in range(n):
                rect = QRectF(gutter + j * cell, gutter + i * cell, cell, cell)
                self._cell(painter, rect, i, j, peak)

    def _cell(self, painter: QPainter, rect: QRectF, i: int, j: int, peak: int) -> None:
        count = int(self._counts[i, j])
        base = QColor("#2e9e5b") if i == j else QColor("#d9534f")
        base.setAlphaF(0.08 + 0.92 * count / peak if count else 0.04)
        painter.fillRect(rect.adjusted(0.5, 0.5, -0.5, -0.5), base)
        if count and rect.width() >= 14:
            painter.setPen(QColor("white") if count / peak > 0.5 else QColor("black"))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, str(count))
