"""A picture dropped on the window is read as File ▸ Open reads it; a file that is no picture
is named and the drawing stays; the Open dialog offers every format the reader takes; an
animated picture is read from its first frame, and the window says so."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from gui_helpers import draw_stroke, open_window, relative_line
from PIL import Image, ImageDraw
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from ocrpad.app.draw.picture import PICTURE_FILTER
from ocrpad.app.main_window import MainWindow

TIMEOUT = 20_000


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    opened = open_window(qtbot, None, tmp_path)
    yield opened
    opened.close()


def _peak(size: tuple[int, int] = (400, 300), ink: int = 0) -> Image.Image:
    picture = Image.new("L", size, 255 - ink)
    w, h = size
    ImageDraw.Draw(picture).line(
        [(w * 0.3, h * 0.9), (w * 0.5, h * 0.1), (w * 0.7, h * 0.9)], ink, 16
    )
    return picture


def _drop(window: MainWindow, *paths: Path) -> bool:
    """Drag `paths` over the canvas and drop them; whether the window took the drag."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    canvas = window.draw.canvas
    where = canvas.mapTo(window, QPoint(canvas.width() // 2, canvas.height() // 2)).toPointF()
    buttons, keys = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(where.toPoint(), Qt.DropAction.CopyAction, mime, buttons, keys)
    QApplication.sendEvent(window, enter)
    if not enter.isAccepted():
        return False
    drop = QDropEvent(where, Qt.DropAction.CopyAction, mime, buttons, keys)
    QApplication.sendEvent(window, drop)
    return drop.isAccepted()


def test_a_picture_dropped_on_the_canvas_is_read(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    path = tmp_path / "peak.png"
    _peak().save(path)
    with qtbot.waitSignal(window.prediction_shown, timeout=TIMEOUT):
        assert _drop(window, path)
    assert window.draw.canvas.background() is not None
    assert window.statusBar().currentMessage() == "Read peak.png"


def test_a_dropped_file_that_is_no_picture_is_named_and_the_drawing_stays(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    with qtbot.waitSignal(window.prediction_shown, timeout=TIMEOUT):
        canvas = window.draw.canvas
        draw_stroke(canvas, relative_line(canvas, (0.3, 0.3), (0.7, 0.7)))
    notes = tmp_path / "notes.txt"
    notes.write_text("a shopping list\n", encoding="utf-8")
    with qtbot.waitSignal(window.message_shown, timeout=TIMEOUT) as blocker:
        assert _drop(window, notes)
    assert "notes.txt" in blocker.args[0] and "not a picture" in blocker.args[0]
    assert len(window.draw.canvas.history.strokes) == 1  # nothing was lost


def test_two_files_or_a_web_address_are_not_taken(window: MainWindow, tmp_path: Path) -> None:
    assert not _drop(window, tmp_path / "a.png", tmp_path / "b.png")
    mime = QMimeData()
    mime.setUrls([QUrl("https://example.org/a.png")])
    enter = QDragEnterEvent(
        QPoint(5, 5),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(window, enter)
    assert not enter.isAccepted()


def test_the_open_dialog_offers_every_format_the_reader_takes() -> None:
    offered = PICTURE_FILTER.split(";;")[0]
    for pattern in ("*.png", "*.jpg", "*.jpeg", "*.bmp", "*.gif", "*.tif", "*.tiff", "*.webp"):
        assert pattern in offered


@pytest.mark.parametrize("suffix", [".gif", ".tif"])
def test_an_animated_picture_is_read_from_its_first_frame_and_the_window_says_so(
    window: MainWindow, qtbot: QtBot, tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"frames{suffix}"
    first, *rest = [_peak(), Image.new("L", (400, 300), 255), Image.new("L", (400, 300), 0)]
    first.save(path, save_all=True, append_images=rest)
    with qtbot.waitSignal(window.prediction_shown, timeout=TIMEOUT):  # the others: no ink
        window.open_image(path)
    assert window.statusBar().currentMessage() == f"Read frames{suffix} (the first of 3 frames)"


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0"/></svg>', "SVG"),
        ("empty.png", b"", "empty"),
    ],
)
def test_an_svg_or_an_empty_file_is_named_and_the_drawing_stays(
    window: MainWindow, qtbot: QtBot, tmp_path: Path, name: str, content: bytes, words: str
) -> None:
    with qtbot.waitSignal(window.prediction_shown, timeout=TIMEOUT):
        canvas = window.draw.canvas
        draw_stroke(canvas, relative_line(canvas, (0.3, 0.3), (0.7, 0.7)))
    path = tmp_path / name
    path.write_bytes(content)
    with qtbot.waitSignal(window.message_shown, timeout=TIMEOUT) as blocker:
        window.open_image(path)
    assert name in blocker.args[0] and words in blocker.args[0]
    assert len(window.draw.canvas.history.strokes) == 1
