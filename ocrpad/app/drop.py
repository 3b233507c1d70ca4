"""A picture file dropped on the window is opened and read, as File ▸ Open does."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QWidget


class DropHost(Protocol):
    def open_image(self, path: str | Path) -> None: ...


class PictureDrops(QObject):
    """An event filter on the window: a drag carrying one local file is welcome anywhere on
    it; the file dropped goes to `open_image`, which names what is wrong with one that is no
    picture before anything on the canvas is touched."""

    def __init__(self, window: QWidget, host: DropHost) -> None:
        super().__init__(window)
        self.host = host
        window.setAcceptDrops(True)
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if isinstance(event, QDragEnterEvent | QDragMoveEvent):
            if dropped_file(event) is not None:
                event.acceptProposedAction()
                return True
        elif isinstance(event, QDropEvent) and (path := dropped_file(event)) is not None:
            event.acceptProposedAction()
            self.host.open_image(path)
            return True
        return super().eventFilter(watched, event)


def dropped_file(event: QDropEvent) -> Path | None:
    """The one local file a drag carries, or None (several files, a web address, text)."""
    mime = event.mimeData()
    urls = mime.urls() if mime is not None and mime.hasUrls() else []
    if len(urls) != 1 or not urls[0].isLocalFile():
        return None
    return Path(urls[0].toLocalFile())
