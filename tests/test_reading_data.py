"""The shipped reader on writers it never saw (the public test split; skipped without data)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from ocrpad.charsets import default_charset
from ocrpad.cli.eval import read_all
from ocrpad.data.unipen import load_unipen
from ocrpad.model import load_model
from ocrpad.preprocess import render_params_of
from ocrpad.reading import Reader
from ocrpad.reading.history import session_history, stroke_geometry
from ocrpad.reading.scoring import expected_calibration_error
from ocrpad.reading.trace import dataset_features


@pytest.mark.slow
@pytest.mark.data
def test_the_shipped_readers_odds_are_honest_on_held_out_writers(unipen_dir: Path) -> None:
    test = load_unipen(unipen_dir / "unipen-test.npz", images=False)
    names = np.unique(test.writers)
    chosen = np.random.default_rng(1).choice(names, 50, replace=False)
    data = test.subset(np.flatnonzero(np.isin(test.writers, chosen)))
    model = load_model()
    images = data.render_all(render_params_of(model.meta))[:, None]
    full = np.concatenate([model.logits(images[i : i + 512]) for i in range(0, len(data), 512)])
    sizes = stroke_geometry(data.points, data.stroke_offsets, data.sample_offsets)
    reader = Reader(model, charset=default_charset(model.labels))  # as the window reads
    truth = np.array([reader.labels.index(c) for c in data.characters()])
    logits = full[:, [model.labels.index(c) for c in reader.labels]]  # the bare network's
    bare = np.exp(logits - logits.max(axis=1, keepdims=True))
    bare /= bare.sum(axis=1, keepdims=True)
    paths = dataset_features(data)  # the pen's path, for the trace network
    alone = reader.read_batch(full, sizes, None, traces=paths)
    together = reader.read_batch(full, sizes, session_history(data.writers), traces=paths)
    accuracy = {
        k: float((p.argmax(1) == truth).mean())
        for k, p in [("bare", bare), ("alone", alone), ("together", together)]
    }
    assert accuracy["together"] > accuracy["alone"] + 0.03
    assert accuracy["alone"] >= accuracy["bare"] - 0.005
    # shipped model: 0.032 on these 50 writers (0.012 on the whole test split)
    assert expected_calibration_error(together, truth) < 0.04
    assert expected_calibration_error(alone, truth) < expected_calibration_error(bare, truth)


@pytest.mark.data
def test_the_shipped_reader_does_not_care_what_units_a_tablet_reports(unipen_dir: Path) -> None:
    """Another tablet may count in hundredths of a millimetre or in screen pixels, and put
    its origin anywhere: each writer's points scaled by their own factor and moved must
    read as before, with and without history."""
    test = load_unipen(unipen_dir / "unipen-test.npz", images=False)
    chosen = np.random.default_rng(2).choice(np.unique(test.writers), 12, replace=False)
    data = test.subset(np.flatnonzero(np.isin(test.writers, chosen)))
    names, writer_of = np.unique(data.writers, return_inverse=True)
    factors = np.geomspace(0.02, 50.0, len(names))  # per writer
    drawing_of_point = np.repeat(
        np.arange(len(data)), np.diff(data.stroke_offsets[data.sample_offsets])
    )
    per_point = factors[writer_of][drawing_of_point][:, None]
    moved = replace(data, points=(data.points * per_point + 30_000.0).astype(np.float32))
    model = load_model()
    allowed = default_charset(model.labels)
    for history in (None, session_history(data.writers)):
        before = read_all(model, data, allowed, history)
        after = read_all(model, moved, allowed, history)
        same = before.argmax(1) == after.argmax(1)
        assert same.mean() >= 0.99, f"with history: {history is not None}"
        assert float(np.median(np.abs(before - after).max(axis=1))) < 1e-3
