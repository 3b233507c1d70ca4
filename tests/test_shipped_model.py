"""The model in weights/ is what the README and its model card say it is."""

from __future__ import annotations

import json
import string
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ocrpad import resources
from ocrpad.app.about import about_text
from ocrpad.charsets import SYMBOLS
from ocrpad.cli.eval import read_all
from ocrpad.data.coarse import coarse_dataset
from ocrpad.data.unipen import load_unipen
from ocrpad.learning.recipe import Recipe
from ocrpad.model import load_model

CARD = resources.weights_dir() / "README.md"
COMMAND = (
    "ocrpad-train --data ../shared/data/unipen --data ../shared/data/unipen-symbols "
    "--out runs/ocrpad-default.npz"
)
"""The model card's training command: the defaults, on letters, digits and symbols (written
to runs/, so that trying the recipe never replaces the shipped file)."""


def test_the_training_defaults_are_the_shipped_models_recipe() -> None:
    shipped = load_model()
    assert shipped.meta["trained_by"] == "ocrpad-train"
    assert "init" not in shipped.meta  # trained from scratch in one run, no warm start
    assert Recipe.from_dict(shipped.meta["recipe"]) == Recipe()
    assert COMMAND in " ".join(CARD.read_text(encoding="utf-8").replace("\\\n", " ").split())


def test_the_shipped_model_reads_letters_digits_and_symbols() -> None:
    shipped = load_model()
    assert shipped.labels[62:] == list(SYMBOLS) and len(shipped.labels) == 94
    assert shipped.meta["data"]["class_counts"]["."] > 0  # fine-tuning keeps these priors


UNIPEN_CATEGORIES = {
    "1a": string.digits,
    "1b": string.ascii_uppercase,
    "1c": string.ascii_lowercase,
    "1d": SYMBOLS,
}
"""UNIPEN's isolated-character categories and what each holds."""


def _section(path: Path, heading: str) -> str:
    """The text of a Markdown file under `heading`, up to the next heading."""
    text = path.read_text(encoding="utf-8")
    return text.split(f"\n{heading}\n", 1)[1].split("\n#", 1)[0]


def test_every_data_credit_names_each_unipen_category_the_shipped_model_learnt() -> None:
    """The credits said 1a, 1b and 1c while the model also learnt 1d's 32 symbols."""
    labels = set(load_model().labels)
    learnt = [code for code, chars in UNIPEN_CATEGORIES.items() if labels & set(chars)]
    assert learnt == ["1a", "1b", "1c", "1d"]
    credits = {
        "About box": about_text(),
        "README": _section(CARD.parent.parent / "README.md", "## Credits"),
        "model card": _section(CARD, "## Data credit"),
    }
    for where, text in credits.items():
        assert all(code in text for code in learnt), f"the {where} credit misses a category"


def test_the_model_card_names_the_shipped_models_figures() -> None:
    test = load_model().meta["metrics"]["test"]
    card = CARD.read_text(encoding="utf-8")
    for key in ("accuracy", "merged_accuracy", "top3_accuracy"):
        assert f"{test[key]:.4f}" in card, f"{key} {test[key]:.4f} is not in {CARD}"


@pytest.mark.slow
@pytest.mark.data
def test_ocrpad_eval_on_the_test_split_gives_the_model_cards_figures(unipen_dir: Path) -> None:
    data = unipen_dir / "unipen-test.npz"
    done = subprocess.run(
        [sys.executable, "-m", "ocrpad.cli.eval", "--json", "--data", str(data)],
        capture_output=True,
        text=True,
        check=True,
    )
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    shipped = load_model().meta
    # The reader (its calibration) answers for the network once it is fitted.
    recorded = (
        shipped["reader"]["test"]["without_history"]
        if "reader" in shipped
        else shipped["metrics"]["test"]
    )
    assert measured["samples"] == recorded["samples"] == 9854
    for key in ("accuracy", "balanced_accuracy", "merged_accuracy", "top3_accuracy"):
        assert measured[key] == pytest.approx(recorded[key], abs=1e-4), key


@pytest.mark.slow
@pytest.mark.data
def test_coarse_joined_digits_read_as_well_as_the_model_card_says(unipen_dir: Path) -> None:
    """Each test digit joined into one 8-point polyline, as a coarse pen or a mouse gives it."""
    model = load_model()
    test = load_unipen(unipen_dir / "unipen-test.npz", images=False)
    digits = test.subset(np.flatnonzero(np.isin(test.characters(), list("0123456789"))))
    coarse = coarse_dataset(digits, 8)
    probs = read_all(model, coarse, list("0123456789"), None)  # as ocrpad-eval reads
    guesses = [model.labels[i] for i in np.argmax(probs, axis=1)]
    accuracy = float(np.mean([g == t for g, t in zip(guesses, coarse.characters(), strict=True)]))
    assert f"{accuracy:.4f}" in CARD.read_text(encoding="utf-8")
    assert accuracy >= 0.95  # the network before coarse-trace training read 0.8788
