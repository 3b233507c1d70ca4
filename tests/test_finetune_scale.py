"""Fine-tuning at the scale people collect: a planned length, a decaying rate, kept priors."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest

from ocrpad.learning.finetune import fine_tune
from ocrpad.learning.finetune_plan import (
    FineTuneSettings,
    Speed,
    estimate_seconds,
    measure_speed,
    plan_steps,
    step_lr,
)
from ocrpad.learning.finetune_prior import base_prior, logit_shift, stream_prior
from ocrpad.learning.rehearsal import load_rehearsal, rehearsal_count, write_rehearsal
from ocrpad.model import ConvBlock, ModelConfig, build_model
from ocrpad.preprocess import render_strokes

SETTINGS = FineTuneSettings(max_steps=100)


def test_more_drawings_mean_fewer_passes_but_never_more_than_the_step_cap() -> None:
    assert plan_steps(10, SETTINGS) == (40, 1)  # a symbol from 10 drawings: min_steps
    assert plan_steps(100, SETTINGS) == (15, 4)
    for n in (300, 400, 500, 2000):
        epochs, per_epoch = plan_steps(n, SETTINGS)
        assert epochs >= 1 and epochs * per_epoch <= max(100, per_epoch)


@pytest.mark.parametrize(
    ("knob", "message"),
    [
        ({"epochs": 0}, r"^epochs = 0 is outside 1\.\.65536$"),
        ({"epochs": -3}, r"^epochs = -3 is outside 1\.\."),
        ({"epochs": 2.5}, "^epochs must be a whole number, not 2.5$"),
        ({"epochs": True}, "^epochs must be a whole number, not True$"),
        ({"batch_user": 0}, r"^batch_user = 0 is outside 1\.\."),
        ({"batch_rehearsal": -1}, r"^batch_rehearsal = -1 is outside 0\.\."),
        ({"max_steps": 0}, r"^max_steps = 0 is outside 1\.\."),
        ({"lr": 0.0}, "^lr must be above 0: a rate of 0 trains nothing$"),
        ({"lr": math.nan}, "^lr must be a finite number, not nan$"),
        ({"lr": "fast"}, "^lr must be a finite number, not 'fast'$"),
        ({"l2sp": -0.1}, r"^l2sp = -0.1 is outside \[0.0, "),
        ({"held_out": 1.0}, r"^held_out = 1.0 is outside \[0.0, 1.0\)$"),
        ({"frozen": "conv1"}, "^frozen must be layer names, not 'conv1'$"),
    ],
)
def test_a_setting_out_of_range_is_named(knob: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FineTuneSettings(**knob)  # type: ignore[arg-type]


def test_fine_tune_refuses_a_run_of_no_epochs_before_it_starts() -> None:
    model = build_model(
        ModelConfig(blocks=(ConvBlock(4, pool=True),), hidden=(8,)),
        list("ab"),
        np.random.default_rng(0),
    )
    square = [np.array([[0, 0], [9, 0], [9, 9], [0, 9], [0, 0]], np.float32)]
    for epochs in (0, -1, 1.5):
        with pytest.raises(
            ValueError, match=r"epochs (= -?[0-9]+ is outside 1\.\.|must be a whole)"
        ):
            fine_tune(model, [square] * 4, list("abab"), epochs=epochs, rehearsal=None)  # type: ignore[arg-type]
    assert FineTuneSettings(l2sp=0.0, held_out=0.0, batch_rehearsal=0).l2sp == 0.0


def test_the_learning_rate_decays_to_zero_only_when_asked() -> None:
    constant = FineTuneSettings(decay=False)
    assert step_lr(50, 100, constant) == constant.lr
    decaying = FineTuneSettings(decay=True)
    rates = [step_lr(k, 100, decaying) for k in range(101)]
    assert rates[0] == decaying.lr and rates[100] == pytest.approx(0.0, abs=1e-12)
    assert all(a >= b for a, b in itertools.pairwise(rates))
    assert rates[50] == pytest.approx(decaying.lr / 2)


def test_the_estimate_follows_the_plan_and_the_measured_speed() -> None:
    speed = Speed(step_seconds=0.2, render_seconds=0.001, score_seconds=0.0005)
    small = estimate_seconds(100, SETTINGS, speed, rehearsal=3000)
    large = estimate_seconds(500, SETTINGS, speed, rehearsal=3000)
    epochs, per_epoch = plan_steps(80, SETTINGS)
    renders = 100 + 3000 + 0.75 * 80 * epochs
    scored = 20 * (epochs + 1)  # the fifth held back: before, then at every epoch's end
    expected = renders * 0.001 + epochs * per_epoch * 0.2 + scored * 0.0005
    assert small == pytest.approx(expected)
    assert small < large < 100 * 0.2 + 5  # capped by max_steps, plus renderings
    assert estimate_seconds(100, SETTINGS, Speed(0.4, 0.001), 3000) > small


def test_measuring_the_speed_leaves_the_model_untouched() -> None:
    tiny = ModelConfig(blocks=(ConvBlock(4, pool=True),), hidden=(16,))
    model = build_model(tiny, list("0123456789"), np.random.default_rng(0))
    before = {k: v.copy() for k, v in model.state_dict().items()}
    speed = measure_speed(model, FineTuneSettings(batch_user=4, batch_rehearsal=4))
    assert speed.step_seconds > 0 and speed.render_seconds > 0 and speed.score_seconds > 0
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


def test_the_stream_prior_mixes_user_and_rehearsal_drawings_by_batch_share() -> None:
    user, rehearsal = ["1"] * 30 + ["7"] * 10, ["0", "1", "7", "O"]
    stream = stream_prior(user, rehearsal, 20, 60)  # two full steps: 20 beside 60
    assert sum(stream.values()) == pytest.approx(1.0)
    assert stream["1"] == pytest.approx(1 / 4 * 3 / 4 + 3 / 4 * 1 / 4)
    assert stream["O"] == pytest.approx(3 / 4 * 1 / 4)
    assert stream_prior(["a"], [], 32, 64) == {"a": 1.0}


def test_a_few_corrections_are_their_real_share_of_each_step() -> None:
    """Four drawings fill a step of 4 beside 64 rehearsal ones, not the 32 a full step has
    (that overstated the user's classes eightfold, and the shift then pushed them down: a
    model taught six r's from a writer still read few of that writer's r)."""
    stream = stream_prior(["1"] * 3 + ["7"], ["0", "1", "7", "O"], 32, 64)
    assert stream["7"] == pytest.approx(4 / 68 * 1 / 4 + 64 / 68 * 1 / 4)
    assert stream["O"] == pytest.approx(64 / 68 * 1 / 4)
    last_short = stream_prior(["a"] * 40, ["b"], 32, 64)  # steps of 32 and 8: 20 on average
    assert last_short["a"] == pytest.approx(20 / 84)


def test_the_logit_shift_is_log_stream_over_base_and_zero_for_new_or_unknown() -> None:
    meta = {"data": {"class_counts": {"0": 30, "O": 10}}}
    base = base_prior(meta)
    assert base == {"0": 0.75, "O": 0.25}
    shift = logit_shift(["0", "O", "+"], {"0": 0.5, "O": 0.25, "+": 0.25}, base)
    np.testing.assert_allclose(shift, [math.log(0.5 / 0.75), 0.0, 0.0], rtol=1e-6)
    assert base_prior({}) is None and not logit_shift(["0"], {"0": 1.0}, None).any()


def test_a_rehearsal_set_can_hold_letters_and_symbols(tmp_path: Path) -> None:
    def source(path: Path, mapping: list[str], writer: str) -> Path:
        t = np.linspace(0, 1, 5, dtype=np.float32)
        points = np.concatenate([np.stack([t * (k + 1), t], 1) for k in range(8)])
        np.savez(
            path,
            points=points,
            stroke_offsets=np.arange(0, 41, 5),
            sample_stroke_offsets=np.arange(9),
            labels=np.arange(8) % len(mapping),
            mapping=np.array(mapping),
            writer=np.array([writer] * 8),
            suspect=np.zeros(8, bool),
        )
        return path

    letters = source(tmp_path / "a.npz", ["a", "b"], "w1")
    symbols = source(tmp_path / "s.npz", ["-", "."], "w2")
    out = tmp_path / "rehearsal.npz"
    assert write_rehearsal([letters, symbols], out, per_class=2, seed=0) == 8
    assert rehearsal_count(out) == 8 and rehearsal_count(tmp_path / "none.npz") == 0
    loaded = load_rehearsal(out, render_strokes)
    assert loaded is not None and sorted(set(loaded.labels)) == ["-", ".", "a", "b"]
    assert loaded.labels.count(".") == 2


def test_a_fine_tune_records_what_it_taught_and_applies_the_prior_correction() -> None:
    from ocrpad.devtools.symbols import draw_many
    from ocrpad.learning.finetune import fine_tune

    tiny = ModelConfig(blocks=(ConvBlock(4, pool=True),), hidden=(16,))
    model = build_model(tiny, list("0123456789"), np.random.default_rng(0))
    model.meta["data"] = {"class_counts": {str(d): 10 + 90 * (d == 1) for d in range(10)}}
    drawings = draw_many("+", 12, np.random.default_rng(1))
    labels = ["1"] * 8 + ["|"] * 4
    plain = FineTuneSettings(
        epochs=2, batch_user=4, batch_rehearsal=0, min_steps=0, keep_priors=False
    )
    kept = FineTuneSettings(**{**plain.__dict__, "keep_priors": True})
    a, _ = fine_tune(model, drawings, labels, settings=plain, rehearsal=None)
    b, _ = fine_tune(model, drawings, labels, settings=kept, rehearsal=None)
    assert a.meta["fine_tune"]["taught_labels"] == ["1", "|"] and a.labels[-1] == "|"
    assert not np.allclose(a.state_dict()["out.bias"], b.state_dict()["out.bias"])


def test_a_personal_model_keeps_reading_with_the_writers_history() -> None:
    from reading_helpers import circle, cross, fitted_model

    from ocrpad.learning.finetune import fine_tune
    from ocrpad.reading import Reader, context_of

    base = fitted_model()
    drawings = [circle(50), circle(90), circle(52), circle(88), cross(70), cross(72)]
    settings = FineTuneSettings(epochs=2, batch_user=4, batch_rehearsal=0, held_out=0.0)
    tuned, _ = fine_tune(base, drawings, ["o", "O", "o", "O", "+", "+"], settings=settings)
    assert context_of(tuned) is not None and "+" in tuned.labels  # grown, context aligned
    reader = Reader(tuned)
    history = [circle(50), circle(90), circle(52), circle(88), circle(49), circle(91)]
    big = reader.read(circle(90), history=history)
    small = reader.read(circle(50), history=history)
    assert big.history_used == len(history)
    assert big.label == "O" and small.label == "o"  # the writer's scale still decides
