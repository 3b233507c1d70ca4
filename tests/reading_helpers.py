"""Writers whose capitals are bigger than their small letters, and a reader fitted to them."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ocrpad.data.unipen import StrokeDataset
from ocrpad.model import ConvBlock, Model, ModelConfig, build_model, load_model
from ocrpad.reading import ContextLayer, context_of
from ocrpad.reading.fit import fit_reader

LABELS = ["O", "o"]
SMALL_CONFIG = ModelConfig(blocks=(ConvBlock(4, pool=True),), hidden=(8,), conv_dropout=0.0)
_T = np.linspace(0, 2 * np.pi, 20)


def circle(height: float, x: float = 0.0, bottom: float = 0.0) -> list[NDArray[np.float32]]:
    """A round drawing `height` tall standing on `bottom` (y down)."""
    r = height / 2
    return [np.stack([x + r * np.cos(_T), bottom - r + r * np.sin(_T)], 1).astype(np.float32)]


def cross(height: float, x: float = 0.0, bottom: float = 0.0) -> list[NDArray[np.float32]]:
    h = height
    a = np.array([[x - h / 2, bottom - h], [x + h / 2, bottom]], dtype=np.float32)
    b = np.array([[x + h / 2, bottom - h], [x - h / 2, bottom]], dtype=np.float32)
    return [a, b]


def writers(count: int, per_writer: int = 12, seed: int = 0) -> StrokeDataset:
    """Each writer has a scale; their O is 1.8x their o (±10%). Both are circles."""
    rng = np.random.default_rng(seed)
    drawings: list[list[NDArray[np.float32]]] = []
    labels, names = [], []
    for w in range(count):
        scale = float(rng.uniform(10, 300))
        for k in range(per_writer):
            label = k % 2
            height = scale * (1.8 if label == 0 else 1.0) * float(rng.uniform(0.9, 1.1))
            drawings.append(circle(height, x=float(rng.uniform(-50, 50))))
            labels.append(label)
            names.append(f"w{w}")
    return _dataset(drawings, labels, names, LABELS)


def bare_model() -> Model:
    model = build_model(SMALL_CONFIG, LABELS, np.random.default_rng(3))
    model.meta = {"recipe": {"val_fraction": 0.25, "seed": 0}}
    return model


@cache
def fitted_model() -> Model:
    """A small network (it cannot tell O from o: both are circles) with a fitted reader."""
    model, _ = fit_reader(bare_model(), writers(40), progress=lambda _: None)
    return model


def dash(width: float, y: float, x: float = 0.0) -> list[NDArray[np.float32]]:
    """A short, slightly slanted stroke `width` wide around height y (y down)."""
    a = np.array([[x - width / 2, y + width * 0.03], [x + width / 2, y - width * 0.03]])
    return [a.astype(np.float32)]


def lined_writers(count: int, per_writer: int = 12, seed: int = 0) -> StrokeDataset:
    """Writers on a line of writing: each has a scale and a baseline; their `o` stands on the
    baseline, their `-` floats half an `o` above it and their `_` lies on it (same shape)."""
    rng = np.random.default_rng(seed)
    drawings: list[list[NDArray[np.float32]]] = []
    labels, names = [], []
    for w in range(count):
        scale, base = float(rng.uniform(10, 300)), float(rng.uniform(-500, 500))
        for k in range(per_writer):
            label = k % 3
            jitter = float(rng.normal(0, 0.05)) * scale
            x = float(rng.uniform(-50, 50)) * scale / 30
            if label == 0:
                drawings.append(circle(scale * float(rng.uniform(0.9, 1.1)), x, base + jitter))
            else:
                y = base + jitter - (0.5 * scale if label == 1 else 0.0)
                drawings.append(dash(scale * float(rng.uniform(0.8, 1.2)), y, x))
            labels.append(label)
            names.append(f"w{w}")
    return _dataset(drawings, labels, names, LINED_LABELS)


LINED_LABELS = ["o", "-", "_"]


@cache
def lined_model() -> Model:
    """A small network (it cannot tell - from _: the same stroke) with a fitted reader.

    Its history counts as the network reads it (`reads_history=False`): in this world the
    bottoms and the centres of a line are equally steady, so the fit cannot tell a line of
    writing from a free canvas, and with the history counted as the reader answered it, the
    place weight it settles on for a free canvas (`wobbly_weight`) drops from 0.55 to 0.13.
    These tests are about the place term; `test_reading_rereading` is about that count.
    Every drawing here is a few points, so the device correction (`reading.device`) would be
    open for all of them and would fit this untrained network's lean between - and _; it is
    left out (`test_reading_device` is about it), and so is the trace network: - and _ are
    the same stroke here, so all it could learn is noise between them (`test_reading_trace`
    is about it)."""
    model = build_model(SMALL_CONFIG, LINED_LABELS, np.random.default_rng(3))
    model.meta = {"recipe": {"val_fraction": 0.25, "seed": 0}}
    fitted, _ = fit_reader(
        model,
        lined_writers(60),
        reads_history=False,
        device=None,
        trace=False,
        progress=lambda _: None,
    )
    return fitted


def _dataset(
    drawings: list[list[NDArray[np.float32]]],
    labels: list[int],
    writers: list[str],
    mapping: Sequence[str],
) -> StrokeDataset:
    """A StrokeDataset of `drawings` (each a list of (k, 2) strokes) in the shared layout."""
    strokes = [s for d in drawings for s in d]
    stroke_offsets = np.concatenate([[0], np.cumsum([len(s) for s in strokes])])
    sample_offsets = np.concatenate([[0], np.cumsum([len(d) for d in drawings])])
    return StrokeDataset(
        points=np.concatenate(strokes).astype(np.float32),
        stroke_offsets=stroke_offsets.astype(np.int64),
        sample_offsets=sample_offsets.astype(np.int64),
        labels=np.array(labels, dtype=np.int64),
        mapping=list(mapping),
        writers=np.array(writers),
    )


def context_before_and_after_the_file(
    model: Model, tmp_path: Path
) -> tuple[ContextLayer, ContextLayer]:
    """The model's context layer and the one read back from its saved file, each with a head
    for labelled histories."""
    layer = context_of(model)
    assert layer is not None and layer.labelled is not None
    path = tmp_path / "reader.npz"
    model.save(path)
    again = context_of(load_model(path))
    assert again is not None and again.labelled is not None
    return layer, again
