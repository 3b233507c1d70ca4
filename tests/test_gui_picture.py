"""Opening a picture: shown on the canvas even past Qt's image memory limit, "Reading…" until
the answer comes, read in the chosen character set, and a clear word for a missing file or a
folder."""

from __future__ import annotations

import string
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

import pytest
from gui_helpers import draw_stroke, open_window, press_and_drag, relative_line, release
from PIL import Image, ImageDraw
from PySide6.QtCore import Qt
from PySide6.QtGui import QImageReader
from pytestqt.qtbot import QtBot

from ocrpad.app.main_window import MainWindow

TIMEOUT = 20_000


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    opened = open_window(qtbot, None, tmp_path)
    yield opened
    opened.close()


def _picture(path: Path, size: tuple[int, int] = (1000, 800)) -> Path:
    picture = Image.new("L", size, 255)
    w, h = size
    ImageDraw.Draw(picture).line(
        [(w * 0.3, h * 0.9), (w * 0.5, h * 0.1), (w * 0.7, h * 0.9)], 0, 40
    )
    picture.save(path)
    return path


@contextmanager
def _too_big_for_qt() -> Iterator[None]:
    """Qt's image memory limit at 1 MB: a 1000x800 picture is shown only from the worker's copy."""
    limit = QImageReader.allocationLimit()
    QImageReader.setAllocationLimit(1)
    try:
        yield
    finally:
        QImageReader.setAllocationLimit(limit)


