"""The whole path through the real twilio SDK against a Twilio-compatible mock on loopback."""

from __future__ import annotations

import pytest

from tests.scenario import ROSTER, open_world
from tests.twilio_mock import TwilioMock

PRIMARIES = [ranks[0] for ranks in ROSTER.values()]


@pytest.fixture
def twilio():
    with TwilioMock() as mock:
        yield mock


async def test_pages_leave_through_the_sdk_with_to_body_and_status_callback(db, twilio):
    overrides = {
        "sms_gateway": "twilio",
        "twilio_account_sid": twilio.account_sid,
        "twilio_auth_token": twilio.auth_token,
        "twilio_messaging_service_sid": "MG" + "1" * 32,
        "twilio_api_base_url": twilio.base_url,
    }
    async with await open_world(db, overrides, fake_sms=False) as world:
        await world.activate("steering")
        await world.runtime.dispatcher.drain()
    pages = [m for m in twilio.messages if m["To"] != "+4520123456"]  # the authority is told too
    by_to = {m["To"]: m for m in pages}
    assert set(by_to) == {world.people[p].phone for p in PRIMARIES}
    for msg in pages:
        assert msg["StatusCallback"] == "http://testserver/webhooks/twilio/status"
        assert msg["MessagingServiceSid"] == "MG" + "1" * 32
        assert "OK" in msg["Body"] and "NEJ" in msg["Body"]
        assert msg.get("ValidityPeriod")
