"""Coarse traces (few points, as other pens and fast mice give) get the device correction;
pen-tablet traces do not."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from reading_helpers import circle, fitted_model, writers

from ocrpad.data.coarse import coarse_dataset, coarse_trace
from ocrpad.model import Model, load_model
from ocrpad.preprocess import render_params_of, render_strokes
from ocrpad.reading import Reader, context_of
from ocrpad.reading.device import DeviceCorrection, fit_device
from ocrpad.reading.geometry import coarseness, size_of
from ocrpad.reading.history import full_geometry, stroke_geometry
from ocrpad.reading.trace import traces_of

Drawing = list[NDArray[np.float32]]


def ring(height: float, points: int) -> Drawing:
    """A circle `height` tall traced with `points` points."""
    t = np.linspace(0, 2 * np.pi, points)
    return [(height / 2 * np.stack([np.cos(t), np.sin(t)], 1)).astype(np.float32)]


def coarseness_of(drawing: Drawing) -> float:
    size = size_of(drawing)
    assert size is not None
    return size.coarseness


def test_coarseness_follows_the_sampling_not_the_size() -> None:
    dense, coarse = coarseness_of(ring(50, 400)), coarseness_of(ring(50, 8))
    assert dense < -4 and -1.2 < coarse < -0.5
    assert coarseness_of(ring(5000, 400)) == pytest.approx(dense, abs=1e-6)
    assert coarseness_of(ring(0.05, 8)) == pytest.approx(coarse, abs=1e-4)
    # repeated points (a mouse that reports while standing still) do not make a trace denser
    doubled = [np.repeat(ring(50, 8)[0], 2, axis=0)]
    assert coarseness_of(doubled) == pytest.approx(coarse, abs=1e-6)
    # a pen-up gap between two strokes is not a segment
    apart = [ring(50, 400)[0] + 150, ring(50, 400)[0]]
    assert coarseness_of(apart) < dense + 0.1 - np.log(4)  # 4 times the box, same segments


def test_a_trace_without_segments_has_no_coarseness() -> None:
    one_point_strokes = [np.array([[0.0, 0.0]]), np.array([[5.0, 9.0]])]
    assert np.isnan(coarseness_of(one_point_strokes))
    store = coarseness(np.zeros((1, 2), np.float32), np.array([0, 1]), np.array([0, 1]))
    assert np.isnan(store).all()


def _segment(*corners: tuple[float, float]) -> NDArray[np.float32]:
    return np.array(corners, dtype=np.float32)


def _dense(stroke: NDArray[np.float32], step: float = 1.0) -> NDArray[np.float32]:
    """The same polyline with a point every `step` units along it."""
    points = [stroke[:1]]
    for a, b in pairwise(stroke):
        n = max(1, int(np.ceil(np.hypot(*(b - a)) / step)))
        points.append(a + (b - a) * np.arange(1, n + 1)[:, None] / n)
    return np.concatenate(points).astype(np.float32)


def test_a_straight_stroke_is_no_evidence_of_a_coarse_device() -> None:
    """A "-" of two mouse points renders exactly like a tablet's: it counts for nothing."""
    dash_, bar, slash = (
        _segment((0, 50), (100, 50)),
        _segment((50, 0), (50, 100)),
        _segment((60, 0), (0, 100)),
    )
    for drawing in ([dash_], [bar], [slash], [dash_, bar], [_segment((0, 0), (50, 1), (100, 2))]):
        assert np.isnan(coarseness_of(drawing))
        assert np.isnan(coarseness_of([_dense(s) for s in drawing]))
    # a hand's wobble within a pixel of the network's box is still straight
    wobble = _dense(dash_) + np.array([0.0, 1.0], np.float32) * np.sin(np.arange(101))[:, None]
    assert np.isnan(coarseness_of([wobble]))
    # a bent stroke counts, and a straight one beside it adds no segments, only extent
    corner = _segment((0, 0), (0, 100), (60, 100))
    assert coarseness_of([corner]) == pytest.approx(np.log(80 / 100))
    assert coarseness_of([corner, _segment((30, 0), (30, 60))]) == pytest.approx(np.log(0.8))
    assert coarseness_of([_dense(corner)]) < np.log(1.0 / 100) + 0.1


