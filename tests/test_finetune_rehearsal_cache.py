"""The rehearsal set is rendered once a session: the Train tab's measurement renders it, and
every fine-tune after that mixes in the same pictures instead of drawing them again. A named
rehearsal file that is missing, a folder, or damaged is refused by name, never skipped."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

import ocrpad.learning.finetune as finetune_module
import ocrpad.learning.rehearsal as rehearsal_module
from ocrpad.app.train import worker as worker_module
from ocrpad.app.train.worker import Measured, TrainWorker
from ocrpad.devtools.symbols import draw_many
from ocrpad.learning.cancel import Cancelled
from ocrpad.learning.finetune import FineTuneSettings, fine_tune
from ocrpad.learning.rehearsal import (
    rehearsal_to_render,
    rendered_rehearsal,
    write_rehearsal,
)
from ocrpad.model import ConvBlock, Model, ModelConfig, build_model
from ocrpad.preprocess import DEFAULT_PARAMS, RenderParams

FAST = FineTuneSettings(epochs=1, batch_user=4, batch_rehearsal=4, min_steps=0)


@pytest.fixture
def model() -> Model:
    tiny = ModelConfig(blocks=(ConvBlock(4, pool=True),), hidden=(16,))
    return build_model(tiny, list("0123456789"), np.random.default_rng(0))


def _rehearsal_file(folder: Path, name: str = "rehearsal.npz") -> Path:
    """A shared-format file of 6 drawings (3 of '1', 3 of '7'), then a rehearsal set of it."""
    drawings = draw_many("+", 6, np.random.default_rng(3))
    strokes = [np.asarray(s, np.float32) for d in drawings for s in d]
    counts = [len(d) for d in drawings]
    source = folder / "source.npz"
    np.savez(
        source,
        points=np.concatenate(strokes),
        stroke_offsets=np.concatenate([[0], np.cumsum([len(s) for s in strokes])]),
        sample_stroke_offsets=np.concatenate([[0], np.cumsum(counts)]),
        labels=np.array([0, 0, 0, 1, 1, 1]),
        mapping=np.array(["1", "7"]),
        writer=np.array(["w"] * 6),
        suspect=np.zeros(6, bool),
    )
    target = folder / name
    write_rehearsal(source, target, per_class=3, seed=0)
    return target


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many drawings load_rehearsal rendered, call by call."""
    seen: list[int] = []
    original = rehearsal_module.load_rehearsal

    def counting(path: str | Path | None, render: rehearsal_module.Renderer) -> object:
        loaded = original(path, render)
        seen.append(0 if loaded is None else len(loaded))
        return loaded

    monkeypatch.setattr(rehearsal_module, "load_rehearsal", counting)
    return seen


def test_a_rehearsal_file_is_rendered_once_until_it_changes(
    tmp_path: Path, renders: list[int]
) -> None:
    path = _rehearsal_file(tmp_path)
    assert rehearsal_to_render(path, DEFAULT_PARAMS) == 6
    first = rendered_rehearsal(path, DEFAULT_PARAMS)
    assert first is not None and first.images.shape == (6, 1, 28, 28)
    assert rendered_rehearsal(path, DEFAULT_PARAMS) is first and renders == [6]
    assert rehearsal_to_render(path, DEFAULT_PARAMS) == 0
    with pytest.raises(ValueError):
        first.images[0, 0, 0, 0] = 1.0  # shared by every fine-tune: nobody may draw on it
    thicker = RenderParams(stroke_width=3.0)
    assert rendered_rehearsal(path, thicker) is not first and renders == [6, 6]
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # a new file
    assert rehearsal_to_render(path, thicker) == 6
    assert rendered_rehearsal(path, thicker) is not None and renders == [6, 6, 6]
    assert rendered_rehearsal(tmp_path / "missing.npz", DEFAULT_PARAMS) is None
    assert rehearsal_to_render(tmp_path / "missing.npz", DEFAULT_PARAMS) == 0


def test_fine_tunes_of_one_session_render_the_rehearsal_set_once(
    tmp_path: Path, model: Model, renders: list[int]
) -> None:
    path = _rehearsal_file(tmp_path, "session.npz")
    drawings = draw_many("+", 8, np.random.default_rng(5))
    for _ in range(2):
        _, report = fine_tune(model, drawings, ["1"] * 8, settings=FAST, rehearsal=path)
        assert report.settings["rehearsal_size"] == 6 and report.steps > 0
    assert renders == [6]


