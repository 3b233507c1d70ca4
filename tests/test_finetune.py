"""fine_tune: trains a copy, grows new classes, keeps frozen layers, reports, honours cancel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from ocrpad.data import samples_io
from ocrpad.data.samples import SampleStore
from ocrpad.devtools.symbols import draw_many, draw_symbol
from ocrpad.learning import finetune as finetune_module
from ocrpad.learning import finetune_data
from ocrpad.learning.cancel import Cancelled
from ocrpad.learning.finetune import FineTuneSettings, fine_tune
from ocrpad.learning.finetune_data import (
    MIN_TO_HOLD_BACK,
    held_back_count,
    predict_labels,
    renderer_for,
    split_held_out,
)
from ocrpad.learning.finetune_plan import first_trainable, steps_per_point
from ocrpad.learning.finetune_report import FineTuneProgress
from ocrpad.learning.rehearsal import load_rehearsal, write_rehearsal
from ocrpad.model import ConvBlock, Model, ModelConfig, build_model

TINY = ModelConfig(blocks=(ConvBlock(4, pool=True), ConvBlock(8, pool=True)), hidden=(32,))
FAST = FineTuneSettings(
    epochs=4, batch_user=16, batch_rehearsal=8, lr=3e-3, l2sp=0.01, held_out=0.25, min_steps=0
)


@pytest.fixture
def tiny() -> Model:
    return build_model(TINY, list("0123456789"), np.random.default_rng(0))


def _symbols(chars: str, count: int, seed: int) -> tuple[list[list[np.ndarray]], list[str]]:
    rng = np.random.default_rng(seed)
    drawings = [d for c in chars for d in draw_many(c, count, rng)]
    return drawings, [c for c in chars for _ in range(count)]


def test_fine_tune_is_exported_by_the_learning_package() -> None:
    from ocrpad.learning import fine_tune as exported_fine_tune

    assert exported_fine_tune is fine_tune


def test_fine_tune_trains_a_copy_and_leaves_the_base_model_untouched(tiny: Model) -> None:
    before = {k: v.copy() for k, v in tiny.state_dict().items()}
    drawings, labels = _symbols("+?", 6, 1)
    tuned, report = fine_tune(tiny, drawings, labels, settings=FAST, rehearsal=None)
    assert tuned is not tiny
    for key, value in tiny.state_dict().items():
        np.testing.assert_array_equal(value, before[key])
    assert tiny.labels == list("0123456789")
    assert tuned.labels == [*"0123456789", "+", "?"]
    assert report.new_labels == ("+", "?") and not report.cancelled
    assert tuned.meta["fine_tune"]["new_labels"] == ["+", "?"]


def test_the_first_convolution_stays_frozen(tiny: Model) -> None:
    drawings, labels = _symbols("+", 6, 2)
    tuned, _ = fine_tune(tiny, drawings, labels, settings=FAST, rehearsal=None)
    np.testing.assert_array_equal(
        tuned.state_dict()["conv1.weight"], tiny.state_dict()["conv1.weight"]
    )
    assert not np.array_equal(tuned.state_dict()["fc1.weight"], tiny.state_dict()["fc1.weight"])


def test_the_backward_pass_stops_at_the_lowest_layer_that_learns(tiny: Model) -> None:
    names = [name for name, _ in tiny.network.layers]
    assert first_trainable(tiny, ()) == 0
    assert first_trainable(tiny, ("conv1",)) == names.index("conv2")
    assert first_trainable(tiny, ("conv1", "conv2")) == names.index("fc1")
    assert first_trainable(tiny, ("conv2",)) == 0  # a frozen layer above a learning one
    everything = tuple(names)
    assert first_trainable(tiny, everything) == len(names) - 1


@pytest.mark.slow
def test_fine_tune_learns_a_new_character_from_synthetic_strokes(tiny: Model) -> None:
    drawings, labels = _symbols("+?Σ", 12, 3)
    settings = FineTuneSettings(epochs=25, batch_user=18, batch_rehearsal=0, lr=3e-3, held_out=0)
    tuned, _ = fine_tune(tiny, drawings, labels, settings=settings, rehearsal=None, seed=3)
    render = renderer_for(tuned)
    rng = np.random.default_rng(99)
    fresh = [(c, draw_symbol(c, rng)) for c in "+?Σ" for _ in range(15)]
    images = np.stack([render(tuple(d)) for _, d in fresh])[:, None]
    guesses = predict_labels(tuned, images)
    assert np.mean([g == c for g, (c, _) in zip(guesses, fresh, strict=True)]) >= 0.8


def test_progress_reports_every_step_and_a_curve_point_per_epoch(tiny: Model) -> None:
    seen: list[FineTuneProgress] = []
    drawings, labels = _symbols("+?", 8, 4)
    _, report = fine_tune(
        tiny, drawings, labels, settings=FAST, rehearsal=None, progress=seen.append
    )
    assert [p.step for p in seen] == list(range(1, report.steps + 1))
    assert seen[-1].step == seen[-1].total_steps and seen[-1].fraction == 1.0
    points = [p.point for p in seen if p.point is not None]
    assert len(points) == FAST.epochs == len(report.curve)
    assert all(p.held_out_accuracy is not None for p in points)
    assert all(np.isfinite(p.loss) and p.eta >= 0 for p in seen)


def test_a_long_epoch_gets_curve_points_every_few_steps_and_held_back_ones_at_its_end(
    tiny: Model,
) -> None:
    """With thousands of drawings the whole run is one epoch: the curves must not wait for its
    end. Inside it the points carry the training figures of their steps only; the held-back
    drawings are scored at its end."""
    seen: list[FineTuneProgress] = []
    drawings, labels = _symbols("+?", 60, 8)  # 90 to learn from: 45 steps of 2
    long_epoch = FineTuneSettings(
        epochs=1, batch_user=2, batch_rehearsal=0, held_out=0.25, min_steps=0
    )
    _, report = fine_tune(
        tiny, drawings, labels, settings=long_epoch, rehearsal=None, progress=seen.append
    )
    points = [p.point for p in seen if p.point is not None]
    assert [p.step for p in points] == [10, 20, 30, 40, 45] and report.steps == 45
    assert [p.mid_epoch for p in points] == [True] * 4 + [False]
    assert [p.held_out_accuracy is None for p in points] == [True] * 4 + [False]
    assert tuple(points) == report.curve
    last = 0  # each point's loss is the mean of the steps since the one before
    for point in points:
        losses = [p.loss for p in seen if last < p.step <= point.step]
        assert point.loss == pytest.approx(np.mean(losses))
        last = point.step


def test_curve_points_inside_an_epoch_only_when_it_is_long() -> None:
    assert steps_per_point(1, 250) == 11  # 10,000 drawings: ~24 points over the run
    assert steps_per_point(2, 120) == 10  # 4,800 drawings: no closer than 10 steps
    assert steps_per_point(15, 15) == 0  # 600 drawings: 15 epoch ends draw the curve
    assert steps_per_point(4, 1) == 0


def test_cancel_returns_the_base_model_and_flags_the_report(tiny: Model) -> None:
    calls: list[FineTuneProgress] = []
    drawings, labels = _symbols("+?", 8, 5)
    tuned, report = fine_tune(
        tiny,
        drawings,
        labels,
        settings=FAST,
        rehearsal=None,
        progress=calls.append,
        cancel=lambda: len(calls) >= 3,
    )
    assert tuned is tiny
    assert report.cancelled and report.steps == 3
    assert report.accuracy_after is None and report.per_class_after == {}
    assert "fine_tune" not in tiny.meta


@pytest.mark.parametrize("phase", ["preparing", "distorting"])
def test_cancel_is_heard_between_drawings_while_they_are_rendered(
    tiny: Model, monkeypatch: pytest.MonkeyPatch, phase: str
) -> None:
    """Thousands of drawings take seconds to render (10,000: 8 s before Cancel took effect):
    Cancel is asked before each one, first as they are prepared, then as the first epoch
    distorts them, and the base model comes back untouched."""
    rendered: list[int] = []
    original = finetune_data.render_strokes

    def counting(strokes: Any, params: Any) -> Any:
        rendered.append(1)
        return original(strokes, params)

    monkeypatch.setattr(finetune_data, "render_strokes", counting)
    drawings, labels = _symbols("+?", 40, 7)
    stop_at = 10 if phase == "preparing" else len(drawings) + 10
    tuned, report = fine_tune(
        tiny,
        drawings,
        labels,
        settings=FAST,
        rehearsal=None,
        cancel=lambda: len(rendered) >= stop_at,
    )
    assert len(rendered) == stop_at  # not one drawing more was rendered
    assert tuned is tiny and report.cancelled and report.steps == 0
    assert "fine_tune" not in tiny.meta and report.accuracy_after is None
    assert report.train_count == (0 if phase == "preparing" else 60)


def test_the_preparing_phase_counts_the_drawings_before_the_first_step(
    tiny: Model, monkeypatch: pytest.MonkeyPatch
) -> None:
    """10,000 drawings took 6 s to prepare with nothing counted: the window said only
    "Preparing your drawings…"."""
    monkeypatch.setattr(finetune_data, "PREPARED_EVERY", 25)
    drawings, labels = _symbols("+?", 40, 7)
    said: list[tuple[str, int, int]] = []
    fine_tune(
        tiny,
        drawings,
        labels,
        settings=FAST,
        rehearsal=None,
        preparing=lambda done, total: said.append(("preparing", done, total)),
        progress=lambda figures: said.append(("step", figures.step, figures.total_steps)),
    )
    assert said[:4] == [("preparing", n, 80) for n in (25, 50, 75, 80)]
    assert all(kind == "step" for kind, *_ in said[4:]) and len(said) > 4


def test_each_epochs_distortion_is_counted_before_its_steps(
    tiny: Model, monkeypatch: pytest.MonkeyPatch
) -> None:
    """10,000 drawings took 8.5 s to distort afresh at every epoch's start, counted by nothing:
    the bar stood still."""
    monkeypatch.setattr(finetune_data, "PREPARED_EVERY", 25)
    drawings, labels = _symbols("+?", 40, 7)
    said: list[tuple[int, ...]] = []
    _, report = fine_tune(
        tiny,
        drawings,
        labels,
        settings=FAST,
        rehearsal=None,
        distorting=lambda epoch, done, total: said.append((epoch, done, total)),
        progress=lambda figures: said.append((figures.epoch, -figures.step)),
    )
    total = report.train_count
    for epoch in range(1, FAST.epochs + 1):
        counts = [s for s in said if s[0] == epoch and len(s) == 3]
        assert counts == [(epoch, n, total) for n in range(25, total, 25)]
        first_step = next(i for i, s in enumerate(said) if s[0] == epoch and len(s) == 2)
        assert said.index(counts[-1]) < first_step  # counted before the epoch's steps


def test_scoring_asks_cancel_between_batches(tiny: Model, monkeypatch: pytest.MonkeyPatch) -> None:
    scored: list[int] = []
    original = tiny.predict_proba

    def counting(images: NDArray[np.float32]) -> NDArray[np.float32]:
        scored.append(len(images))
        return original(images)

    monkeypatch.setattr(tiny, "predict_proba", counting)
    images = np.zeros((600, 1, 28, 28), np.float32)
    with pytest.raises(Cancelled):
        predict_labels(tiny, images, cancel=lambda: bool(scored))
    assert scored == [256]  # one batch, then the cancel was heard
    counts: list[tuple[int, int]] = []
    assert len(predict_labels(tiny, images, counted=lambda *c: counts.append(c))) == 600
    assert counts == [(256, 600), (512, 600), (600, 600)]


def test_the_report_compares_held_back_drawings_before_and_after(tiny: Model) -> None:
    drawings, labels = _symbols("+?", 8, 6)
    _, report = fine_tune(tiny, drawings, labels, settings=FAST, rehearsal=None)
    assert report.held_out_count == 4 and report.train_count == 12
    assert set(report.per_class_before) == {"+", "?"} == set(report.per_class_after)
    assert report.per_class_before == {"+": 0.0, "?": 0.0}  # the base model cannot say them
    chars, counts = report.confusion()
    assert counts.shape == (len(chars), len(chars)) and counts.sum() == 4
    assert report.wall_time > 0 and report.settings["held_out"] == 0.25


def test_the_held_back_drawings_are_counted_before_and_read_once_by_the_last_weights(
    tiny: Model, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading 2,000 held-back drawings takes seconds: before training it is counted, and
    after it the last epoch's reading of them (the same weights) serves instead of a second
    read."""
    reads: list[tuple[str, ...]] = []
    original = finetune_data.predict_labels

    def recorded(*args: Any, **kwargs: Any) -> tuple[str, ...]:
        reads.append(guesses := original(*args, **kwargs))
        return guesses

    monkeypatch.setattr(finetune_module, "predict_labels", recorded)
    drawings, labels = _symbols("+?", 120, 5)  # 60 of them held back
    said: list[tuple[int, int]] = []
    _, report = fine_tune(
        tiny,
        drawings,
        labels,
        settings=FAST,
        rehearsal=None,
        scoring=lambda done, total: said.append((done, total)),
    )
    assert report.held_out_count == 60 and said == [(60, 60)]
    assert len(reads) == 1 + FAST.epochs  # before, then each epoch's end: none after
    assert report.predicted_after == reads[-1]
    assert report.curve[-1].held_out_accuracy == report.accuracy_after


