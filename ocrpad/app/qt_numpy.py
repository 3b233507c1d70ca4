"""numpy arrays ↔ QImage, without keeping references to numpy buffers alive by accident."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from PySide6.QtGui import QImage


def grey_to_qimage(image: NDArray[np.floating]) -> QImage:
    """image: (H, W) float in [0, 1] → an owning 8-bit greyscale QImage."""
    data = np.ascontiguousarray(np.clip(image, 0.0, 1.0) * 255.0 + 0.5, dtype=np.float32)
    pixels = np.ascontiguousarray(data.astype(np.uint8))
    height, width = pixels.shape
    return QImage(pixels.data, width, height, width, QImage.Format.Format_Grayscale8).copy()


def rgb_to_qimage(image: NDArray[np.uint8]) -> QImage:
    """image: (H, W, 3) uint8 RGB → an owning RGB888 QImage."""
    pixels = np.ascontiguousarray(image, dtype=np.uint8)
    height, width = pixels.shape[:2]
    return QImage(pixels.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


def qimage_to_grey(image: QImage) -> NDArray[np.uint8]:
    """A QImage → (H, W) uint8 grey array (a copy)."""
    grey = image.convertToFormat(QImage.Format.Format_Grayscale8)
    width, height, stride = grey.width(), grey.height(), grey.bytesPerLine()
    buffer = np.frombuffer(grey.constBits(), dtype=np.uint8, count=stride * height)
    return buffer.reshape(height, stride)[:, :width].copy()
