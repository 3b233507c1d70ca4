"""A map said in words: where it is strongest, how much of it is active, and its number."""

from __future__ import annotations

import numpy as np
import pytest

from ocrpad.app.draw.map_words import map_summary, map_words, place


def test_a_cell_is_placed_in_one_of_nine_parts_of_its_map() -> None:
    corners = [place(r, c, (9, 9)) for r, c in ((0, 0), (0, 8), (8, 0), (8, 8))]
    assert corners == ["top left", "top right", "bottom left", "bottom right"]
    assert [place(4, 4, (9, 9)), place(0, 4, (9, 9)), place(4, 8, (9, 9))] == [
        "the middle",
        "top",
        "right",
    ]
    assert place(0, 0, (1, 1)) == "top left"  # a 1×1 map still has a place


def test_a_map_says_where_it_is_strongest_and_what_share_of_it_is_active() -> None:
    values = np.full((10, 10), -1.0, np.float32)
    values[:2, :] = 0.5  # 20 of 100 cells active
    values[1, 0] = 2.25
    assert map_summary(values) == "strongest at top left (2.25), 20% of cells active"
    values[:] = -1.0
    values[9, 5] = -0.5
    assert map_summary(values) == "no cell active; least negative at bottom (−0.5)"
    values[:] = 0.0
    assert map_summary(values) == "flat: every cell is 0"
    values[0, 0] = 1.0
    assert map_summary(values) == "strongest at top left (1), 1% of cells active"
    big = np.zeros((300, 300))
    big[150, 150] = 3.0
    assert map_summary(big).endswith("under 1% of cells active")


def test_a_map_is_numbered_as_a_person_counts_in_its_layer() -> None:
    values = np.zeros((4, 4))
    values[3, 3] = 1.5
    assert map_words(values, 2, 8, "conv2") == (
        "map 3 of 8 of conv2: strongest at bottom right (1.5), 6% of cells active"
    )
    assert map_words(values, 0, 4, "conv1 learned filters", "filter").startswith("filter 1 of 4")


@pytest.mark.parametrize("shape", [(3,), (0, 4), (2, 3, 4)])
def test_anything_but_a_map_of_cells_is_refused_with_its_shape(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match=r"\(H, W\)"):
        map_summary(np.zeros(shape))


def test_a_map_with_values_that_are_not_numbers_says_so() -> None:
    assert map_summary(np.array([[1.0, np.nan]])) == "some values are not numbers"
