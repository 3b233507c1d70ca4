"""The names Restore sets the user's models aside under: new each time, newest found first; a
Keep sets aside a user-model.npz its window did not load or write, never writing over it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from gui_helpers import TINY_WINDOW_MODEL, save_tiny_model, train_tab
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from ocrpad.app.main import create_main_window
from ocrpad.app.main_window import MainWindow
from ocrpad.app.train import model_files
from ocrpad.app.train.model_files import newest_set_aside, set_aside, set_aside_models
from ocrpad.app.train.tab import USER_MODEL_NAME
from ocrpad.model import Model, build_model, load_model


def test_models_set_aside_within_one_second_get_names_of_their_own_in_order(
    tmp_path: Path,
) -> None:
    user_model = tmp_path / "user-model.npz"
    made = []
    for content in (b"A", b"B", b"C"):
        user_model.write_bytes(content)
        made.append(set_aside(user_model))
    assert not user_model.exists() and len(set(made)) == 3
    assert [p.read_bytes() for p in set_aside_models(user_model)] == [b"A", b"B", b"C"]
    assert newest_set_aside(user_model) == made[-1]


def test_the_earlier_versions_previous_model_counts_as_the_oldest(tmp_path: Path) -> None:
    user_model = tmp_path / "user-model.npz"
    assert newest_set_aside(user_model) is None
    earlier = tmp_path / "user-model.previous.npz"
    earlier.write_bytes(b"old")
    assert newest_set_aside(user_model) == earlier
    (tmp_path / "user-model.set-aside-notes.npz").write_bytes(b"not ours")  # no time: left out
    newer = model_files.set_aside_name(user_model, "20260101-120000", 2)
    newer.write_bytes(b"new")
    model_files.set_aside_name(user_model, "20260101-120000").write_bytes(b"first")
    assert set_aside_models(user_model) == [
        earlier,
        model_files.set_aside_name(user_model, "20260101-120000"),
        newer,
    ]


def _window(qtbot: QtBot, model_path: Path, data: Path, name: str) -> MainWindow:
    """A real window on the data folder ``data``, with settings of its own."""
    settings = QSettings(str(data.parent / f"{name}.ini"), QSettings.Format.IniFormat)
    window = create_main_window(model_path, data, settings=settings)
    qtbot.addWidget(window)
    window.show()
    return window


def _weights(model: Model) -> np.ndarray:
    return model.state_dict()["out.weight"]


def test_a_keep_in_a_second_window_sets_the_first_windows_kept_model_aside_not_over_it(
    qtbot: QtBot, tmp_path: Path
) -> None:
    model_path = save_tiny_model(tmp_path)
    data = tmp_path / "data"
    first, second = (_window(qtbot, model_path, data, name) for name in ("a", "b"))
    try:
        mine, theirs, again = (build_model(TINY_WINDOW_MODEL, rng=_rng(s)) for s in (1, 2, 3))
        train_tab(first).model_accepted.emit(mine)
        train_tab(first).model_accepted.emit(again)  # its own file: replaced, nothing set aside
        assert not set_aside_models(data / USER_MODEL_NAME)
        train_tab(second).model_accepted.emit(theirs)
        aside = set_aside_models(data / USER_MODEL_NAME)
        assert len(aside) == 1 and np.array_equal(_weights(load_model(aside[0])), _weights(again))
        assert np.array_equal(_weights(load_model(data / USER_MODEL_NAME)), _weights(theirs))
        assert f"set aside as {aside[0].name}" in train_tab(second).status.text()
        train_tab(first).model_accepted.emit(mine)  # and the other way round
        assert len(set_aside_models(data / USER_MODEL_NAME)) == 2
    finally:
        first.close()
        second.close()


def test_a_user_model_that_could_not_be_loaded_is_set_aside_by_the_next_keep_not_overwritten(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """E.g. one written by a newer ocrpad (format version 2): the user may want it back."""
    data = tmp_path / "data"
    data.mkdir()
    newer = build_model(TINY_WINDOW_MODEL, rng=_rng(7))
    meta = {**newer.file_meta(), "format_version": 2}
    np.savez(data / USER_MODEL_NAME, **newer.state_dict(), __meta__=np.array(json.dumps(meta)))
    theirs = (data / USER_MODEL_NAME).read_bytes()
    window = _window(qtbot, save_tiny_model(tmp_path), data, "a")
    try:
        said = train_tab(window).status.text()
        assert "could not be loaded" in said and "unsupported format version 2" in said
        assert "stays as it is" in said and "user-model.set-aside-<time>.npz" in said
        train_tab(window).model_accepted.emit(build_model(TINY_WINDOW_MODEL, rng=_rng(8)))
        aside = set_aside_models(data / USER_MODEL_NAME)
        assert [path.read_bytes() for path in aside] == [theirs]
        assert f"set aside as {aside[0].name}" in train_tab(window).status.text()
        assert load_model(data / USER_MODEL_NAME) is not None  # the kept one, saved
    finally:
        window.close()


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)