def test_the_shipped_reader_reads_two_point_lines_as_it_reads_dense_ones() -> None:
    """A fast mouse's "-", "|" or "/" has two points; the shipped reader once took them for a
    coarse device's trace and answered "." for "-"."""
    reader = Reader(load_model(None))
    for stroke in ((0, 50), (100, 50)), ((50, 0), (50, 100)), ((60, 0), (0, 100)):
        few, many = reader.read([_segment(*stroke)]), reader.read([_dense(_segment(*stroke))])
        assert few.coarse_trace == 0.0 and many.coarse_trace == 0.0
        assert few.label == many.label and few.label != "."
        np.testing.assert_allclose(few.probabilities, many.probabilities, atol=0.2)


def test_the_flat_store_and_a_single_drawing_agree() -> None:
    data = coarse_dataset(writers(2, per_writer=4), 8, join=False)
    data = replace(data, points=data.points * 3.0)
    geometry = stroke_geometry(data.points, data.stroke_offsets, data.sample_offsets)
    one_by_one = [size_of(data.strokes(i)).geometry() for i in range(len(data))]  # type: ignore[union-attr]
    np.testing.assert_allclose(geometry, np.array(one_by_one), rtol=1e-5, atol=1e-5)
    assert geometry.shape == (len(data), 5)


def test_geometry_without_top_bottom_or_coarseness_is_unknown_there() -> None:
    sizes = np.array([[1.0, 2.0]])
    np.testing.assert_array_equal(np.isnan(full_geometry(sizes)), [[0, 0, 1, 1, 1]])
    four = np.array([[1.0, 2.0, 3.0, 4.0]])
    np.testing.assert_array_equal(np.isnan(full_geometry(four)), [[0, 0, 0, 0, 1]])
    with pytest.raises(ValueError, match="sizes must be"):
        full_geometry(np.zeros((3, 3)))


def _leaning_logits(n: int, rng: np.random.Generator) -> tuple[NDArray[np.float64], ...]:
    """Three classes; ordinary traces (coarseness about −3) read well, coarse ones (about −1)
    with a lean: class 0 pushed down by 2.5."""
    y = rng.integers(0, 3, n)
    coarse = rng.random(n) < 0.5
    s = np.where(coarse, rng.normal(-1.0, 0.2, n), rng.normal(-3.0, 0.3, n))
    logits = 2.0 * np.eye(3)[y] + rng.normal(0, 1.0, (n, 3))
    logits[coarse, 0] -= 2.5
    return logits, s, y, coarse


def test_the_fit_learns_the_lean_of_coarse_traces_and_leaves_dense_ones_alone() -> None:
    rng = np.random.default_rng(0)
    logits, s, y, _ = _leaning_logits(8000, rng)
    correction = fit_device(logits, s, y)
    gate = correction.gate(np.array([-3.0, -1.0, np.nan]))
    assert gate[0] < 0.15 and gate[1] > 0.85 and gate[2] == 0
    lift = correction.bias[0] - correction.bias[1:].mean()
    assert 1.5 < lift < 3.5
    test_logits, test_s, test_y, test_coarse = _leaning_logits(4000, rng)
    after = correction.applied(test_logits, test_s).argmax(axis=1) == test_y
    before = test_logits.argmax(axis=1) == test_y
    assert after[test_coarse].mean() > before[test_coarse].mean() + 0.1
    assert after[~test_coarse].mean() >= before[~test_coarse].mean() - 0.01


def _with_correction(model: Model, bias: list[float], slope: float, offset: float) -> Model:
    out = model.copy()
    out.extras = {**out.extras, "reader.device_bias": np.array(bias, np.float32)}
    out.meta = {
        **out.meta,
        "reader": {**out.meta["reader"], "device_slope": slope, "device_offset": offset},
    }
    return out


def _without_correction(model: Model) -> Model:
    out = model.copy()
    out.extras = {k: v for k, v in out.extras.items() if k != "reader.device_bias"}
    return out


def _logits(model: Model, drawings: list[Drawing]) -> NDArray[np.float64]:
    params = render_params_of(model.meta)
    images = np.stack([render_strokes(d, params) for d in drawings])[:, None]
    return np.asarray(model.logits(images), dtype=np.float64)


