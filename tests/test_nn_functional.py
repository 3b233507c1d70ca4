"""The array helpers of ``nn.functional`` that the layers build on."""

from __future__ import annotations

import numpy as np
import pytest

from ocrpad.nn import functional
from ocrpad.nn.functional import relu_into


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size", [1, 7, functional.ZERO_RUN, 2 * functional.ZERO_RUN + 3])
def test_relu_into_matches_the_maximum_with_zero_across_runs(dtype: type, size: int) -> None:
    x = np.random.default_rng(size).standard_normal(size).astype(dtype)
    x[:: max(1, size // 5)] = -0.0
    if size > 2:
        x[1], x[2] = np.nan, -np.inf
    out = np.full_like(x, 5.0)
    relu_into(x, out)
    np.testing.assert_array_equal(out, np.maximum(x, 0))


def test_relu_into_works_in_place_on_a_contiguous_slice_of_a_batch() -> None:
    y = np.random.default_rng(1).standard_normal((6, 5, 5, 3)).astype(np.float32)
    expected = np.maximum(y, 0)
    expected[:2] = y[:2]
    expected[5:] = y[5:]
    relu_into(y[2:5], y[2:5])
    np.testing.assert_array_equal(y, expected)


def test_relu_into_takes_strided_views_too() -> None:
    x = np.random.default_rng(2).standard_normal((8, 9)).astype(np.float32)
    out = np.zeros((9, 8), np.float32)
    relu_into(x.T, out)
    np.testing.assert_array_equal(out, np.maximum(x.T, 0))


def test_relu_into_refuses_mismatched_arrays_by_saying_what_they_are() -> None:
    with pytest.raises(ValueError, match=r"\(3,\) float32 and \(4,\) float32"):
        relu_into(np.zeros(3, np.float32), np.zeros(4, np.float32))
