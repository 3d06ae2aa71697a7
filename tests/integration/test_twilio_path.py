"""The whole path through the real twilio SDK against a Twilio-compatible mock on loopback."""

from __future__ import annotations

import pytest
from sqlmodel import select

from beredskab.activations.models import Page
from beredskab.directory.models import Person
from beredskab.eventlog.models import LogEntry
from tests.scenario import ROSTER, open_world
from tests.twilio_mock import TwilioMock

PRIMARIES = [ranks[0] for ranks in ROSTER.values()]


@pytest.fixture
def twilio():
    with TwilioMock() as mock:
        yield mock


def _through(twilio: TwilioMock) -> dict:
    """The settings that send through the SDK to the mock."""
    return {
        "sms_gateway": "twilio",
        "twilio_account_sid": twilio.account_sid,
        "twilio_auth_token": twilio.auth_token,
        "twilio_messaging_service_sid": "MG" + "1" * 32,
        "twilio_api_base_url": twilio.base_url,
    }


async def test_pages_leave_through_the_sdk_with_to_body_and_status_callback(db, twilio):
    overrides = _through(twilio)
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


async def test_a_number_twilio_refuses_for_good_is_marked_and_then_skipped(db, twilio):
    """#15.2 through the SDK: 21610 (the owner sent STOP) marks staff0's number unreachable; the
    call-out moves on at once, and the next activation pages staff1 first and logs why."""
    overrides = _through(twilio)
    async with await open_world(db, overrides, fake_sms=False) as world:
        staff0 = world.people["staff0"].phone
        twilio.fail_number(staff0, 21610)
        await world.activate("steering")
        await world.runtime.dispatcher.drain()
        async with db.sessionmaker() as session:
            person = await session.get(Person, "staff0")
            assert person.phone_unreachable_at is not None
            assert person.phone_unreachable_reason == (
                "modtageren har frabedt sig SMS (STOP) (fejl 21610)"
            )
        second = await world.activate("steering", title="Anden hændelse")
        async with db.sessionmaker() as session:
            pages = (
                await session.exec(
                    select(Page).where(
                        Page.activation_id == second["id"], Page.role == "staffing_lead"
                    )
                )
            ).all()
            log = (
                await session.exec(select(LogEntry).where(LogEntry.activation_id == second["id"]))
            ).all()
        assert [p.person_id for p in pages] == ["staff1"]
        [skip] = [e for e in log if e.kind == "page_skipped"]
        assert skip.data["person_id"] == "staff0" and "kan ikke nås" in skip.text
