"""The stroke → 28×28 pipeline: invariances, degenerate drawings and clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from ocrpad.preprocess import (
    EmptyDrawingError,
    RenderParams,
    flatten_strokes,
    render_batch,
    render_params_of,
    render_strokes,
)
from ocrpad.reading.geometry import size_of


def _letter_a() -> list[np.ndarray]:
    t = np.linspace(0, 2 * np.pi, 40)
    bowl = np.stack([3 + 2.5 * np.cos(t), 5 + 3 * np.sin(t)], axis=1)
    stem = np.array([[5.5, 2.0], [5.5, 8.0], [6.0, 8.5]])
    return [bowl, stem]


def test_render_returns_28x28_float32_in_unit_range_with_peak_one() -> None:
    image = render_strokes(_letter_a())
    assert image.shape == (28, 28)
    assert image.dtype == np.float32
    assert image.min() >= 0.0
    assert image.max() == pytest.approx(1.0)


def test_moving_and_scaling_a_drawing_gives_the_same_input() -> None:
    base = render_strokes(_letter_a())
    for scale, offset in [(5 / 6.5, (0, 0)), (5000 / 6.5, (1e4, -3e3)), (1.0, (-7.5, 400.0))]:
        moved = render_strokes([s * scale + np.array(offset) for s in _letter_a()])
        np.testing.assert_allclose(moved, base, atol=0.02)


@pytest.mark.parametrize("unit", [1e-9, 1e-12, 1e9])
def test_a_drawing_in_tiny_or_huge_units_is_the_same_drawing_not_a_dot(unit: float) -> None:
    """A dot was anything under a millionth of a unit: a letter in units of 1e-8 read as '.'."""
    base = render_strokes(_letter_a())
    np.testing.assert_allclose(render_strokes([s * unit for s in _letter_a()]), base, atol=0.02)
    tiny = size_of([s * unit for s in _letter_a()])
    assert tiny is not None and size_of(_letter_a()) is not None
    assert tiny.log_height == pytest.approx(size_of(_letter_a()).log_height + np.log(unit))


def test_a_single_point_renders_a_small_centred_dot() -> None:
    image = render_strokes([np.array([[123.0, 45.0]])])
    assert image.max() == pytest.approx(1.0)
    ys, xs = np.nonzero(image > 0.5)
    assert 12 <= ys.mean() <= 15 and 12 <= xs.mean() <= 15
    assert (image > 0.1).sum() < 30


def test_repeated_points_are_the_same_as_one_dot() -> None:
    dot = render_strokes([np.array([[1.0, 1.0]])])
    repeated = render_strokes([np.full((50, 2), 7.0), np.full((3, 2), 7.0)])
    np.testing.assert_allclose(repeated, dot, atol=1e-6)


@pytest.mark.parametrize(
    ("stroke", "thin_axis"),
    [
        (np.array([[0.0, 0.0], [0.0, 10.0]]), 1),  # "l" / "1": thin across columns
        (np.array([[0.0, 0.0], [10.0, 0.0]]), 0),  # "-": thin across rows
    ],
)
def test_a_straight_line_stays_thin_and_spans_the_box(stroke: np.ndarray, thin_axis: int) -> None:
    image = render_strokes([stroke])
    ink = image > 0.5
    thickness = int(ink.any(axis=1 - thin_axis).sum())
    length = int(ink.any(axis=thin_axis).sum())
    assert thickness <= 4
    assert length >= 20


def test_a_diagonal_line_is_not_a_slab() -> None:
    image = render_strokes([np.array([[0.0, 10.0], [10.0, 0.0]])])
    assert (image > 0.5).sum() < 28 * 5


def test_very_many_points_render_like_few() -> None:
    t = np.linspace(0, 1, 200_000)
    dense = np.stack([t, t**2], axis=1)
    sparse = dense[::100]  # 2,000 points
    np.testing.assert_allclose(render_strokes([dense]), render_strokes([sparse]), atol=0.05)


@pytest.mark.parametrize("strokes", [[], [np.zeros((0, 2))], [np.zeros((0, 2)), []]])
def test_empty_drawings_raise_a_clear_error(strokes: list[np.ndarray]) -> None:
    with pytest.raises(EmptyDrawingError, match="empty"):
        render_strokes(strokes)


def test_non_finite_points_raise_a_value_error() -> None:
    with pytest.raises(ValueError, match="non-finite"):
        render_strokes([np.array([[0.0, 0.0], [np.nan, 1.0]])])


@pytest.mark.parametrize(
    ("stroke", "message"),
    [
        (np.zeros((5, 3)), r"stroke 1 has shape \(5, 3\); a stroke is \(k, 2\)"),
        (np.arange(10.0).reshape(2, 5), r"stroke 1 has shape \(2, 5\)"),
        (np.zeros((2, 2, 2)), r"stroke 1 has shape \(2, 2, 2\)"),
        ([["a", "b"]], "stroke 1 is not an array of numbers"),
    ],
)
def test_a_malformed_stroke_is_named_not_reshaped(stroke: object, message: str) -> None:
    """A (2, k) or (k, 3) stroke is refused, not read as some other drawing's points."""
    with pytest.raises(ValueError, match=message):
        render_strokes([np.array([[0.0, 0.0], [1.0, 1.0]]), stroke])


