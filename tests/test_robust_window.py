"""The window in a hostile world: it starts on every damaged input, says what it did, and no
drawing is lost without the user being told (issue 14)."""

from __future__ import annotations

import functools
import os
import struct
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from gui_helpers import (
    TINY_WINDOW_MODEL,
    answer_message_box,
    draw_stroke,
    open_window,
    relative_line,
    save_tiny_model,
    train_tab,
)
from PIL import Image
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QPushButton, QWidget
from pytestqt.qtbot import QtBot

from ocrpad.app.main_window import MainWindow
from ocrpad.app.train.tab import STORE_NAME, TrainTab
from ocrpad.app.train.worker import start_thread
from ocrpad.data.samples import SampleStore
from ocrpad.data.samples_io import export_drawings
from ocrpad.learning.finetune import FineTuneSettings, fine_tune
from ocrpad.model import build_model
from tests.store_helpers import alter_store, locked_by_another_process, stored_labels
from tests.test_picture import bomb_png

TINY = TINY_WINDOW_MODEL
TIMEOUT = 30_000


@pytest.fixture(scope="module")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_model(tmp_path_factory.mktemp("model"))


def _correct(qtbot: QtBot, window: MainWindow, label: str) -> None:
    """Draw a stroke on the Draw tab and type what it was (saves it as a correction)."""
    canvas = window.draw.canvas
    draw_stroke(canvas, relative_line(canvas, (0.5, 0.2), (0.5, 0.8)))
    field = window.findChild(QWidget, "correctionInput")
    qtbot.keyClicks(field, label)
    qtbot.keyClick(field, Qt.Key.Key_Return)


