"""Sign-in rules: code lifetime, attempts, rate limits and session expiry, as tables."""

from datetime import UTC, datetime, timedelta

import pytest

from beredskab.auth.login_rules import (
    CodeState,
    code_digest,
    code_usable,
    digest,
    may_issue,
    new_code,
    session_alive,
)

T0 = datetime(2026, 12, 4, 14, 5, tzinfo=UTC)
M = timedelta(minutes=1)


@pytest.mark.parametrize(
    ("code", "now", "usable"),
    [
        (CodeState(T0, 0), T0, True),
        (CodeState(T0, 0), T0 + 4 * M + timedelta(seconds=59), True),
        (CodeState(T0, 0), T0 + 5 * M, False),
        (CodeState(T0, 4), T0 + M, True),
        (CodeState(T0, 5), T0 + M, False),
        (CodeState(T0, 0, used=True), T0 + M, False),
    ],
)
def test_code_usable(code, now, usable):
    assert code_usable(code, now) is usable


@pytest.mark.parametrize(
    ("phone_times", "client_times", "allowed"),
    [
        ([], [], True),
        ([T0, T0], [], True),
        ([T0, T0, T0], [], False),
        ([T0 - 15 * M, T0 - 15 * M, T0 - 15 * M], [], True),
        ([], [T0] * 59, True),
        ([], [T0] * 60, False),
        ([], [T0 - 16 * M] * 60, True),
    ],
)
def test_may_issue(phone_times, client_times, allowed):
    assert may_issue(phone_times, client_times, T0) is allowed


H = timedelta(hours=1)


@pytest.mark.parametrize(
    ("started", "last_seen", "now", "alive"),
    [
        (T0, T0, T0 + H, True),
        (T0, T0, T0 + 2 * H, False),
        (T0, T0 + 11 * H, T0 + 11 * H + M, True),
        (T0, T0 + 11 * H + 59 * M, T0 + 12 * H, False),
    ],
)
def test_session_alive(started, last_seen, now, alive):
    assert session_alive(started, last_seen, now) is alive


def test_codes_are_six_digits_and_stored_hashed():
    codes = {new_code() for _ in range(200)}
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert digest("123456") != "123456" and len(digest("123456")) == 64


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (("+4520123456", "123456"), ("+4520123456", "123456"), True),
        (("+4520123456", "123456"), ("+4520123457", "123456"), False),
        (("+4520123456", "123456"), ("+4520123456", "123457"), False),
    ],
)
def test_a_code_is_hashed_with_its_number(a, b, same):
    assert (code_digest(*a) == code_digest(*b)) is same
    assert a[1] not in code_digest(*a)
