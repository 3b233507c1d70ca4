"""The Train tab inside the main window: correction bar, kept models, factory reset, bad stores."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from gui_helpers import (
    answer_message_box,
    draw_stroke,
    open_window,
    relative_line,
    save_tiny_model,
    train_tab,
)
from PIL import Image
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import (
    QApplication,
    QLineEdit,
    QMessageBox,
    QRadioButton,
    QScrollArea,
    QToolButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

from ocrpad.app.main_window import MainWindow
from ocrpad.app.train.tab import STORE_NAME, USER_MODEL_NAME
from ocrpad.data.samples import SampleStore
from ocrpad.model import load_model
from ocrpad.reading import Labelled


@pytest.fixture(scope="module")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_model(tmp_path_factory.mktemp("model"))


@pytest.fixture
def window(qtbot: QtBot, model_path: Path, tmp_path: Path) -> Iterator[MainWindow]:
    opened = open_window(qtbot, model_path, tmp_path)
    yield opened
    opened.close()


def _a_line_and_the_correction_bar(window: MainWindow) -> tuple[QLineEdit, QToolButton]:
    """Draw a vertical line on the Draw tab; its correction field and Undo save button."""
    canvas = window.draw.canvas
    draw_stroke(canvas, relative_line(canvas, (0.5, 0.2), (0.5, 0.8)))
    field = window.findChild(QLineEdit, "correctionInput")
    undo = window.findChild(QToolButton, "undoCorrection")
    assert field is not None and undo is not None
    return field, undo


def test_a_drawing_labelled_on_the_train_tab_joins_the_readers_history_at_once(
    window: MainWindow, qtbot: QtBot
) -> None:
    window.tabs.setCurrentIndex(1)
    collect = train_tab(window).collect
    qtbot.mouseClick(collect.free_mode, Qt.MouseButton.LeftButton)
    draw_stroke(collect.canvas, relative_line(collect.canvas, (0.5, 0.2), (0.5, 0.8)))
    collect.free_label.setText("l")
    qtbot.keyClick(collect.free_label, Qt.Key.Key_Return)
    newest = window.recent[-1]
    assert isinstance(newest, Labelled) and newest.label == "l"
    assert len(newest.strokes) == 1  # the drawing as saved, in canvas units
    before = len(window.recent)
    window.tabs.setCurrentIndex(0)
    draw_stroke(window.draw.canvas, relative_line(window.draw.canvas, (0.3, 0.5), (0.7, 0.5)))
    qtbot.keyClicks(window.findChild(QLineEdit, "correctionInput"), "-")
    qtbot.keyClick(window.findChild(QLineEdit, "correctionInput"), Qt.Key.Key_Return)
    assert len(window.recent) == before  # a correction joins when its drawing is cleared


def test_the_window_has_a_train_tab_with_a_store_in_the_data_folder(
    window: MainWindow, tmp_path: Path
) -> None:
    tab = train_tab(window)
    assert "&Train" in [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert tab.store is not None and tab.store.path == tmp_path / "data" / STORE_NAME


def test_the_samples_box_shows_the_folder_the_store_keeps_the_drawings_in(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    """The window named the data folder nowhere."""
    window.tabs.setCurrentIndex(1)
    tab = train_tab(window)
    folder = tab.samples_box.findChild(QLineEdit, "dataFolder")
    assert folder is not None and folder.isVisible() and folder.isReadOnly()
    assert tab.store is not None and folder.text() == str(tab.store.path.parent)
    assert folder.text() == str(tmp_path / "data")
    assert str(tab.store.path) in folder.toolTip()
    folder.setFocus()
    qtbot.keyClick(folder, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(folder, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.clipboard().text() == str(tmp_path / "data")  # to paste elsewhere


def test_the_right_character_is_saved_when_enter_confirms_it_and_undo_takes_it_back(
    qtbot: QtBot, window: MainWindow
) -> None:
    field, undo = _a_line_and_the_correction_bar(window)
    assert field is not None and undo is not None and not undo.isEnabled()
    store = train_tab(window).store
    assert store is not None
    qtbot.keyClicks(field, "ab")
    assert store.count() == 0  # typing alone saves nothing
    field.clear()
    qtbot.keyClicks(field, "l")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert [(s.label, s.source) for s in store] == [("l", "correction")]
    assert field.text() == ""  # ready for the next one
    assert "Saved this drawing as “l”" in window.statusBar().currentMessage()
    assert train_tab(window).status.text() == "Saved “l” (1 drawing in all)"
    assert undo.isEnabled()
    qtbot.mouseClick(undo, Qt.MouseButton.LeftButton)
    assert store.count() == 0
    assert not undo.isEnabled()
    assert "Took back the drawing saved as “l”" in train_tab(window).status.text()


def test_alt_u_takes_a_correction_back_and_the_buttons_tooltip_says_so(
    qtbot: QtBot, window: MainWindow
) -> None:
    field, undo = _a_line_and_the_correction_bar(window)
    store = train_tab(window).store
    assert store is not None
    window.activateWindow()
    qtbot.waitActive(window)
    qtbot.keyClicks(field, "l")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert store.count() == 1 and "(Alt+U)" in undo.toolTip()
    qtbot.keyClick(field, Qt.Key.Key_U, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: store.count() == 0)  # a mnemonic clicks after a short flash
    assert not undo.isEnabled() and "(Alt+U" in undo.toolTip()


def test_correcting_the_same_drawing_again_relabels_its_sample_and_a_changed_one_is_saved(
    qtbot: QtBot, window: MainWindow
) -> None:
    """Enter with '1', then with '7', on one drawing: it was saved twice, as '1' and as '7'."""
    field, undo = _a_line_and_the_correction_bar(window)
    canvas = window.draw.canvas
    assert field is not None and undo is not None
    store = train_tab(window).store
    assert store is not None
    for label in "17":
        qtbot.keyClicks(field, label)
        qtbot.keyClick(field, Qt.Key.Key_Return)
    assert [(s.label, s.source) for s in store] == [("7", "correction")]
    assert "Relabelled the drawing saved as “1”: now “7”" in train_tab(window).status.text()
    assert "Relabelled this drawing" in window.statusBar().currentMessage()
    assert train_tab(window).samples_box.title() == "Your samples: 1 drawing"
    qtbot.mouseClick(undo, Qt.MouseButton.LeftButton)
    assert store.count() == 0  # Undo save takes the one sample back
    qtbot.keyClicks(field, "1")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    draw_stroke(canvas, relative_line(canvas, (0.3, 0.3), (0.7, 0.3)))  # now another drawing
    qtbot.keyClicks(field, "T")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert sorted(s.label for s in store) == ["1", "T"]


def test_undo_save_takes_back_a_correction_relabelled_in_the_browser_since(
    qtbot: QtBot, window: MainWindow
) -> None:
    """Saved as 'x', then relabelled 'y' on the Train tab: it is still the drawing Undo save
    offers to take back (it was refused, as if the store had been replaced)."""
    field, undo = _a_line_and_the_correction_bar(window)
    assert field is not None and undo is not None
    qtbot.keyClicks(field, "x")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    tab = train_tab(window)
    window.tabs.setCurrentIndex(1)
    assert tab.browser.current_label() == "x" and tab.browser.relabel_selected("y")
    assert tab.store is not None and tab.store.counts_by_label() == {"y": 1}
    window.tabs.setCurrentIndex(0)
    qtbot.mouseClick(undo, Qt.MouseButton.LeftButton)
    assert tab.store.count() == 0
    assert "Took back the drawing" in tab.status.text()
    assert tab.browser.classes.count() == 0  # the browser no longer shows it


def test_a_save_taken_back_after_clear_leaves_the_history_once_the_clear_is_undone(
    qtbot: QtBot, window: MainWindow
) -> None:
    """Save as 'z', Clear, Undo save, Undo (the drawing comes back), Clear: the history holds
    the drawing once, unlabelled (it once kept it while on the canvas, and twice after)."""
    field, undo = _a_line_and_the_correction_bar(window)
    canvas = window.draw.canvas
    assert field is not None and undo is not None
    qtbot.keyClicks(field, "z")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key.Key_Escape)  # Clear: the drawing joins, labelled
    assert [type(item).__name__ for item in window.recent] == ["Labelled"]
    qtbot.mouseClick(undo, Qt.MouseButton.LeftButton)  # Undo save: no longer labelled
    assert len(window.recent) == 1 and not isinstance(window.recent[0], Labelled)
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.strokes() and window.recent == ()  # back on the canvas, out of the history
    qtbot.keyClick(canvas, Qt.Key.Key_Escape)
    assert len(window.recent) == 1 and not isinstance(window.recent[0], Labelled)


def test_two_characters_or_a_space_are_refused_with_a_reason(
    qtbot: QtBot, window: MainWindow
) -> None:
    canvas = window.draw.canvas
    draw_stroke(canvas, relative_line(canvas, (0.5, 0.2), (0.5, 0.8)))
    field = window.findChild(QLineEdit, "correctionInput")
    assert field is not None
    qtbot.keyClicks(field, "ab")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    store = train_tab(window).store
    assert store is not None and store.count() == 0
    assert "one character" in train_tab(window).status.text()
    field.clear()
    qtbot.keyClicks(field, " ")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert store.count() == 0
    assert "A space is not a character" in train_tab(window).status.text()


def test_an_emoji_pickers_heart_is_a_correction_saved_and_remembered_as_the_heart(
    qtbot: QtBot, window: MainWindow
) -> None:
    """The correction field refused ❤ + U+FE0F as "not exactly one character"."""
    canvas = window.draw.canvas
    draw_stroke(canvas, relative_line(canvas, (0.5, 0.2), (0.5, 0.8)))
    field = window.findChild(QLineEdit, "correctionInput")
    assert field is not None
    field.setText("\u2764\ufe0f")  # as an emoji picker puts it in
    qtbot.keyClick(field, Qt.Key.Key_Return)
    store = train_tab(window).store
    assert store is not None and [s.label for s in store] == ["\u2764"]
    assert window.statusBar().currentMessage().startswith("Saved this drawing as “❤” —")
    qtbot.keyClick(canvas, Qt.Key.Key_Escape)  # cleared: it joins the reader's history
    newest = window.recent[-1]
    assert isinstance(newest, Labelled) and newest.label == "\u2764"


def test_a_correction_without_a_drawing_saves_nothing(qtbot: QtBot, window: MainWindow) -> None:
    field = window.findChild(QLineEdit, "correctionInput")
    qtbot.keyClicks(field, "x")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    store = train_tab(window).store
    assert store is not None and store.count() == 0
    assert "Draw something first" in train_tab(window).status.text()


def test_correcting_an_opened_picture_says_it_cannot_be_saved_as_a_sample(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    picture = tmp_path / "seven.png"
    Image.new("L", (200, 200), 255).save(picture)
    window.open_image(picture)
    assert window.draw.canvas.background() is not None
    field = window.findChild(QLineEdit, "correctionInput")
    qtbot.keyClicks(field, "7")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    store = train_tab(window).store
    assert store is not None and store.count() == 0
    said = train_tab(window).status.text()
    assert said.startswith("An opened picture cannot be saved as a sample: draw")


def test_a_kept_model_is_used_saved_and_loaded_at_the_next_start(
    qtbot: QtBot, window: MainWindow, model_path: Path, tmp_path: Path
) -> None:
    assert not train_tab(window).panel.restore_button.isEnabled()  # nothing to restore yet
    tuned = load_model(model_path).with_extra_classes(["Σ"], np.random.default_rng(0))
    with qtbot.waitSignal(window.model_changed):
        train_tab(window).model_accepted.emit(tuned)
    assert window.model is tuned
    saved = tmp_path / "data" / USER_MODEL_NAME
    assert load_model(saved).labels[-1] == "Σ"
    window.close()
    again = open_window(qtbot, model_path, tmp_path)
    try:
        assert again.model is not None and again.model.labels[-1] == "Σ"
        restore = train_tab(again).panel.restore_button
        assert restore.isEnabled()  # the user's model is in use: there is something to restore
        asked: list[str] = []
        answer_message_box("Restore", asked)
        with qtbot.waitSignal(again.model_changed):
            qtbot.mouseClick(restore, Qt.MouseButton.LeftButton)
        assert asked == ["Go back to the model ocrpad ships with?"]
        assert again.model is not None and "Σ" not in again.model.labels
        assert not saved.exists() and len(list(saved.parent.glob("user-model.set-aside-*"))) == 1
    finally:
        again.close()


def test_fine_tune_and_restore_are_greyed_out_until_they_have_something_to_do(
    qtbot: QtBot, window: MainWindow, model_path: Path
) -> None:
    panel = train_tab(window).panel
    assert not panel.start_button.isEnabled() and "Collect" in panel.start_button.toolTip()
    assert not panel.restore_button.isEnabled()
    assert "already in use" in panel.restore_button.toolTip()
    canvas = window.draw.canvas
    draw_stroke(canvas, relative_line(canvas, (0.5, 0.2), (0.5, 0.8)))
    field = window.findChild(QLineEdit, "correctionInput")
    assert field is not None
    qtbot.keyClicks(field, "l")
    qtbot.keyClick(field, Qt.Key.Key_Return)  # one saved drawing: now there is something
    assert panel.start_button.isEnabled()
    undo = window.findChild(QToolButton, "undoCorrection")
    assert undo is not None
    qtbot.mouseClick(undo, Qt.MouseButton.LeftButton)  # taken back: nothing again
    assert not panel.start_button.isEnabled()
    with qtbot.waitSignal(window.model_changed):
        train_tab(window).model_accepted.emit(load_model(model_path))  # a kept model of the user's
    assert panel.restore_button.isEnabled()
    answer_message_box("Restore", [])
    with qtbot.waitSignal(window.model_changed):
        qtbot.mouseClick(panel.restore_button, Qt.MouseButton.LeftButton)
    assert "Restored" in train_tab(window).status.text()
    assert not panel.restore_button.isEnabled()


def _keep(qtbot: QtBot, window: MainWindow, model_path: Path, name: str) -> None:
    """Keep a fine-tuned model of the user's, marked with ``name``."""
    model = load_model(model_path)
    model.meta = {**model.meta, "which": name}
    with qtbot.waitSignal(window.model_changed):
        train_tab(window).model_accepted.emit(model)


