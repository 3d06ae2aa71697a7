"""When a paged person is called: the playbook's `call_after_minutes` (default half the page's
timeout) and `call_when` (always, out of hours only, never), against the opening hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from beredskab.activations.voicecalls import call_now
from beredskab.calendar import default_rules
from beredskab.playbook import CallWhen, EndorsementPolicy

RULES = default_rules([])
TUESDAY_NOON = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)  # 12:00 in Copenhagen: open
TUESDAY_NIGHT = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 03:00: closed
SATURDAY_NOON = datetime(2026, 12, 5, 11, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("after", "when", "timeout", "delay"),
    [
        (None, "always", 10, timedelta(minutes=5)),  # half the timeout by default
        (None, "always", 7, timedelta(minutes=3.5)),
        (2, "always", 10, timedelta(minutes=2)),
        (3, "out_of_hours", 10, timedelta(minutes=3)),
        (10, "always", 10, None),  # at the timeout the page escalates instead
        (15, "always", 10, None),
        (None, "never", 10, None),
    ],
)
def test_the_call_falls_due_after_its_minutes_or_never(after, when, timeout, delay):
    policy = EndorsementPolicy(call_after_minutes=after, call_when=when)
    assert policy.call_delay(timeout) == delay


@pytest.mark.parametrize(
    ("when", "at", "called"),
    [
        (CallWhen.always, TUESDAY_NOON, True),
        (CallWhen.always, TUESDAY_NIGHT, True),
        (CallWhen.out_of_hours, TUESDAY_NOON, False),
        (CallWhen.out_of_hours, TUESDAY_NIGHT, True),
        (CallWhen.out_of_hours, SATURDAY_NOON, True),
        (CallWhen.never, TUESDAY_NIGHT, False),
    ],
)
def test_out_of_hours_calls_only_when_the_contact_centre_is_closed(when, at, called):
    assert call_now(when, at, RULES) is called


@pytest.mark.parametrize("bad", [{"call_after_minutes": 0}, {"call_when": "sometimes"}])
def test_a_bad_call_setting_is_refused(bad):
    with pytest.raises(ValidationError):
        EndorsementPolicy(**bad)
