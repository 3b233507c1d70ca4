"""An opened picture on the canvas: what is wrong with a path before reading it, and a copy
small enough to show (Qt refuses to decode pictures over its 256 MB memory limit); and where
the window's file dialogs open."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from PySide6.QtCore import QSize, QStandardPaths, Qt
from PySide6.QtGui import QImage, QImageReader

from ocrpad.bounds import MAX_PICTURE_PIXELS
from ocrpad.files import check_regular_file

PREVIEW_SIDE: Final = 1600  # the longer side of the copy shown behind the canvas, pixels


def picture_problem(path: Path) -> str:
    """Why `path` cannot be a picture to read ('' when it may be one)."""
    if path.is_dir():
        return f"“{path.name}” is a folder. Choose a PNG or JPG picture inside it."
    if not path.exists():
        return f"There is no file “{path.name}” in {path.parent} (moved or deleted?)."
    try:
        check_regular_file(path)  # a pipe would hold the window while it is read
    except OSError as exc:
        return f"“{path.name}” is {exc.strerror}: choose a picture file."
    return ""


def read_preview(path: Path, side: int = PREVIEW_SIDE) -> QImage | None:
    """The picture scaled to at most `side` pixels long, or None when Qt cannot decode it at
    that size (an unknown format, or a huge PNG that Qt must decode whole first)."""
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)
    size = reader.size()
    if size.isValid() and size.width() * size.height() > MAX_PICTURE_PIXELS:
        return None  # a decompression bomb: the worker refuses it with the reason
    if size.isValid() and max(size.width(), size.height()) > side:
        reader.setScaledSize(size.scaled(QSize(side, side), Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    return None if image.isNull() else image


def in_documents(name: str = "") -> str:
    """The user's documents folder (their home if there is none), with `name` in it, for a
    file dialog to start in: not the working directory, which is / for an app started from
    the Finder and the program's own folder on Windows."""
    where = QStandardPaths.StandardLocation.DocumentsLocation
    folder = Path(QStandardPaths.writableLocation(where) or Path.home())
    return str(folder / name) if name else str(folder)
