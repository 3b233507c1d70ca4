"""Closing the window while the Train tab has work the user would lose: a fine-tune running or
awaiting Keep / Discard, a kept model that could not be saved. The window asks first."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from gui_helpers import (
    answer_message_box,
    save_tiny_model,
    train_tab,
    train_window_with_a_drawing,
)
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from ocrpad.app.main_window import MainWindow
from ocrpad.app.train import questions
from ocrpad.app.train.tab import STORE_NAME, USER_MODEL_NAME
from ocrpad.learning.finetune_report import FineTuneReport
from ocrpad.model import Model, load_model

TIMEOUT = 30_000


@pytest.fixture(scope="module")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_model(tmp_path_factory.mktemp("model"))


@pytest.fixture
def window(qtbot: QtBot, model_path: Path, tmp_path: Path) -> Iterator[MainWindow]:
    opened = train_window_with_a_drawing(qtbot, model_path, tmp_path)
    yield opened
    opened.close()


def _report(model: Model, cancelled: bool) -> FineTuneReport:
    return FineTuneReport(tuple(model.labels), (), 1, (), (), (), (), 0.1, 1, cancelled)


def marked(model: Model, strokes: Sequence[Any], labels: Sequence[str], **_: Any) -> Any:
    """A fine-tune stand-in that returns a marked copy at once."""
    tuned = model.copy()
    tuned.meta = {**tuned.meta, "which": "tuned"}
    return tuned, _report(tuned, False)


def endless(
    model: Model,
    strokes: Sequence[Any],
    labels: Sequence[str],
    *,
    cancel: Callable[[], bool],
    **_: Any,
) -> Any:
    """A fine-tune stand-in that runs until it is cancelled."""
    while not cancel():
        time.sleep(0.01)
    return model, _report(model, True)


def _finish_a_fine_tune(qtbot: QtBot, window: MainWindow) -> None:
    tab = train_tab(window)
    tab.worker._fine_tune = marked
    with qtbot.waitSignal(tab.fine_tune_done, timeout=TIMEOUT):
        tab.panel.start_button.click()
    assert tab.pending is not None


def _close(window: MainWindow, answer: str) -> list[str]:
    asked: list[str] = []
    answer_message_box(answer, asked)
    window.close()
    return asked


def test_closing_with_a_result_awaiting_keep_or_discard_asks_and_cancel_stays(
    qtbot: QtBot, window: MainWindow
) -> None:
    _finish_a_fine_tune(qtbot, window)
    assert _close(window, "Cancel") == ["Keep the fine-tuned model before closing?"]
    assert window.isVisible() and train_tab(window).pending is not None
    assert train_tab(window).panel.keep_button.isEnabled()  # still the user's to decide
    train_tab(window).panel.discard_button.click()
    window.close()  # decided: nothing more to ask
    assert not window.isVisible()


@pytest.mark.parametrize("answer", ["Keep", "Discard"])
def test_closing_with_a_result_awaiting_a_decision_keeps_or_discards_it_as_answered(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, answer: str
) -> None:
    _finish_a_fine_tune(qtbot, window)
    assert _close(window, answer) == ["Keep the fine-tuned model before closing?"]
    assert not window.isVisible()
    saved = tmp_path / "data" / USER_MODEL_NAME
    if answer == "Keep":
        assert load_model(saved).meta["which"] == "tuned"
    else:
        assert not saved.exists()


def test_closing_during_a_fine_tune_asks_and_stop_and_close_stops_it(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    tab = train_tab(window)
    tab.worker._fine_tune = endless
    before = window.model
    tab.panel.start_button.click()
    qtbot.waitUntil(lambda: tab.worker.busy)
    assert _close(window, "Cancel") == ["A fine-tune is still running."]
    assert window.isVisible() and tab.worker.busy and tab.panel.state == "running"
    assert _close(window, "Stop and close") == ["A fine-tune is still running."]
    assert not window.isVisible()
    assert tab.thread_ is not None and not tab.thread_.isRunning() and not tab.worker.busy
    assert window.model is before and not (tmp_path / "data" / USER_MODEL_NAME).exists()


def test_closing_after_cancel_was_pressed_asks_nothing(qtbot: QtBot, window: MainWindow) -> None:
    """The person already asked the fine-tune to stop: the question (a modal box) waited for
    an answer nobody was there to give when a script cancelled and closed."""
    tab = train_tab(window)
    tab.worker._fine_tune = endless
    tab.panel.start_button.click()
    qtbot.waitUntil(lambda: tab.worker.busy)
    tab.panel.cancel_button.click()
    asked: list[str] = []

    def refuse() -> None:  # a box, had one come, is recorded and refused
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            asked.append(box.text())
            box.reject()

    watch = QTimer()
    watch.timeout.connect(refuse)
    watch.start(20)
    window.close()
    watch.stop()
    assert asked == [] and not window.isVisible() and not tab.worker.busy


def _keep_unsavable(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> Path:
    """Keep a marked model whose file cannot be written (a folder is in its place)."""
    saved = tmp_path / "data" / USER_MODEL_NAME
    saved.mkdir()
    tuned, _ = marked(window.model, [], [])
    with qtbot.waitSignal(window.model_changed):
        train_tab(window).model_accepted.emit(tuned)
    assert "could not be saved" in train_tab(window).status.text()
    return saved


def test_a_kept_model_that_could_not_be_saved_is_asked_about_at_close(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _keep_unsavable(qtbot, window, tmp_path)
    asked = _close(window, "Cancel")
    assert window.isVisible() and len(asked) == 1 and "could not be saved" in asked[0]
    chosen: list[Path] = [tmp_path / "data" / STORE_NAME]  # first the store: refused
    monkeypatch.setattr(
        questions.QFileDialog,
        "getSaveFileName",
        staticmethod(lambda *args, **kwargs: (str(chosen.pop(0)), "")),
    )
    errors: list[str] = []
    monkeypatch.setattr(
        questions.QMessageBox, "critical", staticmethod(lambda *a: errors.append(a[2]))
    )
    _close(window, "Save to a file…")
    assert window.isVisible() and "sample store" in errors[0]
    assert train_tab(window).store is not None and train_tab(window).store.count() == 1
    chosen.append(tmp_path / "mine.npz")
    _close(window, "Save to a file…")
    assert not window.isVisible()
    assert load_model(tmp_path / "mine.npz").meta["which"] == "tuned"


def test_a_kept_model_that_could_not_be_saved_is_saved_at_close_once_it_can_be(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    saved = _keep_unsavable(qtbot, window, tmp_path)
    saved.rmdir()  # room again: no question, the model is saved as the user's
    window.close()
    assert not window.isVisible()
    assert load_model(saved).meta["which"] == "tuned"


def test_the_unsaved_model_question_shows_a_reason_naming_a_path_as_plain_text(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """A reason may name a path such as `<home>/data`: as rich text it would vanish."""
    parent = QWidget()
    qtbot.addWidget(parent)
    formats: list[Qt.TextFormat] = []

    def cancel() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, cancel)
            return
        formats.append(box.textFormat())
        box.reject()

    QTimer.singleShot(20, cancel)
    reason = "could not write <data>/user-model.npz"
    assert not questions.ask_about_unsaved_model(parent, reason, tmp_path, lambda _: None)
    assert formats == [Qt.TextFormat.PlainText]


def _answer_boxes(answers: list[str], seen: list[str]) -> None:
    """Click ``answers[0]`` in the next modal message box, then ``answers[1]`` in the one
    after it, and so on (recording each box's text and informative text in ``seen``)."""
    if not answers:
        return
    shown = len(seen)

    def click() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox) or box.isHidden():
            QTimer.singleShot(20, click)
            return
        seen.extend((box.text(), box.informativeText()))
        assert len(seen) == shown + 2
        (button,) = (b for b in box.buttons() if b.text().replace("&", "") == answers[0])
        button.click()
        _answer_boxes(answers[1:], seen)

    QTimer.singleShot(20, click)


