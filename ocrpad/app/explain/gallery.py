"""The dream gallery: what the network imagines each class looks like.

``python -m ocrpad.devtools.dream_gallery`` renders the README's picture from the same dreams
and the same grid (``gallery_image``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final

import numpy as np
from numpy.typing import NDArray
from PySide6.QtCore import QEvent, QObject, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QDialog, QLabel, QProgressBar, QScrollArea, QVBoxLayout, QWidget

from ocrpad.app.draw.spoken import character_name, tell
from ocrpad.app.qt_numpy import grey_to_qimage

TILE: Final = 84  # pixels per dream (3x the 28x28 input)
CAPTION: Final = 22  # label height under each tile
GAP: Final = 8
INTRO: Final = (
    "Each picture is drawn by the network itself: a few random pen strokes, bent by gradient "
    "ascent until the network is sure of the class wherever the drawing sits: what it has "
    "learned a character looks like."
)


def stretch(image: NDArray[np.floating]) -> NDArray[np.float32]:
    """Scale one dream to its own brightest pixel: (H, W) -> (H, W) in [0, 1]."""
    top = float(np.max(image))
    return np.asarray(image / top if top > 0 else image, dtype=np.float32)


def gallery_image(
    images: NDArray[np.floating],
    names: list[str],
    columns: int = 10,
    tile: int = TILE,
    *,
    colours: tuple[QColor, QColor] = (QColor(40, 40, 44), QColor(230, 230, 230)),
    ratio: float = 1.0,
) -> QImage:
    """A grid of dreams (K, H, W) with their names below (ARGB32), in `colours` (background,
    text; the README's picture: light on dark). Sizes are in device-independent pixels: the
    image has `ratio` device pixels to each (a screen's devicePixelRatio), so the captions
    are sharp on a high-density screen."""
    count = len(images)
    columns = max(1, min(columns, count))
    rows = -(-count // columns)
    width = columns * (tile + GAP) + GAP
    height = rows * (tile + CAPTION + GAP) + GAP
    canvas = QImage(round(width * ratio), round(height * ratio), QImage.Format.Format_ARGB32)
    canvas.setDevicePixelRatio(ratio)
    canvas.fill(colours[0])
    painter = QPainter(canvas)
    font = QFont()
    font.setPixelSize(CAPTION - 6)
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(colours[1])
    for index, (image, name) in enumerate(zip(images, names, strict=True)):
        row, col = divmod(index, columns)
        x, y = GAP + col * (tile + GAP), GAP + row * (tile + CAPTION + GAP)
        painter.drawImage(QRectF(x, y, tile, tile), grey_to_qimage(stretch(image)))
        caption = QRectF(x, y + tile, tile, CAPTION)
        painter.drawText(caption, Qt.AlignmentFlag.AlignCenter, name)
    painter.end()
    return canvas


class DreamGalleryDialog(QDialog):
    """Shows progress while the worker dreams, then the gallery; follows model swaps."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dreamGallery")
        self.setWindowTitle("What the network imagines each character looks like")
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setObjectName("dreamProgress")
        self.progress.setAccessibleName("Dreaming progress")
        self.picture = QLabel()
        self.picture.setObjectName("dreamPicture")
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setAccessibleName("Dream image of every class")
        scroller = QScrollArea()
        scroller.setObjectName("dreamScroller")
        scroller.setWidgetResizable(True)
        scroller.setWidget(self.picture)
        scroller.setAccessibleName(self.picture.accessibleName())  # the first focus, whose
        # description names the dreams in order; its arrow keys scroll them
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.progress)
        layout.addWidget(scroller, 1)
        self.scroller = scroller
        scroller.viewport().installEventFilter(self)
        self.names: list[str] = []
        self._images: NDArray[np.float32] | None = None
        self.image: QImage | None = None  # the gallery as shown, at the screen's density
        self.clock: Callable[[], float] = time.monotonic  # seconds; replaceable in tests
        self._first_report: tuple[float, int, int] | None = None  # (clock, done, total)
        room = self.screen().availableGeometry().size() * 0.9  # fits a small screen too
        self.resize(min(11 * (TILE + GAP) + 60, room.width()), min(760, room.height()))
        self.clear()

    def clear(self) -> None:
        """Forget the pictures (the model changed): wait for new ones."""
        self.names = []
        self._images = None
        self.picture.setPixmap(QPixmap())
        self.picture.setText("Dreaming…")
        tell(self.scroller, description="Dreaming…")
        self.progress.setRange(0, 0)  # busy until the first progress report
        self.progress.setFormat("%p%")
        self.progress.show()
        self._first_report = None  # the clock starts with the new job's first report

    def show_progress(self, done: int, total: int) -> None:
        """`done` of `total` ascent steps taken: the bar, and how long the rest will take at
        the pace since the job's first report (dreaming every class takes minutes on a small
        computer). The time before that report (say, the gallery closed after a model swap)
        does not count, nor do the steps a resumed job had taken before it."""
        now = self.clock()
        first = self._first_report
        if first is None or total != first[2] or done < first[1]:  # a new job
            first = self._first_report = (now, done, total)
        started, done_then, _ = first
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        left = time_left(done - done_then, total - done_then, now - started)
        self.progress.setFormat("%p%" if left is None else f"%p% · {left}")

    def set_dreams(
        self, images: NDArray[np.floating], names: list[str], *, complete: bool = True
    ) -> None:
        """images: (K, 28, 28) in [0, 1], one per name (blank for those still being dreamt
        when not `complete`: the progress bar stays)."""
        self.names = list(names)
        self._images = np.asarray(images, dtype=np.float32)
        self.progress.setVisible(not complete)
        self.picture.setText("")
        tell(self.scroller, description=dreams_said(self.names, complete=complete))
        self._draw()

    def _draw(self) -> None:
        """The grid at the largest tile that shows every class without scrolling."""
        if self._images is None:
            return
        viewport = self.scroller.viewport().size()
        columns, tile = fitting_grid(len(self._images), viewport.width(), viewport.height())
        palette = self.palette()  # the picture's, which gets it after the dialog
        colours = (
            palette.color(QPalette.ColorRole.Window),
            palette.color(QPalette.ColorRole.WindowText),
        )
        ratio = self.picture.devicePixelRatioF()
        self.image = gallery_image(
            self._images, self.names, columns, tile, colours=colours, ratio=ratio
        )
        self.picture.setPixmap(QPixmap.fromImage(self.image))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._draw()  # the theme's colours

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.scroller.viewport() and event.type() == QEvent.Type.Resize:
            self._draw()  # the grid follows the dialog's size
        return False


