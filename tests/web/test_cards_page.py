"""Handlingskort over HTTP: the four cards, a tick logged with who and when, and who may tick."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from beredskab.eventlog.models import LogEntry
from tests.web.activations import endorsed_activation

pytestmark = pytest.mark.db

CRISIS_STAFF = "p009"
STEERING = "p012"
KOBENHAVN = "p073"  # not the activation's authority
ODDER = "p075"


@pytest.fixture
async def active(app, as_person) -> str:
    return await endorsed_activation(app, as_person)


def first_task(page: str) -> int:
    return int(re.search(r'id="opgave-(\d+)"', page)[1])


async def test_the_four_cards_and_a_tick_with_who_and_when(app, as_person, active):
    staff = await as_person(CRISIS_STAFF)
    page = (await staff.client.get(f"/aktivering/{active}/handlingskort")).text
    for role in ("Kriseleder", "Logfører", "Procesansvarlig", "Bemandingsansvarlig"):
        assert f"{role}\n" in page or f"{role} " in page
    assert "0 af 8 klaret" in page
    task = first_task(page)
    done = await staff.post(f"/aktivering/{active}/handlingskort/{task}", {"state": "done"})
    assert done.status_code == 303
    assert done.headers["location"].endswith(f"#opgave-{task}")
    page = (await staff.client.get(f"/aktivering/{active}/handlingskort")).text
    assert "1 af 8 klaret" in page
    assert "Udført af Camilla Sørensen" in page
    async with app.state.sessionmaker() as session:
        logged = (await session.exec(select(LogEntry).where(LogEntry.kind == "action_card"))).one()
    assert logged.actor == "Camilla Sørensen"  # the person, as an SMS from her is named
    assert "punkt 1 udført" in logged.text
    reopened = await staff.post(f"/aktivering/{active}/handlingskort/{task}", {"state": "open"})
    assert reopened.status_code == 303
    assert "0 af 8 klaret" in (await staff.client.get(f"/aktivering/{active}/handlingskort")).text


async def test_not_applicable_is_a_tick_too(as_person, active):
    staff = await as_person(CRISIS_STAFF)
    task = first_task((await staff.client.get(f"/aktivering/{active}/handlingskort")).text)
    await staff.post(f"/aktivering/{active}/handlingskort/{task}", {"state": "not_applicable"})
    page = (await staff.client.get(f"/aktivering/{active}/handlingskort")).text
    assert "Ikke relevant af Camilla Sørensen" in page


async def test_only_the_crisis_staff_ticks(as_person, active):
    steering = await as_person(STEERING)
    page = (await steering.client.get(f"/aktivering/{active}/handlingskort")).text
    assert "Udført</button>" not in page  # read-only for the steering group
    refused = await steering.post(
        f"/aktivering/{active}/handlingskort/{first_task(page)}", {"state": "done"}
    )
    assert refused.status_code == 403
    odder = await as_person(ODDER)
    refused = await odder.post(
        f"/aktivering/{active}/handlingskort/{first_task(page)}", {"state": "done"}
    )
    assert refused.status_code == 403
    assert (
        "0 af 8 klaret" in (await steering.client.get(f"/aktivering/{active}/handlingskort")).text
    )


async def test_another_authority_sees_nothing_and_a_forged_form_changes_nothing(as_person, active):
    other = await as_person(KOBENHAVN)
    hidden = await other.client.get(f"/aktivering/{active}/handlingskort")
    assert hidden.status_code == 404
    staff = await as_person(CRISIS_STAFF)
    task = first_task((await staff.client.get(f"/aktivering/{active}/handlingskort")).text)
    forged = await staff.client.post(
        f"/aktivering/{active}/handlingskort/{task}", data={"state": "done"}
    )
    assert forged.status_code == 403
    assert "0 af 8 klaret" in (await staff.client.get(f"/aktivering/{active}/handlingskort")).text
