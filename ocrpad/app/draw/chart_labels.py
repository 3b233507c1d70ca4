"""The probability chart's label fonts, made once a paint."""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontMetricsF


class LabelStyles:
    """The class labels' font, regular and bold, each with its metrics: made once a paint rather
    than once a label (94 labels; their metrics were most of the chart's Python time)."""

    def __init__(self, font: QFont) -> None:
        bold = QFont(font)
        bold.setBold(True)
        regular = QFont(font)
        regular.setBold(False)
        self.regular = (regular, QFontMetricsF(regular))
        self.bold = (bold, QFontMetricsF(bold))
