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
from ocrpad.picture import PICTURE_SUFFIXES, ImageReadError, inspect_picture

PREVIEW_SIDE: Final = 1600  # the longer side of the copy shown behind the canvas, pixels


PICTURE_FILTER: Final = (
    f"Pictures ({' '.join('*' + suffix for suffix in PICTURE_SUFFIXES)});;All files (*)"
)
"""The Open dialog's filter: every format the reader takes."""


def examine_picture(path: Path) -> tuple[str, int]:
    """(why `path` cannot be a picture to read, '' when it can; how many frames it holds),
    from its header only: a file that is no picture is named before the canvas is touched."""
    if path.is_dir():
        return f"“{path.name}” is a folder. Choose a picture inside it.", 0
    if not path.exists():
        return f"There is no file “{path.name}” in {path.parent} (moved or deleted?).", 0
    try:
        check_regular_file(path)  # a pipe would hold the window while it is read
    except OSError as exc:
        return f"“{path.name}” is {exc.strerror}: choose a picture file.", 0
    try:
        frames = inspect_picture(path).frames
    except ImageReadError as exc:
        _, _, reason = str(exc).partition(f"{path}: ")
        return f"Could not read “{path.name}”: {reason or exc}", 0
    return "", frames


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
