"""The whole path through the real twilio SDK against a Twilio-compatible mock on loopback."""

from __future__ import annotations

import pytest

from tests.scenario import ROSTER
from tests.twilio_mock import TwilioMock

PRIMARIES = [ranks[0] for ranks in ROSTER.values()]


@pytest.fixture
def twilio():
    with TwilioMock() as mock:
        yield mock


async def test_pages_leave_through_the_sdk_with_to_body_and_status_callback(db, twilio):
    from tests.scenario import World, open_world  # noqa: F401

    overrides = {
        "sms_gateway": "twilio",
        "twilio_account_sid": twilio.account_sid,
        "twilio_auth_token": twilio.auth_token,
        "twilio_messaging_service_sid": "MG" + "1" * 32,
        "twilio_api_base_url": twilio.base_url,
    }
    async with await _world_with_real_gateway(db, overrides) as world:
        await world.activate("steering")
        await world.runtime.dispatcher.drain()
    by_to = {m["To"]: m for m in twilio.messages}
    assert set(by_to) == {world.people[p].phone for p in PRIMARIES}
    for msg in twilio.messages:
        assert msg["StatusCallback"] == "http://testserver/webhooks/twilio/status"
        assert msg["MessagingServiceSid"] == "MG" + "1" * 32
        assert "OK" in msg["Body"] and "NEJ" in msg["Body"]
        assert msg.get("ValidityPeriod")


async def _world_with_real_gateway(db, overrides):
    """Like open_world, but the app builds its gateway from settings (the Twilio SDK)."""
    from contextlib import asynccontextmanager

    import httpx
    from asgi_lifespan import LifespanManager

    from api.app import create_app
    from beredskab.auth.models import TokenRole
    from tests.conftest import make_settings
    from tests.factories import make_token
    from tests.scenario import World, seed_directory

    @asynccontextmanager
    async def _cm():
        async with db.sessionmaker() as session:
            people = await seed_directory(session)
            tokens = {
                "steering": await make_token(session, TokenRole.steering, person_id="steer0"),
                "admin": await make_token(session, TokenRole.admin),
            }
        app = create_app(make_settings(db, **overrides))
        async with LifespanManager(app) as manager:
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                yield World(app=app, client=c, gateway=None, people=people, tokens=tokens)

    return _cm()
