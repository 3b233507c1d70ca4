"""The sample browser's list entries: a class with its count, and a drawing's thumbnail."""

from __future__ import annotations

import html
import time
from collections.abc import Sequence
from typing import Any, Final, TypeAlias

import numpy as np
from numpy.typing import NDArray
from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QPointF,
    QRect,
    QSize,
    Qt,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QIcon,
    QImage,
    QPainter,
    QPalette,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import (
    QListView,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from ocrpad.app.draw.spoken import character_name
from ocrpad.app.words import plural
from ocrpad.data.samples import Sample, SampleStore, StoreError

THUMB: Final = 56
FRAME: Final = 3  # the selection around a thumbnail
ID_ROLE: Final = Qt.ItemDataRole.UserRole  # a class's label, a thumbnail's sample id
COUNT_ROLE: Final = Qt.ItemDataRole.UserRole + 1  # a class's number of drawings
STROKES_ROLE: Final = Qt.ItemDataRole.UserRole + 2  # a thumbnail's strokes (to draw again)
NARROWEST: Final = ("W", 0)  # the class list is at least as wide as this entry
WIDEST: Final = ("W", 9_999_999)  # and at most: a wider one is cut off at the right
Index: TypeAlias = QModelIndex | QPersistentModelIndex


def strokes_image(
    strokes: Sequence[NDArray[np.float32]], size: int, paper: QColor, ink: QColor
) -> QImage:
    """The strokes drawn in `ink` on `paper`, scaled to fit a ``size`` square with a margin."""
    image = QImage(size, size, QImage.Format.Format_RGB32)
    image.fill(paper)
    points = np.concatenate([np.asarray(s, np.float64).reshape(-1, 2) for s in strokes])
    low, high = points.min(axis=0), points.max(axis=0)
    scale = (size * 0.8) / max(float((high - low).max()), 1e-6)
    offset = (size - (high - low) * scale) / 2 - low * scale
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = QPen(ink, max(1.5, size / 28), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
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


def strokes_pixmap(strokes: Sequence[NDArray[np.float32]], size: int, view: QWidget) -> QPixmap:
    """The strokes as `view` shows a drawing: its ink (Text) on its paper (Base), as the
    drawing areas are, in a ``size`` square drawn at the screen's pixel density (sharp
    where the screen has two pixels to a point)."""
    ratio = view.devicePixelRatioF()
    palette = view.palette()
    paper, ink = palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Text)
    pixmap = QPixmap.fromImage(strokes_image(strokes, round(size * ratio), paper, ink))
    pixmap.setDevicePixelRatio(ratio)
    return pixmap


SPOKEN_SOURCES: Final = {
    "prompt": "prompted",
    "free": "typed label",
    "correction": "corrected",
    "import": "imported",
}


def spoken_name(sample: Sample) -> str:
    """What a screen reader says of a thumbnail, which shows no text: the character as it is
    heard ('capital S', 'full stop': a reader set to skip punctuation says nothing of "."),
    the drawing's number and how it was made: 'capital S, drawing 17, prompted'."""
    how = SPOKEN_SOURCES.get(sample.source, sample.source)
    return f"{character_name(sample.label)}, drawing {sample.id}, {how}"


class Thumbnail(QListWidgetItem):
    """A grid entry: the drawing, small, with its id and source as tooltip and spoken text.
    Its picture is drawn when first asked for (shown or read), in its list's colours and at
    its density: a class of a thousand shows its first screenful at once (each costs ~1 ms)."""

    def __init__(self, sample: Sample) -> None:
        super().__init__()
        self._icon: QIcon | None = None
        self.setData(ID_ROLE, sample.id)
        self.setData(STROKES_ROLE, sample.strokes)
        self.setToolTip(f"#{sample.id} · {sample.source}")
        self.setData(Qt.ItemDataRole.AccessibleTextRole, spoken_name(sample))  # no text shown

    def data(self, role: int) -> Any:
        if role != Qt.ItemDataRole.DecorationRole:
            return super().data(role)
        grid = self.listWidget()
        if self._icon is None and grid is not None:
            self._icon = QIcon(strokes_pixmap(super().data(STROKES_ROLE), THUMB, grid))
        return self._icon

    def forget_picture(self) -> None:
        """A new theme or screen: the picture is drawn again when next asked for."""
        self._icon = None


def thumbnail_item(sample: Sample, grid: QListWidget) -> QListWidgetItem:
    """A grid entry for `grid` (a ``Thumbnail``: its picture waits until `grid` shows it, and
    is drawn in the colours and density of the list it is in then)."""
    del grid  # (the entry asks its list when it is drawn)
    return Thumbnail(sample)


def details_html(sample: Sample) -> str:
    """The lines under the large drawing, as HTML: the label in bold (escaped: a drawing of
    '<' is no tag), the id, where it came from and when."""
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(sample.created))
    label, source = html.escape(sample.label), html.escape(sample.source)
    return f"<b>{label}</b> · #{sample.id}<br>{source}, {when}"


def empty_text(store: SampleStore | None, *, chosen: bool) -> str:
    """The line where the details go when no drawing is chosen (a class is if `chosen`)."""
    if store is None:
        return "No sample store"
    try:
        empty = store.count() == 0
    except StoreError:
        return "Your drawings cannot be read right now"
    hint = "Click a drawing to see it large" if chosen else "Choose a character on the left"
    return "No drawings yet" if empty else hint


