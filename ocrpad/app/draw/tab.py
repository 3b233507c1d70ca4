"""The Draw tab's layout: canvas and tools, the answer, the chart and the feature maps."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise
from typing import Final

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QAction, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLayout,
    QSizePolicy,
    QSlider,
    QSplitter,
    QStyle,
    QStyleOptionSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ocrpad.app.draw.canvas import Canvas
from ocrpad.app.draw.feature_maps import FeatureMapView
from ocrpad.app.draw.flow import FlowLayout
from ocrpad.app.draw.layer_column import LayerColumn
from ocrpad.app.draw.prediction_panel import PredictionPanel
from ocrpad.app.draw.prob_chart import ProbabilityChart
from ocrpad.charsets import NAMED

CHARACTER_SETS: tuple[tuple[str, str | None], ...] = (
    ("All", None),
    ("Digits", NAMED["digits"]),
    ("Capitals", NAMED["upper"]),
    ("Small letters", NAMED["lower"]),
    ("Letters", NAMED["letters"]),
)
"""The selector's fixed entries: (text, characters; None = the model's default set: letters,
digits and the classes the user taught, never the symbols nobody asked for)."""

KINDS: tuple[tuple[str, str], ...] = (
    ("a digit", NAMED["digits"]),
    ("a capital letter", NAMED["upper"]),
    ("a small letter", NAMED["lower"]),
    ("a letter", NAMED["letters"]),
    ("a symbol", NAMED["symbols"]),
)
"""What the empty canvas asks for: the first kind that holds every character of the set."""
BROAD_KINDS: tuple[tuple[str, str], ...] = (KINDS[0], KINDS[3], KINDS[4])
"""A set that mixes them asks for each it holds: "a digit or a symbol"."""


def canvas_hint(chars: str | None) -> str:
    """The empty canvas's words for the set the answer is read in (None: All)."""
    wanted = set(NAMED["alnum"] if chars is None else chars)
    for kind, members in KINDS:
        if wanted <= set(members):
            return f"Draw {kind} here"
    if wanted <= set("".join(members for _, members in BROAD_KINDS)):
        mixed = [kind for kind, members in BROAD_KINDS if wanted & set(members)]
        return f"Draw {' or '.join(mixed)} here"
    return "Draw a character here"  # the user's own classes, or a set with some of them


PEN_SLIDER_WIDTH: Final = 110  # px: the pen width slider where the window has room


