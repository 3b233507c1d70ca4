"""Pictures the system asks ocrpad to open while it runs.

On macOS, a picture opened with ocrpad from Finder (Open With, or dropped on the app's Dock
icon) never arrives on the command line: the app receives a ``QFileOpenEvent``, also when
that is what started it. Other systems pass the path on the command line (``main.show``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QFileOpenEvent


class PictureOpener(Protocol):
    def open_image(self, path: str | Path) -> None: ...


class FileOpenForwarder(QObject):
    """An event filter on the application that hands each file-open request to the window."""

    def __init__(self, window: PictureOpener, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.window = window

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.FileOpen and isinstance(event, QFileOpenEvent):
            path = event.file() or event.url().toLocalFile()
            if path:
                self.window.open_image(Path(path))
                return True
        return super().eventFilter(watched, event)


def forward_file_opens(app: QObject, window: PictureOpener) -> FileOpenForwarder:
    """Open every picture the system asks `app` to open in `window` (the filter lives as
    long as `app`)."""
    forwarder = FileOpenForwarder(window, app)
    app.installEventFilter(forwarder)
    return forwarder
