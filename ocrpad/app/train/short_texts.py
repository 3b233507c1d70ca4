"""Shorter texts where a column is narrow. At a large system font the Train tab's three columns
fit a window 1100 pixels wide only if a few long texts give way: "I'll type the label", "Undo
delete" and the names of the results tabs. Each shows its full text wherever there is room for
it (at the usual font, always); where it shows the short one, the full text stays its
accessible name and leads its tooltip, and its Alt key stays the same."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from PySide6.QtCore import QEvent, QSize
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QGroupBox,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QStyle,
    QStyleOptionGroupBox,
    QTabBar,
    QWidget,
)

if TYPE_CHECKING:  # what `_ShortWhenNarrow` is mixed into, for the type checker
    _ButtonBase = QAbstractButton
else:  # at run time a plain mixin, before the Qt button class
    _ButtonBase = object
APART: Final = " — "  # between the full name and what the tooltip said before


def plain(text: str) -> str:
    """`text` as it reads: without the '&' that marks its Alt key ('&&' is one '&')."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


def tip_with_name(name: str, tip: str) -> str:
    """The tooltip of a shortened text: its full name first, then what the tip said."""
    return f"{name}{APART}{tip}" if tip else name


class _ButtonTexts:
    """A button's full and short text and the size each needs (measured at each font
    change); ``fit`` shows the full text where the button is as wide as it needs."""

    def __init__(self, button: QAbstractButton, full: str, short: str) -> None:
        self.button, self.full, self.short = button, full, short
        self.full_hint = self.short_hint = QSize()
        self._tip = ""  # the tooltip while the full text shows
        button.setAccessibleName(plain(full))
        policy = button.sizePolicy()  # a button's is Minimum: never narrower than its hint
        policy.setHorizontalPolicy(QSizePolicy.Policy.Preferred)
        button.setSizePolicy(policy)

    def measure(self, hint: Callable[[], QSize]) -> None:
        """`hint` (the button's own size hint) with each text; the text shown is kept."""
        shown = self.button.text()
        self.button.setText(self.short)
        self.short_hint = hint()
        self.button.setText(self.full)
        self.full_hint = hint()
        self.button.setText(shown)
        self.button.updateGeometry()

    def fit(self) -> None:
        full = self.button.width() >= self.full_hint.width()
        text = self.full if full else self.short
        if text == self.button.text():
            return
        if not full:
            self._tip = self.button.toolTip()
        self.button.setText(text)
        self.button.setToolTip(self._tip if full else tip_with_name(plain(self.full), self._tip))


class _ShortWhenNarrow(_ButtonBase):
    """What a button that asks for room for its full text and makes do with its short one
    does (mixed into a Qt button class, before it)."""

    texts: _ButtonTexts

    def _take_texts(self, full: str, short: str) -> None:
        self.texts = _ButtonTexts(self, full, short)
        self.texts.measure(super().sizeHint)

    def sizeHint(self) -> QSize:  # noqa: N802
        return self.texts.full_hint

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return self.texts.short_hint

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self.texts.measure(super().sizeHint)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.texts.fit()


class ShortWhenNarrowButton(_ShortWhenNarrow, QPushButton):
    """A push button that asks for room for `full` and makes do with `short`."""

    def __init__(self, full: str, short: str, parent: QWidget | None = None) -> None:
        QPushButton.__init__(self, full, parent)
        self._take_texts(full, short)


class ShortWhenNarrowRadio(_ShortWhenNarrow, QRadioButton):
    """A radio button that asks for room for `full` and makes do with `short`."""

    def __init__(self, full: str, short: str, parent: QWidget | None = None) -> None:
        QRadioButton.__init__(self, full, parent)
        self._take_texts(full, short)


class ShortWhenNarrowTabBar(QTabBar):
    """A tab bar whose tabs show their full names where the bar has room for all of them,
    else the short names of ``set_names``. Each tab's accessible name is its full name."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.names: list[tuple[str, str]] = []  # (full, short) by tab
        self.tips: list[str] = []  # each tab's tooltip while its full name shows
        self.short = False  # the short names show
        self.full_hint = self.short_hint = QSize()

    def set_names(self, names: list[tuple[str, str]]) -> None:
        """The tabs' (full, short) names, in order, once the tabs and their tooltips are in."""
        self.names = names
        self.tips = [self.tabToolTip(i) for i in range(len(names))]
        for index, (full, _) in enumerate(names):
            self.setAccessibleTabName(index, plain(full))
        self._measure()

    def _show(self, short: bool) -> None:
        self.short = short
        for index, (full, brief) in enumerate(self.names):
            self.setTabText(index, brief if short else full)
            tip = self.tips[index]
            self.setTabToolTip(index, tip_with_name(plain(full), tip) if short else tip)

    def _measure(self) -> None:
        if not self.names:
            return
        short = self.short
        self._show(True)
        self.short_hint = super().sizeHint()
        self._show(False)
        self.full_hint = super().sizeHint()
        self._show(short)
        self.updateGeometry()

    def sizeHint(self) -> QSize:  # noqa: N802
        return self.full_hint if self.names else super().sizeHint()

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return self.short_hint if self.names else super().minimumSizeHint()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._measure()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        short = self.width() < self.full_hint.width()
        if self.names and short != self.short:
            self._show(short)


class ShortWhenNarrowGroupBox(QGroupBox):
    """A column whose title is ``set_titles``'s full one where the column is wide enough for
    it, else the short one: a title never makes the column wider than its contents need.
    The accessible name is the full title."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.full, self.short = title, title

    def set_titles(self, full: str, short: str) -> None:
        self.full, self.short = full, short
        self.setAccessibleName(full)
        self.updateGeometry()
        self._fit()

    def _title_width(self, title: str) -> int:
        """The least width of the box with `title` (QGroupBox's own measure of it)."""
        option = QStyleOptionGroupBox()
        self.initStyleOption(option)
        metrics = self.fontMetrics()
        text = QSize(metrics.horizontalAdvance(title + " "), metrics.height())
        contents = QStyle.ContentsType.CT_GroupBox
        return self.style().sizeFromContents(contents, option, text, self).width()

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        inside = QWidget.minimumSizeHint(self)  # what the layout needs
        height = super().minimumSizeHint().height()
        return QSize(max(inside.width(), self._title_width(self.short)), height)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        title = self.full if self.width() >= self._title_width(self.full) else self.short
        if title != self.title():
            self.setTitle(title)
