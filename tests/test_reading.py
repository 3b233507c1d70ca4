"""The reader: history (scale, junk, cap), character sets, guides, and the stored context layer."""

from __future__ import annotations

import json
import string
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from reading_helpers import (
    bare_model,
    circle,
    context_before_and_after_the_file,
    fitted_model,
    writers,
)
from test_cli_train_eval import _save

from ocrpad.charsets import SYMBOLS
from ocrpad.cli import eval as eval_cli
from ocrpad.model import load_model
from ocrpad.nn.functional import softmax
from ocrpad.preprocess import EmptyDrawingError, render_params_of, render_strokes
from ocrpad.reading import (
    HISTORY_CAP,
    Labelled,
    Reader,
    WritingGuides,
    context_of,
    look_alikes,
)
from ocrpad.reading.context import ContextLayer, feature_count
from ocrpad.reading.fit import fit_reader
from ocrpad.reading.likeness import WIDTHS, closest, likeness
from ocrpad.reading.rereading import usable

MIXED = [circle(50), circle(90), circle(52), circle(88), circle(49), circle(91)]  # o O o O o O


def test_a_model_without_a_context_layer_reads_as_the_bare_network() -> None:
    model = bare_model()
    reading = Reader(model).read(circle(40), history=MIXED)
    image = render_strokes(circle(40), render_params_of(model.meta))
    expected = softmax(model.logits(image[None, None]))[0]
    assert reading.labels == ["O", "o"] and reading.history_used == 0
    np.testing.assert_allclose(reading.probabilities, expected, rtol=1e-5)


def test_the_writers_scale_tells_a_big_round_capital_from_a_small_one() -> None:
    reader = Reader(fitted_model())
    big = reader.read(circle(90), history=MIXED)
    small = reader.read(circle(50), history=MIXED)
    assert big.label == "O" and small.label == "o"
    assert big.probabilities[0] > 0.9 and small.probabilities[1] > 0.9
    assert big.history_used == len(MIXED)
    assert big.height_ratio == pytest.approx(90 / 70, rel=0.05)  # median of the history: 70
    assert big.look_alikes == ("o",) and small.look_alikes == ("O",)


def test_the_scale_does_not_depend_on_units_or_position() -> None:
    reader = Reader(fitted_model())
    moved = [[s * 7 + np.float32(300) for s in d] for d in MIXED]
    a = reader.read(circle(90), history=MIXED).probabilities
    b = reader.read([s * 7 + np.float32(300) for s in circle(90)], history=moved).probabilities
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_strokes_may_come_as_any_iterable() -> None:
    listed = Reader(fitted_model()).read(circle(90), history=MIXED)
    generated = Reader(fitted_model()).read((s for s in circle(90)), history=MIXED)
    np.testing.assert_array_equal(generated.probabilities, listed.probabilities)


def test_without_history_the_odds_stay_undecided_and_sum_to_one() -> None:
    reading = Reader(fitted_model()).read(circle(90))
    assert reading.history_used == 0 and reading.height_ratio is None
    assert reading.probabilities.sum() == pytest.approx(1.0)
    assert reading.probabilities.max() < 0.75


def test_a_huge_history_uses_only_the_newest_drawings() -> None:
    reader = Reader(fitted_model())
    old = [circle(1000.0 + k) for k in range(200)]
    newest = [circle(50 + (k % 2) * 40) for k in range(HISTORY_CAP)]
    full = reader.read(circle(90), history=old + newest)
    assert full.history_used == HISTORY_CAP
    same = reader.read(circle(90), history=newest)
    np.testing.assert_allclose(full.probabilities, same.probabilities, atol=1e-6)