def test_a_picture_too_big_for_qt_is_shown_from_the_workers_copy(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    path = _picture(tmp_path / "big.png")
    limit = QImageReader.allocationLimit()
    QImageReader.setAllocationLimit(1)  # 1 MB: this 1000x800 picture is "too big" for Qt now
    try:
        with qtbot.waitSignal(window.prediction_shown, timeout=TIMEOUT) as blocker:
            window.open_image(path)
            assert window.draw.canvas.background() is None  # Qt could not read it
            assert window.statusBar().currentMessage() == "Reading big.png…"
    finally:
        QImageReader.setAllocationLimit(limit)
    assert blocker.args[0].picture is not None
    background = window.draw.canvas.background()
    assert background is not None and (background.width(), background.height()) == (1000, 800)
    assert window.statusBar().currentMessage() == "Read big.png"


def test_a_picture_qt_can_read_is_shown_at_once_and_no_copy_is_sent(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    path = _picture(tmp_path / "a.png", (3200, 2400))
    with qtbot.waitSignal(window.prediction_shown, timeout=TIMEOUT) as blocker:
        window.open_image(path)
        background = window.draw.canvas.background()
        assert background is not None and background.width() == 1600  # scaled to show
    assert blocker.args[0].picture is None


@pytest.mark.parametrize(("name", "words"), [("missing.png", "There is no file"), ("", "folder")])
def test_a_missing_file_or_a_folder_is_named_as_such(
    window: MainWindow, qtbot: QtBot, tmp_path: Path, name: str, words: str
) -> None:
    path = tmp_path / name if name else tmp_path
    with qtbot.waitSignal(window.message_shown, timeout=TIMEOUT) as blocker:
        window.open_image(path)
    assert words in blocker.args[0] and "PNG or JPG picture?" not in blocker.args[0]
    assert words in window.draw.panel.message.whole_text()


def test_a_picture_is_read_in_the_chosen_set_and_read_again_when_it_changes(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    box = window.draw.character_set
    qtbot.keyClick(box, Qt.Key.Key_Down)  # All → Digits, before the picture
    assert box.currentText() == "Digits"
    with qtbot.waitSignal(window.prediction_shown, timeout=TIMEOUT) as blocker:
        window.open_image(_picture(tmp_path / "peak.png"))
    assert blocker.args[0].labels == list(string.digits)
    assert {c for c, _ in window.draw.chart.sorted_classes()} == set(string.digits)
    with qtbot.waitSignal(window.prediction_shown, timeout=TIMEOUT) as blocker:
        qtbot.keyClick(box, Qt.Key.Key_Down)  # Digits → Capitals, the picture still shown
    assert box.currentText() == "Capitals"
    assert blocker.args[0].labels == list(string.ascii_uppercase)
    assert blocker.args[0].label == "A"  # a peak, read among capitals only
    assert window.draw.canvas.background() is not None
    assert window.statusBar().currentMessage() == "Read peak.png"


def test_a_picture_opened_from_the_train_tab_is_shown_on_the_draw_tab(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    window.tabs.setCurrentIndex(1)
    with qtbot.waitSignal(window.prediction_shown, timeout=TIMEOUT):
        window.open_image(_picture(tmp_path / "peak.png"))
    assert window.tabs.currentIndex() == 0  # its answer is not read out of sight


def test_a_set_changed_while_qt_cannot_show_the_picture_still_brings_its_copy(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    """A picture Qt cannot decode is shown from the worker's copy; a newer reading (another
    Read as) asked for none, and the first one's copy was dropped: the canvas stayed empty."""
    path = _picture(tmp_path / "big.png")
    limit = QImageReader.allocationLimit()
    QImageReader.setAllocationLimit(1)
    try:
        window.open_image(path)
        with qtbot.waitSignal(window.prediction_shown, timeout=TIMEOUT):
            qtbot.keyClick(window.draw.character_set, Qt.Key.Key_Down)  # at once: Digits
    finally:
        QImageReader.setAllocationLimit(limit)
    assert window.current is not None and window.current.labels == list(string.digits)
    assert window.draw.canvas.background() is not None


def test_a_pipe_named_like_a_picture_is_refused_before_anything_reads_it(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    import os

    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes here")
    pipe = tmp_path / "seven.png"
    os.mkfifo(pipe)  # reading it would wait for a writer for ever
    with qtbot.waitSignal(window.message_shown, timeout=TIMEOUT) as blocker:
        window.open_image(pipe)
    assert "a pipe" in blocker.args[0]


def test_the_eraser_on_a_picture_takes_the_picture_and_its_answer_away(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    with qtbot.waitSignal(window.prediction_shown, timeout=TIMEOUT):
        window.open_image(_picture(tmp_path / "peak.png"))
    canvas = window.draw.canvas
    canvas.set_eraser(True)
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=canvas.rect().center())
    assert canvas.background() is None and window.current is None
    assert window.draw.panel.label.text() == ""


def test_a_picture_named_on_the_command_line_is_opened_and_read_once_the_window_shows(
    qtbot: QtBot, tmp_path: Path
) -> None:
    from ocrpad.app.main import show

    path = _picture(tmp_path / "from the shell.png")
    window = open_window(qtbot, None, tmp_path)
    try:
        with qtbot.waitSignal(window.prediction_shown, timeout=TIMEOUT):
            show(window, path)
        assert window.isVisible() and window.draw.canvas.background() is not None
        assert window.statusBar().currentMessage() == "Read from the shell.png"
        show(window, tmp_path / "missing.png")  # a wrong name is said in the window
        qtbot.waitUntil(lambda: "There is no file" in window.statusBar().currentMessage())
    finally:
        window.close()


def test_a_stroke_begun_before_an_unshown_pictures_answer_drops_the_picture_and_its_answer(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    """Qt could not show the picture, so its answer was to bring it in: an answer that came in
    the middle of a stroke left the picture behind a drawing the network read without it."""
    canvas = window.draw.canvas
    stroke = relative_line(canvas, (0.5, 0.2), (0.5, 0.8))
    with _too_big_for_qt(), qtbot.waitSignal(window.worker.prediction_ready, timeout=TIMEOUT):
        window.open_image(_picture(tmp_path / "big.png"))
        press_and_drag(canvas, stroke[:6])  # the pen goes down before the answer is back
    qtbot.wait(20)  # the picture's answer reaches the window, the pen still down
    assert canvas.background() is None and window.current is None
    assert window.draw.panel.label.text() == ""
    with qtbot.waitSignal(window.prediction_shown, timeout=TIMEOUT) as blocker:
        release(canvas, stroke[-1])
    assert blocker.args[0].request_id == window.latest_request_id  # the stroke's own answer
    assert len(canvas.strokes()) == 1 and canvas.background() is None


def test_the_eraser_before_an_unshown_pictures_answer_drops_the_picture_and_its_answer(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    canvas = window.draw.canvas
    canvas.set_eraser(True)
    with _too_big_for_qt(), qtbot.waitSignal(window.worker.prediction_ready, timeout=TIMEOUT):
        window.open_image(_picture(tmp_path / "big.png"))
        draw_stroke(canvas, relative_line(canvas, (0.4, 0.5), (0.6, 0.5), steps=4))
    qtbot.wait(20)  # the picture's answer reaches the window
    assert canvas.background() is None and window.current is None
    assert window.draw.panel.label.text() == ""


@pytest.mark.parametrize("how", ["Escape", "the Clear action"])
def test_a_clear_before_an_unshown_pictures_answer_drops_the_picture_and_its_answer(
    window: MainWindow, qtbot: QtBot, tmp_path: Path, how: str
) -> None:
    """With nothing on the canvas yet, Clear changed nothing and the picture came in after it."""
    with _too_big_for_qt(), qtbot.waitSignal(window.worker.prediction_ready, timeout=TIMEOUT):
        window.open_image(_picture(tmp_path / "big.png"))
        if how == "Escape":
            qtbot.keyClick(window.draw.canvas, Qt.Key.Key_Escape)
        else:
            window.actions_by_name["clear"].trigger()
    qtbot.wait(20)  # the picture's answer reaches the window
    assert window.draw.canvas.background() is None and window.current is None
    assert window.draw.panel.label.text() == ""


@pytest.mark.parametrize(
    ("key", "unshown"),
    [(None, False), (None, True), (Qt.Key.Key_Escape, False), (Qt.Key.Key_Escape, True)],
    ids=["a stroke", "a stroke, Qt could not show it", "Escape", "Escape, Qt could not show it"],
)
def test_reading_leaves_the_status_bar_when_the_picture_goes_before_its_answer(
    window: MainWindow, qtbot: QtBot, tmp_path: Path, key: Qt.Key | None, unshown: bool
) -> None:
    """The status bar's "Reading <name>…" has no time limit: it stayed for good when a stroke
    or Escape took the picture away before its answer came, though nothing was being read."""
    canvas = window.draw.canvas
    qt_cannot_show: AbstractContextManager[None] = _too_big_for_qt() if unshown else nullcontext()
    with qt_cannot_show:
        window.open_image(_picture(tmp_path / "peak.png"))
    assert window.statusBar().currentMessage() == "Reading peak.png…"
    if key is None:
        draw_stroke(canvas, relative_line(canvas, (0.5, 0.2), (0.5, 0.8)))
    else:
        qtbot.keyClick(canvas, key)
    assert window.statusBar().currentMessage() == ""


def test_a_picture_the_system_asks_to_open_is_opened_and_read(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    """macOS's Finder ("Open With", the Dock icon) sends a QFileOpenEvent to the application."""
    from PySide6.QtGui import QFileOpenEvent
    from PySide6.QtWidgets import QApplication

    from ocrpad.app.file_open import forward_file_opens

    app = QApplication.instance()
    assert app is not None
    forwarder = forward_file_opens(app, window)
    try:
        path = _picture(tmp_path / "from finder.png")
        with qtbot.waitSignal(window.prediction_shown, timeout=TIMEOUT):
            assert QApplication.sendEvent(app, QFileOpenEvent(str(path)))
        assert window.draw.canvas.background() is not None
        assert window.statusBar().currentMessage() == "Read from finder.png"
    finally:
        app.removeEventFilter(forwarder)
        forwarder.deleteLater()