def test_the_report_says_where_the_seconds_went(tiny: Model) -> None:
    drawings, labels = _symbols("+?", 8, 6)
    _, report = fine_tune(tiny, drawings, labels, settings=FAST, rehearsal=None)
    assert list(report.phases) == ["prepare", "render", "steps", "evaluate"]
    assert all(seconds > 0 for seconds in report.phases.values())
    assert sum(report.phases.values()) <= report.wall_time


def _lines(count: int, start: int = 0) -> list[list[NDArray[np.float32]]]:
    return [[np.array([[0, 0], [k, 1 + k % 7]], dtype=np.float32)] for k in range(start, count)]


def test_held_out_drawings_are_taken_per_class_and_only_from_classes_with_three() -> None:
    labels = list("aaaaaaaaaabbbc")
    held = split_held_out(_lines(len(labels)), labels, 0.2)
    assert held[:10].sum() == 2 and held[10:13].sum() == 1 and not held[13]
    assert not split_held_out(_lines(len(labels)), labels, 0.0).any()
    assert [held_back_count(n, 0.2) for n in (1, 2, 3, 10, 100)] == [0, 0, 1, 2, 20]
    assert held_back_count(MIN_TO_HOLD_BACK - 1, 0.9) == 0  # the rule the Train tab states


def test_a_drawing_stays_on_its_side_as_drawings_are_added_and_copies_go_together() -> None:
    """The before/after of a second fine-tune must not score the kept model on what it learnt
    in the first: which drawings are held back goes by the drawings, not by their places (a
    fresh random pick held back 80% of drawings learnt before)."""
    drawings, labels = _lines(60), ["a"] * 30 + ["b"] * 30
    first = split_held_out(drawings, labels, 0.2)  # 6 of each class
    more = _lines(80, start=60)
    grown_labels = ["a"] * 10 + labels + ["b"] * 10
    grown = split_held_out([*more[:10], *drawings, *more[10:]], grown_labels, 0.2)  # 8 each
    learnt_then_held = grown[10:70] & ~first
    assert learnt_then_held[:30].sum() <= 2 and learnt_then_held[30:].sum() <= 2
    twice = split_held_out([*drawings, *drawings], [*labels, *labels], 0.2)
    np.testing.assert_array_equal(twice[:60], twice[60:])


