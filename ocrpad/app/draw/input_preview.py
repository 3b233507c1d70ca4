"""The exact 28×28 network input, enlarged with crisp pixels."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QImage, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

from ocrpad.app.qt_numpy import grey_to_qimage


class InputPreview(QWidget):
    """Shows image: (28, 28) float32 in [0, 1] (white ink on black), nearest-neighbour scaled."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("inputPreview")
        self.setAccessibleName("Network input, 28 by 28 pixels")
        self.setToolTip("The exact 28×28 image the network sees")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self._image: QImage | None = None
        self._array: NDArray[np.float32] | None = None

    def set_image(self, image: NDArray[np.floating] | None) -> None:
        self._array = None if image is None else np.asarray(image, dtype=np.float32)
        self._image = None if image is None else grey_to_qimage(image)
        self.update()

    def image(self) -> NDArray[np.float32] | None:
        return self._array

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(170, 170)  # 6 screen pixels per input pixel where there is room

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        """One screen pixel per input pixel at the least: where the window is too low (a large
        system font, the tools on three lines), the big answer keeps its room instead."""
        return QSize(30, 30)

    def image_rect(self) -> QRect:
        """Where the 28×28 image is drawn (a whole number of pixels per input pixel)."""
        side = min(self.width(), self.height()) - 2
        side -= side % 28 if side >= 28 else 0
        target = QRect(0, 0, side, side)
        target.moveCenter(self.rect().center())
        return target

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        target = self.image_rect()  # the rest stays the panel's own background
        painter.fillRect(target, Qt.GlobalColor.black)
        if self._image is not None:
            painter.drawImage(target, self._image)
        painter.setPen(self.palette().color(QPalette.ColorRole.Mid))
        painter.drawRect(target.adjusted(-1, -1, 0, 0))
        painter.end()