def test_a_run_of_dots_does_not_hide_the_drawings_before_it() -> None:
    """The cap took the newest 30 entries and then dropped the dots among them: a line of
    full stops after six letters left the reader with no history at all."""
    reader = Reader(fitted_model())
    dot = [np.array([[5.0, 5.0]], dtype=np.float32)]
    reading = reader.read(circle(90), history=[*MIXED, *[dot] * HISTORY_CAP])
    assert reading.history_used == len(MIXED)
    many = [circle(50 + k % 40) for k in range(HISTORY_CAP + 5)]
    assert reader.read(circle(90), history=[*many, dot, dot]).history_used == HISTORY_CAP
    geometry = np.array([[0.0] * 5, [np.nan] * 5, [1.0] * 5])  # a sized drawing, a dot, …
    assert usable([0, *[1] * HISTORY_CAP, 2], geometry) == [0, 2]  # the batch road too


def test_a_reading_that_history_could_not_inform_says_it_used_none() -> None:
    reader = Reader(fitted_model())
    dot = [np.array([[5.0, 5.0]], dtype=np.float32)]
    assert reader.read(dot, history=MIXED).history_used == 0  # a dot has no size to compare
    assert reader.read(circle(90), history=MIXED).history_used == len(MIXED)


def test_junk_in_the_history_is_skipped_and_other_peoples_drawings_barely_count() -> None:
    reader = Reader(fitted_model())
    dot = [np.array([[5.0, 5.0]], dtype=np.float32)]
    empty: list[np.ndarray] = [np.zeros((0, 2), dtype=np.float32)]
    broken = [np.array([[0.0, np.nan], [1.0, 2.0]], dtype=np.float32)]
    scribble = [np.random.default_rng(0).uniform(0, 400, (60, 2)).astype(np.float32)]
    stranger = circle(2000)  # someone else's, far bigger
    misshapen = [np.zeros((4, 3), dtype=np.float32) + np.arange(3)]  # (k, 3): not x, y points
    history = [dot, empty, *MIXED, broken, misshapen, scribble, stranger]
    reading = reader.read(circle(90), history=history)
    assert reading.history_used == len(MIXED) + 2  # the scribble and the stranger are drawings
    assert reading.label == "O"
    assert reader.read(circle(50), history=history).label == "o"


def test_a_character_set_restricts_the_answer() -> None:
    reading = Reader(fitted_model(), charset="o").read(circle(90), history=MIXED)
    assert reading.labels == ["o"] and reading.label == "o"
    assert reading.probabilities.tolist() == [1.0] and reading.look_alikes == ()
    with pytest.raises(ValueError, match="knows none"):
        Reader(fitted_model(), charset="xyz")


def test_a_character_set_may_be_named_and_anything_but_labels_is_refused() -> None:
    model = load_model(None)
    assert Reader(model, charset="digits").labels == list("0123456789")
    assert "".join(Reader(model, charset="symbols").labels) == SYMBOLS
    assert len(Reader(model, charset="default").labels) == 62
    assert Reader(model).restricted("upper").labels == list(string.ascii_uppercase)
    assert Reader(model, charset="0ab").labels == ["0", "a", "b"]  # not a name: characters
    for strange, message in (([2], "not 2"), (["a", 2], "not 2"), (5, "not 5")):
        with pytest.raises(ValueError, match=f"a character set .*labels.*{message}"):
            Reader(model, charset=strange)  # type: ignore[arg-type]


def test_guides_stand_for_the_writers_scale() -> None:
    reader = Reader(fitted_model())
    guides = WritingGuides(baseline=100.0, x_line=60.0, cap_line=28.0)
    assert reader.read(circle(72, bottom=100), guides=guides).label == "O"
    assert reader.read(circle(40, bottom=100), guides=guides).label == "o"
    upside_down = WritingGuides(baseline=10.0, x_line=60.0, cap_line=28.0)
    assert reader.read(circle(72), guides=upside_down).history_used == 0
    # the guides, not a history of tiny drawings, say how tall it is against the x-height
    shown = reader.read(circle(40, bottom=100), guides=guides, history=[circle(5)] * 4)
    assert shown.label == "o" and shown.by_guides and shown.history_used == 4
    assert shown.height_ratio == pytest.approx(1.0, abs=0.02)
    assert not reader.read(circle(40), history=[circle(5)] * 4).by_guides