def dreams_said(names: list[str], *, complete: bool) -> str:
    """What a screen reader hears of the gallery, which is one picture: the classes in their
    order ('Dreams of 3 classes, in reading order: 0, capital A, small a')."""
    heard = ", ".join(character_name(name) for name in names)
    still = "" if complete else " (more are being dreamt)"
    return f"Dreams of {len(names)} classes{still}, in reading order: {heard}"


def time_left(done: int, total: int, elapsed: float) -> str | None:
    """ "about 2 min left" at the pace of the first `done` of `total` (None before the first
    is done, or once all are)."""
    if done <= 0 or done >= total or elapsed <= 0:
        return None
    seconds = elapsed / done * (total - done)
    if seconds < 60:
        return f"about {max(1, round(seconds))} s left"
    return f"about {round(seconds / 60)} min left"


def fitting_grid(count: int, width: int, height: int) -> tuple[int, int]:
    """(columns, tile side) of the largest tiles (at most TILE) that fit `count` dreams with
    their captions into width x height pixels; at least 40 px (the view scrolls then)."""
    best = (10, 40)
    for columns in range(1, max(count, 1) + 1):
        rows = -(-count // columns)
        across = (width - GAP) // columns - GAP
        down = (height - GAP) // rows - GAP - CAPTION
        tile = min(TILE, across, down)
        if tile > best[1]:
            best = (columns, tile)
    return best
