"""Summary figures over a list of numbers: the median, a percentile, a share. Pure.

The percentile is the **nearest-rank** percentile: the smallest value such that at least p % of
the values are at or below it, i.e. the value at rank ceil(p/100 × n) of the sorted values. It is
always a time that really happened ("nine in ten activations had all roles filled within this"),
and it needs no interpolation between two activations. The median is the usual one: the middle
value, or the mean of the two middle values of an even count. Empty input gives None.
"""

from __future__ import annotations

import math
from collections.abc import Iterable


def median(values: Iterable[float]) -> float | None:
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        return None
    middle = n // 2
    if n % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def percentile(values: Iterable[float], p: float) -> float | None:
    """The nearest-rank p-th percentile (0 < p <= 100)."""
    if not 0 < p <= 100:
        raise ValueError("p must lie in (0, 100]")
    ordered = sorted(values)
    if not ordered:
        return None
    rank = math.ceil(p / 100 * len(ordered))
    return ordered[max(rank, 1) - 1]


def share(part: int, whole: int) -> float | None:
    """part / whole as a fraction rounded to 4 places; None when there is nothing to share."""
    if whole <= 0:
        return None
    return round(part / whole, 4)
