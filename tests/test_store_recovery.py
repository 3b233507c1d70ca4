"""The sample store comes back: opened late, moved or replaced while the window runs, and the
drawings kept in files brought back once, whatever happens around it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from gui_helpers import open_window, save_tiny_model, train_tab
from pytestqt.qtbot import QtBot

from ocrpad.app.train import wiring
from ocrpad.app.train.keeper import RECOVERY_LOCK, DrawingKeeper
from ocrpad.app.train.tab import STORE_NAME
from ocrpad.app.train.worker import TrainJob
from ocrpad.data.samples import SampleStore, StoreWriteError
from ocrpad.data.samples_io import export_drawings, read_npz_strokes
from ocrpad.reading import Labelled
from tests.store_helpers import (
    REPLACED,
    REPO,
    WINDOWS_KEEPS_OPEN_FILES,
    locked_by_another_process,
    stored_labels,
)

TIMEOUT = 30_000


@pytest.fixture(scope="module")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_model(tmp_path_factory.mktemp("model"))


def _drawing(seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    return (np.cumsum(rng.normal(0, 5, (12, 2)), 0).astype(np.float32) + 100,)


def _saved(data: Path, labels: str) -> None:
    data.mkdir(parents=True, exist_ok=True)
    with SampleStore(data / STORE_NAME, renderer=None) as store:
        for i, label in enumerate(labels):
            store.add(_drawing(i), label)


# -- a store that could not be opened at the start -------------------------------------------------
def test_fine_tune_refuses_to_learn_from_part_while_the_saved_drawings_cannot_be_read(
    qtbot: QtBot, model_path: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    _saved(data, "abababab")
    with locked_by_another_process(data / STORE_NAME):
        window = open_window(qtbot, model_path, tmp_path)
        tab = train_tab(window)
        tab.keeper.timer.stop()
        tab.save(_drawing(50), "a", "free")
        tab.save(_drawing(51), "b", "free")
        assert "cannot be read right now" in tab.panel.summary.text()
        assert "2 drawings of 2 characters ready" not in tab.panel.summary.text()
        jobs: list[TrainJob] = []
        tab.fine_tune_started.connect(jobs.append)
        assert not tab.start_fine_tune() and jobs == []
        assert "cannot be read right now" in tab.status.text()
        assert "keeps trying" in tab.status.text()
    try:
        assert tab.start_fine_tune()  # the lock is gone: Fine-tune opens the store itself
        (job,) = jobs
        stored, _ = job.load() if job.load is not None else ([], [])
        assert len(stored) + len(job.strokes) == 10  # all of them, none twice
        assert tab.unsaved == [] and stored_labels(data / STORE_NAME) == list("ababababab")
    finally:
        tab.cancel_fine_tune()
        window.close()


def test_with_no_store_file_yet_fine_tune_learns_from_the_drawings_held_in_memory(
    qtbot: QtBot, model_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(path: Path, **_: object) -> None:
        raise StoreWriteError(f"could not save to the sample store {path}: the disk is gone")

    monkeypatch.setattr(wiring, "open_store", refuse)  # no store file is ever made
    window = open_window(qtbot, model_path, tmp_path)
    tab = train_tab(window)
    tab.keeper.timer.stop()
    tab.save(_drawing(1), "a", "free")
    jobs: list[TrainJob] = []
    tab.fine_tune_started.connect(jobs.append)
    try:
        assert tab.start_fine_tune() and len(jobs[0].strokes) == 1
    finally:
        tab.cancel_fine_tune()
        window.close()


def test_a_store_that_opens_late_teaches_the_reader_the_persons_saved_drawings(
    qtbot: QtBot, model_path: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    _saved(data, "xyz")
    with locked_by_another_process(data / STORE_NAME):
        window = open_window(qtbot, model_path, tmp_path)
        tab = train_tab(window)
        assert tab.store is None and window.recent == ()
    with qtbot.waitSignal(tab.keeper.store_opened, timeout=TIMEOUT):
        tab.keeper.retry()  # what its timer does every few seconds
    try:
        labelled = [item.label for item in window.recent if isinstance(item, Labelled)]
        assert labelled == ["x", "y", "z"]
    finally:
        window.close()


# -- a store moved, replaced or deleted while the window runs ------------------------------------
@WINDOWS_KEEPS_OPEN_FILES
@pytest.mark.parametrize("how", ["file deleted", "folder deleted", REPLACED])
def test_drawings_refused_by_a_moved_store_are_saved_once_it_is_opened_again_at_its_path(
    qtbot: QtBot, model_path: Path, tmp_path: Path, how: str
) -> None:
    data = tmp_path / "data"
    _saved(data, "ab")
    window = open_window(qtbot, model_path, tmp_path)
    tab = train_tab(window)
    tab.keeper.timer.stop()
    path = data / STORE_NAME
    if how == "folder deleted":
        shutil.rmtree(data)
    else:
        copy = tmp_path / "copy.sqlite"
        shutil.copy(path, copy)
        path.unlink()
        if how == "replaced":
            copy.rename(path)
    try:
        tab.save(_drawing(9), "c", "free")
        assert "moved, replaced or deleted" in tab.status.text()
        assert "read-only" not in tab.status.text() and len(tab.unsaved) == 1
        with qtbot.waitSignal(tab.keeper.stored, timeout=TIMEOUT):
            tab.keeper.retry()  # what its timer does every few seconds
        assert tab.unsaved == [] and "Saved 1 drawing that waited" in tab.status.text()
    finally:
        window.close()
    assert stored_labels(data / STORE_NAME) == (["a", "b", "c"] if how == "replaced" else ["c"])


@WINDOWS_KEEPS_OPEN_FILES
def test_undo_save_after_the_store_was_replaced_never_deletes_another_drawing(
    qtbot: QtBot, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    _saved(data, "ab")
    store = SampleStore(data / STORE_NAME, renderer=None)
    keeper = DrawingKeeper(store, data)
    try:
        assert keeper.save(_drawing(7), "c", "free")  # id 3
        held = keeper.last_held
        other = tmp_path / "other.sqlite"  # a backup restored over it: id 3 is another's
        with SampleStore(other, renderer=None) as backup:
            for label in "xyz":
                backup.add(_drawing(20), label)
        (data / STORE_NAME).unlink()
        other.rename(data / STORE_NAME)
        assert not keeper.save(_drawing(8), "d", "free")  # the move is found: store reopened
        assert held is not None
        with pytest.raises(KeyError, match="replaced since"):
            keeper.take_back(held)
        assert [s.label for s in store] == ["x", "y", "z"]  # z, #3 there, is not deleted
    finally:
        keeper.timer.stop()
        store.close()


def test_a_drawing_relabelled_while_held_in_memory_is_stored_once_with_its_new_label(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    keeper = DrawingKeeper(None, data)
    try:
        assert not keeper.save(_drawing(1), "1", "correction")  # no store: held in memory
        assert keeper.last_held is not None
        held = keeper.relabel(keeper.last_held, "7")
        assert [h[1] for h in keeper.unsaved] == ["7"]
        data.mkdir()
        keeper.store = SampleStore(data / STORE_NAME, renderer=None)
        assert keeper.flush()
        held = keeper.relabel(held, "T")  # now the stored sample is relabelled
        assert [(s.label, s.source) for s in keeper.store] == [("T", "correction")]
        keeper.take_back(held)
        assert keeper.store.count() == 0
    finally:
        keeper.timer.stop()
        if keeper.store is not None:
            keeper.store.close()


# -- drawings kept in files at close are brought back once ---------------------------------------
BRING_BACK = """
import sys
from pathlib import Path
from ocrpad.app.train.keeper import DrawingKeeper
from ocrpad.data.samples import open_store
data = Path(sys.argv[1])
store, _ = open_store(data / "samples.sqlite")
print("ready", flush=True)
sys.stdin.readline()  # until the test lets both go at once
print(DrawingKeeper(store, data).recover())
"""


def test_two_ocrpads_starting_together_bring_back_the_kept_drawings_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _saved(data, "")
    drawings = [_drawing(i) for i in range(120)]
    export_drawings(data / "unsaved-20260101-120000.npz", drawings, ["a"] * 120, ["free"] * 120)
    env = {"PYTHONPATH": str(REPO), "OPENBLAS_NUM_THREADS": "1", "QT_QPA_PLATFORM": "offscreen"}
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", BRING_BACK, str(data)],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for run in runs:  # both have started and opened the store
        assert run.stdout is not None
        assert run.stdout.readline().strip() == "ready", run.communicate(timeout=60)
    for run in runs:
        assert run.stdin is not None
        run.stdin.write("go\n")
        run.stdin.flush()
    brought = [run.communicate(timeout=120) for run in runs]
    assert all(run.returncode == 0 for run in runs), brought
    assert sorted(int(out) for out, _ in brought) == [0, 120]
    assert len(stored_labels(data / STORE_NAME)) == 120
    assert sorted(p.name for p in data.glob("unsaved-*")) == [
        "unsaved-20260101-120000.npz.imported"
    ]


def test_two_windows_closing_in_the_same_second_keep_their_drawings_in_files_of_their_own(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other window's file lands after this one looked for a free name (as at logout):
    it must not be replaced, nor this window's drawings dropped."""
    data = tmp_path / "data"
    data.mkdir()
    now = "20260101-120000"
    monkeypatch.setattr("time.strftime", lambda form, *a: form.replace("%Y%m%d-%H%M%S", now))
    theirs = data / "unsaved-20260101-120000.npz"
    export_drawings(theirs, [_drawing(i) for i in range(3)], ["t"] * 3, ["free"] * 3)
    real_exists = Path.exists
    monkeypatch.setattr(  # every look for a free name comes before their file lands
        Path, "exists", lambda p: False if p.name.startswith("unsaved-") else real_exists(p)
    )
    keeper = DrawingKeeper(None, data)
    for i in range(2):
        keeper.save(_drawing(10 + i), "m", "free")
    mine = keeper.rescue()
    monkeypatch.undo()
    assert mine is not None and mine.name == "unsaved-20260101-120000-2.npz"
    assert read_npz_strokes(theirs)[1] == ["t"] * 3
    assert read_npz_strokes(mine)[1] == ["m"] * 2
    assert not list(data.glob(".*.tmp"))


