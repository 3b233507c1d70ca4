"""A row of tools that wraps onto further lines where the width runs out (the Draw tab's second
row at a large system font), in the order it was filled, so the Tab order reads the same."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QLayout, QLayoutItem, QSizePolicy, QSpacerItem, QWidget


class FlowLayout(QLayout):
    """Like a left-aligned ``QHBoxLayout`` while the width holds every item at its size hint:
    one line, each item at its hint, centred in the line's height (a label, which may grow,
    gets the whole height). Narrower, the items go on, in order, on the next line; a spacing
    (`addSpacing`) that would begin a line is left out. Its least width is its widest item's,
    its least height that of the lines at the width it was last given, so that the window above
    keeps room for them. No margins (it sits inside another layout)."""

    def __init__(self, spacing: int = 4) -> None:
        super().__init__()
        self._items: list[QLayoutItem] = []
        self.setSpacing(spacing)
        self.setContentsMargins(0, 0, 0, 0)
        self._width = -1  # the width it was last laid out in; -1: not yet

    # -- what QHBoxLayout's callers use ----------------------------------------------------
    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802  (Qt's name)
        self._items.append(item)
        self.invalidate()

    def addSpacing(self, size: int) -> None:  # noqa: N802
        self.addItem(QSpacerItem(size, 0, QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Minimum))

    def addStretch(self, stretch: int = 0) -> None:  # noqa: N802
        """Nothing to add: a line's free width is always left at its end."""

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802
        if not 0 <= index < len(self._items):
            return None
        item = self._items.pop(index)
        self.invalidate()
        return item

    # -- sizes -----------------------------------------------------------------------------
    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        return _height(self.lines(width), self.spacing())

    def sizeHint(self) -> QSize:  # noqa: N802
        """All on one line."""
        line = self.lines(2**24)[0]
        gaps = sum(self._gap(line[:index], item) for index, item in enumerate(line))
        return QSize(sum(_hint(item).width() for item in line) + gaps, _height([line], 0))

    def minimumSize(self) -> QSize:  # noqa: N802
        widest = max((_hint(item).width() for item in self._shown()), default=0)
        width = self._width if self._width >= 0 else self.sizeHint().width()
        return QSize(widest, self.heightForWidth(max(width, widest)))

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802
        super().setGeometry(rect)
        lines = self.lines(rect.width())
        before, self._width = self._width, rect.width()
        if len(lines) != len(self.lines(before if before >= 0 else 2**24)):
            self.invalidate()  # a line more or fewer: the window's least height follows
            parent = self.parentWidget()
            if parent is not None:
                parent.updateGeometry()
        y = rect.y()
        for line in lines:
            height = _height([line], 0)
            x = rect.x()
            for index, item in enumerate(line):
                x += self._gap(line[:index], item)
                hint = _hint(item)
                tall = item.maximumSize().height() if _grows_vertically(item) else hint.height()
                h = min(height, tall)
                item.setGeometry(QRect(QPoint(x, y + (height - h) // 2), QSize(hint.width(), h)))
                x += hint.width()
            y += height + self.spacing()

    def lines(self, width: int) -> list[list[QLayoutItem]]:
        """The items (the shown ones) of each line at `width`, in order; at least one line."""
        lines: list[list[QLayoutItem]] = [[]]
        used = 0
        for item in self._shown():
            line = lines[-1]
            gap = self._gap(line, item)
            size = _hint(item).width()
            if line and used + gap + size > width:
                lines.append(line := [])
                used = gap = 0
                if item.spacerItem() is not None:
                    continue  # a spacing does not begin a line
            used += gap + size
            line.append(item)
        return lines

    def _gap(self, line: list[QLayoutItem], item: QLayoutItem) -> int:
        """As in a QBoxLayout: the spacing between two items, an added spacing between them
        adding its width to it."""
        if item.spacerItem() is not None or all(i.spacerItem() is not None for i in line):
            return 0
        return self.spacing()

    def _shown(self) -> list[QLayoutItem]:
        return [item for item in self._items if not item.isEmpty() or item.spacerItem()]


def _hint(item: QLayoutItem) -> QSize:
    return item.sizeHint().expandedTo(item.minimumSize())


def _grows_vertically(item: QLayoutItem) -> bool:
    widget: QWidget | None = item.widget()
    if widget is None:
        return False
    policy = widget.sizePolicy().verticalPolicy()
    return bool(policy.value & QSizePolicy.PolicyFlag.GrowFlag.value)


def _height(lines: list[list[QLayoutItem]], spacing: int) -> int:
    heights = [max((_hint(item).height() for item in line), default=0) for line in lines]
    return sum(heights) + spacing * max(0, len(heights) - 1)
