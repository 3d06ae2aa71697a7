"""Beredskab over HTTP: who may open it, the demo directory's duty lists with phone links, the
gaps in Danish, and an admin signing a person out everywhere."""

from __future__ import annotations

from datetime import timedelta

import pytest

from beredskab.directory.models import Person
from beredskab.metadata import utcnow

pytestmark = pytest.mark.db

STEERING = "p012"  # Søren Madsen
ADMIN = "p077"
FINANCE = "p076"
AUTHORITY = "p075"
CRISIS_STAFF = "p003"


async def test_steering_sees_who_is_on_duty_with_phone_links(as_person, demo):
    me = await as_person(STEERING)
    page = await me.client.get("/beredskab")
    assert page.status_code == 200
    text = page.text
    leader = demo["p001"]
    assert leader["name"] in text
    assert f'href="tel:{leader["phone"]}"' in text
    assert "50 10 00 01" in text  # the number as a Dane reads it
    assert text.index(demo["p001"]["name"]) < text.index(demo["p002"]["name"])  # primary first
    assert "primær" in text and "1. stedfortræder" in text
    assert "Styregruppen" in text and demo["p020"]["name"] in text
    assert "Odder Kommune" in text  # a municipality's contacts
    assert demo[AUTHORITY]["name"] in text  # an authority's contact
    assert "Log ud alle steder" not in text  # that is an admin's


async def test_a_gap_is_shown_in_danish(app, as_person, demo):
    async with app.state.sessionmaker() as session:
        person = await session.get(Person, "p004")
        person.active = False
        session.add(person)
        await session.commit()
    me = await as_person(STEERING)
    text = (await me.client.get("/beredskab")).text
    name = demo["p004"]["name"]
    assert f"Logfører {name} står på vagtlisten, men er deaktiveret" in text
    assert "Deaktiveret" in text


async def test_unverified_and_unreachable_numbers_are_shown(app, as_person, demo):
    """#15.2: a number on duty that is not verified, or that the provider refused, is a gap
    and is marked beside the person."""
    async with app.state.sessionmaker() as session:
        unverified = await session.get(Person, "p004")
        unverified.phone_verified_at = None
        unreachable = await session.get(Person, "p020")
        unreachable.phone_unreachable_at = utcnow()
        unreachable.phone_unreachable_reason = "ugyldigt nummer (fejl 21211)"
        session.add_all([unverified, unreachable])
        await session.commit()
    me = await as_person(STEERING)
    text = (await me.client.get("/beredskab")).text
    name, steering = demo["p004"]["name"], demo["p020"]["name"]
    assert f"Logfører {name} har et nummer, der endnu ikke er bekræftet" in text
    assert f"Styregruppen {steering} kan ikke nås på sit nummer" in text
    assert '<span class="badge warn">Ikke bekræftet</span>' in text
    assert '<span class="badge bad">Kan ikke nås</span>' in text


@pytest.mark.parametrize("person", [AUTHORITY, CRISIS_STAFF, FINANCE])
async def test_others_may_not_open_it(as_person, demo, person):
    me = await as_person(person)
    assert (await me.client.get("/beredskab")).status_code == 403
    assert (await me.post(f"/beredskab/log-ud/{STEERING}")).status_code == 403


async def test_an_admin_signs_a_person_out_everywhere(as_person, demo):
    steering = await as_person(STEERING)
    assert (await steering.client.get("/beredskab")).status_code == 200
    admin = await as_person(ADMIN)
    refused = await admin.client.post(f"/beredskab/log-ud/{STEERING}", data={})
    assert refused.status_code == 403  # no CSRF token: nothing changed
    assert (await steering.client.get("/beredskab")).status_code == 200
    page = await admin.client.get("/beredskab")
    assert f'action="/beredskab/log-ud/{STEERING}"' in page.text
    done = await admin.post(f"/beredskab/log-ud/{STEERING}")
    assert done.status_code == 200  # the answer is the page with what was done
    assert f"{demo[STEERING]['name']} er logget ud alle steder (1 session afsluttet)" in done.text
    gone = await steering.client.get("/beredskab")
    assert gone.status_code == 303
    assert gone.headers["location"].startswith("/login")


async def test_signing_out_an_unknown_person_is_404(as_person, demo):
    admin = await as_person(ADMIN)
    assert (await admin.post("/beredskab/log-ud/nobody")).status_code == 404


async def test_the_signed_out_message_cannot_be_made_up_in_the_address(as_person, demo):
    admin = await as_person(ADMIN)
    page = await admin.client.get("/beredskab", params={"logget_ud": "p001", "antal": "alle"})
    assert page.status_code == 200
    assert "logget ud alle steder" not in page.text


async def test_the_latest_drill_and_whom_to_call(app, as_person, demo):
    from sqlmodel import select

    from beredskab.drill_schedule import DrillGroup
    from beredskab.drills import answers
    from beredskab.drills import service as drills
    from beredskab.drills.models import AnswerChannel, DrillPage
    from beredskab.metadata import utcnow

    me = await as_person(STEERING)
    assert "Der har ikke været nogen kaldeøvelse endnu." in (await me.client.get("/beredskab")).text
    playbook = app.state.runtime.activation_config.playbook
    async with app.state.sessionmaker() as session:
        drill = await drills.create(
            session,
            playbook,
            DrillGroup.steering,
            call_after_minutes=1,
            by="Søren",
            now=utcnow(),
        )
        pages = (await session.exec(select(DrillPage).order_by(DrillPage.person_id))).all()
        await answers.record(session, pages[0], AnswerChannel.sms, utcnow())
        await session.commit()
    await app.state.runtime.tick(now=utcnow() + timedelta(minutes=2))  # the rest are called
    text = (await me.client.get("/beredskab")).text
    assert "Seneste kaldeøvelse" in text and "Kaldeøvelse for styregruppen" in text
    assert f"1 person af {drill.people} har svaret" in text
    assert "Ikke svaret: ring til dem" in text
    for page in pages[1:]:
        assert demo[page.person_id]["name"] in text
        assert f'href="tel:{page.phone}"' in text
    assert text.count("; opringning: ") == len(pages) - 1