def test_bad_inputs_are_refused_with_clear_messages(tiny: Model) -> None:
    drawings, labels = _symbols("+", 3, 7)
    with pytest.raises(ValueError, match="labels"):
        fine_tune(tiny, drawings, labels[:2], rehearsal=None)
    with pytest.raises(ValueError, match="at least one"):
        fine_tune(tiny, [], [], rehearsal=None)
    with pytest.raises(ValueError, match=r"none of the 3 drawings can be used.*one character"):
        fine_tune(tiny, drawings, ["ab", "cd", "ef"], rehearsal=None)


def test_one_empty_or_mislabelled_drawing_among_many_is_skipped_and_named(tiny: Model) -> None:
    drawings, labels = _symbols("+", 3, 7)
    drawings = [*drawings, [np.zeros((0, 2), np.float32)], drawings[0]]
    labels = [*labels, "+", "ab"]
    _, report = fine_tune(tiny, drawings, labels, rehearsal=None, epochs=1)
    assert len(report.skipped) == 2
    assert "empty" in report.skipped[0] and "one character" in report.skipped[1]
    assert report.train_count + report.held_out_count == len(drawings) - 2


def test_a_rehearsal_file_is_mixed_in_for_the_known_classes(tiny: Model, tmp_path: Path) -> None:
    store = SampleStore(tmp_path / "s.sqlite", renderer=None)
    rng = np.random.default_rng(8)
    store.add_many(draw_many("+", 6, rng) + draw_many("?", 6, rng), ["1"] * 6 + ["x"] * 6, "free")
    source = tmp_path / "source.npz"
    samples_io.export_npz(store, source)
    rehearsal = tmp_path / "rehearsal.npz"
    assert write_rehearsal(source, rehearsal, per_class=4, seed=0) == 8
    loaded = load_rehearsal(rehearsal, renderer_for(tiny))
    assert loaded is not None and loaded.images.shape == (8, 1, 28, 28)
    drawings, labels = _symbols("+", 6, 9)
    _, report = fine_tune(tiny, drawings, labels, settings=FAST, rehearsal=rehearsal)
    assert report.settings["rehearsal_size"] == 4  # only '1' is a class of the model
    assert load_rehearsal(tmp_path / "missing.npz", renderer_for(tiny)) is None