class DrawTab(QSplitter):
    """Left: canvas + answer + tools + chart. Right: what each layer sees."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setObjectName("drawTab")
        self.canvas = Canvas()
        self.panel = PredictionPanel()
        self.chart = ProbabilityChart()
        self.feature_maps = FeatureMapView()
        self.pen_width = PenWidthSlider()
        self.pen_width.setObjectName("penWidth")
        self.pen_width.setAccessibleName("Pen width")
        self.pen_width.setRange(4, 40)
        self.pen_width.setValue(self.canvas.pen_width())
        self.pen_width.valueChanged.connect(self.canvas.set_pen_width)
        # Two rows so the window fits small screens: editing tools, then file / other tools
        # (`tools` is the row other parts of the app add their widgets to). The second wraps
        # onto another line where the tab is narrower than it (a large system font); the
        # first stays one line, so the tab is never narrower than it.
        self.edit_tools = QHBoxLayout()
        self.edit_tools.setSpacing(4)
        self.tools = FlowLayout(spacing=4)
        pen_label = QLabel("&Pen")
        pen_label.setBuddy(self.pen_width)
        self.edit_tools.addWidget(pen_label)
        self.edit_tools.addWidget(self.pen_width)
        self.edit_tools.addSpacing(8)
        self.character_set = QComboBox()
        self.character_set.setObjectName("characterSet")
        self.character_set.setAccessibleName("Character set")
        self.character_set.setToolTip("Read the drawing as one of these characters only")
        for text, chars in CHARACTER_SETS:
            self.character_set.addItem(text, chars)
        self.character_set.setItemData(  # "All" is not all 94: the symbols wait to be chosen
            0,
            "Letters, digits and the characters you taught; choose Symbols for punctuation",
            Qt.ItemDataRole.ToolTipRole,
        )
        self.addWidget(self._left())
        self.addWidget(self._right())
        self.setStretchFactor(0, 3)
        self.setStretchFactor(1, 2)
        self.setChildrenCollapsible(False)
        self._first_split_pending = False

    def _left(self) -> QWidget:
        left = QWidget()
        top = QHBoxLayout()
        top.addWidget(self.canvas, 1)
        answer = QVBoxLayout()  # the answer, and above it what it may be
        choose = QHBoxLayout()
        set_label = QLabel("&Read as")
        set_label.setBuddy(self.character_set)
        choose.addWidget(set_label)
        choose.addWidget(self.character_set, 1)
        answer.addLayout(choose)
        answer.addWidget(self.panel, 1)
        top.addLayout(answer)
        self.left_column = column = QVBoxLayout(left)
        column.setContentsMargins(6, 6, 6, 6)
        column.addLayout(top, 1)
        column.addLayout(self.edit_tools)
        column.addLayout(self.tools)
        column.addWidget(self.chart)
        return left

    def _right(self) -> QWidget:
        return LayerColumn(self.feature_maps)

    def show_character_set(
        self, chars: str | None, user_classes: str = "", *, symbols: bool = False
    ) -> None:
        """Select the entry for `chars` (None: All); a model that reads symbols gets a
        "Symbols" entry, the user's own classes one when they taught any, and any other set a
        "Custom" one. Emits no signal."""
        box = self.character_set
        box.blockSignals(True)
        while box.count() > len(CHARACTER_SETS):
            box.removeItem(box.count() - 1)
        if symbols:
            box.addItem("Symbols", NAMED["symbols"])
        if user_classes:
            box.addItem(f"Your classes ({user_classes})", user_classes)
        index = box.findData(chars) if chars is not None else 0
        if index < 0:
            box.addItem(f"Custom ({chars})", chars)
            index = box.count() - 1
        box.setCurrentIndex(index)
        box.blockSignals(False)
        self.canvas.set_hint(canvas_hint(chars))

    def add_tool(self, action: QAction, *, editing: bool = True) -> QToolButton:
        """A tool button for an action (shares its text, shortcut, checked state)."""
        button = QToolButton()
        button.setDefaultAction(action)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        (self.edit_tools if editing else self.tools).addWidget(button)
        return button

    def order_focus(self) -> None:
        """Tab goes as the eye reads: the canvas, Read as, why the answer (when it says so),
        the two rows of tools (with what other parts of the app added to them), the chart,
        and last the feature maps on the right. Call it again after adding widgets to a tool
        row."""
        chain = [
            self.canvas,
            self.character_set,
            self.panel.why,
            *_focusable(self.edit_tools),
            *_focusable(self.tools),
            self.chart,
            self.feature_maps,
        ]
        for first, second in pairwise(chain):
            QWidget.setTabOrder(first, second)

    def first_split(self, width: int) -> None:
        """The split of a window with none saved, `width` wide: 62% for the canvas side; where
        that leaves its row of editing tools short of their full width (a large system font),
        once the window is laid out, as wide as that row, the feature maps keeping their least
        width. The pen slider then shrinks only where the window itself is too narrow."""
        self.setSizes([width * 62 // 100, width * 38 // 100])
        self._first_split_pending = True

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if self._first_split_pending:
            self._first_split_pending = False
            QTimer.singleShot(0, self._give_the_tools_room)  # once the window is laid out

    def _give_the_tools_room(self) -> None:
        margins = self.left_column.contentsMargins()
        wanted = self.edit_tools.sizeHint().width() + margins.left() + margins.right()
        if self.sizes()[0] < wanted:
            total = sum(self.sizes())
            self.setSizes([wanted, total - wanted])

    def finish_tools(self) -> None:
        self.edit_tools.addStretch(1)
        self.tools.addSpacing(12)
        self.tools.setAlignment(Qt.AlignmentFlag.AlignLeft)  # added widgets pack to the left


class PenWidthSlider(QSlider):
    """The pen's width, PEN_SLIDER_WIDTH wide where the row of editing tools has room; where
    it has not (a large system font in a small window), narrower down to a pixel per width
    and its handle, so that the row, which never wraps, sets no wider a window."""

    def __init__(self) -> None:
        super().__init__(Qt.Orientation.Horizontal)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(PEN_SLIDER_WIDTH, super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        option = QStyleOptionSlider()
        self.initStyleOption(option)
        handle = self.style().pixelMetric(QStyle.PixelMetric.PM_SliderLength, option, self)
        steps = self.maximum() - self.minimum()
        return QSize(min(PEN_SLIDER_WIDTH, handle + steps), super().minimumSizeHint().height())


def _focusable(layout: QLayout) -> Iterator[QWidget]:
    """The widgets of a layout that Tab can reach, in the order they are laid out; a widget
    that takes no focus itself (a bar of several) gives its own, from its layout."""
    for index in range(layout.count()):
        item = layout.itemAt(index)
        widget = item.widget() if item is not None else None
        inner = widget.layout() if widget is not None else item.layout() if item else None
        if widget is not None and widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
            yield widget
        elif inner is not None:
            yield from _focusable(inner)
