"""The sample browser's list entries: a class with its count, and a drawing's thumbnail."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
from numpy.typing import NDArray
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QListWidget, QListWidgetItem

from ocrpad.app.words import plural
from ocrpad.data.samples import Sample

THUMB: Final = 56
ID_ROLE: Final = Qt.ItemDataRole.UserRole  # a class's label, a thumbnail's sample id


def strokes_image(strokes: Sequence[NDArray[np.float32]], size: int) -> QImage:
    """The strokes drawn black on white, scaled to fit a ``size`` square with a margin."""
    image = QImage(size, size, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    points = np.concatenate([np.asarray(s, np.float64).reshape(-1, 2) for s in strokes])
    low, high = points.min(axis=0), points.max(axis=0)
    scale = (size * 0.8) / max(float((high - low).max()), 1e-6)
    offset = (size - (high - low) * scale) / 2 - low * scale
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = QPen(QColor("black"), max(1.5, size / 28), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    for stroke in strokes:
        xy = np.asarray(stroke, np.float64).reshape(-1, 2) * scale + offset
        qpoints = [QPointF(float(x), float(y)) for x, y in xy]
        if len(qpoints) == 1:
            painter.drawPoint(qpoints[0])
        else:
            painter.drawPolyline(qpoints)
    painter.end()
    return image


def thumbnail_item(sample: Sample) -> QListWidgetItem:
    """A grid entry: the drawing, small, with its id and source as tooltip and spoken text."""
    item = QListWidgetItem(QIcon(QPixmap.fromImage(strokes_image(sample.strokes, THUMB))), "")
    item.setData(ID_ROLE, sample.id)
    item.setToolTip(f"#{sample.id} · {sample.source}")
    spoken = f"{sample.label!r}, drawing {sample.id}, {sample.source}"
    item.setData(Qt.ItemDataRole.AccessibleTextRole, spoken)  # it shows no text
    return item


def class_item(label: str, count: int) -> QListWidgetItem:
    """A class-list entry: the label and how many drawings it has."""
    item = QListWidgetItem(f"{label}   ({count})")
    item.setData(ID_ROLE, label)
    item.setToolTip(f"{plural(count, 'drawing')} of {label!r} (U+{ord(label):04X})")
    return item


def fill_classes(classes: QListWidget, counts: dict[str, int], keep: str | None) -> None:
    """Show ``counts`` (label -> drawings), ``keep`` chosen if it is among them, else none (a
    class that went leaves no other chosen). No signal goes out: the caller fills the grid."""
    classes.blockSignals(True)
    classes.clear()
    for label, count in counts.items():
        classes.addItem(class_item(label, count))
    labels = list(counts)
    classes.setCurrentRow(labels.index(keep) if keep in labels else -1)
    classes.blockSignals(False)