# -- 1. another program holds the database --------------------------------------------------------
def test_a_store_locked_at_start_up_is_waited_for_kept_and_used_once_free(
    qtbot: QtBot, model_path: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with SampleStore(data / STORE_NAME, renderer=None) as store:
        store.add([np.array([[0, 0], [5, 9]], np.float32)], "k")
    with locked_by_another_process(data / STORE_NAME) as outcome:
        window = open_window(qtbot, model_path, tmp_path)
        tab = train_tab(window)
        assert tab.store is None and "in use by another program" in tab.status.text()
        _correct(qtbot, window, "m")
        assert [u[1] for u in tab.unsaved] == ["m"] and "kept in memory" in tab.status.text()
    assert outcome == ["committed"]  # the other program's change was not broken
    assert sorted(p.name for p in data.iterdir() if "corrupt" in p.name) == []  # never moved
    with qtbot.waitSignal(tab.keeper.stored, timeout=TIMEOUT):
        tab.keeper.retry()  # what its timer does every few seconds
    assert tab.unsaved == [] and tab.store is not None
    assert "Saved 1 drawing that waited in memory" in tab.status.text()
    window.close()
    assert stored_labels(data / STORE_NAME) == ["k", "m"]


def test_undo_takes_back_the_correction_itself_whether_it_waits_in_memory_or_was_stored(
    qtbot: QtBot, model_path: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    SampleStore(data / STORE_NAME, renderer=None).close()
    undo_button = "undoCorrection"
    with locked_by_another_process(data / STORE_NAME):
        window = open_window(qtbot, model_path, tmp_path)
        tab = train_tab(window)
        _correct(qtbot, window, "a")  # waits in memory: the store is locked
        tab.save((np.array([[0, 0], [5, 9]], np.float32),), "b", "prompt")  # waits too
        assert [u[1] for u in tab.unsaved] == ["a", "b"]
        qtbot.mouseClick(window.findChild(QWidget, undo_button), Qt.MouseButton.LeftButton)
        assert [u[1] for u in tab.unsaved] == ["b"]  # the correction went, not the newest
    with qtbot.waitSignal(tab.keeper.stored, timeout=TIMEOUT):
        tab.keeper.retry()
    _correct(qtbot, window, "c")  # stored at once
    tab.save((np.array([[0, 0], [5, 9]], np.float32),), "d", "prompt")
    qtbot.mouseClick(window.findChild(QWidget, undo_button), Qt.MouseButton.LeftButton)
    assert "Took back the drawing saved as “c”" in tab.status.text()
    window.close()
    assert stored_labels(data / STORE_NAME) == ["b", "d"]


# -- 2. drawings kept in memory are never dropped silently at close -------------------------------
def test_drawings_the_store_refused_are_written_to_a_file_at_close_and_brought_back(
    qtbot: QtBot, model_path: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    SampleStore(data / STORE_NAME, renderer=None).close()
    with locked_by_another_process(data / STORE_NAME, "IMMEDIATE"):
        window = open_window(qtbot, model_path, tmp_path)
        tab = train_tab(window)
        tab.keeper.timer.stop()
        _correct(qtbot, window, "q")
        assert len(tab.unsaved) == 1
        window.close()  # still locked: no dialog, a file in the data folder
    assert not window.isVisible()
    (kept,) = data.glob("unsaved-*.npz")
    again = open_window(qtbot, model_path, tmp_path)
    try:
        assert "Brought back 1 drawing" in train_tab(again).status.text()
        assert not kept.exists() and kept.with_name(kept.name + ".imported").exists()
    finally:
        again.close()
    with SampleStore(data / STORE_NAME, renderer=None) as store:
        assert [(s.label, s.source) for s in store] == [("q", "correction")]


def test_a_damaged_file_of_kept_drawings_is_named_at_start_and_left_in_place(
    qtbot: QtBot, model_path: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    kept = data / "unsaved-20260101-000000.npz"
    export_drawings(kept, [(np.array([[0, 0], [5, 9], [9, 2]], np.float32),)] * 20, ["q"] * 20)
    with zipfile.ZipFile(kept) as archive:
        info = archive.getinfo("points.npy")
    damaged = bytearray(kept.read_bytes())
    name, extra = struct.unpack_from("<HH", damaged, info.header_offset + 26)  # local header's
    start = info.header_offset + 30 + name + extra
    damaged[start : start + 16] = b"\xff" * 16  # its compressed points: unreadable
    kept.write_bytes(bytes(damaged))
    window = open_window(qtbot, model_path, tmp_path)
    try:
        assert window.isVisible()
        assert f"Could not bring back the drawings in {kept}" in train_tab(window).status.text()
        assert kept.read_bytes() == bytes(damaged)  # kept for rescue, not renamed or deleted
    finally:
        window.close()


def test_when_nothing_can_be_written_closing_asks_and_cancel_keeps_the_window_open(
    qtbot: QtBot, model_path: Path, tmp_path: Path
) -> None:
    (tmp_path / "data").write_text("a file where the data folder should be", encoding="utf-8")
    window = open_window(qtbot, model_path, tmp_path)
    tab = train_tab(window)
    _correct(qtbot, window, "w")
    seen: list[str] = []
    answer_message_box("Cancel", seen)
    window.close()
    assert window.isVisible() and len(tab.unsaved) == 1
    assert "1 drawing could not be saved" in seen[0]
    answer_message_box("Close without them", seen)
    window.close()
    assert not window.isVisible() and len(seen) == 2


def test_saving_kept_drawings_over_the_sample_store_is_refused_and_the_store_lives_on(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last-resort "Save to a file…" at close, pointed at the store itself (whether the
    store is open or could not be opened): refused with the reason, the drawings still held."""
    from ocrpad.app.train import keeper as kept
    from ocrpad.app.train import questions

    path = tmp_path / STORE_NAME
    with SampleStore(path, renderer=None) as store:
        store.add_many([[np.array([[0, 0], [5, 9]], np.float32)]] * 2, ["a", "b"], "free")
    chosen = staticmethod(lambda *args, **kwargs: (str(path), ""))
    monkeypatch.setattr(questions.QFileDialog, "getSaveFileName", chosen)
    errors: list[str] = []
    critical = staticmethod(lambda *a: errors.append(a[2]))
    monkeypatch.setattr(questions.QMessageBox, "critical", critical)
    parent = QWidget()
    qtbot.addWidget(parent)
    for store in (None, SampleStore(path, renderer=None)):
        keeper = kept.DrawingKeeper(store, tmp_path, store_path=path)
        keeper.unsaved.append(((np.array([[0, 0], [5, 9]], np.float32),), "q", "free"))
        answer_message_box("Save to a file…", [])
        assert not kept.ask_about_unsaved(parent, 1, "the disk is full", keeper)
        assert "where the sample store keeps your drawings" in errors.pop()
        assert len(keeper.unsaved) == 1
        if store is not None:
            store.close()
    with SampleStore(path, renderer=None) as store:
        assert store.counts_by_label() == {"a": 1, "b": 1}


# -- 3. one damaged row ---------------------------------------------------------------------------
def test_a_damaged_row_neither_stops_start_up_nor_export_and_is_reported(
    qtbot: QtBot, model_path: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with SampleStore(data / STORE_NAME, renderer=None) as store:
        for label in "abc":
            store.add([np.array([[0, 0], [5, 9]], np.float32)], label)
    alter_store(data / STORE_NAME, "UPDATE samples SET strokes = '[[[1, 2], [3' WHERE id = 3")
    window = open_window(qtbot, model_path, tmp_path)
    try:
        tab = train_tab(window)
        _, labels = tab.training_data()
        assert labels == ["a", "b"] and "Skipped 1 damaged drawing (#3)" in tab.status.text()
        with qtbot.waitSignal(tab.browser.exporter.done, timeout=20_000) as ended:
            assert tab.browser.export_to(tmp_path / "out.npz")
        assert ended.args is not None and ended.args[0] == 2
        assert "1 damaged drawing left out" in tab.status.text()
    finally:
        window.close()
    with SampleStore(data / STORE_NAME, renderer=None) as store:
        assert store.count() == 3  # kept on disk


@pytest.mark.parametrize("created", ["1e300", "-1"])
def test_a_row_whose_time_no_clock_shows_is_a_damaged_row_not_a_failed_start(
    qtbot: QtBot, model_path: Path, tmp_path: Path, created: str
) -> None:
    """The browser shows the newest drawing's date at start: the year 1e292 stopped the app."""
    data = tmp_path / "data"
    data.mkdir()
    with SampleStore(data / STORE_NAME, renderer=None) as store:
        store.add([np.array([[0, 0], [5, 9]], np.float32)], "a")
    alter_store(data / STORE_NAME, f"UPDATE samples SET created = {created} WHERE id = 1")
    window = open_window(qtbot, model_path, tmp_path)
    try:
        tab = train_tab(window)
        assert tab.store is not None and tab.store.damaged_rows().keys() == {1}
    finally:
        window.close()


SELF_TEST = "import sys; from ocrpad.__main__ import main; sys.argv[1:] = ['--self-test']; main()"


def test_the_self_test_checks_the_store_and_names_damaged_rows(tmp_path: Path) -> None:
    with SampleStore(tmp_path / STORE_NAME, renderer=None) as store:
        store.add([np.array([[0, 0], [5, 9]], np.float32)], "a")
        store.add([np.array([[0, 0], [5, 9]], np.float32)], "b")
    alter_store(tmp_path / STORE_NAME, "UPDATE samples SET label = 'ab' WHERE id = 2")
    env = {**os.environ, "OCRPAD_DATA_DIR": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    result = subprocess.run(
        [sys.executable, "-m", "ocrpad", "--self-test"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 of 2 drawings" in result.stdout and "#2" in result.stdout


# -- 4. bad settings ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "bad",
    [
        {"pen_width": "99999999999999999999"},
        {"pen_width": "²"},
        {"pen_width": "+-5"},
        {"pen_width": "-3", "theme": "x" * 5000},
        {"guides": "maybe", "character_set": "\x00\x01"},
        {"geometry": "not bytes", "splitter": "12"},
    ],
)
def test_bad_settings_values_fall_back_to_their_defaults(
    qtbot: QtBot, model_path: Path, tmp_path: Path, bad: dict[str, str]
) -> None:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    for key, value in bad.items():
        settings.setValue(key, value)
    settings.sync()
    window = open_window(qtbot, model_path, tmp_path)
    try:
        assert window.draw.pen_width.value() == 14
        assert window.isVisible()
    finally:
        window.close()


# -- 8. Cancel right after Start ------------------------------------------------------------------
def test_cancel_pressed_right_after_start_is_honoured(qtbot: QtBot, tmp_path: Path) -> None:
    store = SampleStore(tmp_path / "s.sqlite", renderer=None)
    rng = np.random.default_rng(0)
    for char in "12":
        for _ in range(4):
            store.add([rng.random((6, 2)).astype(np.float32)], char)
    model = build_model(TINY, list("0123456789"), np.random.default_rng(0))
    settings = FineTuneSettings(epochs=3, batch_user=4, batch_rehearsal=0, min_steps=0)
    tune = functools.partial(fine_tune, settings=settings, rehearsal=None)
    tab = TrainTab(store, lambda: model, tune, warm_rehearsal=False)
    qtbot.addWidget(tab)
    tab.show()
    if tab.thread_ is None:  # (the tab starts it to measure its speed when there are drawings)
        tab.thread_ = start_thread(tab.worker, tab)
    entered, gate = threading.Event(), threading.Event()

    def busy() -> None:  # the worker is still busy with something else when Start is pressed
        entered.set()
        gate.wait(20)

    QTimer.singleShot(0, tab.worker, busy)
    assert entered.wait(20)
    try:
        with qtbot.waitSignal(tab.fine_tune_done, timeout=TIMEOUT) as done:
            qtbot.mouseClick(tab.panel.start_button, Qt.MouseButton.LeftButton)
            qtbot.mouseClick(tab.panel.cancel_button, Qt.MouseButton.LeftButton)
            gate.set()
        assert done.args[0].cancelled and tab.pending is None
    finally:
        gate.set()
        tab.shutdown()
        store.close()


# -- 10, 11. pictures: every failure reaches the user with its reason -----------------------------
@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda p: Image.new("L", (1, 1), 0).save(p), "single colour"),
        (lambda p: Image.new("RGB", (60, 40), (9, 90, 200)).save(p), "single colour"),
        (lambda p: bomb_png(p, 100_000, 100_000), "too large"),
        (lambda p: p.write_bytes(b"hello"), "not a picture ocrpad can read"),
    ],
)
def test_an_unusable_picture_is_answered_with_its_reason(
    qtbot: QtBot, model_path: Path, tmp_path: Path, make: Callable[[Path], object], words: str
) -> None:
    path = tmp_path / "picture.png"
    make(path)
    window = open_window(qtbot, model_path, tmp_path)
    try:
        with qtbot.waitSignal(window.message_shown, timeout=TIMEOUT) as shown:
            window.open_image(path)
        assert words in shown.args[0] and "PNG or JPG picture?" not in shown.args[0]
    finally:
        window.close()


def test_running_out_of_memory_in_the_worker_becomes_a_message(
    qtbot: QtBot, model_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window(qtbot, model_path, tmp_path)

    def no_memory(*args: object) -> None:
        raise MemoryError

    monkeypatch.setattr("ocrpad.app.draw.worker.recognise", no_memory)
    try:
        with qtbot.waitSignal(window.message_shown, timeout=TIMEOUT) as shown:
            canvas = window.draw.canvas
            draw_stroke(canvas, relative_line(canvas, (0.5, 0.2), (0.5, 0.8)))
        assert "not enough memory" in shown.args[0]
    finally:
        window.close()


# -- killed Keeps: temporary files ----------------------------------------------------------------
def test_temporary_files_of_a_killed_keep_are_removed_at_start_but_a_live_ones_stay(
    qtbot: QtBot, model_path: Path, tmp_path: Path
) -> None:
    """Only ocrpad's own: ``--data-dir`` may name a folder other programs write in too."""
    data = tmp_path / "data"
    data.mkdir()
    dead = data / ".user-model.npz.k1ll3d.tmp"
    dead_unsaved = data / ".unsaved-20250101-120000.npz.k1ll3d.tmp"
    foreign = data / ".thesis.odt.tmp"  # another program's autosave
    old = time.time() - 60
    for path in (dead, dead_unsaved, foreign):
        path.write_bytes(b"\0" * 1000)
        os.utime(path, (old, old))
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT); "
            "fcntl.flock(fd, fcntl.LOCK_EX); os.utime(sys.argv[1], (1, 1)); "
            "print('ok', flush=True); sys.stdin.readline()",
            str(data / ".user-model.npz.alive.tmp"),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
    try:
        window = open_window(qtbot, model_path, tmp_path)
        window.close()
        assert not dead.exists() and not dead_unsaved.exists()
        assert foreign.exists()
        assert (data / ".user-model.npz.alive.tmp").exists()  # a living writer's file
    finally:
        holder.communicate("\n", timeout=30)


def test_the_browser_shows_a_bounded_number_of_a_huge_class(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An import of 50,000 drawings of one character must not build 50,000 thumbnails."""
    from ocrpad.app.train import browser as browser_module

    monkeypatch.setattr(browser_module, "GRID", 3)
    store = SampleStore(tmp_path / "s.sqlite", renderer=None)
    ids = store.add_many([[np.array([[0, 0], [5, 9]], np.float32)]] * 8, ["z"] * 8, "import")
    browser = browser_module.SampleBrowser(store)
    qtbot.addWidget(browser)
    browser.refresh(select="z")
    shown = [browser.grid.item(i).data(Qt.ItemDataRole.UserRole) for i in range(3)]
    assert browser.grid.count() == 3 and shown == ids[-3:]
    store.close()


def test_running_out_of_memory_while_explaining_becomes_a_message(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ocrpad.app.explain.worker import ExplainWorker, HeatmapRequest
    from ocrpad.explain.session import Explainer

    def no_memory(*args: object) -> None:
        raise MemoryError

    monkeypatch.setattr(Explainer, "heatmap", no_memory)
    worker = ExplainWorker(build_model(TINY, list("ab"), np.random.default_rng(0)))
    with qtbot.waitSignal(worker.failed, timeout=TIMEOUT) as failed:
        worker.request_heatmap(HeatmapRequest(1, np.zeros((28, 28), np.float32), 0))
    assert "not enough memory" in failed.args[0]


def test_a_lock_taken_while_running_keeps_drawings_and_they_are_saved_once_it_ends(
    qtbot: QtBot, model_path: Path, tmp_path: Path
) -> None:
    window = open_window(qtbot, model_path, tmp_path)
    data = tmp_path / "data"
    tab = train_tab(window)
    try:
        _correct(qtbot, window, "a")
        with locked_by_another_process(data / STORE_NAME, "IMMEDIATE") as outcome:
            _correct(qtbot, window, "b")
            _correct(qtbot, window, "c")  # joins the waiting one without a second wait
            assert [u[1] for u in tab.unsaved] == ["b", "c"]
            assert "in use by another program" in tab.status.text()
        assert outcome == ["committed"]
        with qtbot.waitSignal(tab.keeper.stored, timeout=TIMEOUT):
            tab.keeper.retry()
    finally:
        window.close()
    assert stored_labels(data / STORE_NAME) == ["a", "b", "c"]


def _many_drawings(path: Path, n: int) -> Path:
    """A shared-format file of n one-stroke, 8-point drawings labelled 'x'."""
    rng = np.random.default_rng(0)
    np.savez(
        path,
        points=(rng.random((n * 8, 2)) * 50).astype(np.float32),
        stroke_offsets=np.arange(0, n * 8 + 1, 8),
        sample_stroke_offsets=np.arange(n + 1),
        labels=np.zeros(n, np.int16),
        mapping=np.array(["x"]),
    )
    return path


def test_an_import_runs_in_the_background_and_its_cancel_adds_nothing(
    qtbot: QtBot, tmp_path: Path
) -> None:
    from ocrpad.app.train.browser import SampleBrowser
    from ocrpad.data import samples_io

    n = 20_000
    source = _many_drawings(tmp_path / "many.npz", n)
    store = SampleStore(tmp_path / "s.sqlite")  # renders each drawing: ~20 s in all
    browser = SampleBrowser(store)
    qtbot.addWidget(browser)
    progress: list[int] = []
    browser.importer.progress.connect(lambda done, total: progress.append(done))
    with qtbot.waitSignal(browser.import_done, timeout=120_000):
        assert browser.import_from(source)
        assert browser.importer.busy  # the window's thread is free meanwhile
        qtbot.waitUntil(lambda: bool(progress), timeout=60_000)
        (cancel,) = browser.importer.dialog.findChildren(QPushButton)
        qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    assert store.count() == 0 and samples_io.USER_IMPORT.samples >= n
    assert len(progress) < n // 250  # it stopped early
    store.close()


def test_closing_the_window_during_an_import_takes_the_half_import_back(
    qtbot: QtBot, model_path: Path, tmp_path: Path
) -> None:
    n = 20_000
    source = _many_drawings(tmp_path / "many.npz", n)
    window = open_window(qtbot, model_path, tmp_path)
    tab = train_tab(window)
    progress: list[int] = []
    tab.browser.importer.progress.connect(lambda done, total: progress.append(done))
    assert tab.browser.import_from(source)
    qtbot.waitUntil(lambda: bool(progress), timeout=60_000)  # some drawings are in
    window.close()
    assert not tab.browser.importer.writing  # the import stopped before the window went
    assert stored_labels(tmp_path / "data" / STORE_NAME) == []  # and took back what it had added