def _restore(qtbot: QtBot, window: MainWindow, answer: str) -> str:
    """Press Alt+O (Restore factory model) on the Train tab and answer its question; returns
    what the question said (its text and its details)."""
    asked: list[str] = []

    def read_and_answer() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(10, read_and_answer)
            return
        asked.append(f"{box.text()} {box.informativeText()}")
        next(b for b in box.buttons() if b.text().replace("&", "") == answer).click()

    window.tabs.setCurrentIndex(1)
    window.activateWindow()  # back from the last question's box
    qtbot.waitUntil(window.isActiveWindow)
    QTimer.singleShot(10, read_and_answer)
    qtbot.keyClick(window, Qt.Key.Key_O, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: len(asked) == 1)
    return asked[0]


def _which(folder: Path) -> dict[str, object]:
    return {p.name: load_model(p).meta.get("which") for p in sorted(folder.glob("user-model*"))}


def test_restore_asks_first_and_every_model_it_sets_aside_stays_until_brought_back(
    qtbot: QtBot, window: MainWindow, model_path: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    window.tabs.setCurrentIndex(1)
    panel = train_tab(window).panel
    _keep(qtbot, window, model_path, "A")
    asked = _restore(qtbot, window, "Cancel")
    assert asked.startswith("Go back to the model ocrpad ships with?")
    assert (
        f"set aside, not deleted: it becomes user-model.set-aside-<date>-<time>.npz in {data}"
        in asked
    )
    assert "“Bring back my model” uses it again." in asked  # quoted as the rest of the app
    assert window.model is not None and window.model.meta["which"] == "A"  # nothing changed
    assert _which(data) == {"user-model.npz": "A"} and panel.bring_back_button.isHidden()
    _restore(qtbot, window, "Restore")
    assert "set aside as user-model.set-aside-" in train_tab(window).status.text()
    assert not panel.bring_back_button.isHidden()  # the way back, while one is set aside
    _keep(qtbot, window, model_path, "B")
    assert panel.bring_back_button.isHidden()  # a model of the user's is in use again
    _restore(qtbot, window, "Restore")
    assert sorted(_which(data).values()) == ["A", "B"]  # the second restore destroyed nothing
    assert "user-model.npz" not in _which(data)
    with qtbot.waitSignal(window.model_changed):
        qtbot.mouseClick(panel.bring_back_button, Qt.MouseButton.LeftButton)
    assert window.model is not None and window.model.meta["which"] == "B"  # the newest
    assert _which(data)["user-model.npz"] == "B" and list(_which(data).values()).count("A") == 1
    assert panel.bring_back_button.isHidden() and panel.restore_button.isEnabled()


def test_restore_warns_that_a_kept_model_that_could_not_be_saved_is_lost(
    qtbot: QtBot, window: MainWindow, model_path: Path, tmp_path: Path
) -> None:
    (tmp_path / "data" / USER_MODEL_NAME).mkdir()  # the model file cannot be written there
    _keep(qtbot, window, model_path, "A")
    assert "could not be saved" in train_tab(window).status.text()
    asked = _restore(qtbot, window, "Cancel")
    assert "could not be saved" in asked and "it is lost" in asked
    assert "set aside" not in asked  # there is no file of it to set aside
    assert window.model is not None and window.model.meta["which"] == "A"
    _restore(qtbot, window, "Restore")
    assert window.model is not None and "which" not in window.model.meta


def test_restoring_the_shipped_model_drops_a_read_as_set_of_only_the_users_classes(
    qtbot: QtBot, window: MainWindow, model_path: Path
) -> None:
    tuned = load_model(model_path).with_extra_classes(["Σ"], np.random.default_rng(0))
    with qtbot.waitSignal(window.model_changed):
        train_tab(window).model_accepted.emit(tuned)
    window.set_character_set("Σ")
    assert "Σ" in window.draw.character_set.currentText()
    canvas = window.draw.canvas
    with qtbot.waitSignal(window.prediction_shown, timeout=30_000) as shown:
        draw_stroke(canvas, relative_line(canvas, (0.5, 0.2), (0.5, 0.8)))
    assert shown.args[0].label == "Σ"
    failures: list[str] = []
    window.message_shown.connect(failures.append)
    answer_message_box("Restore", [])
    with qtbot.waitSignal(window.prediction_shown, timeout=30_000) as shown:
        qtbot.mouseClick(train_tab(window).panel.restore_button, Qt.MouseButton.LeftButton)
    assert window.draw.character_set.currentText() == "All"
    assert "back to All" in window.draw.panel.message.whole_text()  # beside the new answer
    assert window.settings.value("character_set") == ""  # not 'Σ' again at the next start
    # the drawing on the canvas is read again in the whole set: an answer, not a refusal
    assert shown.args[0].label in load_model(model_path).labels and shown.args[0].label != "Σ"
    assert [m for m in failures if "back to All" not in m] == []


def test_a_read_as_set_of_the_users_own_classes_survives_a_restart_with_their_model(
    qtbot: QtBot, model_path: Path, tmp_path: Path
) -> None:
    tuned = load_model(model_path).with_extra_classes(["Σ"], np.random.default_rng(0))
    (tmp_path / "data").mkdir()
    tuned.save(tmp_path / "data" / USER_MODEL_NAME)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("character_set", "Σ")
    settings.sync()
    window = open_window(qtbot, model_path, tmp_path)  # the user's model reads Σ: kept
    try:
        assert "Σ" in window.draw.character_set.currentText()
        assert window.settings.value("character_set") == "Σ"
    finally:
        window.close()
    (tmp_path / "data" / USER_MODEL_NAME).unlink()
    window = open_window(qtbot, model_path, tmp_path)  # the shipped one does not: All
    try:
        assert window.draw.character_set.currentText() == "All"
        assert "back to All" in window.draw.panel.message.whole_text()
    finally:
        window.close()


def test_a_damaged_store_is_set_aside_and_the_app_still_starts(
    qtbot: QtBot, model_path: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / STORE_NAME).write_bytes(b"not a database" * 100)
    window = open_window(qtbot, model_path, tmp_path)
    try:
        tab = train_tab(window)
        assert "damaged" in tab.status.text() and "moved" in tab.status.text()
        assert tab.store is not None and tab.store.count() == 0
        assert len(list(data.glob(f"{STORE_NAME}.corrupt-*"))) == 1
    finally:
        window.close()


def test_an_unusable_data_folder_keeps_drawings_in_memory(
    qtbot: QtBot, model_path: Path, tmp_path: Path
) -> None:
    blocked = tmp_path / "data"
    blocked.write_text("a file where the data folder should be", encoding="utf-8")
    window = open_window(qtbot, model_path, tmp_path)
    try:
        tab = train_tab(window)
        assert tab.store is None and "cannot be saved" in tab.status.text()
        canvas = window.draw.canvas
        draw_stroke(canvas, relative_line(canvas, (0.5, 0.2), (0.5, 0.8)))
        field = window.findChild(QWidget, "correctionInput")
        qtbot.keyClicks(field, "l")
        qtbot.keyClick(field, Qt.Key.Key_Return)
        assert [u[1] for u in tab.unsaved] == ["l"] and "kept in memory" in tab.status.text()
    finally:
        seen: list[str] = []
        answer_message_box("Close without them", seen)  # nowhere to keep it: the user decides
        window.close()
    assert "1 drawing could not be saved" in seen[0]


@pytest.mark.parametrize("size", [(1100, 720), (800, 560), (800, 536)])
def test_the_train_tab_fits_the_default_and_a_small_window_without_scrolling_sideways(
    qtbot: QtBot, window: MainWindow, size: tuple[int, int]
) -> None:
    window.resize(*size)
    window.tabs.setCurrentIndex(1)
    free = window.findChild(QRadioButton, "freeMode")
    assert free is not None
    for mode in (None, free):  # prompt mode, then "I'll type the label" (a long instruction)
        if mode is not None:
            qtbot.mouseClick(mode, Qt.MouseButton.LeftButton)
            assert mode.isChecked()
        QApplication.processEvents()
        QApplication.processEvents()
        scroller = window.findChild(QScrollArea, "trainTabScroller")
        assert scroller is not None
        assert scroller.horizontalScrollBar().maximum() == 0
        table = window.findChild(QWidget, "beforeAfterTable")
        assert table is not None and table.visibleRegion().boundingRect().width() == table.width()


@pytest.mark.parametrize("size", [(1100, 720), (800, 536)])
def test_the_class_list_shows_every_count_whole_and_the_tab_still_fits(
    qtbot: QtBot, model_path: Path, tmp_path: Path, size: tuple[int, int]
) -> None:
    """62 characters with 100 to 161 drawings each: the list is as wide as its widest entry,
    with no sideways scroll bar of its own or of the tab (it was 64 pixels and cut them off)."""
    labels = [chr(c) for c in [*range(48, 58), *range(65, 91), *range(97, 123)]]
    (tmp_path / "data").mkdir()
    with SampleStore(tmp_path / "data" / STORE_NAME, renderer=None) as store:
        for k, label in enumerate(labels):
            drawings = [[np.array([[0, 0], [i % 7 + 1, 9]], np.float32)] for i in range(100 + k)]
            store.add_many(drawings, [label] * len(drawings), "prompt")
    window = open_window(qtbot, model_path, tmp_path)
    try:
        window.resize(*size)
        window.tabs.setCurrentIndex(1)
        QApplication.processEvents()
        classes = train_tab(window).browser.classes
        assert classes.count() == 62 and classes.verticalScrollBar().isVisible()
        room = classes.viewport().width()
        needed = [classes.sizeHintForIndex(classes.model().index(i, 0)).width() for i in range(62)]
        assert max(needed) <= room and not classes.horizontalScrollBar().isVisible()
        scroller = window.findChild(QScrollArea, "trainTabScroller")
        assert scroller is not None and scroller.horizontalScrollBar().maximum() == 0
    finally:
        window.close()


def test_a_corrected_drawing_joins_the_readers_history_with_its_label(
    qtbot: QtBot, window: MainWindow
) -> None:
    canvas = window.draw.canvas
    field = window.findChild(QLineEdit, "correctionInput")
    undo = window.findChild(QToolButton, "undoCorrection")
    assert field is not None and undo is not None
    draw_stroke(canvas, relative_line(canvas, (0.5, 0.2), (0.5, 0.8)))
    drawn = window.strokes()
    qtbot.keyClicks(field, "l")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert undo.text().replace("&", "") == "Undo save"  # the status bar names the button
    assert "Undo save takes it back" in window.statusBar().currentMessage()
    qtbot.keyClick(canvas, Qt.Key.Key_Escape)  # cleared: the drawing joins the history
    newest = window.recent[-1]
    assert isinstance(newest, Labelled) and newest.label == "l"
    assert [s.tolist() for s in newest.strokes] == [s.tolist() for s in drawn]
    qtbot.mouseClick(undo, Qt.MouseButton.LeftButton)  # taken back: a plain drawing again
    assert not isinstance(window.recent[-1], Labelled)
    draw_stroke(canvas, relative_line(canvas, (0.3, 0.3), (0.7, 0.3)))
    qtbot.keyClick(canvas, Qt.Key.Key_Escape)
    assert len(window.recent) == 2 and not isinstance(window.recent[-1], Labelled)


def test_a_corrected_drawing_drawn_on_afterwards_joins_the_history_unlabelled(
    qtbot: QtBot, window: MainWindow
) -> None:
    canvas = window.draw.canvas
    field = window.findChild(QLineEdit, "correctionInput")
    assert field is not None
    draw_stroke(canvas, relative_line(canvas, (0.5, 0.2), (0.5, 0.8)))
    qtbot.keyClicks(field, "l")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    draw_stroke(canvas, relative_line(canvas, (0.3, 0.5), (0.7, 0.5)))  # now a +, not the l
    qtbot.keyClick(canvas, Qt.Key.Key_Escape)
    newest = window.recent[-1]
    assert not isinstance(newest, Labelled) and len(newest) == 2


def test_saved_samples_seed_the_next_windows_history_with_their_labels(
    qtbot: QtBot, window: MainWindow, model_path: Path, tmp_path: Path
) -> None:
    canvas = window.draw.canvas
    field = window.findChild(QLineEdit, "correctionInput")
    assert field is not None
    draw_stroke(canvas, relative_line(canvas, (0.5, 0.2), (0.5, 0.8)))
    qtbot.keyClicks(field, "7")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    window.close()
    again = open_window(qtbot, model_path, tmp_path)
    try:
        assert [(type(d).__name__, d.label) for d in again.recent if isinstance(d, Labelled)] == [
            ("Labelled", "7")
        ]
    finally:
        again.close()


def test_shortcuts_on_the_train_tab_act_on_its_own_drawing_not_the_hidden_draw_tab(
    qtbot: QtBot, window: MainWindow
) -> None:
    """Ctrl+Z, E and G pressed on the Train tab once undid, erased and lined the Draw tab's
    drawing, which the person could not see."""
    draw_canvas = window.draw.canvas
    draw_stroke(draw_canvas, relative_line(draw_canvas, (0.5, 0.2), (0.5, 0.8)))
    tab = train_tab(window)
    window.tabs.setCurrentIndex(1)
    train_canvas = tab.collect.canvas
    train_canvas.setFocus()
    draw_stroke(train_canvas, relative_line(train_canvas, (0.2, 0.5), (0.8, 0.5)))
    draw_stroke(train_canvas, relative_line(train_canvas, (0.5, 0.2), (0.5, 0.8)))
    assert len(train_canvas.strokes()) == 2
    qtbot.keyClick(train_canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(train_canvas.strokes()) == 1 and len(draw_canvas.strokes()) == 1
    qtbot.keyClick(
        train_canvas,
        Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert len(train_canvas.strokes()) == 2
    for key in (Qt.Key.Key_E, Qt.Key.Key_G):
        qtbot.keyClick(train_canvas, key)
    assert not window.actions_by_name["eraser"].isChecked()
    assert draw_canvas.guides() is None
    window.tabs.setCurrentIndex(0)  # back on the Draw tab the actions work again
    draw_canvas.setFocus()
    qtbot.keyClick(draw_canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert not draw_canvas.strokes() and len(train_canvas.strokes()) == 2