def test_measuring_the_speed_renders_the_rehearsal_set_for_the_first_fine_tune(
    qtbot: QtBot,
    tmp_path: Path,
    model: Model,
    renders: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = _rehearsal_file(tmp_path, "shipped.npz")
    monkeypatch.setattr(worker_module, "default_rehearsal_path", lambda: path)
    cold = TrainWorker(warm_rehearsal=False)
    with qtbot.waitSignal(cold.speed_measured) as told:
        cold.measure(model)
    assert isinstance(told.args[0], Measured) and told.args[0].rehearsal == 6 and renders == []
    warm = TrainWorker()
    with qtbot.waitSignal(warm.speed_measured) as told:
        warm.measure(model)
    assert told.args[0].rehearsal == 0 and renders == [6]  # the estimate renders none of it
    drawings = draw_many("+", 8, np.random.default_rng(5))
    fine_tune(model, drawings, ["1"] * 8, settings=FAST, rehearsal=path)
    assert renders == [6]


def test_a_cancel_stops_rendering_the_rehearsal_set_and_keeps_nothing_of_it(
    tmp_path: Path,
) -> None:
    path = _rehearsal_file(tmp_path, "cancelled.npz")
    asked: list[int] = []

    def cancel() -> bool:
        asked.append(1)
        return len(asked) > 3  # three drawings rendered, then stop

    with pytest.raises(Cancelled):
        rendered_rehearsal(path, DEFAULT_PARAMS, cancel)
    assert len(asked) == 4 and rehearsal_to_render(path, DEFAULT_PARAMS) == 6
    done = rendered_rehearsal(path, DEFAULT_PARAMS)  # the next asker renders it all
    assert done is not None and len(done) == 6


def test_closing_while_the_speed_is_measured_stops_rendering_the_rehearsal_set(
    qtbot: QtBot,
    tmp_path: Path,
    model: Model,
    renders: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = _rehearsal_file(tmp_path, "closing.npz")
    monkeypatch.setattr(worker_module, "default_rehearsal_path", lambda: path)
    worker = TrainWorker()
    worker.cancel()  # what closing the window does while the measurement runs
    with qtbot.waitSignal(worker.speed_measured) as told:
        worker.measure(model)
    assert told.args[0].speed is not None and told.args[0].rehearsal == 6  # still to render
    assert renders == []  # none finished: the rendering stopped at its first drawing


def test_a_named_rehearsal_file_that_is_missing_is_refused_not_skipped(
    tmp_path: Path, model: Model
) -> None:
    missing = tmp_path / "nowhere" / "rehearsal.npz"
    drawings = draw_many("+", 4, np.random.default_rng(5))
    with pytest.raises(FileNotFoundError, match="no such rehearsal file") as raised:
        fine_tune(model, drawings, ["1"] * 4, settings=FAST, rehearsal=missing)
    assert raised.value.filename == str(missing)


def test_a_folder_as_the_rehearsal_file_is_refused_by_name(tmp_path: Path, model: Model) -> None:
    drawings = draw_many("+", 4, np.random.default_rng(5))
    with pytest.raises(ValueError, match=re.escape(f"the rehearsal file {tmp_path} is a folder,")):
        fine_tune(model, drawings, ["1"] * 4, settings=FAST, rehearsal=tmp_path)


def test_without_a_shipped_rehearsal_file_fine_tuning_goes_on_without_rehearsal(
    tmp_path: Path, model: Model, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(finetune_module, "default_rehearsal_path", lambda: tmp_path / "none.npz")
    drawings = draw_many("+", 4, np.random.default_rng(5))
    _, report = fine_tune(model, drawings, ["1"] * 4, settings=FAST)
    assert report.settings["rehearsal_size"] == 0 and report.steps > 0


@pytest.mark.parametrize(
    ("points", "why"),
    [
        ([[0, 0], [1, 5], [3, 3]], "the drawing is empty"),
        ([[0, 0], [np.nan, 5], [3, 3]], "non-finite"),
    ],
)
def test_a_damaged_drawing_in_the_rehearsal_file_is_named_with_the_file(
    tmp_path: Path, model: Model, points: list[list[float]], why: str
) -> None:
    damaged = tmp_path / "rehearsal.npz"
    empty = why == "the drawing is empty"  # drawing 1: one stroke of no points
    np.savez(
        damaged,
        points=np.array(points, np.float32),
        stroke_offsets=np.array([0, 3, 3] if empty else [0, 2, 3]),
        sample_stroke_offsets=np.array([0, 1, 2]),
        labels=np.array([0, 1], np.int16),
        mapping=np.array(["1", "7"]),
    )
    drawings = draw_many("+", 4, np.random.default_rng(5))
    bad = 1 if empty else 0
    with pytest.raises(ValueError, match=f"rehearsal drawing {bad} is damaged: .*{why}") as raised:
        fine_tune(model, drawings, ["1"] * 4, settings=FAST, rehearsal=damaged)
    assert str(raised.value).startswith(f"{damaged}: ")
