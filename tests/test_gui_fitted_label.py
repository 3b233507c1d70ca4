"""Text in the height its layout leaves it (`FittedLabel`: the message under the answer, the
'why' sentence): whole lines only, '…' where words were left out, the whole text in the
tooltip and for screen readers."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from ocrpad.app.draw.fitted_label import FittedLabel

MESSAGE = (
    "That picture could not be read: the file ends before its last row of pixels, so it was "
    "probably cut short while it was copied. Open another, or draw the character."
)


def _label_in(qtbot: QtBot, width: int, height: int) -> tuple[QWidget, FittedLabel]:
    """A label alone in a window of `width` × `height` (keep the window: it owns the label)."""
    holder = QWidget()
    qtbot.addWidget(holder)
    label = FittedLabel()
    QVBoxLayout(holder).addWidget(label)
    holder.resize(width, height)
    holder.show()
    qtbot.waitExposed(holder)
    return holder, label


def test_a_message_with_room_shows_whole(qtbot: QtBot) -> None:
    _holder, label = _label_in(qtbot, 600, 300)
    label.say([MESSAGE])
    assert label.text() == MESSAGE == label.whole_text() == label.toolTip()
    assert label.accessibleDescription() == MESSAGE


def test_a_message_without_room_shows_whole_lines_and_says_the_rest_is_in_the_tooltip(
    qtbot: QtBot,
) -> None:
    holder, label = _label_in(qtbot, 180, 2 * label_line(qtbot) + 12)
    label.say([MESSAGE])
    shown = label.text()
    assert shown.endswith("…") and MESSAGE.startswith(shown[:-1])
    assert height_of(label, shown) <= label.contentsRect().height() < height_of(label, MESSAGE)
    assert label.whole_text() == MESSAGE == label.toolTip() == label.accessibleDescription()
    holder.resize(600, 300)  # room again: the whole message comes back
    qtbot.waitUntil(lambda: label.text() == MESSAGE)


def test_nothing_to_say_hides_the_label(qtbot: QtBot) -> None:
    _holder, label = _label_in(qtbot, 600, 300)
    label.say([MESSAGE])
    label.say([])
    assert not label.isVisible() and label.text() == "" and label.whole_text() == ""


def height_of(label: FittedLabel, text: str) -> int:
    """The height `text` takes wrapped at the label's width, in its font."""
    flags = int(Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignHCenter)
    room = QRect(0, 0, label.contentsRect().width(), 10**6)
    return label.fontMetrics().boundingRect(room, flags, text).height()


def label_line(qtbot: QtBot) -> int:
    probe = FittedLabel()
    qtbot.addWidget(probe)
    return probe.fontMetrics().height()