def class_item(label: str, count: int) -> QListWidgetItem:
    """A class-list entry: the label and how many drawings it has (``ClassEntries`` paints
    it; the text is what a screen reader says)."""
    item = QListWidgetItem(f"{label}   ({count:,})")
    item.setData(ID_ROLE, label)
    item.setData(COUNT_ROLE, count)
    item.setToolTip(f"{plural(count, 'drawing')} of “{label}” (U+{ord(label):04X})")
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
    entries = classes.itemDelegate()
    if isinstance(entries, ClassEntries):
        entries.fit()


class ClassEntries(QStyledItemDelegate):
    """Paints the class list's entries: the character in the list's (large) font, its count in
    ``count_font``, right-aligned, so that the counts line up and a narrow list shows them
    whole. ``fit`` makes the list as wide as its widest entry."""

    def __init__(self, classes: QListWidget, count_font: QFont) -> None:
        super().__init__(classes)
        self.classes = classes
        self.count_font = QFont(count_font)
        self.count_font.setPointSizeF(count_font.pointSizeF())  # set, so the list's large
        # font (the painter's) does not stand in for it
        classes.setItemDelegate(self)
        classes.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        classes.verticalScrollBar().rangeChanged.connect(lambda *_: self.fit())

    def _margin(self) -> int:
        metric = QStyle.PixelMetric.PM_FocusFrameHMargin
        return self.classes.style().pixelMetric(metric, None, self.classes) + 1

    def entry_width(self, label: str, count: int) -> int:
        """The width an entry needs: character, a gap, count, and the style's margins."""
        character = self.classes.fontMetrics().horizontalAdvance(label)
        number = QFontMetrics(self.count_font).horizontalAdvance(f"  {count:,}")
        return character + number + 2 * self._margin()

    def fit(self) -> None:
        """As wide as the widest entry (within NARROWEST's and WIDEST's), plus the vertical
        scroll bar when it shows: never a horizontal one."""
        low, high = self.entry_width(*NARROWEST), self.entry_width(*WIDEST)
        content = min(max(self.classes.sizeHintForColumn(0), low), high)
        bar = self.classes.verticalScrollBar()
        scrollbar = bar.sizeHint().width() if bar.maximum() > 0 else 0
        self.classes.setFixedWidth(content + 2 * self.classes.frameWidth() + scrollbar)

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:  # noqa: N802
        width = self.entry_width(str(index.data(ID_ROLE)), int(index.data(COUNT_ROLE) or 0))
        return QSize(width, super().sizeHint(option, index).height())

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        view = QStyleOptionViewItem(option)
        self.initStyleOption(view, index)
        view.text = ""  # the background, selection and focus only: the text comes next
        style = self.classes.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, view, painter, self.classes)
        selected = bool(view.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        area = view.rect.adjusted(self._margin(), 0, -self._margin(), 0)
        middle = Qt.AlignmentFlag.AlignVCenter
        painter.save()
        painter.setPen(view.palette.color(role))
        painter.setFont(view.font)
        painter.drawText(area, middle | Qt.AlignmentFlag.AlignLeft, str(index.data(ID_ROLE)))
        painter.setFont(self.count_font)
        painter.drawText(area, middle | Qt.AlignmentFlag.AlignRight, f"{index.data(COUNT_ROLE):,}")
        painter.restore()


class ThumbnailEntries(QStyledItemDelegate):
    """Paints the grid's entries: the thumbnail alone, in a square of its own with the
    selection as a frame around it (a list entry's empty text would add a highlight bar)."""

    def __init__(self, grid: QListWidget) -> None:
        super().__init__(grid)
        self.grid = grid
        grid.setItemDelegate(self)
        grid.setViewMode(QListView.ViewMode.IconMode)  # rows that wrap, cells centred
        grid.setIconSize(QSize(THUMB, THUMB))
        grid.setGridSize(QSize(THUMB + 10, THUMB + 10))
        grid.setResizeMode(QListView.ResizeMode.Adjust)
        grid.setMovement(QListView.Movement.Static)
        grid.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        # at least one cell wide beside its scroll bar: narrower, the list wraps before its
        # first drawing and leaves an empty row on top
        scrollbar = grid.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        grid.setMinimumWidth(THUMB + 10 + scrollbar + 2 * grid.frameWidth() + 2)
        grid.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        """A new theme or screen: the thumbnails drawn again in its colours and density."""
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.DevicePixelRatioChange):
            for row in range(self.grid.count()):
                item = self.grid.item(row)
                if isinstance(item, Thumbnail):
                    item.forget_picture()  # drawn again as each is shown: not all a thousand
            self.grid.viewport().update()
        return False

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:  # noqa: N802
        return QSize(THUMB + 2 * FRAME, THUMB + 2 * FRAME)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        view = QStyleOptionViewItem(option)
        self.initStyleOption(view, index)
        icon = QIcon(view.icon)
        view.text, view.icon = "", QIcon()  # the background, selection and focus only
        view.features &= ~QStyleOptionViewItem.ViewItemFeature.HasDecoration
        view.rect = QRect(QPoint(0, 0), self.sizeHint(option, index))
        view.rect.moveCenter(option.rect.center())
        style = self.grid.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, view, painter, self.grid)
        selected = bool(view.state & QStyle.StateFlag.State_Selected)
        mode = QIcon.Mode.Selected if selected else QIcon.Mode.Normal
        area = view.rect.adjusted(FRAME, FRAME, -FRAME, -FRAME)
        icon.paint(painter, area, Qt.AlignmentFlag.AlignCenter, mode)
