"""The summary figures: median (mean of the middle two for even counts) and the nearest-rank
percentile, checked against values worked out by hand."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from beredskab.figures import median, percentile, share


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], None),
        ([7], 7),
        ([3, 1], 2),
        ([5, 1, 3], 3),
        ([4, 1, 3, 2], 2.5),
        ([10, 10, 10, 40], 10),
        ([1.5, 2.5], 2.0),
    ],
)
def test_median(values, expected):
    assert median(values) == expected


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        ([], 90, None),
        ([7], 90, 7),
        ([7], 1, 7),
        # ten values 1..10: 90 % of them are <= 9, rank ceil(9.0) = 9
        (list(range(1, 11)), 90, 9),
        (list(range(1, 11)), 91, 10),
        (list(range(1, 11)), 100, 10),
        (list(range(1, 11)), 50, 5),
        (list(range(1, 11)), 10, 1),
        (list(range(1, 11)), 10.5, 2),
        # unsorted input; rank ceil(0.9 * 5) = 5
        ([50, 10, 40, 20, 30], 90, 50),
        ([50, 10, 40, 20, 30], 80, 40),
        # 20 values 1..20: rank 18
        (list(range(20, 0, -1)), 90, 18),
    ],
)
def test_nearest_rank_percentile(values, p, expected):
    assert percentile(values, p) == expected


@pytest.mark.parametrize("p", [0, -1, 100.5])
def test_a_percentile_outside_0_to_100_is_refused(p):
    with pytest.raises(ValueError):
        percentile([1, 2], p)


@given(st.lists(st.integers(-1000, 1000), min_size=1), st.floats(0.01, 100))
def test_at_least_p_percent_lie_at_or_below_the_percentile(values, p):
    found = percentile(values, p)
    assert found in values
    at_or_below = sum(v <= found for v in values)
    below = sum(v < found for v in values)
    assert at_or_below >= p / 100 * len(values) - 1e-9
    assert below < p / 100 * len(values) + 1e-9  # and it is the smallest such value


@pytest.mark.parametrize(
    ("part", "whole", "expected"), [(0, 0, None), (1, 3, 0.3333), (3, 4, 0.75), (0, 5, 0.0)]
)
def test_share(part, whole, expected):
    assert share(part, whole) == expected
