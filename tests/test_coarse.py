"""Coarse traces (few points, joined strokes, slow sampling): what other devices give."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest
from test_train import synthetic_strokes

from ocrpad.data.augment import AugmentParams, render_augmented
from ocrpad.data.coarse import (
    CoarseParams,
    coarse_dataset,
    coarse_trace,
    coarsen_randomly,
    decimate_strokes,
    resample_polyline,
    resample_strokes,
    sample_in_time,
)
from ocrpad.preprocess import flatten_strokes, render_flat


def _plus() -> tuple[np.ndarray, np.ndarray]:
    """A '+' as two dense strokes: a bar across (y = 50) then a bar down (x = 50)."""
    t = np.linspace(0.0, 100.0, 51)
    return flatten_strokes(
        [np.stack([t, np.full_like(t, 50.0)], 1), np.stack([np.full_like(t, 50.0), t], 1)]
    )


def test_a_polyline_is_resampled_to_evenly_spaced_points_keeping_both_ends() -> None:
    line = np.array([[0.0, 0.0], [30.0, 0.0], [30.0, 30.0], [30.0, 30.0]])  # a repeated point
    q = resample_polyline(line, 7)
    assert q.shape == (7, 2)
    np.testing.assert_allclose(q[0], [0, 0]) and np.testing.assert_allclose(q[-1], [30, 30])
    np.testing.assert_allclose(np.hypot(*np.diff(q, axis=0).T), 10.0, atol=1e-9)


def test_a_dot_stays_a_dot_however_it_is_resampled() -> None:
    q = resample_polyline(np.array([[4.0, 5.0], [4.0, 5.0]]), 8)
    assert q.shape == (8, 2) and np.all(q == [4.0, 5.0])
    _, offsets = resample_strokes(*flatten_strokes([np.array([[4.0, 5.0]])]), 8)
    assert offsets.tolist() == [0, 1]


def test_a_joined_coarse_trace_is_one_polyline_that_draws_the_pen_up_move() -> None:
    points, offsets = coarse_trace(*_plus(), 8)
    assert offsets.tolist() == [0, 8] and points.dtype == np.float32
    # the pen went up at (100, 50) and down at (50, 0): the joined trace passes between them
    image = render_flat(points, offsets)
    separate = render_flat(*_plus())
    assert np.abs(image - separate).sum() > 20  # the pen-up move is drawn as ink
    assert np.allclose(points[0], [0, 50]) and np.allclose(points[-1], [50, 100])


def test_without_joining_the_points_are_shared_among_strokes_by_length() -> None:
    points, offsets = coarse_trace(*_plus(), 8, join=False)
    assert offsets.tolist() == [0, 4, 8]
    assert np.allclose(points[3], [100, 50]) and np.allclose(points[4], [50, 0])


def _slow_then_fast() -> tuple[np.ndarray, np.ndarray]:
    """One stroke from (0, 0) to (100, 0): 40 points over its first tenth, 10 over the rest,
    as a pen that starts slowly and then speeds up is recorded."""
    x = np.concatenate([np.linspace(0.0, 10.0, 40, endpoint=False), np.linspace(10.0, 100.0, 10)])
    return flatten_strokes([np.stack([x, np.zeros_like(x)], 1)])


def test_sampling_in_time_keeps_recorded_points_evenly_in_their_order() -> None:
    points, offsets = _slow_then_fast()
    q, q_offsets = coarse_trace(points, offsets, 5, by="time")
    assert q_offsets.tolist() == [0, 5]
    assert all(any(np.array_equal(r, p) for p in points) for r in q)  # none interpolated
    np.testing.assert_allclose(q[0], points[0]) and np.testing.assert_allclose(q[-1], points[-1])
    assert (q[:, 0] < 10.0).sum() == 4  # the slow part keeps most points, unlike by arc length
    by_arc, _ = coarse_trace(points, offsets, 5)
    assert (by_arc[:, 0] < 10.0).sum() == 1


def test_sampling_in_time_without_joining_keeps_every_strokes_ends() -> None:
    points, offsets = sample_in_time(*_plus(), 4, join=False)
    assert offsets.tolist()[0] == 0 and len(offsets) == 3
    for a, b in itertools.pairwise(offsets):
        assert b - a >= 2
    np.testing.assert_allclose(points[offsets[1] - 1], [100, 50])
    np.testing.assert_allclose(points[offsets[1]], [50, 0])
    empty = sample_in_time(np.zeros((0, 2), np.float32), np.zeros(1, np.int64), 4)
    assert len(empty[0]) == 0


def test_decimating_keeps_every_kth_point_and_every_strokes_last() -> None:
    points, offsets = decimate_strokes(*_plus(), 10, start=3)
    assert offsets.tolist() == [0, 6, 12]
    np.testing.assert_allclose(points[:6, 0], [6, 26, 46, 66, 86, 100])


def test_coarsening_at_probability_zero_changes_nothing_and_draws_nothing() -> None:
    rng = np.random.default_rng(1)
    before = rng.bit_generator.state
    points, offsets = _plus()
    out, offs = coarsen_randomly(points, offsets, rng, CoarseParams(probability=0.0))
    assert out is points and offs is offsets and rng.bit_generator.state == before


@pytest.mark.parametrize("seed", range(5))
def test_random_coarsening_always_gives_a_valid_coarser_drawing(seed: int) -> None:
    points, offsets = _plus()
    rng = np.random.default_rng(seed)
    for _ in range(40):
        q, offs = coarsen_randomly(points, offsets, rng, CoarseParams(probability=1.0))
        assert offs[0] == 0 and offs[-1] == len(q) and np.all(np.diff(offs) >= 1)
        assert len(q) < len(points) and len(offs) in (2, 3)
        assert render_flat(q, offs).max() == pytest.approx(1.0)


def test_coarsening_acts_on_the_asked_share_of_drawings() -> None:
    points, offsets = _plus()
    params = CoarseParams(probability=0.5, join=1.0, decimate=0.0)
    rng = np.random.default_rng(0)
    joined = sum(len(coarsen_randomly(points, offsets, rng, params)[1]) == 2 for _ in range(400))
    assert 160 < joined < 240


def test_training_augmentation_draws_the_pen_up_moves_of_coarse_drawings() -> None:
    points, offsets = _plus()
    plain = AugmentParams(rotation_deg=3.0, elastic=0.0, shift=0.0, width=(1.0, 1.0))
    coarse = dataclasses.replace(plain, coarse=1.0, coarse_join=1.0)
    rng = np.random.default_rng(0)
    corner = (slice(7, 11), slice(17, 21))  # the empty upper-right quarter of a '+'
    assert (
        max(render_augmented(points, offsets, rng, plain)[corner].mean() for _ in range(10)) < 0.05
    )
    joined = [render_augmented(points, offsets, rng, coarse)[corner].mean() for _ in range(10)]
    assert min(joined) > 0.1


def test_a_coarse_dataset_keeps_labels_writers_and_order() -> None:
    data = synthetic_strokes(12)
    coarse = coarse_dataset(data, 8)
    assert len(coarse) == 12 and coarse.labels.tolist() == data.labels.tolist()
    assert coarse.writers.tolist() == data.writers.tolist()
    for i in range(12):
        points, offsets = coarse.flat(i)
        assert offsets.tolist() == [0, 8]
        np.testing.assert_allclose(points[0], data.flat(i)[0][0], atol=1e-4)


def test_a_coarse_dataset_can_draw_each_drawings_points_from_a_range() -> None:
    data = synthetic_strokes(40)
    coarse = coarse_dataset(data, (4, 6), rng=np.random.default_rng(0))
    counts = {len(coarse.flat(i)[0]) for i in range(len(coarse))}
    assert counts == {4, 5, 6}
    again = coarse_dataset(data, (4, 6), rng=np.random.default_rng(0))
    np.testing.assert_array_equal(again.points, coarse.points)
    with pytest.raises(ValueError, match="positive range"):
        coarse_dataset(data, (6, 4))


def test_a_coarse_dataset_can_sample_each_drawing_either_way() -> None:
    data = synthetic_strokes(40)
    by_arc = coarse_dataset(data, 6, by="arc")
    by_time = coarse_dataset(data, 6, by="time")
    either = coarse_dataset(data, 6, by="either", rng=np.random.default_rng(0))
    same_as = [
        "arc"
        if np.allclose(either.flat(i)[0], by_arc.flat(i)[0])
        else "time"
        if np.allclose(either.flat(i)[0], by_time.flat(i)[0])
        else "neither"
        for i in range(len(data))
    ]
    assert "neither" not in same_as and 10 < same_as.count("time") < 30
