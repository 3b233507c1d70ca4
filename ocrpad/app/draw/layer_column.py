"""The Draw tab's right side: a title over the feature maps. The title is a whole sentence where
the column has room for it; where it has not (a large system font in a small window), the
heading alone, the sentence then in its tooltip, so that the maps keep their room and no line
of the title is cut at the column's foot."""

from __future__ import annotations

from typing import Final

from PySide6.QtGui import QResizeEvent, QTextDocument
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

HEADING: Final = "<b>What each layer sees</b>"
WHOLE_TITLE: Final = (
    f"{HEADING} — click a map to enlarge it, then a cell in it for the arithmetic that made"
    " it (the arrow keys and Enter work too)"
)
MAPS_ROOM: Final = 240  # px of the column's height the maps keep below a whole title
LEAST_WIDTH: Final = 170  # px: the column's least width


class LayerColumn(QWidget):
    """`title` over `maps`, the maps taking the height the title leaves."""

    def __init__(self, maps: QWidget) -> None:
        super().__init__()
        self.title = QLabel(WHOLE_TITLE)
        self.title.setWordWrap(True)
        self._column = column = QVBoxLayout(self)
        column.setContentsMargins(0, 6, 6, 6)
        column.addWidget(self.title)
        column.addWidget(maps, 1)
        self.setMinimumWidth(LEAST_WIDTH)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.fit_title()

    def fit_title(self) -> None:
        """The whole title where, at the column's width, it leaves the maps MAPS_ROOM of its
        height; else the heading alone, with the whole title in its tooltip."""
        inside = self._column.contentsRect()
        whole = self._height_of(WHOLE_TITLE, inside.width()) + MAPS_ROOM <= inside.height()
        text = WHOLE_TITLE if whole else HEADING
        if text != self.title.text():
            self.title.setText(text)
            self.title.setToolTip("" if whole else WHOLE_TITLE)

    def _height_of(self, text: str, width: int) -> int:
        """How high `text` wraps at `width` in the title's font."""
        document = QTextDocument()
        document.setDocumentMargin(0)
        document.setDefaultFont(self.title.font())
        document.setHtml(text)
        document.setTextWidth(width)
        return round(document.size().height())
