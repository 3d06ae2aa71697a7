"""Delivery, called directly: a provider's report is stored on its outbox row, and a page that
cannot reach its person (a failed report, or the dispatcher giving up) moves the call-out on."""

from __future__ import annotations

import pytest

from beredskab.activations.models import PageState
from beredskab.flows.delivery import page_undeliverable, record_delivery_status
from beredskab.lifecycle import staff as crisis_staff
from beredskab.roles import Role
from tests.services import rows
from tests.services.conftest import NOW

pytestmark = pytest.mark.db


async def _sent_page_sms(staff, session, pid: str):
    """The page's SMS as the dispatcher leaves it: sent, with the provider's id."""
    [message] = [m for m in await rows.sms(session, to=staff.phone(pid)) if m.page_id]
    message.provider_id = f"SM-{pid}"
    session.add(message)
    await session.commit()
    return message


def _trail(pages) -> list[tuple[str, str]]:
    return [(p.person_id, p.state) for p in pages]


@pytest.mark.parametrize("status", ["undelivered", "failed"])
async def test_a_failed_report_on_a_page_pages_the_next_rank_at_once(staff, session, status):
    activation = await staff.active()
    await _sent_page_sms(staff, session, "staff0")
    found = await record_delivery_status(
        session, staff.cfg, provider_id="SM-staff0", status=status, error_code="30003", now=NOW
    )
    assert found
    assert _trail(await rows.pages(session, activation.id, role="staffing_lead")) == [
        ("staff0", PageState.failed),
        ("staff1", PageState.open),
    ]
    assert len(await rows.texts_to(session, staff.phone("staff1"))) == 1
    [message] = [m for m in await rows.sms(session, to=staff.phone("staff0")) if m.page_id]
    assert message.provider_status == status
    assert message.last_error == f"delivery {status}: 30003"
    failed = [e for e in await rows.log(session, activation.id) if e.kind == "page_failed"]
    assert failed and "fejl 30003" in failed[0].text


@pytest.mark.parametrize("status", ["queued", "sent", "delivered"])
async def test_a_good_report_is_stored_and_moves_nothing(staff, session, status):
    activation = await staff.active()
    await _sent_page_sms(staff, session, "staff0")
    await record_delivery_status(
        session, staff.cfg, provider_id="SM-staff0", status=status, error_code=None, now=NOW
    )
    assert _trail(await rows.pages(session, activation.id, role="staffing_lead")) == [
        ("staff0", PageState.open)
    ]
    [message] = [m for m in await rows.sms(session, to=staff.phone("staff0")) if m.page_id]
    assert (message.provider_status, message.last_error) == (status, None)


async def test_a_report_for_an_sms_we_do_not_know_is_ignored(staff, session):
    found = await record_delivery_status(
        session, staff.cfg, provider_id="SMnobody", status="failed", error_code=None, now=NOW
    )
    assert not found and await rows.sms(session) == []


async def test_a_failed_report_on_an_answered_page_changes_nothing(staff, session):
    activation = await staff.active()
    await _sent_page_sms(staff, session, "log0")
    await crisis_staff.answer_role_page_via_api(
        session,
        staff.cfg,
        activation.id,
        Role.log_keeper,
        await staff.crisis_staff("log0"),
        accept=True,
        now=NOW,
    )
    await record_delivery_status(
        session, staff.cfg, provider_id="SM-log0", status="undelivered", error_code=None, now=NOW
    )
    assert _trail(await rows.pages(session, activation.id, role="log_keeper")) == [
        ("log0", PageState.acked)
    ]
    assert "page_failed" not in await rows.log_kinds(session, activation.id)


async def test_the_dispatcher_giving_up_on_a_page_escalates_like_a_failed_report(staff, session):
    activation = await staff.active()
    [page] = await rows.pages(session, activation.id, person_id="proc0")
    await page_undeliverable(
        session,
        staff.cfg,
        page_id=page.id,
        activation_id=activation.id,
        reason="unsubscribed",
        now=NOW,
    )
    assert _trail(await rows.pages(session, activation.id, role="process_lead")) == [
        ("proc0", PageState.failed),
        ("proc1", PageState.open),
    ]
    entry = next(e for e in await rows.log(session, activation.id) if e.kind == "page_failed")
    assert entry.data == {"page_id": page.id, "role": "process_lead", "reason": "unsubscribed"}
