"""Vagter over HTTP: requesting with the split shown first, approving, the municipalities'
answers, cancelling, the calendar file; who may do what, and bad input refused in Danish."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import func, select

from beredskab.flows.inbound import handle_inbound_sms
from beredskab.metadata import utcnow
from beredskab.phones import normalise_phone
from beredskab.shifts.models import Shift
from tests.web.activations import endorsed_activation

pytestmark = pytest.mark.db

CPH = ZoneInfo("Europe/Copenhagen")
STAFFING_LEAD = "p009"  # on the staffing lead's roster: crisis_staff
STEERING = "p012"
ODDER = "p075"  # the activation's authority
KOBENHAVN = "p073"  # another authority
FINANCE = "p076"
JAMMERBUGT = "p021"  # a contact-centre municipality's primary contact


def night(hour_from: int = 2, hour_to: int = 6) -> tuple[str, str]:
    """Tomorrow 02:00-06:00 Copenhagen time, as a datetime-local field holds it: closed hours."""
    tomorrow = (utcnow().astimezone(CPH) + timedelta(days=1)).date()
    start = datetime(tomorrow.year, tomorrow.month, tomorrow.day, hour_from)
    end = datetime(tomorrow.year, tomorrow.month, tomorrow.day, hour_to)
    return start.strftime("%Y-%m-%dT%H:%M"), end.strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
async def active(app, as_person) -> str:
    return await endorsed_activation(app, as_person)


async def shift_count(app) -> int:  # noqa: ANN001
    async with app.state.sessionmaker() as session:
        return (await session.exec(select(func.count()).select_from(Shift))).one()


async def request_night_shift(me, activation_id: str, agents: int = 2) -> int:  # noqa: ANN001
    start, end = night()
    made = await me.post(
        f"/aktivering/{activation_id}/vagter",
        {"start": start, "end": end, "agents_needed": str(agents)},
    )
    assert made.status_code == 303, made.text
    return int(made.headers["location"].rsplit("#vagt-", 1)[1])


async def test_the_split_is_shown_before_the_request_is_sent(as_person, active):
    lead = await as_person(STAFFING_LEAD)
    start, end = night()
    shown = await lead.client.get(
        f"/aktivering/{active}/vagter/fordeling",
        params={"start": start, "end": end, "agents_needed": "2"},
        headers={"HX-Request": "true"},
    )
    assert shown.status_code == 200
    assert "0 min inden for åbningstid" in shown.text
    assert "4 t uden for åbningstid" in shown.text
    assert "Kræver styregruppens godkendelse" in shown.text
    backwards = await lead.client.get(
        f"/aktivering/{active}/vagter/fordeling",
        params={"start": end, "end": start, "agents_needed": "2"},
    )
    assert "Slut: Slut skal ligge efter start." in backwards.text


async def test_the_staffing_lead_requests_a_night_shift_and_the_steering_group_approves(
    app, as_person, active
):
    lead = await as_person(STAFFING_LEAD)
    shift_id = await request_night_shift(lead, active)
    page = (await lead.client.get(f"/aktivering/{active}/vagter")).text
    assert "Afventer godkendelse" in page
    assert "0 af 2 pladser taget" in page
    assert 'data-countdown="' in page
    assert "Godkend vagten" not in page  # the staffing lead is no steering member
    refused = await lead.post(f"/aktivering/{active}/vagter/{shift_id}/godkend")
    assert refused.status_code == 403

    steering = await as_person(STEERING)
    assert "Godkend vagten" in (await steering.client.get(f"/aktivering/{active}/vagter")).text
    approved = await steering.post(f"/aktivering/{active}/vagter/{shift_id}/godkend")
    assert approved.status_code == 303
    page = (await lead.client.get(f"/aktivering/{active}/vagter")).text
    assert "Søger agenter" in page
    assert "Godkendt af Søren Madsen" in page
    assert "Mangler 2 agenter" in page

    # Jammerbugt's contact answers JA 2 by SMS: the page shows the municipality and its places
    async with app.state.sessionmaker() as session:
        await handle_inbound_sms(
            session,
            app.state.runtime.activation_config,
            message_sid="SM" + uuid.uuid4().hex,
            from_number=normalise_phone("+4550100741"),
            to_number="+4500000000",
            body="JA 2",
            own_numbers=set(),
            now=utcnow(),
        )
    page = (await lead.client.get(f"/aktivering/{active}/vagter")).text
    assert "Fuldt besat" in page
    assert "Jammerbugt Kommune" in page
    assert "2 af 2 pladser taget" in page
    assert "1 kommune har endnu ikke bekræftet" in page


async def test_bad_shift_input_is_shown_in_danish_and_nothing_is_created(app, as_person, active):
    lead = await as_person(STAFFING_LEAD)
    start, end = night()
    backwards = await lead.post(
        f"/aktivering/{active}/vagter", {"start": end, "end": start, "agents_needed": "2"}
    )
    assert backwards.status_code == 422
    assert "Slut skal ligge efter start." in backwards.text
    assert 'value="' + end + '"' in backwards.text  # the form keeps what was typed
    too_many = await lead.post(
        f"/aktivering/{active}/vagter", {"start": start, "end": end, "agents_needed": "51"}
    )
    assert too_many.status_code == 422
    assert "Skal være mellem 1 og 50." in too_many.text
    blank = await lead.post(
        f"/aktivering/{active}/vagter", {"start": "", "end": end, "agents_needed": "to"}
    )
    assert blank.status_code == 422
    assert "Skriv dato og klokkeslæt." in blank.text
    assert "Skriv et helt tal." in blank.text
    assert await shift_count(app) == 0


async def test_a_shift_is_cancelled_with_a_reason_and_the_calendar_file_says_so(as_person, active):
    lead = await as_person(STAFFING_LEAD)
    shift_id = await request_night_shift(lead, active)
    ics = await lead.client.get(f"/aktivering/{active}/vagter/{shift_id}.ics")
    assert ics.headers["content-type"].startswith("text/calendar")
    assert "BEGIN:VEVENT" in ics.text
    blank = await lead.post(f"/aktivering/{active}/vagter/{shift_id}/aflys", {"reason": "  "})
    assert blank.status_code == 422
    assert "Skal udfyldes." in blank.text
    assert "Afventer godkendelse" in blank.text
    done = await lead.post(
        f"/aktivering/{active}/vagter/{shift_id}/aflys", {"reason": "Vandet er tilbage"}
    )
    assert done.status_code == 303
    page = (await lead.client.get(f"/aktivering/{active}/vagter")).text
    assert "Aflyst" in page
    assert "Vandet er tilbage" in page
    assert "Aflys vagten" not in page
    assert "AFLYST" in (await lead.client.get(f"/aktivering/{active}/vagter/{shift_id}.ics")).text


async def test_the_steering_group_rejects_with_a_reason(as_person, active):
    lead = await as_person(STAFFING_LEAD)
    shift_id = await request_night_shift(lead, active)
    steering = await as_person(STEERING)
    refused = await lead.post(f"/aktivering/{active}/vagter/{shift_id}/afvis", {"reason": "Nej"})
    assert refused.status_code == 403
    done = await steering.post(
        f"/aktivering/{active}/vagter/{shift_id}/afvis", {"reason": "For dyrt om natten"}
    )
    assert done.status_code == 303
    page = (await lead.client.get(f"/aktivering/{active}/vagter")).text
    assert "Afvist" in page
    assert "For dyrt om natten" in page


async def test_roles_the_api_refuses_are_refused_here(app, as_person, active):
    start, end = night()
    finance = await as_person(FINANCE)
    assert (await finance.client.get(f"/aktivering/{active}/vagter")).status_code == 200
    refused = await finance.post(
        f"/aktivering/{active}/vagter", {"start": start, "end": end, "agents_needed": "1"}
    )
    assert refused.status_code == 403
    assert "Ingen adgang" in refused.text
    steering = await as_person(STEERING)
    refused = await steering.post(
        f"/aktivering/{active}/vagter", {"start": start, "end": end, "agents_needed": "1"}
    )
    assert refused.status_code == 403
    lead = await as_person(STAFFING_LEAD)
    shift_id = await request_night_shift(lead, active)
    refused = await steering.post(f"/aktivering/{active}/vagter/{shift_id}/aflys", {"reason": "x"})
    assert refused.status_code == 403
    assert await shift_count(app) == 1


async def test_the_own_authority_may_request_but_another_authority_sees_nothing(
    app, as_person, active
):
    odder = await as_person(ODDER)
    await request_night_shift(odder, active, agents=1)
    other = await as_person(KOBENHAVN)
    start, end = night()
    for path in ("vagter", "vagter/fordeling", "vagter/1.ics"):
        answer = await other.client.get(f"/aktivering/{active}/{path}")
        assert answer.status_code == 404, path
        assert "Siden findes ikke" in answer.text
    posted = await other.post(
        f"/aktivering/{active}/vagter", {"start": start, "end": end, "agents_needed": "1"}
    )
    assert posted.status_code == 404
    cancelled = await other.post(f"/aktivering/{active}/vagter/1/aflys", {"reason": "Fejl"})
    assert cancelled.status_code == 404
    assert await shift_count(app) == 1


async def test_a_form_without_the_csrf_token_is_refused_and_creates_nothing(app, as_person, active):
    lead = await as_person(STAFFING_LEAD)
    start, end = night()
    refused = await lead.client.post(
        f"/aktivering/{active}/vagter", data={"start": start, "end": end, "agents_needed": "1"}
    )
    assert refused.status_code == 403
    assert "Formularen blev afvist" in refused.text
    assert await shift_count(app) == 0
    shift_id = await request_night_shift(lead, active)
    steering = await as_person(STEERING)
    forged = await steering.client.post(f"/aktivering/{active}/vagter/{shift_id}/godkend")
    assert forged.status_code == 403
    assert "Afventer godkendelse" in (await lead.client.get(f"/aktivering/{active}/vagter")).text
