"""Character sets: symbols are read when asked for; the default stays letters and digits."""

from __future__ import annotations

import json
import string
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from test_cli_train_eval import _save
from test_train import synthetic_strokes, tiny_recipe
from test_warm_start import _symbols

from ocrpad.charsets import (
    SYMBOLS,
    class_counts,
    default_charset,
    resolve_charset,
    restrict,
    taught_labels,
)
from ocrpad.cli import eval as eval_cli
from ocrpad.data.combine import concat_datasets
from ocrpad.learning.fit import fit

LABELS = ["0", "1", "l", "o", "-", ".", "|"]


def test_the_symbols_are_unipens_thirty_two_ascii_punctuation_marks() -> None:
    assert len(SYMBOLS) == len(set(SYMBOLS)) == 32
    assert all(c.isascii() and not c.isalnum() and not c.isspace() for c in SYMBOLS)


def test_the_default_set_leaves_out_the_symbols_nobody_taught() -> None:
    assert default_charset(LABELS) == ["0", "1", "l", "o"]
    assert default_charset(LABELS, taught={"|"}) == ["0", "1", "l", "o", "|"]
    assert taught_labels({"fine_tune": {"taught_labels": ["|", "a"]}}) == {"|", "a"}
    assert taught_labels({}) == set()


def test_named_sets_and_literal_characters_resolve_to_model_classes_in_model_order() -> None:
    assert resolve_charset("symbols", LABELS) == ["-", ".", "|"]
    assert resolve_charset("digits", LABELS) == ["0", "1"]
    assert resolve_charset("all", LABELS) == LABELS
    assert resolve_charset("|0", LABELS) == ["0", "|"]
    with pytest.raises(ValueError, match="character set"):
        resolve_charset("upper", LABELS)


def test_a_models_classes_are_counted_by_kind() -> None:
    labels = [*string.digits, *string.ascii_letters, *SYMBOLS, "Σ", "é"]
    assert class_counts(labels) == "62 letters and digits, 32 symbols, 2 of your own"
    assert class_counts(list("0123")) == "4 letters and digits"


def test_restricting_zeroes_the_other_classes_and_renormalises() -> None:
    probs = np.array([[0.1, 0.1, 0.5, 0.1, 0.1, 0.05, 0.05], [0, 0, 1, 0, 0, 0, 0]], np.float32)
    out = restrict(probs, LABELS, {"-", ".", "|"})
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(out[0, 4:], [0.5, 0.25, 0.25], rtol=1e-6)
    np.testing.assert_allclose(out[1, 4:], [1 / 3] * 3, rtol=1e-6)  # no mass left: uniform
    assert np.all(out[:, :4] == 0)