def test_a_flat_stroke_such_as_a_dash_says_nothing_about_the_writers_scale() -> None:
    """One dash drawn first (its height is the pen's wobble, or nothing at all for two mouse
    points) once made the writer's scale tiny and every round letter after it a capital."""
    reader = Reader(load_model(None), charset="default")
    flat = [np.array([[0, 50], [300, 50]], dtype=np.float32)]
    x = np.linspace(0, 300, 40)
    wobbly = [np.stack([x, 50 + 3 * np.sin(x)], 1).astype(np.float32)]
    alone = reader.read(circle(180))
    for mark in (flat, wobbly):
        reading = reader.read(circle(180), history=[mark])
        assert reading.height_ratio is None and reading.history_used == 0  # it told nothing
        np.testing.assert_allclose(reading.probabilities, alone.probabilities, atol=1e-6)
        small = [circle(170, x=400 * i) for i in range(1, 4)]
        with_letters = reader.read(circle(180), history=[*small, mark, mark])
        assert with_letters.height_ratio == pytest.approx(180 / 170, rel=0.01)
        assert with_letters.label == "o"


def test_an_empty_drawing_is_a_clear_error() -> None:
    with pytest.raises(EmptyDrawingError):
        Reader(fitted_model()).read([])


def test_the_context_layer_survives_the_model_file_and_a_grown_model(tmp_path: Path) -> None:
    model = fitted_model()
    path = tmp_path / "reader.npz"
    model.save(path)
    loaded = load_model(path)
    a = Reader(model).read(circle(90), history=MIXED).probabilities
    np.testing.assert_allclose(Reader(loaded).read(circle(90), history=MIXED).probabilities, a)
    grown = loaded.with_extra_classes(["x"], np.random.default_rng(0))
    reading = Reader(grown).read(circle(90), history=MIXED)
    assert reading.labels == ["O", "o", "x"] and reading.probabilities.sum() == pytest.approx(1)
    told = [Labelled(d, c) for d, c in zip(MIXED, "oOoOox", strict=True)]  # x: a new class
    reading = Reader(grown).read(circle(90), history=told)
    assert reading.label == "O" and reading.probabilities.sum() == pytest.approx(1)
    assert reading.history_used == len(MIXED)


def test_a_taught_class_is_in_no_group_so_the_writers_mix_of_groups_says_nothing_of_it() -> None:
    """A class a fine-tune added ("Q" beside a reader fitted on O and o) got the mix term of
    the group its character belongs to: a writer of small letters pushed it down as a
    capital (a taught "Δ" lost 2.8 logits as a symbol), though the layer knows nothing of it."""
    grown = fitted_model().with_extra_classes(["Q"], np.random.default_rng(0))
    layer = context_of(grown)
    assert layer is not None
    q, big = grown.labels.index("Q"), grown.labels.index("O")
    assert layer.group_index[q] == -1 and layer.group_index[big] >= 0
    theta = np.array([[0.1, 0.9]]) if layer.groups == ("upper", "lower") else None
    assert theta is not None  # a writer of small letters
    _, _, mix = layer.terms(np.zeros(1), np.zeros(1), np.zeros(1), theta, np.ones(1))
    assert mix[0, q] == 0.0 and mix[0, big] < 0.0
    probs = np.zeros((1, 3))
    probs[0, q] = 1.0  # a history of taught drawings only: no group's share grows
    _, mix_of_history, *_ = layer.writer_frame(np.zeros(1), probs)
    np.testing.assert_allclose(mix_of_history, layer.group_prior)


def test_a_damaged_context_layer_is_named() -> None:
    model = fitted_model().copy()
    model.extras["reader.bias"] = np.zeros(5, dtype=np.float32)
    with pytest.raises(ValueError, match=r"reader\.bias has shape"):
        context_of(model)


