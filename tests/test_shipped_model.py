"""The model in weights/ is what the README and its model card say it is."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ocrpad import resources
from ocrpad.learning.recipe import Recipe
from ocrpad.model import load_model

CARD = resources.weights_dir() / "README.md"


def test_the_training_defaults_are_the_shipped_models_recipe() -> None:
    shipped = load_model()
    assert shipped.meta["trained_by"] == "ocrpad-train"
    first_stage = shipped.meta.get("init", shipped.meta)  # trained from scratch
    assert Recipe.from_dict(first_stage["recipe"]) == Recipe()


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
