"""The Train tab driven like a user: prompts, free labels, browsing, fine-tune and its outcome."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from gui_helpers import draw_stroke, relative_line
from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtGui import (
    QAccessible,
    QAccessibleAnnouncementEvent,
    QAccessibleEvent,
    QColor,
    QImage,
)
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from ocrpad.app.draw.canvas import Canvas
from ocrpad.app.train import browser as browser_module
from ocrpad.app.train import worker as train_worker
from ocrpad.app.train.collect import prompt_sequence
from ocrpad.app.train.curves import HELD_COLOUR, LOSS_COLOUR, TRAIN_COLOUR, legend_names
from ocrpad.app.train.panel import FineTunePanel
from ocrpad.app.train.tab import TrainTab
from ocrpad.data.samples import SampleStore
from ocrpad.devtools.symbols import draw_many
from ocrpad.learning import finetune_data
from ocrpad.learning.finetune import FineTuneSettings, fine_tune
from ocrpad.model import ConvBlock, Model, ModelConfig, build_model

TIMEOUT = 60_000
TINY = ModelConfig(blocks=(ConvBlock(4, pool=True), ConvBlock(8, pool=True)), hidden=(32,))
FAST = FineTuneSettings(epochs=3, batch_user=8, batch_rehearsal=0, held_out=0.25, min_steps=0)


@pytest.fixture
def model() -> Model:
    return build_model(TINY, list("0123456789"), np.random.default_rng(0))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SampleStore]:
    with SampleStore(tmp_path / "samples.sqlite", renderer=None) as opened:
        yield opened


def _tab(qtbot: QtBot, store: SampleStore | None, model: Model, **settings: Any) -> TrainTab:
    tune = functools.partial(fine_tune, settings=FineTuneSettings(**{**FAST.__dict__, **settings}))
    tab = TrainTab(
        store, lambda: model, functools.partial(tune, rehearsal=None), warm_rehearsal=False
    )
    qtbot.addWidget(tab)
    tab.resize(1200, 700)
    tab.show()
    qtbot.waitExposed(tab)
    return tab


@pytest.fixture
def tab(qtbot: QtBot, store: SampleStore, model: Model) -> Iterator[TrainTab]:
    opened = _tab(qtbot, store, model)
    yield opened
    opened.shutdown()


def _draw(canvas: Canvas) -> None:
    draw_stroke(canvas, relative_line(canvas, (0.3, 0.2), (0.5, 0.8)))
    draw_stroke(canvas, relative_line(canvas, (0.5, 0.8), (0.7, 0.2)))


def _fill(store: SampleStore, chars: str = "+?", count: int = 6) -> None:
    rng = np.random.default_rng(0)
    for k, char in enumerate(chars):
        symbol = "+?Σ#"[k % 4]  # any synthetic symbol will do as a drawing of ``char``
        store.add_many(draw_many(symbol, count, rng), [char] * count, "prompt")


def test_prompts_cycle_through_the_chosen_characters() -> None:
    assert prompt_sequence("ab a", 2) == ["a", "b", "a", "b"]
    # composed first: e + a combining accent is one prompt, é, not "e" and a lone mark
    assert prompt_sequence("e\u0301\u2764\ufe0f\u0301x", 1) == ["\u00e9", "\u2764", "x"]
    assert prompt_sequence("e\ufe0f\u0301", 1) == ["\u00e9"]  # the selector goes first


def test_prompt_mode_saves_each_drawing_under_the_prompted_character(
    qtbot: QtBot, tab: TrainTab, store: SampleStore
) -> None:
    collect = tab.collect
    collect.prompt_chars.setText("gq")
    collect.prompt_repeats.setValue(2)
    qtbot.mouseClick(collect.start_button, Qt.MouseButton.LeftButton)
    assert collect.prompt_label.text().endswith("g")
    assert collect.canvas.hint() == "Draw “g” here"  # the empty area asks for the prompt
    assert collect.progress_label.text() == "0 / 4 done"
    _draw(collect.canvas)
    qtbot.keyClick(collect.canvas, Qt.Key.Key_Return)
    assert [(s.label, s.source) for s in store] == [("g", "prompt")]
    assert collect.canvas.strokes() == ()
    assert collect.prompt_label.text().endswith("q")
    assert collect.canvas.hint() == "Draw “q” here"
    qtbot.mouseClick(collect.skip_button, Qt.MouseButton.LeftButton)
    assert collect.progress_label.text() == "2 / 4 done"
    assert tab.browser.classes.count() == 1 and "(1)" in tab.browser.classes.item(0).text()


def test_undo_after_a_save_does_not_bring_the_saved_drawing_back_to_be_saved_again(
    qtbot: QtBot, tab: TrainTab, store: SampleStore
) -> None:
    """Ctrl+Z once undid the Clear of a save: Enter then saved the same drawing under the next
    prompt too (and in free labelling, twice under one label)."""
    collect = tab.collect
    collect.prompt_chars.setText("ab")
    collect.prompt_repeats.setValue(1)
    qtbot.mouseClick(collect.start_button, Qt.MouseButton.LeftButton)
    _draw(collect.canvas)
    qtbot.keyClick(collect.canvas, Qt.Key.Key_Return)
    for modifiers in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ShiftModifier):
        qtbot.keyClick(
            collect.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | modifiers
        )
    assert collect.canvas.strokes() == () and not collect.canvas.history.can_undo
    qtbot.keyClick(collect.canvas, Qt.Key.Key_Return)
    assert [s.label for s in store] == ["a"] and collect.prompt_label.text().endswith("b")
    assert "Draw the character first" in tab.status.text()
    qtbot.mouseClick(collect.free_mode, Qt.MouseButton.LeftButton)
    collect.free_label.setText("g")
    _draw(collect.canvas)
    qtbot.keyClick(collect.free_label, Qt.Key.Key_Return)
    collect.canvas.setFocus()
    qtbot.keyClick(collect.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(collect.canvas, Qt.Key.Key_Return)
    assert [s.label for s in store] == ["a", "g"]
    _draw(collect.canvas)  # the next drawing has its own undo, back to the empty canvas only
    qtbot.keyClick(collect.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(collect.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert collect.canvas.strokes() == () and not collect.canvas.history.can_undo


def test_enter_with_no_prompt_left_says_how_to_go_on_from_a_field_that_takes_typing(
    qtbot: QtBot, tab: TrainTab, store: SampleStore
) -> None:
    """After "All done" Enter once asked for the character in the Label field and sent the
    focus there, though that field is off in prompt mode."""
    collect = tab.collect
    tab.activateWindow()
    collect.prompt_chars.setText("a")
    collect.prompt_repeats.setValue(1)
    qtbot.mouseClick(collect.start_button, Qt.MouseButton.LeftButton)
    _draw(collect.canvas)
    qtbot.keyClick(collect.canvas, Qt.Key.Key_Return)
    assert collect.prompt_label.text() == "All done — thank you!"
    assert collect.canvas.hint() == "Draw any character here"  # not "a digit or a letter"
    _draw(collect.canvas)
    qtbot.keyClick(collect.canvas, Qt.Key.Key_Return)
    assert tab.status.text().startswith("All done. Press Enter to practise")
    assert "I'll type the label" in tab.status.text()
    qtbot.waitUntil(collect.prompt_chars.hasFocus)
    assert collect.prompt_chars.isEnabled() and collect.canvas.strokes() != ()
    qtbot.keyClick(collect.prompt_chars, Qt.Key.Key_Return)  # the prompts start again
    assert collect.canvas.hasFocus() and collect.prompt_label.text().endswith("a")
    qtbot.keyClick(collect.canvas, Qt.Key.Key_Return)
    assert [s.label for s in store] == ["a", "a"]
    qtbot.mouseClick(collect.prompt_chars, Qt.MouseButton.LeftButton)
    collect.prompt_chars.setText(" ")  # no characters: nothing to prompt
    qtbot.keyClick(collect.prompt_chars, Qt.Key.Key_Return)
    _draw(collect.canvas)
    qtbot.keyClick(collect.canvas, Qt.Key.Key_Return)
    assert tab.status.text() == "Type the characters to practise, then press Enter"
    qtbot.waitUntil(collect.prompt_chars.hasFocus)
    assert store.count() == 2


def test_saving_an_empty_canvas_asks_for_a_drawing(
    qtbot: QtBot, tab: TrainTab, store: SampleStore
) -> None:
    qtbot.mouseClick(tab.collect.save_button, Qt.MouseButton.LeftButton)
    assert store.count() == 0
    assert "Draw" in tab.status.text()


def test_free_labelling_accepts_any_character(
    qtbot: QtBot, tab: TrainTab, store: SampleStore
) -> None:
    collect = tab.collect
    qtbot.mouseClick(collect.free_mode, Qt.MouseButton.LeftButton)
    assert collect.free_label.isEnabled() and not collect.skip_button.isEnabled()
    _draw(collect.canvas)
    collect.free_label.setText("Σ")
    qtbot.keyClick(collect.free_label, Qt.Key.Key_Return)
    _draw(collect.canvas)
    collect.free_label.setText("ab")
    qtbot.mouseClick(collect.save_button, Qt.MouseButton.LeftButton)
    assert [(s.label, s.source) for s in store] == [("Σ", "free")]
    assert "one character" in tab.status.text()
    assert collect.canvas.strokes() != ()  # the refused drawing is still there


def test_an_emoji_pickers_heart_is_taken_as_the_heart_in_the_label_field_and_relabel(
    qtbot: QtBot, tab: TrainTab, store: SampleStore
) -> None:
    """❤ followed by the invisible U+FE0F was refused as "not exactly one character"."""
    collect = tab.collect
    qtbot.mouseClick(collect.free_mode, Qt.MouseButton.LeftButton)
    _draw(collect.canvas)
    collect.free_label.setText("\u2764\ufe0f")
    qtbot.keyClick(collect.free_label, Qt.Key.Key_Return)
    assert [s.label for s in store] == [
        "\u2764"
    ] and tab.status.text() == "Saved “❤” (1 drawing in all)"
    _draw(collect.canvas)
    collect.free_label.setText("1\ufe0f\u20e3")  # a keycap is another symbol: say what to type
    qtbot.keyClick(collect.free_label, Qt.Key.Key_Return)
    assert store.count() == 1 and "type '1' alone" in tab.status.text()
    tab.browser.grid.setCurrentRow(0)
    assert tab.browser.relabel_selected("\u2665\ufe0f")
    assert store.counts_by_label() == {"\u2665": 1}


def test_an_empty_store_is_shown_as_empty_not_as_missing(tab: TrainTab) -> None:
    tab.browser.refresh()
    assert tab.browser.details.text() == "No drawings yet"


def test_the_browser_relabels_deletes_and_undoes(tab: TrainTab, store: SampleStore) -> None:
    _fill(store, "ab", 3)
    browser = tab.browser
    browser.refresh(select="a")
    assert [browser.classes.item(i).text() for i in range(2)] == ["a   (3)", "b   (3)"]
    assert browser.grid.count() == 3
    browser.grid.setCurrentRow(1)
    assert browser.large.pixmap() is not None and "#2" in browser.details.text()
    assert browser.relabel_selected("b")
    assert store.counts_by_label() == {"a": 2, "b": 4}
    assert browser.current_label() == "b"
    assert not browser.relabel_selected("no")
    assert browser.relabel_selected(" b ")  # spaces round it, as a pasted label has them
    assert store.counts_by_label() == {"a": 2, "b": 4}
    assert browser.delete_selected() == 1
    assert store.counts_by_label() == {"a": 2, "b": 3}
    assert browser.undo_button.isEnabled()
    assert browser.undo_delete()
    assert store.counts_by_label() == {"a": 2, "b": 4}
    assert not browser.undo_button.isEnabled()


def test_a_refused_save_keeps_the_drawing_in_memory_until_it_can_be_written(
    tab: TrainTab, store: SampleStore
) -> None:
    strokes = tuple(draw_many("+", 1, np.random.default_rng(1))[0])
    store._db.execute("PRAGMA query_only = ON")  # the disk refuses writes
    assert tab.save(strokes, "+", "free")
    assert store.count() == 0 and len(tab.unsaved) == 1
    assert "kept in memory" in tab.status.text()
    assert len(tab.training_data()[0]) == 1
    store._db.execute("PRAGMA query_only = OFF")
    assert tab.save(strokes, "?", "free")
    assert store.counts_by_label() == {"+": 1, "?": 1} and tab.unsaved == []


def _run_fine_tune(qtbot: QtBot, tab: TrainTab) -> None:
    with qtbot.waitSignal(tab.fine_tune_done, timeout=TIMEOUT):
        qtbot.mouseClick(tab.panel.start_button, Qt.MouseButton.LeftButton)
        assert not tab.panel.start_button.isEnabled() and tab.panel.cancel_button.isEnabled()


class _PanelWatcher(QObject):
    """Notes what the fine-tune panel shows each time the worker counts prepared or distorted
    drawings (a QObject of the window's thread, so that the worker's signal reaches it queued,
    after the panel's own slot)."""

    def __init__(self, panel: FineTunePanel) -> None:
        super().__init__(panel)
        self.panel = panel
        self.shown: list[tuple[str, int, int]] = []

    @Slot(int, int)
    def note(self, done: int, total: int) -> None:
        bar = self.panel.progress
        self.shown.append((self.panel.eta.text(), bar.value(), bar.maximum()))

    @Slot(int, int, int)
    def note_epoch(self, epoch: int, done: int, total: int) -> None:
        self.note(done, total)


def _shown_during_fine_tune(
    qtbot: QtBot, tab: TrainTab, store: SampleStore, signal: str
) -> list[tuple[str, int, int]]:
    """The panel's line under the bar, and the bar's value and maximum, each time the worker's
    counting `signal` (preparing, scoring or distorting) told it something, over a fine-tune
    of 12 saved drawings."""
    _fill(store, count=6)
    tab.refresh()
    watcher = _PanelWatcher(tab.panel)
    counted = watcher.note_epoch if signal == "distorting" else watcher.note
    getattr(tab.worker, signal).connect(counted)
    _run_fine_tune(qtbot, tab)
    return watcher.shown


def test_the_fine_tune_panel_counts_the_drawings_it_prepares(
    qtbot: QtBot, tab: TrainTab, store: SampleStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(finetune_data, "PREPARED_EVERY", 5)
    assert _shown_during_fine_tune(qtbot, tab, store, "preparing") == [
        ("Preparing your drawings: 5 of 12…", 5, 12),
        ("Preparing your drawings: 10 of 12…", 10, 12),
        ("Rendered 12 drawings; the first steps follow…", 12, 12),
    ]


def test_the_fine_tune_panel_counts_the_held_back_drawings_read_before_it_starts(
    qtbot: QtBot, tab: TrainTab, store: SampleStore
) -> None:
    """The current model reads the held-back drawings before the first step (2,000 of them
    take seconds), for the before/after comparison: the panel counts them."""
    shown = _shown_during_fine_tune(qtbot, tab, store, "scoring")
    assert len(shown) == 1  # a handful of held-back drawings: one batch
    text, value, maximum = shown[0]
    assert value == maximum > 1
    assert text == (
        f"Reading the {maximum} held-back drawings with the current model: {maximum} of {maximum}…"
    )


def test_the_fine_tune_panel_says_what_an_epochs_pause_is(
    qtbot: QtBot, tab: TrainTab, store: SampleStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(finetune_data, "PREPARED_EVERY", 3)
    shown = _shown_during_fine_tune(qtbot, tab, store, "distorting")
    assert shown  # every epoch, before its steps: the bar stays on the steps
    text, value, maximum = shown[-1]
    assert text.startswith(f"Epoch {FAST.epochs}: distorting your drawings afresh, ")
    assert text.endswith("…") and value < maximum  # the bar still counts steps, not drawings


def test_a_kept_fine_tune_hands_out_the_new_model(
    qtbot: QtBot, tab: TrainTab, store: SampleStore, model: Model
) -> None:
    _fill(store)
    tab.refresh()
    _run_fine_tune(qtbot, tab)
    panel = tab.panel
    assert panel.keep_button.isEnabled() and panel.discard_button.isEnabled()
    assert len(panel.curves.points) == FAST.epochs
    assert panel.table.rowCount() == 3  # all, '+', '?'
    assert panel.table.item(0, 1).text() == "4"
    assert "→" in panel.verdict.text()
    table, header = panel.table, panel.table.horizontalHeader()
    table.resize(220, table.height())  # the width the column has in an 800-pixel window
    qtbot.waitUntil(  # the change (Δ) is in view without scrolling sideways
        lambda: (
            header.sectionViewportPosition(4) + header.sectionSize(4) <= table.viewport().width()
        )
    )
    with qtbot.waitSignal(tab.model_accepted) as accepted:
        qtbot.mouseClick(panel.keep_button, Qt.MouseButton.LeftButton)
    kept = accepted.args[0]
    assert kept is not model and kept.labels[-2:] == ["+", "?"]
    assert not panel.keep_button.isEnabled() and panel.start_button.isEnabled()


def test_a_fine_tunes_result_is_said_in_its_column_and_a_long_message_moves_nothing(
    qtbot: QtBot, tab: TrainTab, store: SampleStore
) -> None:
    _fill(store)
    tab.refresh()
    tab.show_message("Saved “+” (12 drawings in all)")
    QApplication.processEvents()
    browser, line = tab.browser.height(), tab.status.height()
    said: list[str] = []
    tab.message.connect(said.append)  # what the window's status bar shows
    _run_fine_tune(qtbot, tab)
    verdict = tab.panel.verdict.text()
    assert verdict.startswith("Held-back drawings (4)")  # in the Fine-tune column
    assert tab.status.text() == "Saved “+” (12 drawings in all)"  # not again under the samples
    assert len(said) == 1 and len(said[0]) < len(verdict) and "keep or discard" in said[0]
    long = "A message far too long for one line of the samples column. " * 8
    tab.show_message(long)
    QApplication.processEvents()
    assert tab.status.height() == line and tab.browser.height() == browser  # nothing jumps
    assert tab.status.text() == long and tab.status.toolTip() == long  # whole, on hovering
    assert tab.status.shown_text().endswith("…")


def test_the_curves_grow_during_a_long_epoch_not_only_at_its_end(
    qtbot: QtBot, store: SampleStore, model: Model
) -> None:
    _fill(store, "+?", 30)  # 44 to learn from in one epoch of 44 steps
    tab = _tab(qtbot, store, model, epochs=1, batch_user=1, held_out=0.25)
    drawn: list[int] = []
    tab.progress_shown.connect(lambda _: drawn.append(len(tab.panel.curves.points)))
    try:
        _run_fine_tune(qtbot, tab)
        report = tab.pending.report if tab.pending is not None else None
        assert report is not None and report.steps == len(drawn) == 44
        assert drawn[9] == 1 and drawn[19] == 2  # a point every 10 steps while it runs
        assert tab.panel.curves.points == list(report.curve) and len(report.curve) == 4
    finally:
        tab.shutdown()


def test_keep_does_not_cover_a_failed_save_with_its_own_kept_message(
    qtbot: QtBot, tab: TrainTab, store: SampleStore
) -> None:
    """The window saves a kept model when it takes it; a full disk or a damaged model is
    said then, and that word must be the last (it was covered by "Kept: … now in use")."""
    _fill(store)
    tab.refresh()
    _run_fine_tune(qtbot, tab)
    refusal = "The fine-tuned model was not kept (NaN or infinite values in out.weight)."
    tab.model_accepted.connect(lambda _model: tab.show_message(refusal))
    qtbot.mouseClick(tab.panel.keep_button, Qt.MouseButton.LeftButton)
    assert tab.status.text() == refusal and tab.pending is None


def test_a_keyboard_user_is_taken_from_fine_tune_to_cancel_then_to_keep(
    qtbot: QtBot, tab: TrainTab, store: SampleStore
) -> None:
    _fill(store)
    tab.refresh()
    panel = tab.panel
    tab.activateWindow()
    panel.start_button.setFocus()
    qtbot.waitUntil(panel.start_button.hasFocus)
    with qtbot.waitSignal(tab.fine_tune_done, timeout=TIMEOUT):
        qtbot.keyClick(panel.start_button, Qt.Key.Key_Space)
        assert panel.cancel_button.hasFocus()  # not lost to whatever came next
    assert panel.keep_button.hasFocus()  # the decision the run asks for
    panel.discard_button.setFocus()
    tab.refresh()  # a refresh in the background leaves the user's choice of button alone
    assert panel.discard_button.hasFocus()
    panel.keep_button.setFocus()
    qtbot.keyClick(panel.keep_button, Qt.Key.Key_Space)
    assert panel.start_button.hasFocus() and tab.pending is None


def test_thumbnails_and_unlabelled_controls_have_names_a_screen_reader_can_say(
    tab: TrainTab, store: SampleStore
) -> None:
    _fill(store, "a", 2)
    tab.refresh()
    item = tab.browser.grid.item(0)
    assert item.text() == ""  # a picture only
    assert item.data(Qt.ItemDataRole.AccessibleTextRole).startswith("small a, drawing ")
    assert tab.panel.progress.accessibleName() and tab.panel.table.accessibleName()
    repeats = tab.collect.prompt_repeats
    assert [label.text() for label in tab.findChildren(QLabel) if label.buddy() is repeats] == [
        "How many:"
    ]


def test_start_reads_the_stored_drawings_off_the_windows_thread(
    qtbot: QtBot, tab: TrainTab, store: SampleStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill(store)
    tab.refresh()
    readers: list[threading.Thread] = []
    read_all = store.samples

    def recorded(*args: Any, **kwargs: Any) -> Any:
        readers.append(threading.current_thread())
        return read_all(*args, **kwargs)

    monkeypatch.setattr(store, "samples", recorded)
    _run_fine_tune(qtbot, tab)
    assert readers and threading.main_thread() not in readers  # a large store never freezes it
    assert tab.panel.table.item(0, 1).text() == "4"  # and they all reached the fine-tune


def test_a_discarded_fine_tune_changes_nothing(
    qtbot: QtBot, tab: TrainTab, store: SampleStore
) -> None:
    _fill(store)
    tab.refresh()
    _run_fine_tune(qtbot, tab)
    with qtbot.assertNotEmitted(tab.model_accepted):
        qtbot.mouseClick(tab.panel.discard_button, Qt.MouseButton.LeftButton)
    assert tab.pending is None and not tab.panel.keep_button.isEnabled()
    assert "Discarded" in tab.status.text()
    assert tab.panel.start_button.isEnabled()


def test_a_result_awaiting_keep_or_discard_is_not_thrown_away_by_a_new_fine_tune(
    qtbot: QtBot, tab: TrainTab, store: SampleStore
) -> None:
    _fill(store)
    tab.refresh()
    _run_fine_tune(qtbot, tab)
    pending, start = tab.pending, tab.panel.start_button
    assert pending is not None and not start.isEnabled()
    assert "Keep or discard" in start.toolTip()
    with qtbot.assertNotEmitted(tab.fine_tune_started, wait=50):
        qtbot.mouseClick(start, Qt.MouseButton.LeftButton)
    assert tab.pending is pending and tab.panel.keep_button.isEnabled()


def test_cancel_stops_the_fine_tune_and_keeps_the_current_model(
    qtbot: QtBot, store: SampleStore, model: Model
) -> None:
    _fill(store)
    tab = _tab(qtbot, store, model, epochs=200, max_steps=100_000)
    try:
        with qtbot.waitSignal(tab.progress_shown, timeout=TIMEOUT):
            tab.start_fine_tune()
        with qtbot.waitSignal(tab.fine_tune_done, timeout=TIMEOUT) as done:
            qtbot.mouseClick(tab.panel.cancel_button, Qt.MouseButton.LeftButton)
        assert done.args[0].cancelled
        assert tab.pending is None and not tab.panel.keep_button.isEnabled()
        assert tab.panel.start_button.isEnabled()
        assert "Cancelled" in tab.panel.verdict.text()  # said in the Fine-tune column
    finally:
        tab.shutdown()


def test_fine_tuning_without_drawings_says_so(tab: TrainTab) -> None:
    assert not tab.start_fine_tune()
    assert "No drawings" in tab.status.text()


def test_the_curve_axis_ends_at_a_round_number() -> None:
    from ocrpad.app.train.curves import nice_ceiling

    assert [nice_ceiling(v) for v in (0.0, 0.9, 1.7, 2.1, 3.3, 7.0)] == [1, 1, 2, 2.5, 4, 10]


def test_curves_and_confusion_paint_with_and_without_data(qtbot: QtBot) -> None:
    from ocrpad.app.train.curves import CurvesPlot
    from ocrpad.app.train.results import ConfusionView
    from ocrpad.learning.finetune_report import CurvePoint

    plot, view = CurvesPlot(), ConfusionView()
    empty = []
    for widget in (plot, view):
        qtbot.addWidget(widget)
        widget.resize(300, 200)
        empty.append(widget.grab().toImage())
    plot.set_points([CurvePoint(1, 1, 2.0, 0.5, 0.4), CurvePoint(2, 2, 1.0, 0.8, None)], 4)
    view.set_matrix(["a", "b"], np.array([[3, 1], [0, 2]]))
    curves, matrix = plot.grab().toImage(), view.grab().toImage()
    assert curves != empty[0] and matrix != empty[1]  # both paint their data, not their hint
    for colour in (LOSS_COLOUR, TRAIN_COLOUR):  # the loss and accuracy lines themselves
        assert _has_colour(curves, colour) and not _has_colour(empty[0], colour)
    assert len(plot.points) == 2


def test_the_held_back_curve_goes_through_the_epoch_ends_between_mid_epoch_points(
    qtbot: QtBot,
) -> None:
    from ocrpad.app.train.curves import CurvesPlot
    from ocrpad.learning.finetune_report import CurvePoint

    plot = CurvesPlot()
    qtbot.addWidget(plot)
    plot.resize(300, 200)
    mid = functools.partial(CurvePoint, held_out_accuracy=None, mid_epoch=True)
    plot.set_points(
        [
            mid(10, 1, 2.0, 0.3),
            CurvePoint(20, 1, 1.5, 0.5, 0.4),
            mid(30, 2, 1.0, 0.6),
            CurvePoint(40, 2, 0.8, 0.7, 0.6),
        ],
        40,
    )
    assert _has_colour(plot.grab().toImage(), HELD_COLOUR)


def _has_colour(image: QImage, colour: QColor) -> bool:
    rgb = image.convertToFormat(QImage.Format.Format_RGB32)
    pixels = np.frombuffer(rgb.constBits(), np.uint8).reshape(rgb.height(), -1, 4)  # B, G, R, A
    return bool((pixels[:, : rgb.width(), :3] == colour.getRgb()[2::-1]).all(axis=-1).any())


def test_the_browser_exports_and_imports_drawings(
    qtbot: QtBot, tab: TrainTab, store: SampleStore, tmp_path: Path
) -> None:
    _fill(store, "ab", 2)
    browser = tab.browser
    for name, png_folders in (("mine.npz", False), ("pngs.npz", True)):
        with qtbot.waitSignal(browser.exporter.done, timeout=20_000) as ended:
            assert browser.export_to(tmp_path / name, png_folders=png_folders)
        assert ended.args is not None and ended.args[0] == 4
    assert sorted(p.name for p in (tmp_path / "pngs").iterdir()) == [
        "a_lower",
        "b_lower",
        "labels.tsv",
    ]
    with qtbot.waitSignal(browser.import_done, timeout=20_000):
        assert browser.import_from(tmp_path / "mine.npz")
    assert store.counts_by_label() == {"a": 4, "b": 4}
    assert "Imported 4 drawings from mine.npz" in tab.status.text()
    with qtbot.waitSignal(browser.import_done, timeout=20_000):
        browser.import_from(tmp_path / "missing.npz")
    assert "Import failed" in tab.status.text()


def test_the_delete_key_deletes_the_selected_drawing(
    qtbot: QtBot, tab: TrainTab, store: SampleStore
) -> None:
    _fill(store, "a", 2)
    tab.browser.refresh(select="a")
    tab.browser.grid.setFocus()
    qtbot.keyClick(tab.browser.grid, Qt.Key.Key_Delete)
    assert store.count() == 1 and tab.browser.undo_button.isEnabled()


def test_the_tab_says_how_long_fine_tuning_will_take_before_it_starts(
    qtbot: QtBot, tab: TrainTab, store: SampleStore
) -> None:
    _fill(store)
    tab.refresh()
    qtbot.waitUntil(lambda: tab.measured is not None, timeout=TIMEOUT)
    text = tab.panel.summary.text()
    assert "12 drawings" in text and "Fine-tuning will take about" in text
    assert text.rstrip(".").endswith("on this computer")
    assert tab.panel.start_button.isEnabled()  # measuring never blocks a start


def test_the_summary_says_before_the_start_when_too_few_drawings_leave_nothing_to_measure(
    qtbot: QtBot, tab: TrainTab
) -> None:
    """Two drawings of 'a': nothing is held back, so no before/after check; the summary said
    a fifth of each character's drawings are held back."""
    collect = tab.collect
    qtbot.mouseClick(collect.free_mode, Qt.MouseButton.LeftButton)

    def save(label: str) -> str:
        _draw(collect.canvas)
        collect.free_label.setFocus()
        collect.free_label.selectAll()
        qtbot.keyClicks(collect.free_label, label)
        qtbot.mouseClick(collect.save_button, Qt.MouseButton.LeftButton)
        return tab.panel.summary.text()

    save("a")
    text = save("a")
    assert "2 drawings of 1 character ready" in text
    assert "no before/after check is possible" in text and "at least 3 drawings" in text
    assert "held back to measure" not in text
    text = save("a")
    assert "About a fifth of each character's drawings are held back" in text
    text = save("b")  # 'a' is measured, 'b' is not
    assert "each character with at least 3 are held back" in text and "not measured" in text


def test_a_speed_that_cannot_be_measured_says_so_instead_of_measuring_for_ever(
    qtbot: QtBot, store: SampleStore, model: Model, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_: object) -> None:
        raise ValueError("the model's weights are not finite")

    monkeypatch.setattr(train_worker, "measure_speed", refuse)
    _fill(store)
    tab = _tab(qtbot, store, model)
    try:
        qtbot.waitUntil(lambda: tab.measured is not None, timeout=TIMEOUT)
        text = tab.panel.summary.text()
        assert "could not be measured" in text and "Measuring" not in text
        tab.refresh()  # no second try that would say "Measuring…" again
        assert "could not be measured" in tab.panel.summary.text()
        assert tab.panel.start_button.isEnabled()  # the fine-tune itself will say what is wrong
    finally:
        tab.shutdown()


def test_the_curves_legend_shortens_its_names_rather_than_cut_them_off() -> None:
    def width(name: str) -> int:
        return 7 * len(name)

    full = legend_names(1000, width)
    assert full == ("loss", "train acc.", "held-back acc.")
    needed = sum(26 + width(name) for name in full)
    assert legend_names(needed, width) == full
    short = legend_names(needed - 1, width)
    assert short == ("loss", "train", "held back")
    assert sum(26 + width(name) for name in short) < needed


def test_showing_the_tab_again_keeps_the_picked_drawing_and_counts_new_ones(
    qtbot: QtBot, tab: TrainTab, store: SampleStore
) -> None:
    _fill(store, "a", 3)
    tab.refresh()
    grid = tab.browser.grid
    picked = grid.visualItemRect(grid.item(2)).center()
    qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=picked)
    assert grid.currentRow() == 2
    tab.hide()  # the user looks at the Draw tab …
    _fill(store, "b", 2)  # … while another window saves drawings
    tab.show()
    assert grid.currentRow() == 2  # Delete still acts on the drawing they picked
    assert "5 drawings" in tab.panel.summary.text()


def test_the_export_and_import_dialogs_start_in_the_documents_folder_not_the_working_one(
    qtbot: QtBot, tab: TrainTab, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A relative default name opened the dialog in the working directory: / for an app
    started from the Finder, the program's folder on Windows."""
    asked: list[str] = []

    def chosen(parent: object, title: str, start: str, *rest: object) -> tuple[str, str]:
        asked.append(start)
        return "", ""

    dialog = browser_module.QFileDialog
    monkeypatch.setattr(dialog, "getSaveFileName", chosen)
    monkeypatch.setattr(dialog, "getOpenFileName", chosen)
    qtbot.mouseClick(tab.browser.export_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(tab.browser.import_button, Qt.MouseButton.LeftButton)
    assert len(asked) == 2 and all(Path(start).is_absolute() for start in asked)
    assert Path(asked[0]).name == "ocrpad-samples.npz"


def test_escape_in_the_fine_tune_column_cancels_a_run_and_its_start_and_end_are_announced(
    qtbot: QtBot, store: SampleStore, model: Model, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[QAccessibleEvent] = []
    monkeypatch.setattr(QAccessible, "updateAccessibility", sent.append)
    _fill(store)
    tab = _tab(qtbot, store, model, epochs=200, max_steps=100_000)
    panel = tab.panel
    try:
        tab.activateWindow()
        panel.results.tabBar().setFocus()  # Escape while idle cancels nothing
        qtbot.waitUntil(panel.results.tabBar().hasFocus)
        with qtbot.assertNotEmitted(tab.fine_tune_done, wait=50):
            qtbot.keyClick(panel.results.tabBar(), Qt.Key.Key_Escape)
        panel.start_button.setFocus()
        with qtbot.waitSignal(tab.progress_shown, timeout=TIMEOUT):
            qtbot.keyClick(panel.start_button, Qt.Key.Key_Space)
        assert panel.cancel_button.hasFocus()
        assert "Escape" in panel.cancel_button.toolTip()
        panel.results.tabBar().setFocus()  # anywhere in the column, not only on Cancel
        qtbot.waitUntil(panel.results.tabBar().hasFocus)
        with qtbot.waitSignal(tab.fine_tune_done, timeout=TIMEOUT) as done:
            qtbot.keyClick(panel.results.tabBar(), Qt.Key.Key_Escape)
        assert done.args[0].cancelled and tab.pending is None
    finally:
        tab.shutdown()
    said = [e.message() for e in sent if isinstance(e, QAccessibleAnnouncementEvent)]
    assert said == [
        "Fine-tuning a copy of the model: Escape or Cancel stops it.",
        "Fine-tune cancelled.",
    ]


def test_ctrl_z_undoes_the_last_stroke_from_any_button_of_the_collect_panel(
    qtbot: QtBot, tab: TrainTab
) -> None:
    collect = tab.collect
    _draw(collect.canvas)  # two strokes
    tab.activateWindow()
    for control in (collect.clear_button, collect.free_mode, collect.prompt_mode):
        control.setFocus()
        qtbot.waitUntil(control.hasFocus)
        qtbot.keyClick(control, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        assert len(collect.canvas.strokes()) == 1
        shift = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
        qtbot.keyClick(control, Qt.Key.Key_Z, shift)
        assert len(collect.canvas.strokes()) == 2
    qtbot.keyClick(collect.prompt_mode, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(collect.canvas.strokes()) == 1 and collect.prompt_mode.hasFocus()


@pytest.mark.parametrize(("label", "heard"), [(".", "full stop"), ("S", "capital S"), ("7", "7")])
def test_arrowing_through_the_thumbnails_a_screen_reader_hears_each_character_and_number(
    qtbot: QtBot, tab: TrainTab, store: SampleStore, label: str, heard: str
) -> None:
    ids = store.add_many(draw_many("+", 2, np.random.default_rng(0)), [label] * 2, "prompt")
    tab.refresh()
    browser = tab.browser
    row = next(i for i in range(browser.classes.count()) if label in browser.classes.item(i).text())
    entry = browser.classes.visualItemRect(browser.classes.item(row)).center()
    qtbot.mouseClick(browser.classes.viewport(), Qt.MouseButton.LeftButton, pos=entry)
    first = browser.grid.visualItemRect(browser.grid.item(0)).center()
    qtbot.mouseClick(browser.grid.viewport(), Qt.MouseButton.LeftButton, pos=first)
    qtbot.keyClick(browser.grid, Qt.Key.Key_Right)
    grid = QAccessible.queryAccessibleInterface(browser.grid)
    assert grid is not None
    current = grid.focusChild()
    assert current is not None
    spoken = current.text(QAccessible.Text.Name)
    assert spoken == f"{heard}, drawing {sorted(ids)[1]}, prompted"


def test_alt_n_from_the_drawing_takes_the_focus_to_cancel_and_escape_then_cancels(
    qtbot: QtBot, store: SampleStore, model: Model
) -> None:
    _fill(store)
    tab = _tab(qtbot, store, model, epochs=200, max_steps=100_000)
    canvas = tab.collect.canvas
    try:
        tab.activateWindow()
        canvas.setFocus()
        qtbot.waitUntil(canvas.hasFocus)
        with qtbot.waitSignal(tab.progress_shown, timeout=TIMEOUT):
            qtbot.keyClick(canvas, Qt.Key.Key_N, Qt.KeyboardModifier.AltModifier)
        assert tab.panel.cancel_button.hasFocus()  # not left on the drawing, where Escape clears
        with qtbot.waitSignal(tab.fine_tune_done, timeout=TIMEOUT) as done:
            qtbot.keyClick(tab.panel.cancel_button, Qt.Key.Key_Escape)
        assert done.args[0].cancelled and tab.panel.start_button.hasFocus()
    finally:
        tab.shutdown()


def test_a_screen_reader_hears_the_curves_in_words_after_a_run_started_from_the_keyboard(
    qtbot: QtBot, tab: TrainTab, store: SampleStore
) -> None:
    _fill(store)
    tab.refresh()
    curves = tab.panel.curves
    assert curves.accessibleDescription() == "No curves yet: they appear as training runs"
    tab.activateWindow()
    tab.panel.start_button.setFocus()
    qtbot.waitUntil(tab.panel.start_button.hasFocus)
    with qtbot.waitSignal(tab.fine_tune_done, timeout=TIMEOUT) as done:
        qtbot.keyClick(tab.panel.start_button, Qt.Key.Key_Space)
    report = done.args[0]
    said = curves.accessibleDescription()
    first, last = report.curve[0], report.curve[-1]
    assert said.startswith(f"Step {last.step} of {report.steps}: loss {first.loss:.3g} → ")
    assert f"training accuracy {first.accuracy:.0%} → {last.accuracy:.0%}" in said
    assert ", held back " in said and said.endswith("%")