def test_the_head_for_labelled_histories_survives_the_file_and_older_files_read_without_it(
    tmp_path: Path,
) -> None:
    model = fitted_model()
    layer, again = context_before_and_after_the_file(model, tmp_path)
    np.testing.assert_allclose(again.labelled.weights, layer.labelled.weights, atol=1e-6)
    assert again.labelled.temperatures is not None
    older = model.copy()  # a file from before the second head: labelled histories use the first
    older.extras = {k: v for k, v in older.extras.items() if not k.startswith("reader.labelled.")}
    older.meta = {**older.meta, "reader": {**older.meta["reader"]}}
    del older.meta["reader"]["labelled"]
    history = [Labelled(d, c) for d, c in zip(MIXED, "oOoOoO", strict=True)]
    old_layer = context_of(older)
    assert old_layer is not None and old_layer.labelled is None
    assert Reader(older).read(circle(90), history=history).label == "O"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("gauss_weight", float("nan")),
        ("temperature", float("nan")),
        ("mix_weight", float("inf")),
        ("like_width", float("inf")),
    ],
)
def test_a_context_layer_number_that_is_not_finite_is_named(key: str, value: float) -> None:
    """NaN passes `temperature <= 0`, and the weights were not checked at all: such a file
    loaded and every answer's odds were NaN."""
    model = fitted_model().copy()
    model.meta = {**model.meta, "reader": {**model.meta["reader"], key: value}}
    with pytest.raises(ValueError, match=f"not finite: {key}$"):
        context_of(model)


def test_a_damaged_head_for_labelled_histories_is_named() -> None:
    model = fitted_model().copy()
    model.extras = {k: v for k, v in model.extras.items() if k != "reader.labelled.bias"}
    with pytest.raises(ValueError, match="labelled histories lacks its weights"):
        context_of(model)


def test_a_mostly_labelled_history_takes_the_head_fitted_for_it() -> None:
    reader = Reader(fitted_model())
    assert reader.context is not None and reader.context.labelled is not None
    leaning = replace(reader.context.labelled, bias=np.array([-9.0, 9.0]))  # everything "o"
    reader.context = replace(reader.context, labelled=leaning)
    labels = "oOoOoO"
    told = [Labelled(d, c) for d, c in zip(MIXED, labels, strict=True)]
    assert reader.read(circle(90), history=told).label == "o"  # the labelled head
    assert reader.read(circle(90), history=MIXED).label == "O"  # the network-read one
    two_of_six = [*told[:2], *MIXED[2:]]
    assert reader.read(circle(90), history=two_of_six).label == "O"
    four_of_six = [*told[:4], *MIXED[4:]]
    assert reader.read(circle(90), history=four_of_six).label == "o"
    guides = WritingGuides(baseline=100.0, x_line=60.0, cap_line=28.0)
    assert reader.read(circle(72, bottom=100), guides=guides).label == "O"  # guides alone


def test_look_alikes_name_the_other_members_that_are_allowed() -> None:
    assert look_alikes("o", "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") == [
        "0",
        "O",
    ]
    assert look_alikes("o", "abco") == [] and look_alikes("A", "Aa") == []


def test_labelled_history_says_what_a_history_of_one_shape_cannot() -> None:
    # Five circles of one size could be a writer's O or their o: the network cannot say, so
    # unlabelled they give the scale by a guess. Labelled (saved samples), the answer follows
    # the label: the same size again is that letter, twice the size is O.
    reader = Reader(fitted_model())
    same = [circle(50, x=9.0 * k) for k in range(5)]
    for label, other in (("O", "o"), ("o", "O")):
        reading = reader.read(circle(50), history=[Labelled(d, label) for d in same])
        assert reading.label == label and reading.look_alikes == (other,)
        assert reading.probabilities.max() > 0.85
        assert reading.history_used == len(same)
        # and a drawing of twice the size is the other member
        assert reader.read(circle(100), history=[Labelled(d, label) for d in same]).label == (
            "O" if label == "o" else label
        )


def test_a_label_the_model_does_not_know_counts_as_unlabelled() -> None:
    reader = Reader(fitted_model())
    plain = reader.read(circle(90), history=MIXED)
    unknown = reader.read(circle(90), history=[Labelled(d, "§") for d in MIXED])
    np.testing.assert_allclose(plain.probabilities, unknown.probabilities, atol=1e-6)