def test_kept_drawings_whose_import_was_killed_are_brought_back_at_the_next_start(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    _saved(data, "")
    export_drawings(data / "unsaved-1.npz", [_drawing(1)], ["q"], ["correction"])
    holder = subprocess.Popen(  # an ocrpad killed while it brought them back
        [sys.executable, "-c", KILLED, str(data / RECOVERY_LOCK)],
        env={"PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen"},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    holder.kill()
    holder.communicate()
    with SampleStore(data / STORE_NAME, renderer=None) as store:
        assert DrawingKeeper(store, data).recover() == 1
        assert [(s.label, s.source) for s in store] == [("q", "correction")]


KILLED = """
import sys, time
from PySide6.QtCore import QLockFile
lock = QLockFile(sys.argv[1])
assert lock.tryLock(0)
print("locked", flush=True)
time.sleep(60)
"""


# -- words -----------------------------------------------------------------------------------------
def test_a_save_without_a_store_says_what_that_means_for_the_drawing(
    qtbot: QtBot, model_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(path: Path, **_: object) -> None:
        raise StoreWriteError(f"could not save to the sample store {path}: the disk is gone")

    monkeypatch.setattr(wiring, "open_store", refuse)
    window = open_window(qtbot, model_path, tmp_path)
    tab = train_tab(window)
    tab.keeper.timer.stop()
    try:
        tab.save(_drawing(1), "a", "free")
        assert "there is no sample store" not in tab.status.text()
        assert "the disk is gone. 1 drawing kept in memory" in tab.status.text()
    finally:
        window.close()
    keeper = DrawingKeeper(None)  # nothing says why: it says what it is
    keeper.timer.stop()
    assert not keeper.save(_drawing(1), "a", "free")
    assert keeper.held_message().startswith("the sample store could not be opened. 1 drawing")
    keeper.timer.stop()


def test_undo_of_a_save_another_window_deleted_says_so_in_plain_words(
    qtbot: QtBot, model_path: Path, tmp_path: Path
) -> None:
    window = open_window(qtbot, model_path, tmp_path)
    tab = train_tab(window)
    try:
        tab.save(_drawing(1), "a", "free")
        held = tab.last_held
        assert held is not None
        with SampleStore(tmp_path / "data" / STORE_NAME, renderer=None) as other:
            other.delete(other.samples()[0].id)  # another ocrpad window deleted it
        assert not tab.unsave(held)
        text = tab.status.text()
        assert "deleted" in text and "'" not in text and "id" not in text.split()
    finally:
        window.close()


def test_a_missing_sample_is_named_without_quotes(tmp_path: Path) -> None:
    with (
        SampleStore(tmp_path / STORE_NAME, renderer=None) as store,
        pytest.raises(KeyError) as missing,
    ):
        store.delete(7)
    assert str(missing.value) == "no sample with id 7"
