"""The municipalities' side of the SMS conversation in benchmarks: the code in a volunteer page,
a contact's reply as Twilio posts it, and waiting on what the Twilio mock has accepted."""

from __future__ import annotations

import re
import time

from bench.common import sms_reply
from tests.twilio_mock import TwilioMock

CODE = re.compile(r"Svar JA (\d{4})")


def wait_for(
    mock: TwilioMock, count: int, what: str, *, since: int = 0, timeout: float = 60
) -> list[dict]:
    """The first `count` pages ("Svar JA <kode>") the mock accepted after message `since`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in list(mock.messages)[since:] if CODE.search(m["Body"])]
        if len(found) >= count:
            return found[:count]
        time.sleep(0.01)
    raise RuntimeError(f"only {len(found)} of {count} {what} after {timeout:.0f} s")


def quiet(mock: TwilioMock, seconds: float = 1.5) -> int:
    """Wait until nothing has been sent for `seconds` (the token bucket is full again)."""
    seen = -1
    while seen != len(mock.messages):
        seen = len(mock.messages)
        time.sleep(seconds)
    return seen


def reply(page: dict, account_sid: str, agents: int = 1) -> dict:
    """The form Twilio posts when the page's recipient answers "JA <kode> <agents>"."""
    return sms_reply(page, account_sid, f"JA {CODE.search(page['Body']).group(1)} {agents}")