def test_labelled_and_unlabelled_copies_of_a_drawing_share_one_network_pass() -> None:
    reader = Reader(fitted_model())
    calls = []
    logits = reader.model.logits
    reader.model.logits = lambda x: calls.append(len(x)) or logits(x)  # type: ignore[method-assign]
    try:
        reader.read(circle(90), history=MIXED)
        reader.read(circle(90), history=[Labelled(d, "o") for d in MIXED])
    finally:
        del reader.model.logits
    assert calls == [1, len(MIXED), 1]  # the drawing, its history once, the drawing again


def test_ocrpad_eval_reads_with_session_history_and_reports_calibration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    weights, data = tmp_path / "model.npz", tmp_path / "writers.npz"
    fitted_model().save(weights)
    _save(writers(12, seed=4), data)
    results = {}
    for history in ("none", "session", "labelled"):
        argv = ["--data", str(data), "--weights", str(weights), "--charset", "all", "--json"]
        assert eval_cli.main([*argv, "--history", history]) == 0
        results[history] = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert results["session"]["accuracy"] > 0.9 > results["none"]["accuracy"]
    assert results["labelled"]["accuracy"] >= results["session"]["accuracy"] - 0.02
    assert 0.0 <= results["session"]["ece"] < 0.1
    assert set(results["none"]["worst_class"]) == {"label", "accuracy"}


def test_a_reader_for_another_set_shares_what_it_remembers() -> None:
    reader = Reader(fitted_model())
    assert reader.remember(MIXED) == len(MIXED)
    capitals = reader.restricted("O")
    assert capitals.labels == ["O"]
    reading = capitals.read(circle(50), history=MIXED)
    assert reading.label == "O" and reading.history_used == len(MIXED)


def test_a_drawing_read_once_costs_no_second_network_pass_as_history() -> None:
    model = fitted_model().copy()
    reader = Reader(model)
    first = reader.read(circle(90), history=MIXED[:2])
    calls = []
    original = model.logits
    model.logits = lambda x: calls.append(len(x)) or original(x)  # type: ignore[method-assign]
    later = reader.read(circle(50), history=[*MIXED[:2], circle(90)])
    assert calls == [1]  # only the new drawing itself
    assert later.history_used == 3 and first.history_used == 2


def test_the_fit_reports_the_held_out_writers_with_labelled_history_too() -> None:
    _, report = fit_reader(bare_model(), writers(40), progress=lambda _: None)
    labelled, guessed = report["with_labelled_history"], report["with_history"]
    assert labelled["accuracy"] >= guessed["accuracy"] > report["without_history"]["accuracy"]
    assert 0.0 <= labelled["ece"] < 0.2


def test_fitting_on_one_writer_says_it_needs_more_writers_before_reading_anything() -> None:
    model = bare_model()
    read: list[str] = []
    with pytest.raises(ValueError, match=r"12 drawings by 1 writer\(s\).*more writers"):
        fit_reader(model, writers(1), progress=read.append)
    assert read == []  # refused before the network read a single drawing


def _mix_layer() -> ContextLayer:
    labels = ("V", "v", "A", "a")
    return ContextLayer(
        labels=labels,
        groups=("upper", "lower"),
        height_mu=np.zeros(4),
        height_sd=np.ones(4),
        group_prior=np.array([0.3, 0.7]),
        weights=np.zeros((4, feature_count(2))),
        bias=np.zeros(4),
    )