def not_finite(model: Model, strokes: Sequence[Any], labels: Sequence[str], **_: Any) -> Any:
    """A fine-tune stand-in whose model's output weights are NaN."""
    tuned = model.copy()
    tuned.network["out"].params["weight"][...] = float("nan")
    return tuned, _report(tuned, False)


def test_keep_at_close_of_a_model_that_cannot_be_kept_says_so_in_a_box_and_keeps_the_file(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    """Before, the refusal went to the status bar of a window that was closing."""
    _finish_a_fine_tune(qtbot, window)
    train_tab(window).panel.keep_button.click()  # the user's previous model, on disk
    saved = tmp_path / "data" / USER_MODEL_NAME
    before = saved.read_bytes()
    tab = train_tab(window)
    tab.worker._fine_tune = not_finite
    with qtbot.waitSignal(tab.fine_tune_done, timeout=TIMEOUT):
        tab.panel.start_button.click()
    seen: list[str] = []
    _answer_boxes(["Keep", "OK"], seen)
    window.close()
    assert not window.isVisible()
    assert seen[0] == "Keep the fine-tuned model before closing?"
    assert seen[2] == "The fine-tuned model was not kept."
    assert "NaN or infinite" in seen[3] and f"stays as it was, in {saved}" in seen[3]
    assert saved.read_bytes() == before and sorted(saved.parent.glob("*.npz")) == [saved]
    assert load_model(saved).meta["which"] == "tuned"