def test_imprinting_starts_new_rows_at_the_mean_feature(tiny: Model) -> None:
    drawings, labels = _symbols("+", 6, 10)
    settings = FineTuneSettings(epochs=1, imprint=True, held_out=0, lr=1e-9, l2sp=0)
    tuned, _ = fine_tune(tiny, drawings, labels, settings=settings, rehearsal=None)
    old, new = tuned.state_dict()["out.weight"][:10], tuned.state_dict()["out.weight"][10]
    assert np.linalg.norm(new) == pytest.approx(np.linalg.norm(old, axis=1).mean(), rel=1e-3)


def test_the_eval_command_reads_setting_overrides_and_summarises() -> None:
    from ocrpad.devtools.finetune_eval import Figures, parse_settings

    settings = parse_settings(["l2sp=0.5", "frozen=('conv1', 'conv2')", "epochs=3"])
    assert (settings.l2sp, settings.frozen, settings.epochs) == (0.5, ("conv1", "conv2"), 3)
    with pytest.raises(SystemExit, match="unknown setting"):
        parse_settings(["speed=1"])
    figures = Figures(
        writers=[
            {"before": 0.5, "after": 0.6, "rest_before": 0.8, "rest_after": 0.79},
            {
                "drawings": 300,
                "before": 0.7,
                "after": 0.8,
                "rest_before": 0.8,
                "rest_after": 0.77,
                "seconds": 20.0,
            },
        ],
        speed={"100": {"seconds": 12.0}},
        new_characters=[{"fresh_accuracy": 0.95}],
    )
    summary = figures.summary()
    assert summary["writer_gain_points"] == pytest.approx(10.0)
    assert summary["rest_drop_points"] == pytest.approx(2.0)
    at_300 = summary["by_drawings"]["300"]
    assert at_300["writers"] == 1 and at_300["rest_drop_points"] == pytest.approx(3.0)
    assert at_300["gain_points"] == pytest.approx(10.0) and at_300["max_seconds"] == 20.0
    assert summary["seconds_for_100"] == 12.0 and summary["new_character_accuracy"] == 0.95


