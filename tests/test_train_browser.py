"""The sample browser on the Train tab, driven like a user: what a save, a relabel and a delete
leave on screen, and what they cost."""

from __future__ import annotations

import errno
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pytest
from gui_helpers import draw_stroke, relative_line
from numpy.typing import NDArray
from PySide6 import QtGui
from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import QKeyEvent, QTextDocumentFragment
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from ocrpad.app.train import browser as browser_module
from ocrpad.app.train import browser_items
from ocrpad.app.train.browser_items import THUMB
from ocrpad.app.train.grid_rows import shown_ids
from ocrpad.app.train.tab import TrainTab
from ocrpad.data import samples_export, samples_io
from ocrpad.data.samples import Sample, SampleStore


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SampleStore]:
    with SampleStore(tmp_path / "samples.sqlite", renderer=None) as opened:
        yield opened


@pytest.fixture
def tab(qtbot: QtBot, store: SampleStore) -> Iterator[TrainTab]:
    opened = TrainTab(store, lambda: None, warm_rehearsal=False)  # no model: no fine-tune
    qtbot.addWidget(opened)
    opened.resize(1200, 700)
    opened.show()
    qtbot.waitExposed(opened)
    yield opened
    opened.shutdown()


def _add(store: SampleStore, labels: str) -> list[int]:
    """One small drawing per character of ``labels``, each a little different."""
    drawings = [[np.array([[0, 0], [k + 1, 10]], np.float32)] for k in range(len(labels))]
    return store.add_many(drawings, list(labels), "prompt")


def _save_on_canvas(qtbot: QtBot, tab: TrainTab, label: str) -> None:
    """Draw on the Collect canvas, type ``label`` and press Enter, as a user does."""
    collect = tab.collect
    qtbot.mouseClick(collect.free_mode, Qt.MouseButton.LeftButton)
    draw_stroke(collect.canvas, relative_line(collect.canvas, (0.3, 0.2), (0.6, 0.8)))
    collect.free_label.setText(label)
    qtbot.keyClick(collect.free_label, Qt.Key.Key_Return)


def _classes(tab: TrainTab) -> list[str]:
    return [tab.browser.classes.item(i).text() for i in range(tab.browser.classes.count())]


def _grid_ids(tab: TrainTab) -> list[int]:
    return shown_ids(tab.browser.grid)