def test_a_history_of_look_alikes_the_network_cannot_split_says_nothing_of_the_mix() -> None:
    # A writer of nothing but v, read half as V by shape, is no writer of capitals: the mix
    # stays the training mix (the echo that made the next v a V), ...
    layer = _mix_layer()
    undecided = np.tile([0.5, 0.5, 0.0, 0.0], (20, 1))
    _, theta, *_ = layer.writer_frame(np.zeros(20), undecided)
    np.testing.assert_allclose(theta, layer.group_prior)
    # ... while the same drawings labelled v (saved samples: one-hot) say small letters, and
    # so does a family member the network is sure of; a letter outside any family counts too
    told = np.tile([0.0, 1.0, 0.0, 0.0], (20, 1))
    assert layer.writer_frame(np.zeros(20), told)[1][1] > 0.9
    sure = np.tile([0.02, 0.98, 0.0, 0.0], (20, 1))
    assert layer.writer_frame(np.zeros(20), sure)[1][1] > 0.9
    capitals = np.tile([0.0, 0.0, 1.0, 0.0], (20, 1))
    assert layer.writer_frame(np.zeros(20), capitals)[1][0] > 0.9
    # the evidence is the reading scaled within the family, never more than it
    evidence = layer.group_evidence(np.array([[0.6, 0.2, 0.1, 0.1]]))
    np.testing.assert_allclose(evidence, [[0.3, 0.1, 0.1, 0.1]])


def test_earlier_drawings_shaped_like_this_one_vote_for_what_they_were_read_as() -> None:
    # three earlier drawings the network reads exactly as this one, two read as "O" and one
    # as "o"; a fourth it reads the other way round is unlike it and adds (almost) nothing
    current = np.array([2.0, -1.0, 0.0])
    earlier = np.array([[2.0, -1.0, 0.0], [2.0, -1.0, 0.0], [2.0, -1.0, 0.0], [-1.0, 2.0, 0.0]])
    readings = np.array([[1.0, 0, 0], [1.0, 0, 0], [0, 1.0, 0], [0, 1.0, 0]])
    like = likeness(current, earlier, readings, width=0.2)
    assert like[0] == pytest.approx(np.log(3.0)) and like[2] == 0.0
    assert np.log(2.0) < like[1] < np.log(2.0) + 1e-3
    assert not likeness(current, earlier[:0], readings[:0], width=0.2).any()
    assert closest(current, earlier[3:], width=0.2)[1] < 1e-3


def test_the_likeness_term_is_fitted_stored_and_older_files_read_without_it(
    tmp_path: Path,
) -> None:
    model = fitted_model()
    layer, again = context_before_and_after_the_file(model, tmp_path)
    assert layer.like_width in WIDTHS and layer.labelled is not None and again.labelled is not None
    assert layer.labelled.like_width in WIDTHS
    assert (again.like_weight, again.like_width) == pytest.approx(
        (layer.like_weight, layer.like_width)
    )
    assert again.labelled.like_weight == pytest.approx(layer.labelled.like_weight)
    older = model.copy()  # a file from before the term
    older.meta = {**older.meta, "reader": {**older.meta["reader"]}}
    del older.meta["reader"]["like_weight"], older.meta["reader"]["like_width"]
    old_layer = context_of(older)
    assert old_layer is not None and old_layer.like_weight == 0.0


def test_a_reading_names_the_earlier_drawing_most_like_it_but_never_itself() -> None:
    reader = Reader(fitted_model())
    history = [Labelled(circle(50), "o"), circle(90)]
    reading = reader.read(circle(90), history=history)  # the same drawing is in the history
    assert reading.like_earlier is not None and reading.like_earlier[0] == "o"
    assert reading.history_used == 2  # it still counts towards the scale, as before
    assert reader.read(circle(90)).like_earlier is None
    # within a character set it is named as a class of that set, never one outside it
    small = reader.restricted(["o"])
    assert (small.read(circle(90), history=[circle(52)]).like_earlier or ("",))[0] == "o"
    assert small.read(circle(90), history=[Labelled(circle(52), "O")]).like_earlier is None
    # and never as a class the earlier drawing was far from being read as: in the digits
    # set a C drawn after a C was "like your earlier 0" (P(0) of that C: 0.0000)
    assert reader.context is not None
    reader.context = replace(reader.context, bias=np.array([5.0, -5.0]))  # everything "O"
    small = reader.restricted(["o"])
    assert small.read(circle(91), history=[circle(49)]).like_earlier is None


def test_a_likeness_width_that_is_not_positive_is_named() -> None:
    model = fitted_model().copy()
    model.meta = {**model.meta, "reader": {**model.meta["reader"], "like_width": 0.0}}
    with pytest.raises(ValueError, match="width"):
        context_of(model)