def test_the_reader_corrects_a_coarse_trace_on_every_road() -> None:
    """The window (`read`, history read through the reader's memory) and `ocrpad-eval`
    (`read_batch`) correct the same drawings the same way; a dense trace is left alone."""
    plain = _without_correction(fitted_model())
    model = _with_correction(plain, [0.0, 4.0], 4.0, 7.0)  # pushes coarse traces to "o"
    dense, coarse = ring(60, 400), [coarse_trace(ring(60, 400)[0], np.array([0, 400]), 8)[0]]
    for reader_model in (plain, model):
        drawings = [dense, coarse]
        probs = [Reader(reader_model).read(d).probabilities for d in drawings]
        sizes = np.array([size_of(d).geometry() for d in drawings])  # type: ignore[union-attr]
        logits, traces = _logits(reader_model, drawings), traces_of(drawings)
        batch = Reader(reader_model).read_batch(logits, sizes, None, traces=traces)
        np.testing.assert_allclose(batch, np.stack(probs), atol=1e-5)
    o = 1
    before = [Reader(plain).read(d).probabilities[o] for d in (dense, coarse)]
    after = [Reader(model).read(d).probabilities[o] for d in (dense, coarse)]
    assert after[0] == pytest.approx(before[0], abs=1e-3)
    lift = np.log(after[1] / (1 - after[1])) - np.log(before[1] / (1 - before[1]))
    assert lift > 0.5  # the coarse trace's log odds of "o" rise (the gate is part open)
    # as history: the coarse drawings the writer made before count as corrected too
    history = [coarse, [coarse[0] * 1.01], [coarse[0] * 0.99]]
    window = Reader(model).read(circle(60), history=history).probabilities
    sizes = np.array([size_of(d).geometry() for d in [*history, circle(60)]])  # type: ignore[union-attr]
    logits, traces = _logits(model, [*history, circle(60)]), traces_of([*history, circle(60)])
    rows = [[], [0], [0, 1], [0, 1, 2]]
    batch = Reader(model).read_batch(logits, sizes, rows, traces=traces)
    plain_batch = Reader(plain).read_batch(logits, sizes, rows, traces=traces)
    np.testing.assert_allclose(window, batch[-1], atol=1e-5)
    assert not np.allclose(window, plain_batch[-1], atol=1e-3)


def test_the_correction_survives_the_file_and_older_files_read_without_it(
    tmp_path: Path,
) -> None:
    model = _with_correction(fitted_model(), [0.5, -0.5], 3.0, 5.0)
    path = tmp_path / "device.npz"
    model.save(path)
    layer = context_of(load_model(path))
    assert layer is not None and layer.device is not None
    np.testing.assert_allclose(layer.device.bias, [0.5, -0.5])
    assert (layer.device.slope, layer.device.offset) == (3.0, 5.0)
    assert layer.labelled is not None and layer.labelled.device is not None
    grown = load_model(path).with_extra_classes(["x"], np.random.default_rng(0))
    grown_layer = context_of(grown)
    assert grown_layer is not None and grown_layer.device is not None
    np.testing.assert_allclose(grown_layer.device.bias, [0.5, -0.5, 0.0])
    old_layer = context_of(_without_correction(fitted_model()))
    assert old_layer is not None and old_layer.device is None


def test_a_damaged_correction_is_named() -> None:
    with pytest.raises(ValueError, match=r"reader\.device_bias has shape"):
        context_of(_with_correction(fitted_model(), [1.0, 2.0, 3.0], 1.0, 1.0))
    with pytest.raises(ValueError, match="device correction is not finite"):
        context_of(_with_correction(fitted_model(), [1.0, 2.0], float("nan"), 1.0))
    broken = _with_correction(fitted_model(), [1.0, 2.0], 1.0, 1.0)
    del broken.meta["reader"]["device_slope"]
    with pytest.raises(ValueError, match="context layer is incomplete"):
        context_of(broken)


def test_a_drawing_of_unknown_coarseness_gets_no_correction() -> None:
    correction = DeviceCorrection(np.ones(2), 1.0, 0.0)
    np.testing.assert_allclose(correction.gate(np.array([np.nan, 0.0])), [0.0, 0.5])
    logits = np.zeros((2, 2))
    np.testing.assert_allclose(
        correction.applied(logits, np.array([np.nan, 0.0])), [[0, 0], [0.5, 0.5]]
    )
