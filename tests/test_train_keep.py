"""Keep, Restore and Bring back under failure: a model that cannot be loaded again is never
kept, and two windows sharing a data folder take turns on the user's model file."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from gui_helpers import (
    TINY_WINDOW_MODEL,
    answer_message_box,
    save_tiny_model,
    train_tab,
    train_window_with_a_drawing,
)
from PySide6.QtCore import QLockFile, Qt
from pytestqt.qtbot import QtBot

from ocrpad.app.main_window import MainWindow
from ocrpad.app.train import model_lock
from ocrpad.app.train.model_files import set_aside_models
from ocrpad.app.train.tab import USER_MODEL_NAME
from ocrpad.learning.finetune_report import FineTuneReport
from ocrpad.model import Model, build_model, load_model

TIMEOUT = 30_000


@pytest.fixture(scope="module")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_model(tmp_path_factory.mktemp("model"))


@pytest.fixture
def window(qtbot: QtBot, model_path: Path, tmp_path: Path) -> Iterator[MainWindow]:
    opened = train_window_with_a_drawing(qtbot, model_path, tmp_path)
    yield opened
    opened.close()


def _tuned_to(weight: float) -> Any:
    """A fine-tune stand-in whose model's output weights are all ``weight``."""

    def tune(model: Model, strokes: Sequence[Any], labels: Sequence[str], **_: Any) -> Any:
        tuned = model.copy()
        tuned.network["out"].params["weight"][...] = weight
        report = FineTuneReport(tuple(tuned.labels), (), 1, (), (), (), (), 0.1, 1, False)
        return tuned, report

    return tune


def _fine_tune_and_keep(qtbot: QtBot, window: MainWindow, weight: float) -> None:
    tab = train_tab(window)
    tab.worker._fine_tune = _tuned_to(weight)
    with qtbot.waitSignal(tab.fine_tune_done, timeout=TIMEOUT):
        qtbot.mouseClick(tab.panel.start_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(tab.panel.keep_button, Qt.MouseButton.LeftButton)


@pytest.mark.parametrize("weight", [float("nan"), float("inf")])
def test_a_model_with_weights_that_are_not_finite_is_not_kept_and_moves_no_file(
    qtbot: QtBot, window: MainWindow, weight: float
) -> None:
    """Another window's kept model (one this window did not load) was set aside before the
    save refused the NaN weights: the user's model file was gone and nothing took its place."""
    theirs = build_model(TINY_WINDOW_MODEL, rng=np.random.default_rng(5))
    user_model = Path(train_tab(window).keeper.data_dir or "") / USER_MODEL_NAME
    theirs.save(user_model)
    before, in_use = user_model.read_bytes(), window.model
    _fine_tune_and_keep(qtbot, window, weight)
    assert user_model.read_bytes() == before and not set_aside_models(user_model)
    said = train_tab(window).status.text()
    assert "was not kept" in said and "NaN or infinite values, in out.weight" in said
    assert window.model is in_use
    _fine_tune_and_keep(qtbot, window, 0.5)  # a finite one is kept, theirs set aside
    assert len(set_aside_models(user_model)) == 1 and window.model is not in_use


@pytest.fixture
def other_window_lock(window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> Iterator[QLockFile]:
    """The model file's lock, held as another window's Keep holds it (waits cut short)."""
    monkeypatch.setattr(model_lock, "LOCK_WAIT_MS", 150)
    lock = QLockFile(str(_user_model(window).with_name("user-model.npz.lock")))
    assert lock.tryLock(0)
    yield lock
    lock.unlock()


def _user_model(window: MainWindow) -> Path:
    return Path(train_tab(window).keeper.data_dir or "") / USER_MODEL_NAME


def _out_weight(model: Model | None) -> float:
    assert model is not None
    return float(model.state_dict()["out.weight"].flat[0])


def test_a_keep_that_cannot_lock_the_model_file_uses_the_model_and_saves_it_at_close(
    qtbot: QtBot, window: MainWindow, other_window_lock: QLockFile
) -> None:
    _fine_tune_and_keep(qtbot, window, 0.5)
    assert _out_weight(window.model) == 0.5  # in use
    assert not _user_model(window).exists()  # not written while another window holds the lock
    said = train_tab(window).status.text()
    assert "could not be saved: another ocrpad window is changing user-model.npz" in said
    assert "saves it when the window closes" in said
    other_window_lock.unlock()
    window.close()
    assert _out_weight(load_model(_user_model(window))) == 0.5


def test_a_keep_releases_the_lock_it_took(qtbot: QtBot, window: MainWindow) -> None:
    _fine_tune_and_keep(qtbot, window, 0.5)
    assert _out_weight(load_model(_user_model(window))) == 0.5
    lock = QLockFile(str(_user_model(window).with_name("user-model.npz.lock")))
    assert lock.tryLock(0)
    lock.unlock()


def test_restore_and_bring_back_change_nothing_while_another_window_holds_the_lock(
    qtbot: QtBot, window: MainWindow, other_window_lock: QLockFile
) -> None:
    other_window_lock.unlock()
    _fine_tune_and_keep(qtbot, window, 0.5)
    kept = _user_model(window).read_bytes()
    assert other_window_lock.tryLock(0)
    panel = train_tab(window).panel
    answer_message_box("Restore", [])
    qtbot.mouseClick(panel.restore_button, Qt.MouseButton.LeftButton)
    said = train_tab(window).status.text()
    assert "Could not set your model aside: another ocrpad window is changing" in said
    assert _user_model(window).read_bytes() == kept and _out_weight(window.model) == 0.5
    other_window_lock.unlock()
    answer_message_box("Restore", [])
    qtbot.mouseClick(panel.restore_button, Qt.MouseButton.LeftButton)
    assert not _user_model(window).exists() and panel.bring_back_button.isVisible()
    assert other_window_lock.tryLock(0)
    qtbot.mouseClick(panel.bring_back_button, Qt.MouseButton.LeftButton)
    said = train_tab(window).status.text()
    assert "Could not bring back your model: another ocrpad window is changing" in said
    assert not _user_model(window).exists() and len(set_aside_models(_user_model(window))) == 1
    other_window_lock.unlock()
    qtbot.mouseClick(panel.bring_back_button, Qt.MouseButton.LeftButton)
    assert _user_model(window).read_bytes() == kept and _out_weight(window.model) == 0.5


def test_the_verdicts_tooltip_says_its_figures_are_the_network_alone_without_history(
    qtbot: QtBot, window: MainWindow
) -> None:
    _fine_tune_and_keep(qtbot, window, 0.5)
    tip = train_tab(window).panel.verdict.toolTip()
    assert "network alone" in tip and "without the history" in tip
