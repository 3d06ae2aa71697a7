"""Danish words for spans and ages on the pages."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from beredskab.danish import age, day, duration

NOW = datetime(2025, 3, 4, 14, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("ago", "said"),
    [
        (timedelta(hours=2, minutes=5), "for 2 t 5 min siden"),
        (timedelta(minutes=45, seconds=59), "for 45 min siden"),
        (timedelta(hours=26), "for 26 t siden"),
        (timedelta(seconds=59), "lige nu"),
        (timedelta(minutes=-3), "lige nu"),  # a clock a little ahead is not the future
    ],
)
def test_age_says_how_long_ago_in_danish(ago, said):
    assert age(NOW - ago, NOW) == said


def test_duration_in_hours_and_minutes():
    assert duration(150) == "2 t 30 min"
    assert duration(60) == "1 t"
    assert duration(-5) == "0 min"


@pytest.mark.parametrize(
    ("day_", "said"),
    [(date(2026, 3, 1), "1. marts 2026"), (date(2026, 12, 31), "31. december 2026")],
)
def test_a_date_as_a_danish_document_writes_it(day_, said):
    assert day(day_) == said
