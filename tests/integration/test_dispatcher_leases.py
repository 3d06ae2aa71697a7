"""Two dispatchers and a slow provider (#13.1): a claimed batch outlives its lease while it waits
its turn to be sent; another worker then takes the rows not yet sent. Each row is leased again
at the moment of its send, and every write after a send is fenced on the claim, so no SMS leaves
twice and none is lost."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlmodel import select

from beredskab.outbox import OutboxMessage, OutboxStatus, enqueue_sms
from beredskab.runtime import Runtime
from tests.conftest import make_settings
from tests.twilio_mock import TwilioMock

pytestmark = pytest.mark.db

N = 20
LEASE_S = 2.0
DELAY_S = 0.6  # 20 rows, 4 at a time: 5 waves x 0.6 s = 3 s, longer than the 2 s lease


@pytest.fixture
def twilio():
    with TwilioMock() as mock:
        yield mock


def _runtime(db, twilio) -> Runtime:
    settings = make_settings(
        db,
        sms_gateway="twilio",
        twilio_account_sid=twilio.account_sid,
        twilio_auth_token=twilio.auth_token,
        twilio_from="+4570000000",
        twilio_api_base_url=twilio.base_url,
        outbox_lease_seconds=LEASE_S,
        sms_rate_per_second=1000,
    )
    return Runtime(settings)


async def test_a_slow_provider_and_two_workers_send_every_sms_once(db, twilio):
    async with db.sessionmaker() as s:
        for n in range(N):
            enqueue_sms(s, f"+45204{n:05d}", f"Besked {n}")
        await s.commit()
    twilio.delay_s = DELAY_S
    first, second = _runtime(db, twilio), _runtime(db, twilio)
    try:

        async def late() -> int:
            await asyncio.sleep(LEASE_S + 0.3)  # the first's waiting rows have lost their lease
            return await second.dispatcher.drain()

        await asyncio.gather(first.dispatcher.drain(), late())
        await first.dispatcher.drain()  # anything left over (nothing should be)
    finally:
        await first.aclose()
        await second.aclose()
    copies = Counter(m["To"] for m in twilio.messages)
    assert len(copies) == N, f"lost: {N - len(copies)}"
    assert max(copies.values()) == 1, f"sent twice: {[t for t, c in copies.items() if c > 1]}"
    async with db.sessionmaker() as s:
        rows = (await s.exec(select(OutboxMessage))).all()
    assert {r.status for r in rows} == {OutboxStatus.sent}
    assert len({r.provider_id for r in rows}) == N