@pytest.fixture(scope="module")
def digits_and_symbols(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A tiny model of 0 1 7 - + and one test file of each kind."""
    folder = tmp_path_factory.mktemp("charsets")
    train = concat_datasets([synthetic_strokes(96), _symbols(96)])
    model = fit(train, tiny_recipe(epochs=4, val_fraction=0.0)).model
    model.save(folder / "model.npz")
    _save(synthetic_strokes(30, seed=4), folder / "digits.npz")
    _save(_symbols(30, seed=5), folder / "symbols.npz")
    return folder / "model.npz", folder / "digits.npz", folder / "symbols.npz"


def _eval(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert eval_cli.main([*args, "--json"]) == 0
    result: dict[str, Any] = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    return result


def test_ocrpad_eval_reads_symbols_only_when_the_charset_asks_for_them(
    digits_and_symbols: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    model, digits, symbols = map(str, digits_and_symbols)
    by_default = _eval(capsys, "--data", symbols, "--weights", model)
    assert by_default["accuracy"] == 0.0  # symbols are outside the default set
    # and so have no restricted figure: it was an argmax over zeros, the first label
    assert by_default["restricted_accuracy"] is None
    assert by_default["per_group"]["symbols"] is None
    asked = _eval(capsys, "--data", symbols, "--weights", model, "--charset", "symbols")
    assert asked["accuracy"] >= 0.9 and asked["per_group"] == {
        "digits": None,  # none drawn: no figure (it once said 0.0)
        "upper": None,
        "lower": None,
        "symbols": asked["accuracy"],
    }
    both = _eval(
        capsys, "--data", digits, "--data", symbols, "--weights", model, "--charset", "all"
    )
    assert both["samples"] == 60 and both["accuracy"] >= 0.9
    digits_only = _eval(
        capsys, "--data", digits, "--data", symbols, "--weights", model, "--charset", "digits"
    )
    assert digits_only["per_group"]["symbols"] is None  # not read in this set: no figure
    assert digits_only["per_group"]["digits"] == both["per_group"]["digits"]


def test_ocrpad_eval_simulates_coarse_joined_traces(
    digits_and_symbols: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    model, digits, _ = map(str, digits_and_symbols)
    coarse = _eval(capsys, "--data", digits, "--weights", model, "--coarse", "8")
    assert coarse["samples"] == 30 and 0.5 <= coarse["accuracy"] <= 1.0
    in_time = _eval(
        capsys, "--data", digits, "--weights", model, "--coarse", "8", "--coarse-by", "time"
    )
    assert in_time["samples"] == 30 and 0.5 <= in_time["accuracy"] <= 1.0
    with pytest.raises(SystemExit) as stop:  # a usage error, as argparse gives it
        eval_cli.main(["--data", digits, "--weights", model, "--coarse", "1"])
    assert stop.value.code == 2 and "argument --coarse: 1 is below 2" in capsys.readouterr().err
    assert eval_cli.main(["--data", digits, "--weights", model, "--charset", "XYZ"]) == 2


def test_ocrpad_eval_can_score_only_the_chosen_sets_drawings(
    digits_and_symbols: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    model, digits, symbols = map(str, digits_and_symbols)
    args = ["--data", digits, "--data", symbols, "--weights", model, "--charset", "symbols"]
    only = _eval(capsys, *args, "--only-set")
    assert only["samples"] == 30 and only["accuracy"] >= 0.9
    assert _eval(capsys, *args)["samples"] == 60


def test_ocrpad_evals_text_and_confusion_show_only_what_was_measured(
    digits_and_symbols: tuple[Path, Path, Path],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    model, digits, symbols = map(str, digits_and_symbols)
    png = tmp_path / "confusion.png"
    args = ["--data", digits, "--data", symbols, "--weights", model, "--charset", "symbols"]
    assert eval_cli.main([*args, "--only-set", "--confusion", str(png)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{model} · history none · read as symbols (2)")
    assert "digits —  upper —  lower —  symbols " in out  # no drawings: no 0.0000
    with Image.open(png) as picture:  # '-' and '+' only, not all five classes
        assert picture.height == 14 + 16 + 2 * 12


def test_the_reader_fit_records_symbol_figures_apart_from_the_default_sets(
    digits_and_symbols: tuple[Path, Path, Path],
) -> None:
    from ocrpad.cli.fit_reader import test_figures
    from ocrpad.model import load_model
    from ocrpad.reading.fit import fit_reader

    model = load_model(digits_and_symbols[0])
    model.meta["recipe"]["val_fraction"] = 0.2  # writers held out for the reader's temperature
    train = concat_datasets([synthetic_strokes(96, seed=7), _symbols(96, seed=8)])
    fitted, _ = fit_reader(model, train, progress=lambda _: None)
    test = concat_datasets([synthetic_strokes(30, seed=4), _symbols(30, seed=5)])
    figures = test_figures(fitted, test, seed=0)
    assert set(figures) == {
        "without_history",
        "with_history",
        "symbols_without_history",
        "symbols_with_history",
    }
    assert figures["without_history"]["samples"] == figures["symbols_with_history"]["samples"] == 30
    assert figures["symbols_without_history"]["accuracy"] >= 0.9


def test_the_readers_temperature_is_fitted_on_each_drawings_own_set() -> None:
    from ocrpad.reading.calibrate import within_own_set

    class Labels:
        labels = LABELS  # 0 1 l o - . |

    z = np.zeros((2, len(LABELS)))
    y = np.array([LABELS.index("l"), LABELS.index("|")])
    masked = within_own_set(z, y, Labels())
    assert np.all(masked[0, :4] == 0) and np.all(masked[0, 4:] < -100)  # a letter: no symbols
    assert np.all(masked[1, 4:] == 0) and np.all(masked[1, :4] < -100)  # a symbol: symbols only