def test_a_lone_point_may_be_given_as_a_pair() -> None:
    a = [np.array([[0.0, 0.0], [10.0, 10.0]])]
    np.testing.assert_array_equal(
        render_strokes([*a, [10.0, 0.0]]), render_strokes([*a, np.array([[10.0, 0.0]])])
    )


def test_coordinates_beyond_float32_are_named_as_out_of_range_not_non_finite() -> None:
    with pytest.raises(ValueError, match=r"beyond ±1e\+30: 1e\+38 is out of range"):
        render_strokes([np.array([[0.0, 0.0], [1e38, 1.0]])])
    huge = render_strokes([np.array([[0.0, 0.0], [1e30, 1e30]])])  # the largest allowed
    np.testing.assert_array_equal(huge, render_strokes([np.array([[0.0, 0.0], [1.0, 1.0]])]))


def test_empty_strokes_between_real_ones_are_ignored() -> None:
    a = _letter_a()
    with_gap = [a[0], np.zeros((0, 2)), a[1]]
    np.testing.assert_allclose(render_strokes(with_gap), render_strokes(a), atol=1e-6)


def test_mass_centring_moves_the_ink_centroid_towards_the_centre_without_cutting() -> None:
    # A "b"-like shape whose mass sits low: box and mass centring differ.
    t = np.linspace(0, 2 * np.pi, 60)
    bowl = np.stack([2 + 2 * np.cos(t), 8 + 2 * np.sin(t)], 1)
    strokes = [np.array([[0.0, 0.0], [0.0, 10.0]]), bowl]
    ys, xs = np.mgrid[0:28, 0:28]

    def centroid_offset(image: np.ndarray) -> float:
        cy = (image * ys).sum() / image.sum()
        cx = (image * xs).sum() / image.sum()
        return float(np.hypot(cy - 13.5, cx - 13.5))

    by_mass = render_strokes(strokes, RenderParams(center="mass"))
    by_box = render_strokes(strokes, RenderParams(center="box"))
    assert centroid_offset(by_mass) < centroid_offset(by_box) - 0.5
    border = np.concatenate([by_mass[0], by_mass[-1], by_mass[:, 0], by_mass[:, -1]])
    assert border.max() < 0.1  # only faint blur reaches the edge, no stroke is cut


def test_render_params_round_trip_through_a_dict() -> None:
    params = RenderParams(box=20.0, center="mass")
    assert RenderParams.from_dict(params.to_dict()) == params
    with pytest.raises(ValueError, match="unknown"):
        RenderParams.from_dict({"bogus": 1})


def test_a_model_is_fed_with_the_render_parameters_its_file_records() -> None:
    recorded = RenderParams(box=22.0, stroke_width=3.0, center="box")
    assert render_params_of({"render": recorded.to_dict()}) == recorded
    assert render_params_of({}) == RenderParams()
    with pytest.raises(ValueError, match="unknown"):
        render_params_of({"render": {"box": 20.0, "pen": 2}})


def test_render_batch_matches_single_renders() -> None:
    strokes = _letter_a()
    points, offsets = flatten_strokes([*strokes, strokes[1]])
    sample_offsets = np.array([0, 2, 3], dtype=np.int64)  # sample 1 = the stem alone
    batch = render_batch(points, offsets, sample_offsets, [1, 0])
    np.testing.assert_allclose(batch[1], render_strokes(strokes), atol=1e-6)
    np.testing.assert_allclose(batch[0], render_strokes([strokes[1]]), atol=1e-6)
