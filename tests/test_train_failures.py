"""The Train tab's fine-tune under failure: whatever goes wrong in its worker thread, the job
ends and the panel says why; it is never left "running" with Cancel as its only button."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from ocrpad.app.train import outcome
from ocrpad.app.train import worker as train_worker
from ocrpad.app.train.tab import TrainTab
from ocrpad.data.samples import SampleStore
from ocrpad.devtools.symbols import draw_many
from ocrpad.learning.finetune import FineTuneSettings, fine_tune
from ocrpad.model import ConvBlock, Model, ModelConfig, build_model

TIMEOUT = 60_000
TINY = ModelConfig(blocks=(ConvBlock(4, pool=True), ConvBlock(8, pool=True)), hidden=(32,))
FAST = FineTuneSettings(epochs=2, batch_user=8, batch_rehearsal=0, held_out=0.25, min_steps=0)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SampleStore]:
    with SampleStore(tmp_path / "samples.sqlite", renderer=None) as opened:
        rng = np.random.default_rng(0)
        for symbol, char in (("+", "a"), ("?", "b")):
            opened.add_many(draw_many(symbol, 6, rng), [char] * 6, "prompt")
        yield opened


def _tab(qtbot: QtBot, store: SampleStore) -> TrainTab:
    model = build_model(TINY, list("0123456789"), np.random.default_rng(0))
    tune = functools.partial(fine_tune, settings=FAST, rehearsal=None)
    tab = TrainTab(store, lambda: model, tune, warm_rehearsal=False)
    qtbot.addWidget(tab)
    tab.show()
    qtbot.waitExposed(tab)
    return tab


def _fine_tune(qtbot: QtBot, tab: TrainTab) -> Any:
    with qtbot.waitSignal(tab.fine_tune_done, timeout=TIMEOUT) as done:
        qtbot.mouseClick(tab.panel.start_button, Qt.MouseButton.LeftButton)
    return done.args[0] if done.args else None


@pytest.mark.parametrize("error", [RuntimeError("a bug"), MemoryError(), IndexError("9")])
def test_a_filter_drift_measurement_that_fails_still_ends_the_fine_tune_with_its_result(
    qtbot: QtBot, store: SampleStore, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    def broken(before: Model, after: Model) -> list[Any]:
        raise error

    monkeypatch.setattr(train_worker, "filter_drift", broken)
    monkeypatch.setattr(train_worker.traceback, "print_exc", lambda: None)
    tab = _tab(qtbot, store)
    try:
        report = _fine_tune(qtbot, tab)
        assert report is not None and not report.cancelled
        assert tab.panel.state == "deciding" and tab.panel.keep_button.isEnabled()
        assert tab.pending is not None and tab.pending.drift == ()
        said = tab.panel.drift.placeholder
        assert said.startswith("How far the filters moved could not be measured this time")
        assert tab.panel.drift.accessibleDescription() == said
        qtbot.mouseClick(tab.panel.discard_button, Qt.MouseButton.LeftButton)
        monkeypatch.undo()  # the next fine-tune measures them again
        _fine_tune(qtbot, tab)
        assert tab.pending is not None and tab.pending.drift
        assert tab.panel.drift.drift and tab.panel.drift.placeholder.startswith("After a")
    finally:
        tab.shutdown()


def test_an_unexpected_error_in_the_fine_tune_ends_the_job_with_a_message(
    qtbot: QtBot, store: SampleStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def loader_bug() -> tuple[list[Any], list[str]]:
        raise KeyError("strokes")

    monkeypatch.setattr(train_worker.traceback, "print_exc", lambda: None)
    tab = _tab(qtbot, store)
    monkeypatch.setattr(tab, "stored_drawings", loader_bug)
    try:
        assert _fine_tune(qtbot, tab) is None
        assert tab.panel.state == "idle" and tab.panel.start_button.isEnabled()
        said = tab.panel.verdict.text()
        assert "internal error" in said and "strokes" in said
    finally:
        tab.shutdown()


def test_a_speed_measurement_that_fails_unexpectedly_says_so_instead_of_measuring_for_ever(
    qtbot: QtBot, store: SampleStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(train_worker, "measure_speed", broken)
    monkeypatch.setattr(train_worker.traceback, "print_exc", lambda: None)
    tab = _tab(qtbot, store)
    try:
        qtbot.waitUntil(lambda: tab.measured is not None, timeout=TIMEOUT)
        assert "could not be measured" in tab.panel.summary.text()
        assert tab.panel.start_button.isEnabled()
    finally:
        tab.shutdown()


def test_a_model_that_cannot_be_copied_for_a_fine_tune_is_said_not_left_running(
    qtbot: QtBot, store: SampleStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    tab = _tab(qtbot, store)
    try:
        qtbot.waitUntil(lambda: tab.measured is not None, timeout=TIMEOUT)
        model = tab.current_model()

        def out_of_memory() -> Model:
            raise MemoryError

        monkeypatch.setattr(model, "copy", out_of_memory)
        qtbot.mouseClick(tab.panel.start_button, Qt.MouseButton.LeftButton)
        assert tab.panel.state == "idle" and tab.panel.start_button.isEnabled()
        assert tab.status.text() == "Not enough memory to fine-tune a copy of the model."
        monkeypatch.undo()
        assert _fine_tune(qtbot, tab) is not None  # with memory again, it runs
    finally:
        tab.shutdown()


def test_a_result_that_cannot_be_shown_leaves_the_panel_usable_and_says_why(
    qtbot: QtBot, store: SampleStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before, an error while the report was shown escaped the GUI-side handler: the panel
    stayed "running", Cancel its only button, for good."""
    tab = _tab(qtbot, store)
    kept: list[Model] = []
    tab.model_accepted.connect(kept.append)
    said_in_status_bar: list[str] = []
    tab.message.connect(said_in_status_bar.append)

    def broken(points: Sequence[object], steps: int) -> None:
        if points:  # not the empty curve a new run begins with
            raise RuntimeError("a curve bug")

    monkeypatch.setattr(tab.panel.curves, "set_points", broken)
    monkeypatch.setattr(outcome.traceback, "print_exc", lambda: None)
    try:
        report = _fine_tune(qtbot, tab)
        assert report is not None and not report.cancelled
        assert tab.panel.state == "deciding" and not tab.panel.cancel_button.isEnabled()
        said = tab.panel.verdict.text()
        assert "results could not be shown" in said and "a curve bug" in said
        assert "Keep the new model or discard it" in said
        assert said_in_status_bar[-1] == (
            "Fine-tune finished: keep or discard it. Its results could not be shown (see "
            "Fine-tune)."
        )
        qtbot.mouseClick(tab.panel.keep_button, Qt.MouseButton.LeftButton)
        assert len(kept) == 1 and tab.panel.state == "idle"
        assert tab.panel.start_button.isEnabled()
        monkeypatch.undo()  # the next fine-tune shows its results again
        assert _fine_tune(qtbot, tab) is not None
        assert (
            tab.panel.state == "deciding" and "could not be shown" not in tab.panel.verdict.text()
        )
    finally:
        tab.shutdown()
