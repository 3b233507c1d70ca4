"""Heat maps painted over the 28x28 input preview and over the drawing on the canvas."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray
from PySide6.QtCore import QEvent, QObject, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QWidget

from ocrpad.preprocess import RenderParams, flatten_strokes, stroke_frame

OPACITY: Final = 0.7  # alpha of the hottest pixel
# Transparent -> dark red -> orange -> yellow: reads as "heat" on both black ink backgrounds
# (the input preview) and light canvases.
_HEAT_ANCHORS: Final = np.array(
    [(128, 0, 0), (220, 40, 0), (255, 140, 0), (255, 230, 60)], dtype=np.float64
)

Placement = Callable[[], QRectF | None]


def heat_to_rgba(heat: NDArray[np.floating], opacity: float = OPACITY) -> NDArray[np.uint8]:
    """heat: (H, W) in [0, 1] -> (H, W, 4) uint8 RGBA, transparent where the heat is 0."""
    h = np.clip(np.asarray(heat, dtype=np.float64), 0.0, 1.0)
    positions = np.linspace(0.0, 1.0, len(_HEAT_ANCHORS))
    rgb = np.stack([np.interp(h, positions, _HEAT_ANCHORS[:, c]) for c in range(3)], axis=-1)
    alpha = 255.0 * opacity * h  # linear: weak evidence stays faint, no haze over the canvas
    rgba = np.concatenate([rgb, alpha[..., None]], axis=-1)
    return np.ascontiguousarray(np.round(rgba).astype(np.uint8))


def rgba_to_qimage(rgba: NDArray[np.uint8]) -> QImage:
    """(H, W, 4) uint8 RGBA (straight alpha) -> an owning QImage."""
    pixels = np.ascontiguousarray(rgba, dtype=np.uint8)
    height, width = pixels.shape[:2]
    fmt = QImage.Format.Format_RGBA8888
    return QImage(pixels.data, width, height, 4 * width, fmt).copy()


def input_square(
    strokes: Sequence[ArrayLike], params: RenderParams | None = None
) -> tuple[float, float, float] | None:
    """Where the network input lies over the drawing: (left, top, side) in stroke units, from
    the frame render_strokes uses. None for an empty drawing or a single dot (no scale)."""
    params = RenderParams() if params is None else params
    try:
        points, offsets = flatten_strokes(strokes)
    except ValueError:
        return None
    centre, scale = stroke_frame(points, offsets, params)
    if scale <= 0:
        return None
    side = params.size * params.supersample / scale  # stroke units under the whole input
    return float(centre[0]) - side / 2, float(centre[1]) - side / 2, side


class HeatmapOverlay(QWidget):
    """A transparent child covering its parent; paints the heat map into `place()`, a rect in
    the parent's coordinates (None: nothing to show). Mouse events pass through."""

    def __init__(self, parent: QWidget, place: Placement, *, smooth: bool = False) -> None:
        super().__init__(parent)
        self.setObjectName(f"{parent.objectName() or 'widget'}HeatOverlay")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self._target = parent
        self._place = place
        self._smooth = smooth
        self._image: QImage | None = None
        self._heat: NDArray[np.float32] | None = None
        self._legend = ""
        self.setGeometry(parent.rect())
        parent.installEventFilter(self)
        self.raise_()

    def set_heat(self, heat: NDArray[np.floating] | None, legend: str = "") -> None:
        """Show a (H, W) map in [0, 1]; None hides it. A `legend` (what the colours are
        evidence for) is painted as a colour bar in the bottom-left corner."""
        self._legend = legend
        self._heat = None if heat is None else np.asarray(heat, dtype=np.float32)
        self._image = None if heat is None else rgba_to_qimage(heat_to_rgba(heat))
        self.setVisible(heat is not None)
        self.update()

    def legend(self) -> str:
        """The caption of the colour key ("" when none is shown)."""
        return self._legend

    def heat(self) -> NDArray[np.float32] | None:
        return self._heat

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.parent() and event.type() == QEvent.Type.Resize:
            self.setGeometry(self._target.rect())
        return False

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        target = self._place() if self._image is not None else None
        if target is None or self._image is None:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self._smooth)
        painter.drawImage(target, self._image)
        if self._legend:
            paint_legend(painter, QRectF(self.rect()), self._legend, self.palette())
        painter.end()


def paint_legend(painter: QPainter, area: QRectF, caption: str, palette: QPalette) -> None:
    """A key in the bottom-left corner of `area`: 'none [colour ramp] peak <caption>'. Each
    map is scaled to its own peak, so the ramp ends at 'peak', not at an absolute 'strong'."""
    metrics = painter.fontMetrics()
    line = metrics.height()
    ramp_width = 80.0
    width = metrics.horizontalAdvance(f"none  peak  {caption}") + ramp_width + 16
    box = QRectF(area.left() + 6, area.bottom() - line - 12, width, line + 6)
    back = QColor(palette.color(QPalette.ColorRole.Base))
    back.setAlphaF(0.85)
    painter.fillRect(box, back)
    painter.setPen(palette.color(QPalette.ColorRole.Text))
    left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
    x = box.left() + 4
    painter.drawText(QRectF(x, box.top(), 40, box.height()), left, "none")
    x += metrics.horizontalAdvance("none ") + 2
    ramp = rgba_to_qimage(heat_to_rgba(np.linspace(0.0, 1.0, 64)[None, :]))
    bar = QRectF(x, box.center().y() - 4, ramp_width, 8)
    painter.drawImage(bar, ramp)
    x = bar.right() + 4
    painter.drawText(QRectF(x, box.top(), box.right() - x, box.height()), left, f"peak  {caption}")
