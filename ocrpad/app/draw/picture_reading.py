"""The picture opened on the Draw tab while it is read: which request reads it, the worker's grey
copy put behind the canvas when Qt could not show the picture itself, and the status bar's
words about it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QStatusBar

from ocrpad.app.draw.canvas import Canvas
from ocrpad.app.draw.prediction import Failure, Prediction
from ocrpad.app.qt_numpy import grey_to_qimage


class PictureReading:
    """The opened picture and the request that reads it; the window numbers the requests."""

    def __init__(self, canvas: Canvas, status: QStatusBar) -> None:
        self._canvas = canvas
        self._status = status
        self.request_id = -1
        self.path: Path | None = None  # None: no picture is opened
        self.frames = 1  # an animated or multi-page picture's: only the first is read

    def read(self, request_id: int, path: Path, *, announce: bool = False) -> None:
        """Request `request_id` reads `path` (opened, or read again in another set);
        `announce`: say "Reading <name>…" until the answer replaces it."""
        self.request_id, self.path = request_id, path
        if announce:
            self._status.showMessage(_reading(path))

    def forget(self) -> None:
        """The canvas no longer shows the picture: its answer, if still due, is not awaited,
        and "Reading <name>…" (shown with no time limit) leaves the status bar."""
        if self.path is not None and self._status.currentMessage() == _reading(self.path):
            self._status.clearMessage()
        self.request_id, self.path = -1, None

    def show_answer(self, prediction: Prediction) -> None:
        """The picture's answer has come: behind the canvas goes the worker's grey copy of it
        when it sent one (Qt could not show the picture), and the status bar says it is read."""
        if prediction.request_id != self.request_id or self.path is None:
            return
        if prediction.picture is not None:
            self._canvas.set_background(grey_to_qimage(prediction.picture / 255.0))
        self._status.showMessage(f"Read {self.path.name}{first_of(self.frames)}", 3000)

    def failure_words(self, failure: Failure) -> str:
        """What to tell the person of `failure`: for the picture's reading, its name and the
        reason, and the picture leaves the canvas so that it is not taken as read."""
        path = self.path
        if failure.request_id != self.request_id or path is None:
            return failure.message
        self.forget()  # nothing to read again
        self._canvas.set_background(None)
        head, _, rest = failure.message.partition(": ")
        reason = rest if rest and head.endswith(path.name) else failure.message
        return f"Could not read “{path.name}”: {reason}"


def _reading(path: Path) -> str:
    return f"Reading {path.name}…"


def first_of(frames: int) -> str:
    """What to add to "Read <name>" for a picture of `frames` frames ('' for one)."""
    return f" (the first of {frames} frames)" if frames > 1 else ""
