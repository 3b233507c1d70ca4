"""Keep, Restore and Bring back under failure: a model that cannot be loaded again is never
kept, and two windows sharing a data folder take turns on the user's model file."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from gui_helpers import TINY_WINDOW_MODEL, open_window, save_tiny_model, train_tab
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from ocrpad.app.main_window import MainWindow
from ocrpad.app.train.model_files import set_aside_models
from ocrpad.app.train.tab import USER_MODEL_NAME
from ocrpad.learning.finetune_report import FineTuneReport
from ocrpad.model import Model, build_model

TIMEOUT = 30_000


@pytest.fixture(scope="module")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_model(tmp_path_factory.mktemp("model"))


@pytest.fixture
def window(qtbot: QtBot, model_path: Path, tmp_path: Path) -> Iterator[MainWindow]:
    opened = open_window(qtbot, model_path, tmp_path)
    opened.tabs.setCurrentIndex(1)
    store = train_tab(opened).store
    assert store is not None
    store.add([np.array([[0, 0], [10, 10]], np.float32)], "a", "free")
    train_tab(opened).refresh()
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
