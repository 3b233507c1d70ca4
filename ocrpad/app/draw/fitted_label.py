"""A label of wrapped text in whatever height its layout leaves it, never a line cut in half:
the longest of its versions that fits, else as many words of the shortest as fit and '…',
with the whole text in its tooltip and for screen readers."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy

from ocrpad.app.draw.spoken import tell


class FittedLabel(QLabel):
    """Wrapped text in the height it is given (its lines never ask for more): ``say`` a list
    of versions of one message, longest first; the label shows the first that fits."""

    def __init__(self) -> None:
        super().__init__("")
        self._versions: list[str] = []
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)

    def say(self, versions: list[str], heard: str | None = None) -> None:
        """Show the first of `versions` that fits (longest first; []: hide), the whole first
        one in the tooltip; screen readers hear `heard` (default: that whole one)."""
        self._versions = versions
        whole = versions[0] if versions else ""
        self.setToolTip(whole)
        tell(self, description=whole if heard is None else heard)
        self.setVisible(bool(versions))
        self._fit()

    def whole_text(self) -> str:
        """The whole message, however much of it shows."""
        return self._versions[0] if self._versions else ""

    def hasHeightForWidth(self) -> bool:  # noqa: N802
        return False  # it takes what is free: a wrapped label's text would otherwise set its
        # height, and squeeze what is above it

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        """The longest version that fits; if none does, as many words of the shortest as fit,
        and '…' (the tooltip has the whole)."""
        text = next((t for t in self._versions if self._fits(t)), None)
        if text is None and self._versions:
            words = self._versions[-1].split()
            count = next((n for n in range(len(words) - 1, 0, -1) if self._fits(_cut(words, n))), 1)
            text = _cut(words, count)
        if (text or "") != self.text():
            self.setText(text or "")

    def _fits(self, text: str) -> bool:
        room = self.contentsRect()
        flags = int(Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignHCenter)
        needed = self.fontMetrics().boundingRect(QRect(0, 0, room.width(), 10**6), flags, text)
        return needed.height() <= room.height()


def _cut(words: list[str], count: int) -> str:
    """The first `count` words and '…'."""
    return " ".join(words[:count]) + "…"