def test_a_batch_norm_model_is_fine_tuned_without_touching_the_base_statistics() -> None:
    config = ModelConfig(blocks=(ConvBlock(4, batchnorm=True, pool=True),), hidden=(16,))
    base = build_model(config, list("0123456789"), np.random.default_rng(0))
    before = {k: v.copy() for k, v in base.state_dict().items()}
    drawings, labels = _symbols("+", 6, 11)
    tuned, report = fine_tune(base, drawings, labels, settings=FAST, rehearsal=None)
    for key, value in base.state_dict().items():
        np.testing.assert_array_equal(value, before[key])
    assert not np.array_equal(tuned.state_dict()["bn1.running_mean"], before["bn1.running_mean"])
    assert report.accuracy_after is not None
    for frozen in ("conv1.weight", "bn1.weight", "bn1.bias"):  # the first block by default
        np.testing.assert_array_equal(tuned.state_dict()[frozen], before[frozen])
    assert not np.array_equal(tuned.state_dict()["fc1.weight"], before["fc1.weight"])


def test_the_eval_command_scores_every_other_writer_unless_asked_for_a_sample() -> None:
    from ocrpad.devtools.finetune_eval import _parser, sample_or_all

    assert _parser().parse_args(["--data", "d"]).rest == 0
    rows = np.arange(10, 30)
    np.testing.assert_array_equal(sample_or_all(rows, 0, np.random.default_rng(0)), rows)
    sample = sample_or_all(rows, 5, np.random.default_rng(0))
    assert len(set(sample.tolist())) == 5 and set(sample.tolist()) <= set(rows.tolist())
    assert sorted(sample_or_all(rows, 99, np.random.default_rng(0)).tolist()) == rows.tolist()
