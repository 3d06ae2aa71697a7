"""`--expires`: a last valid date, a lifetime or an instant, always in the future."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from beredskab.auth.expiry import parse_expiry
from beredskab.errors import InvalidInput

CPH = ZoneInfo("Europe/Copenhagen")
NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expires"),
    [
        # a date: valid through that Copenhagen day (winter time, UTC+1)
        ("2027-01-31", datetime(2027, 1, 31, 23, 0, tzinfo=UTC)),
        # summer time, UTC+2
        ("2027-06-30", datetime(2027, 6, 30, 22, 0, tzinfo=UTC)),
        ("90d", datetime(2027, 2, 18, 9, 30, tzinfo=UTC)),
        ("12h", datetime(2026, 11, 20, 21, 30, tzinfo=UTC)),
        ("2W", datetime(2026, 12, 4, 9, 30, tzinfo=UTC)),
        ("2027-01-31T08:00:00+00:00", datetime(2027, 1, 31, 8, 0, tzinfo=UTC)),
        ("2027-01-31T08:00", datetime(2027, 1, 31, 7, 0, tzinfo=UTC)),  # local without offset
    ],
)
def test_an_expiry_is_a_date_a_lifetime_or_an_instant(text, expires):
    assert parse_expiry(text, NOW, CPH) == expires


@pytest.mark.parametrize(
    "text", ["2026-11-19", "0d", "yesterday", "90", "d90", "2200-01-01", "999999d", "9999-12-31"]
)
def test_an_expiry_that_is_past_unreadable_or_too_far_is_refused(text):
    with pytest.raises(InvalidInput) as refused:
        parse_expiry(text, NOW, CPH)
    assert refused.value.problems[0].field == "expires"