def test_a_save_adds_one_thumbnail_instead_of_building_the_grid_again(
    qtbot: QtBot, tab: TrainTab, store: SampleStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _add(store, "aaab")
    tab.browser.refresh(select="a")
    built = _built(monkeypatch)
    _save_on_canvas(qtbot, tab, "a")
    (new,) = (s.id for s in store.samples("a") if s.id not in ids)
    assert built == [new]  # one thumbnail drawn, not the class's four
    assert _grid_ids(tab) == [*ids[:3], new] and tab.browser.selected_ids() == [new]
    assert _classes(tab) == ["a   (4)", "b   (1)"]
    _save_on_canvas(qtbot, tab, "c")  # another class: counted, the class shown stays
    assert built == [new] and tab.browser.current_label() == "a"
    assert _classes(tab) == ["a   (4)", "b   (1)", "c   (1)"]
    monkeypatch.setattr(browser_module, "GRID", 4)  # the grid still shows at most GRID
    _save_on_canvas(qtbot, tab, "a")
    assert len(_grid_ids(tab)) == 4 and _grid_ids(tab)[0] == ids[1]


def test_the_first_save_shows_its_class(qtbot: QtBot, tab: TrainTab, store: SampleStore) -> None:
    _save_on_canvas(qtbot, tab, "k")
    assert tab.browser.current_label() == "k" and len(_grid_ids(tab)) == 1
    assert tab.browser.large.pixmap() is not None and not tab.browser.large.pixmap().isNull()


def test_drawings_that_waited_in_memory_join_the_grid_when_a_save_stores_them(
    qtbot: QtBot, tab: TrainTab, store: SampleStore
) -> None:
    ids = _add(store, "a")
    tab.browser.refresh(select="a")
    store._db.execute("PRAGMA query_only = ON")  # the disk refuses writes
    _save_on_canvas(qtbot, tab, "a")
    assert len(tab.unsaved) == 1 and _grid_ids(tab) == ids  # nothing stored, nothing shown
    store._db.execute("PRAGMA query_only = OFF")
    _save_on_canvas(qtbot, tab, "a")  # stores the one that waited, then the new one
    assert tab.unsaved == [] and _grid_ids(tab) == [s.id for s in store.samples("a")]
    assert len(_grid_ids(tab)) == 3 and _classes(tab) == ["a   (3)"]


def test_a_relabel_refused_for_one_drawing_relabels_none_and_shows_the_store_as_it_is(
    tab: TrainTab, store: SampleStore
) -> None:
    ids = _add(store, "aaaaa")
    tab.refresh()
    grid = tab.browser.grid
    for row in range(3):
        grid.item(row).setSelected(True)
    with SampleStore(store.path, renderer=None) as other:  # another window deletes one
        other.delete(ids[1])
    assert not tab.browser.relabel_selected("b")
    assert store.counts_by_label() == {"a": 4}  # none relabelled, not the first alone
    assert "Nothing was relabelled" in tab.status.text()
    assert _classes(tab) == ["a   (4)"] and ids[1] not in _grid_ids(tab)
    assert "4 drawings" in tab.samples_box.title()


def test_a_label_that_is_no_character_keeps_the_drawings_chosen(
    tab: TrainTab, store: SampleStore
) -> None:
    ids = _add(store, "aaa")
    tab.refresh()
    tab.browser.grid.item(2).setSelected(True)
    chosen = tab.browser.selected_ids()
    assert not tab.browser.relabel_selected("no")
    assert tab.browser.selected_ids() == chosen and store.counts_by_label() == {"a": 3}
    assert tab.browser.relabel_selected("b") and store.get(ids[2]).label == "b"


def _press_delete(widget: QWidget, *, held: bool) -> None:
    """The Delete key pressed and let go; ``held``: a repeat the keyboard sends while it stays
    down."""
    key, no_modifier = Qt.Key.Key_Delete, Qt.KeyboardModifier.NoModifier
    QApplication.sendEvent(widget, QKeyEvent(QEvent.Type.KeyPress, key, no_modifier, "", held))
    if not held:
        QApplication.sendEvent(widget, QKeyEvent(QEvent.Type.KeyRelease, key, no_modifier))


def test_holding_delete_down_deletes_one_drawing(tab: TrainTab, store: SampleStore) -> None:
    _add(store, "aaabb")
    tab.browser.refresh(select="a")
    tab.browser.grid.setFocus()
    _press_delete(tab.browser.grid, held=False)
    for _ in range(4):  # the keyboard's repeats while the key stays down
        _press_delete(tab.browser.grid, held=True)
    assert store.counts_by_label() == {"a": 2, "b": 2}
    _press_delete(tab.browser.grid, held=False)  # pressed again: the next one goes
    assert store.counts_by_label() == {"a": 1, "b": 2}


def test_deleting_a_class_s_last_drawing_chooses_no_drawing_of_another_class(
    qtbot: QtBot, tab: TrainTab, store: SampleStore
) -> None:
    _add(store, "abb")
    tab.browser.refresh(select="a")
    qtbot.mouseClick(tab.browser.delete_button, Qt.MouseButton.LeftButton)
    assert store.counts_by_label() == {"b": 2}
    assert tab.browser.current_label() is None and tab.browser.selected_ids() == []
    assert not tab.browser.delete_button.isEnabled() and not tab.browser.relabel_button.isEnabled()
    assert "Choose a character" in tab.browser.details.text()
    tab.browser.grid.setFocus()
    _press_delete(tab.browser.grid, held=False)  # a second press finds nothing to delete
    assert store.counts_by_label() == {"b": 2}
    tab.browser.refresh()  # re-read (another window's change, an import): the first class
    assert tab.browser.current_label() == "b"


def _shown(label: QLabel) -> str:
    """What a QLabel shows: its text, or that of its HTML when it takes the text for HTML."""
    kind = label.textFormat()
    auto = kind == Qt.TextFormat.AutoText and QtGui.Qt.mightBeRichText(label.text())
    rich = kind == Qt.TextFormat.RichText or auto
    return QTextDocumentFragment.fromHtml(label.text()).toPlainText() if rich else label.text()


def test_labels_that_look_like_html_are_shown_as_typed(
    qtbot: QtBot, tab: TrainTab, store: SampleStore
) -> None:
    ids = dict(zip("<&>", _add(store, "<&>"), strict=True))
    tab.browser.refresh()
    for row in range(tab.browser.classes.count()):
        tab.browser.classes.setCurrentRow(row)
        label = tab.browser.current_label()
        assert label is not None
        assert _shown(tab.browser.details).startswith(f"{label} · #{ids[label]}\n")
    _save_on_canvas(qtbot, tab, "<b>")  # refused: two characters, said as they were typed
    assert "'<b>'" in _shown(tab.status)


def test_a_save_while_an_import_runs_waits_in_memory_and_is_stored_when_it_ends(
    qtbot: QtBot, tab: TrainTab, store: SampleStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The import's one transaction holds the store's lock: a save waited the store's 2 s
    for it, froze the window meanwhile, and blamed another program."""
    holding, finish = threading.Event(), threading.Event()

    def slow_import(into: SampleStore, path: Path, **_: object) -> samples_io.ImportResult:
        with into.batch() as batch:
            ids = batch.add_many([[np.array([[0, 0], [3, 9]], np.float32)]], ["i"], "import")
            holding.set()
            finish.wait(30)
        return samples_io.ImportResult(ids=ids)

    monkeypatch.setattr(samples_io, "import_npz", slow_import)
    assert tab.browser.import_from(Path("many.npz"))
    try:
        assert holding.wait(30)
        started = time.monotonic()
        _save_on_canvas(qtbot, tab, "q")
        assert time.monotonic() - started < 1.0  # no wait for the lock
        assert len(tab.unsaved) == 1 and "another program" not in tab.status.text()
        assert "as soon as the import finishes" in tab.status.text()
        _save_on_canvas(qtbot, tab, "r")
        assert len(tab.unsaved) == 2
        with qtbot.waitSignal(tab.browser.import_done, timeout=30_000):
            finish.set()
    finally:
        finish.set()
    assert tab.unsaved == [] and sorted(s.label for s in store) == ["i", "q", "r"]
    assert "Imported 1 drawing from many.npz" in tab.status.text()
    assert _classes(tab) == ["i   (1)", "q   (1)", "r   (1)"]


def _click_drawing(qtbot: QtBot, tab: TrainTab, row: int, *, add: bool = False) -> None:
    """Click the drawing in ``row`` of the grid (with Ctrl held if ``add``)."""
    grid = tab.browser.grid
    where = grid.visualItemRect(grid.item(row)).center()
    held = Qt.KeyboardModifier.ControlModifier if add else Qt.KeyboardModifier.NoModifier
    qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, held, where)


def _built(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The ids of the grid entries made from now on."""
    built: list[int] = []
    thumbnail = browser_module.thumbnail_item

    def counted(sample: Sample, view: QWidget) -> object:
        built.append(sample.id)
        return thumbnail(sample, view)

    monkeypatch.setattr(browser_module, "thumbnail_item", counted)
    return built


def test_a_delete_takes_out_the_deleted_drawings_and_leaves_the_others_as_they_are(
    qtbot: QtBot, tab: TrainTab, store: SampleStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _add(store, "aaaaaab")
    tab.browser.refresh(select="a")
    grid = tab.browser.grid
    entries = [grid.item(row) for row in range(grid.count())]
    built = _built(monkeypatch)
    _click_drawing(qtbot, tab, 2)
    qtbot.keyClick(grid, Qt.Key.Key_Delete)
    assert store.counts_by_label() == {"a": 5, "b": 1} and built == []  # nothing made again
    assert _grid_ids(tab) == [ids[0], ids[1], *ids[3:6]]
    assert [grid.item(row) for row in range(5)] == [*entries[:2], *entries[3:]]
    assert all(grid.item(row) is entry for row, entry in enumerate(entries[:2] + entries[3:]))
    assert tab.browser.selected_ids() == [ids[3]]  # the next one, ready for another Delete
    assert _classes(tab) == ["a   (5)", "b   (1)"] and f"#{ids[3]}" in tab.browser.details.text()
    _click_drawing(qtbot, tab, 0)
    _click_drawing(qtbot, tab, 4, add=True)  # the first and the last, with Ctrl
    qtbot.mouseClick(tab.browser.delete_button, Qt.MouseButton.LeftButton)
    assert _grid_ids(tab) == [ids[1], ids[3], ids[4]] and built == []
    assert all(grid.item(row) is entries[k] for row, k in enumerate((1, 3, 4)))
    assert tab.browser.selected_ids() == [ids[1]]  # the one after the first deleted
    assert _classes(tab) == ["a   (3)", "b   (1)"] and "Deleted 2 drawings" in tab.status.text()


def test_undo_delete_puts_the_drawings_back_in_their_place_and_chooses_them(
    qtbot: QtBot, tab: TrainTab, store: SampleStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _add(store, "aaaaab")
    tab.browser.refresh(select="a")
    grid = tab.browser.grid
    entries = [grid.item(row) for row in range(grid.count())]
    _click_drawing(qtbot, tab, 1)
    _click_drawing(qtbot, tab, 3, add=True)
    qtbot.mouseClick(tab.browser.delete_button, Qt.MouseButton.LeftButton)
    _click_drawing(qtbot, tab, 0)
    qtbot.keyClick(grid, Qt.Key.Key_Delete)  # a second batch: the first drawing
    assert _grid_ids(tab) == [ids[2], ids[4]] and _classes(tab) == ["a   (2)", "b   (1)"]
    built = _built(monkeypatch)
    qtbot.mouseClick(tab.browser.undo_button, Qt.MouseButton.LeftButton)
    assert built == [ids[0]] and _grid_ids(tab) == [ids[0], ids[2], ids[4]]
    assert tab.browser.selected_ids() == [ids[0]] and _classes(tab) == ["a   (3)", "b   (1)"]
    qtbot.mouseClick(tab.browser.undo_button, Qt.MouseButton.LeftButton)
    assert built == [ids[0], ids[1], ids[3]] and _grid_ids(tab) == ids[:5]
    assert grid.item(2) is entries[2] and grid.item(4) is entries[4]  # not made again
    assert sorted(tab.browser.selected_ids()) == [ids[1], ids[3]]  # both back, both chosen
    assert _classes(tab) == ["a   (5)", "b   (1)"] and not tab.browser.undo_button.isEnabled()
    grid.setFocus()  # (the Undo button had it)
    qtbot.keyClick(grid, Qt.Key.Key_Delete)  # Delete takes the restored ones again
    assert _grid_ids(tab) == [ids[0], ids[2], ids[4]] and store.counts_by_label()["a"] == 3


def test_deleting_many_drawings_and_undoing_it_take_one_transaction_each(
    qtbot: QtBot, tab: TrainTab, store: SampleStore
) -> None:
    """Before, each drawing was its own transaction: 1,000 took 17 s to delete on a disk."""
    ids = _add(store, "a" * 40 + "b")
    tab.browser.refresh(select="a")
    commits: list[str] = []
    store._db.set_trace_callback(lambda sql: commits.append(sql) if sql == "COMMIT" else None)
    grid = tab.browser.grid
    grid.setFocus()
    qtbot.keyClick(grid, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)  # select all
    qtbot.mouseClick(tab.browser.delete_button, Qt.MouseButton.LeftButton)
    assert store.counts_by_label() == {"b": 1} and len(commits) == 1
    assert "Deleted 40 drawings" in tab.status.text()
    qtbot.mouseClick(tab.browser.undo_button, Qt.MouseButton.LeftButton)
    assert [s.id for s in store] == ids and len(commits) == 2
    assert sorted(tab.browser.selected_ids()) == ids[:40] and _classes(tab)[0] == "a   (40)"


def test_a_delete_of_drawings_one_of_which_another_window_deleted_deletes_none(
    qtbot: QtBot, tab: TrainTab, store: SampleStore
) -> None:
    ids = _add(store, "aaaa")
    tab.browser.refresh(select="a")
    _click_drawing(qtbot, tab, 0)
    _click_drawing(qtbot, tab, 2, add=True)
    with SampleStore(store.path, renderer=None) as other:
        other.delete(ids[2])
    qtbot.mouseClick(tab.browser.delete_button, Qt.MouseButton.LeftButton)
    assert [s.id for s in store] == [ids[0], ids[1], ids[3]]  # the first is still there
    assert "Nothing was deleted" in tab.status.text() and _grid_ids(tab) == [ids[0], ids[1], ids[3]]
    assert not tab.browser.undo_button.isEnabled()


def test_undo_delete_after_another_class_was_chosen_shows_the_drawings_class_again(
    qtbot: QtBot, tab: TrainTab, store: SampleStore
) -> None:
    ids = _add(store, "aaab")
    tab.browser.refresh(select="a")
    _click_drawing(qtbot, tab, 1)
    qtbot.mouseClick(tab.browser.delete_button, Qt.MouseButton.LeftButton)
    classes = tab.browser.classes
    where = classes.visualItemRect(classes.item(1)).center()
    qtbot.mouseClick(classes.viewport(), Qt.MouseButton.LeftButton, pos=where)
    assert tab.browser.current_label() == "b" and _grid_ids(tab) == [ids[3]]
    qtbot.mouseClick(tab.browser.undo_button, Qt.MouseButton.LeftButton)
    assert tab.browser.current_label() == "a" and _grid_ids(tab) == ids[:3]
    assert tab.browser.selected_ids() == [ids[1]] and _classes(tab) == ["a   (3)", "b   (1)"]


def test_a_delete_in_a_class_larger_than_the_grid_moves_an_older_drawing_up(
    qtbot: QtBot, tab: TrainTab, store: SampleStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(browser_module, "GRID", 3)
    ids = _add(store, "aaaaa")
    tab.browser.refresh(select="a")
    grid = tab.browser.grid
    assert _grid_ids(tab) == ids[2:]
    kept = [grid.item(1), grid.item(2)]
    _click_drawing(qtbot, tab, 0)
    qtbot.keyClick(grid, Qt.Key.Key_Delete)
    assert _grid_ids(tab) == [ids[1], ids[3], ids[4]] and [grid.item(1), grid.item(2)] == kept
    assert tab.browser.selected_ids() == [ids[3]] and _classes(tab) == ["a   (4)"]
    qtbot.mouseClick(tab.browser.undo_button, Qt.MouseButton.LeftButton)
    assert _grid_ids(tab) == ids[2:] and tab.browser.selected_ids() == [ids[2]]
    assert _classes(tab) == ["a   (5)"]


def test_a_class_click_draws_the_thumbnails_it_shows_not_the_whole_class(
    qtbot: QtBot, tab: TrainTab, store: SampleStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    _add(store, "a" * 600 + "b")
    tab.browser.refresh(select="b")
    drawn: list[int] = []
    picture = browser_items.strokes_pixmap

    def counted(strokes: list[NDArray[np.float32]], size: int, view: QWidget) -> object:
        drawn.append(size)
        return picture(strokes, size, view)

    monkeypatch.setattr(browser_items, "strokes_pixmap", counted)
    classes, grid = tab.browser.classes, tab.browser.grid
    where = classes.visualItemRect(classes.item(0)).center()
    qtbot.mouseClick(classes.viewport(), Qt.MouseButton.LeftButton, pos=where)
    grid.viewport().grab()  # painted
    assert grid.count() == 600 and 0 < len(drawn) < 300  # a screenful, not 600
    qtbot.keyClick(grid, Qt.Key.Key_End)  # the last drawing, from the keyboard
    grid.viewport().grab()
    assert tab.browser.selected_ids() == [_grid_ids(tab)[-1]]
    last = grid.item(599).icon().pixmap(QSize(THUMB, THUMB)).toImage()
    assert len({last.pixel(x, 28) for x in range(THUMB)}) > 1  # drawn, ink on paper


def _export_through_the_button(
    qtbot: QtBot, tab: TrainTab, target: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Click Export… and choose ``target`` as the .npz in the file dialog."""
    chosen = staticmethod(lambda *args, **kwargs: (str(target), browser_module.NPZ_FILTER))
    monkeypatch.setattr(browser_module.QFileDialog, "getSaveFileName", chosen)
    qtbot.mouseClick(tab.browser.export_button, Qt.MouseButton.LeftButton)


def test_an_export_runs_in_the_background_with_progress_and_the_window_keeps_working(
    qtbot: QtBot, tab: TrainTab, store: SampleStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before, the click returned only when the file was written: 10,000 drawings froze the
    window for 2.6 s."""
    ids = _add(store, "ab" * 300)
    tab.browser.refresh(select="a")
    picture = samples_export._image
    released = threading.Event()

    def slow_picture(*args: object) -> NDArray[np.uint8]:
        released.wait(10)  # the export waits until the test has seen the window at work
        return picture(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(samples_export, "_image", slow_picture)
    steps: list[tuple[int, int]] = []
    tab.browser.exporter.progress.connect(lambda done, total: steps.append((done, total)))
    target = tmp_path / "mine.npz"
    _export_through_the_button(qtbot, tab, target, monkeypatch)
    assert (
        not tab.browser.export_button.isEnabled() and "Exporting to mine.npz" in tab.status.text()
    )
    _click_drawing(qtbot, tab, 1)  # the window answers while the export runs
    assert tab.browser.selected_ids() == [ids[2]] and not target.exists()
    with qtbot.waitSignal(tab.browser.exporter.done, timeout=20_000):
        released.set()
    assert steps == [(250, 600), (500, 600), (600, 600)]
    assert "Exported 600 drawings to" in tab.status.text() and tab.browser.export_button.isEnabled()
    assert samples_io.read_npz_strokes(target)[1] == list("ab" * 300)


def test_an_export_to_a_full_disk_says_so_and_leaves_no_half_written_file(
    qtbot: QtBot, tab: TrainTab, store: SampleStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _add(store, "ab")
    tab.browser.refresh()

    def full_disk(file: BinaryIO, **arrays: object) -> None:
        file.write(b"PK half a file")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np, "savez_compressed", full_disk)
    with qtbot.waitSignal(tab.browser.exporter.done, timeout=20_000):
        _export_through_the_button(qtbot, tab, tmp_path / "mine.npz", monkeypatch)
    assert "Export failed" in tab.status.text() and "No space left" in tab.status.text()
    assert list(tmp_path.iterdir()) == [store.path]  # no file, no temporary file
    assert tab.browser.export_button.isEnabled()


def test_counts_of_thousands_are_shown_with_separators(
    qtbot: QtBot, tab: TrainTab, store: SampleStore
) -> None:
    store.add_many([[np.array([[0, 0], [3, 9]], np.float32)]] * 1_234, ["a"] * 1_234, "free")
    _add(store, "b")
    tab.refresh()
    assert _classes(tab) == ["a   (1,234)", "b   (1)"]
    assert tab.browser.classes.item(0).toolTip().startswith("1,234 drawings of “a”")
    assert tab.samples_box.title() == "Your samples: 1,235 drawings"


def test_an_import_counts_its_progress_in_thousands(
    qtbot: QtBot, tab: TrainTab, store: SampleStore, tmp_path: Path
) -> None:
    source = tmp_path / "many.npz"
    samples_io.export_drawings(
        source, [(np.array([[0, 0], [3, 9]], np.float32),)] * 1_200, ["c"] * 1_200
    )
    said: list[str] = []
    dialog = tab.browser.importer.dialog
    tab.browser.importer.progress.connect(lambda *_: said.append(dialog.labelText()))
    with qtbot.waitSignal(tab.browser.import_done, timeout=20_000):
        assert tab.browser.import_from(source)
    assert said[-1] == "Importing many.npz: 1,200 of 1,200 drawings…"
    assert "Imported 1,200 drawings from many.npz" in tab.status.text()


def test_a_second_import_waits_until_the_first_ones_end_has_reached_the_window(
    qtbot: QtBot, tab: TrainTab, store: SampleStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before, the importer was idle once its thread ended: a second import begun before the
    first's result was shown had its progress dialog closed by that result, which was said
    under the second file's name."""
    first, second = tmp_path / "first.npz", tmp_path / "second.npz"
    samples_io.export_drawings(first, [(np.array([[0, 0], [3, 9]], np.float32),)] * 2, ["a"] * 2)
    samples_io.export_drawings(second, [(np.array([[0, 0], [9, 3]], np.float32),)], ["b"])
    real_import, go = samples_io.import_npz, threading.Event()

    def gated_import(*args: object, **kwargs: object) -> samples_io.ImportResult:
        go.wait(30)  # the thread ends only when the test lets it
        return real_import(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(samples_io, "import_npz", gated_import)
    chosen = staticmethod(lambda *args, **kwargs: (str(first), browser_module.NPZ_FILTER))
    monkeypatch.setattr(browser_module.QFileDialog, "getOpenFileName", chosen)
    qtbot.mouseClick(tab.browser.import_button, Qt.MouseButton.LeftButton)
    go.set()
    tab.browser.importer.wait()  # the thread has ended; its result has not reached the window
    assert not tab.browser.import_from(second)
    assert tab.status.text() == "An import is already running"
    assert not tab.browser.import_button.isEnabled()
    with qtbot.waitSignal(tab.browser.import_done, timeout=20_000):
        pass
    assert tab.status.text() == "Imported 2 drawings from first.npz"
    assert tab.browser.import_button.isEnabled() and not tab.browser.importer.busy
    with qtbot.waitSignal(tab.browser.import_done, timeout=20_000):
        assert tab.browser.import_from(second)
    assert tab.status.text() == "Imported 1 drawing from second.npz"
    assert store.counts_by_label() == {"a": 2, "b": 1}
    assert not tab.browser.importer.dialog.isVisible()


def test_cancel_in_the_export_dialog_stops_the_export_and_keeps_the_earlier_file(
    qtbot: QtBot, tab: TrainTab, store: SampleStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before, the export dialog had no Cancel: thousands of drawings had to be waited for."""
    _add(store, "ab" * 300)
    tab.browser.refresh()
    picture, drawn, released = samples_export._image, [0], threading.Event()

    def slow_picture(*args: object) -> NDArray[np.uint8]:
        drawn[0] += 1
        if drawn[0] > 300:  # the first progress is shown; then it waits for the test
            released.wait(10)
        return picture(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(samples_export, "_image", slow_picture)
    target = tmp_path / "mine.npz"
    target.write_bytes(b"the earlier export")
    _export_through_the_button(qtbot, tab, target, monkeypatch)
    dialog = tab.browser.exporter.dialog
    qtbot.waitUntil(dialog.isVisible, timeout=10_000)
    (cancel,) = dialog.findChildren(QPushButton)
    assert cancel.text() == "Cancel"
    with qtbot.waitSignal(tab.browser.exporter.done, timeout=20_000) as ended:
        qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
        released.set()
    assert ended.args == [
        0,
        "Export cancelled: nothing was written; the mine.npz that was there is as it was",
    ]
    assert tab.status.text() == ended.args[1] and drawn[0] <= 302  # it stopped at once
    assert target.read_bytes() == b"the earlier export"
    assert sorted(tmp_path.iterdir()) == sorted([store.path, target])  # no temporary file
    assert tab.browser.export_button.isEnabled() and not dialog.isVisible()
    with qtbot.waitSignal(tab.browser.exporter.done, timeout=20_000):  # then one runs whole
        _export_through_the_button(qtbot, tab, target, monkeypatch)
    assert samples_io.read_npz_strokes(target)[1] == list("ab" * 300)


def test_the_import_dialog_and_its_cancel_show_while_a_file_is_read_before_any_progress(
    qtbot: QtBot, tab: TrainTab, store: SampleStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before, the dialog showed only once the import had reported progress twice: while a
    large file was read, nothing said an import ran, and there was no Cancel to press."""
    source = tmp_path / "big.npz"
    samples_io.export_drawings(source, [(np.array([[0, 0], [3, 9]], np.float32),)] * 3, ["c"] * 3)
    real_import = samples_io.import_npz

    def slow_read(*args: object, cancel: Callable[[], bool], **kwargs: object) -> object:
        deadline = time.monotonic() + 20
        while not cancel() and time.monotonic() < deadline:  # reading, until Cancel
            time.sleep(0.01)
        return real_import(*args, cancel=cancel, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(samples_io, "import_npz", slow_read)
    dialog = tab.browser.importer.dialog
    with qtbot.waitSignal(tab.browser.import_done, timeout=30_000):
        assert tab.browser.import_from(source)
        qtbot.waitUntil(dialog.isVisible, timeout=5_000)
        (cancel,) = dialog.findChildren(QPushButton)
        qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    assert tab.status.text() == "Import of big.npz cancelled: nothing was added"
    assert store.count() == 0 and not dialog.isVisible()
