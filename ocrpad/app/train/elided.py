"""A one-line label that never grows: a text too long for it ends in "…" and the whole of it
is its tooltip (``text()`` and what a screen reader says stay whole)."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QPalette, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class ElidedLabel(QLabel):
    """Plain text on one line, as high as a line; ``mode`` says where the "…" goes."""

    def __init__(
        self,
        text: str = "",
        parent: QWidget | None = None,
        *,
        mode: Qt.TextElideMode = Qt.TextElideMode.ElideRight,
    ) -> None:
        super().__init__(text, parent)
        self.mode = mode
        self.setTextFormat(Qt.TextFormat.PlainText)  # a typed '<b>' is shown, not bold
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self._tip()

    def setText(self, text: str) -> None:  # noqa: N802
        super().setText(text)
        self._tip()

    def shown_text(self) -> str:
        """What fits on the line (the text itself, or the text cut with "…")."""
        width = self.contentsRect().width() - 2 * self.margin()
        return self.fontMetrics().elidedText(self.text(), self.mode, max(width, 0))

    def _tip(self) -> None:
        self.setToolTip(self.text() if self.shown_text() != self.text() else "")

    def sizeHint(self) -> QSize:  # noqa: N802
        margins = self.contentsMargins()
        height = self.fontMetrics().height() + 2 * self.margin()
        return QSize(super().sizeHint().width(), height + margins.top() + margins.bottom())

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(self.fontMetrics().horizontalAdvance("…"), self.sizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._tip()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        area = self.contentsRect().adjusted(self.margin(), 0, -self.margin(), 0)
        align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        role = QPalette.ColorRole.WindowText
        self.style().drawItemText(
            painter, area, align, self.palette(), self.isEnabled(), self.shown_text(), role
        )
        painter.end()
