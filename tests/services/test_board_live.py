"""The console board's reads: the fingerprint the live board polls moves exactly when the board
would change, and the page's extras (phones, the authority's name, handover candidates)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete

from beredskab.activations.models import ActionTask, PagePurpose
from beredskab.flows import board, board_page, closing
from beredskab.lifecycle import staff as crisis_staff
from beredskab.outbox import OutboxStatus
from beredskab.roles import Role
from tests.services import rows
from tests.services.conftest import NOW, ROSTER

pytestmark = pytest.mark.db


async def _print(session, activation_id: str) -> tuple:  # noqa: ANN001
    value = await board.fingerprint(session, activation_id)
    await session.commit()  # a read ends its transaction (SQLite's write lock)
    return value


async def test_the_fingerprint_stays_put_until_the_board_changes(staff, session):
    activation = await staff.active()
    first = await _print(session, activation.id)
    assert first and first == await _print(session, activation.id)

    leader = await staff.crisis_staff("leader0")
    await crisis_staff.answer_role_page_via_api(
        session, staff.cfg, activation.id, Role.crisis_leader, leader, accept=True, now=NOW
    )
    answered = await _print(session, activation.id)
    assert answered != first

    page = next(
        p
        for p in await rows.pages(session, activation.id, purpose=PagePurpose.role)
        if p.person_id == "log0"
    )
    [sms] = [m for m in await rows.sms(session) if m.page_id == page.id]
    sms.status, sms.provider_status = OutboxStatus.sent, "sent"
    session.add(sms)
    await session.commit()
    sent = await _print(session, activation.id)
    assert sent != answered
    sms.provider_status = "delivered"  # the gateway's callback: the SMS reached the phone
    session.add(sms)
    await session.commit()
    delivered = await _print(session, activation.id)
    assert delivered != sent

    await closing.stand_down(
        session, staff.cfg, activation.id, staff.steering, reason="", now=NOW + timedelta(hours=1)
    )
    assert await _print(session, activation.id) != delivered


async def test_the_fingerprint_moves_when_the_action_cards_are_written(staff, session):
    """The cards come after the endorsement's commit (and, after a crash, from a worker): an
    open board must show them when they come, not only when a task is ticked."""
    activation = await staff.active()
    before = await _print(session, activation.id)
    await session.exec(delete(ActionTask).where(ActionTask.activation_id == activation.id))
    await session.commit()
    without = await _print(session, activation.id)
    assert without != before


async def test_an_unknown_activation_has_an_empty_fingerprint(session):
    assert await board.fingerprint(session, "nope") == ()


async def test_the_page_extras_phones_name_and_candidates(staff, session):
    activation = await staff.active()
    shown = await board.build(session, staff.cfg.playbook, activation)
    phones = await board_page.phones(session, shown)
    assert phones == {pid: staff.phone(pid) for pid in [r[0] for r in ROSTER.values()]}
    assert await board_page.authority_name(session, activation.authority_id) == "Odder Kommune"
    candidates = await board_page.handover_candidates(session)
    roster = {pid for ranks in ROSTER.values() for pid in ranks}
    assert {c.id for c in candidates} == roster  # not the steering group, not the outsider
    assert [c.name for c in candidates] == sorted(c.name for c in candidates)
