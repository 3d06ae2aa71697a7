"""Delivery reports arrive out of order; they are applied by their place in Twilio's message life
cycle (queued < sending < sent < delivered/undelivered/failed), not by arrival (#13.6)."""

from __future__ import annotations

import pytest
from sqlmodel import select
from twilio.request_validator import RequestValidator

from beredskab.activations.models import Page, PageState
from beredskab.outbox import OutboxMessage
from tests.scenario import AUTH_TOKEN, open_world

pytestmark = pytest.mark.db


@pytest.fixture
async def world(db):
    async with await open_world(db) as w:
        yield w


async def _status(world, sid: str, status: str, error: str | None = None) -> None:
    params = {"MessageSid": sid, "MessageStatus": status}
    if error:
        params["ErrorCode"] = error
    url = "http://testserver/webhooks/twilio/status"
    sig = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
    r = await world.client.post(
        "/webhooks/twilio/status", data=params, headers={"X-Twilio-Signature": sig}
    )
    assert r.status_code == 204


async def _row(db, sid: str) -> OutboxMessage:
    async with db.sessionmaker() as s:
        return (await s.exec(select(OutboxMessage).where(OutboxMessage.provider_id == sid))).one()


async def _first_page_sid(world) -> str:
    await world.activate("steering")
    await world.drain()
    return next(m.provider_id for m in world.gateway.sent if m.to == world.people["staff0"].phone)


async def test_a_late_sent_does_not_overwrite_delivered(world, db):
    sid = await _first_page_sid(world)
    for status in ("queued", "delivered", "sent", "sending", "queued"):
        await _status(world, sid, status)
    assert (await _row(db, sid)).provider_status == "delivered"


async def test_a_late_failure_after_delivered_neither_overwrites_it_nor_escalates(world, db):
    sid = await _first_page_sid(world)
    await _status(world, sid, "delivered")
    await _status(world, sid, "undelivered", "30003")
    assert (await _row(db, sid)).provider_status == "delivered"
    assert world.people["staff1"].phone not in {m.to for m in await world.drain()}
    async with db.sessionmaker() as s:
        page = (await s.exec(select(Page).where(Page.person_id == "staff0"))).one()
    assert page.state == PageState.open


async def test_statuses_in_order_move_forward_and_a_failure_escalates(world, db):
    sid = await _first_page_sid(world)
    await _status(world, sid, "sent")
    assert (await _row(db, sid)).provider_status == "sent"
    await _status(world, sid, "failed", "30006")
    row = await _row(db, sid)
    assert row.provider_status == "failed" and "30006" in (row.last_error or "")
    assert world.people["staff1"].phone in {m.to for m in await world.drain()}


async def test_reports_racing_each_other_end_on_the_latest_state(world, db):
    import asyncio

    sid = await _first_page_sid(world)
    await asyncio.gather(*(_status(world, sid, s) for s in ("sent", "delivered", "sent", "queued")))
    assert (await _row(db, sid)).provider_status == "delivered"
