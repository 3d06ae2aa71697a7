"""Verified numbers (#15.2), called directly: a new number is unverified until its owner answers
the code from that number; someone else's answer verifies nothing; a number the provider refuses
for good is marked unreachable, and a new number starts over."""

from __future__ import annotations

import itertools
import re

import pytest

from beredskab.activations.models import PageState
from beredskab.directory.readiness import readiness
from beredskab.directory.schemas import PersonUpdate
from beredskab.directory.service import update_person
from beredskab.directory.verification import VERIFY_TEXT
from beredskab.flows.delivery import number_refused, record_delivery_status
from beredskab.flows.inbound import handle_inbound_sms
from beredskab.roles import Role
from notifications.segments import fit_segments
from tests.services import rows
from tests.services.conftest import NOW

pytestmark = pytest.mark.db

OUR_NUMBER = "+4570000000"
NEW_NUMBER = "+4521999999"
_sids = itertools.count(1)


async def _sms(staff, session, phone: str, body: str):
    return await handle_inbound_sms(
        session,
        staff.cfg,
        message_sid=f"SMV{next(_sids):031d}",
        from_number=phone,
        to_number=OUR_NUMBER,
        body=body,
        own_numbers={OUR_NUMBER},
        now=NOW,
    )


async def _new_number(staff, session, pid: str, phone: str = NEW_NUMBER) -> str:
    """Give `pid` a new number as the admin API does; the code the SMS sent to it carries."""
    await update_person(session, pid, PersonUpdate(phone=phone))
    [text] = await rows.texts_to(session, phone)
    found = re.search(r"Svar OK (\d{6}) ", text)
    assert found, text
    return found.group(1)


async def test_a_new_number_is_unverified_and_gets_a_code(staff, session):
    person = staff.people["staff0"]
    assert person.phone_verified_at is not None  # test people start verified
    code = await _new_number(staff, session, "staff0")
    await session.refresh(person)
    assert (person.phone, person.phone_verified_at, person.phone_code) == (NEW_NUMBER, None, code)
    [text] = await rows.texts_to(session, NEW_NUMBER)
    assert text == (
        f"DDH Beredskab: Svar OK {code} for at bekræfte, at dette nummer tilhører Navn staff0."
    )


async def test_the_same_number_sent_again_changes_nothing(staff, session):
    await update_person(session, "staff0", PersonUpdate(phone=staff.phone("staff0"), name="Ny"))
    person = staff.people["staff0"]
    await session.refresh(person)
    assert person.phone_verified_at is not None and person.phone_code is None
    assert await rows.texts_to(session, person.phone) == []


async def test_the_owner_answering_the_code_verifies_the_number(staff, session):
    code = await _new_number(staff, session, "staff0")
    result = await _sms(staff, session, NEW_NUMBER, f"ok {code}")
    assert result.outcome == "phone_verified"
    assert result.reply == "Tak. Dit nummer er nu bekræftet hos DDH Beredskab."
    person = staff.people["staff0"]
    await session.refresh(person)
    assert person.phone_verified_at == NOW and person.phone_code is None


async def test_another_persons_answer_does_not_verify_it(staff, session):
    code = await _new_number(staff, session, "staff0")
    result = await _sms(staff, session, staff.phone("staff1"), f"OK {code}")
    assert result.outcome == "unknown_code"
    person = staff.people["staff0"]
    await session.refresh(person)
    assert person.phone_verified_at is None and person.phone_code == code
    # and a wrong code from the right number verifies nothing either
    assert (await _sms(staff, session, NEW_NUMBER, "OK 000000")).outcome != "phone_verified"
    await session.refresh(person)
    assert person.phone_verified_at is None


async def test_readiness_lists_an_unverified_number_on_duty(staff, session):
    assert not [g for g in (await readiness(session)).gaps if g.kind.endswith("_phone")]
    await _new_number(staff, session, "staff0")
    gaps = [g for g in (await readiness(session)).gaps if g.kind.endswith("_phone")]
    assert [(g.kind, g.subject, g.person_id) for g in gaps] == [
        ("unverified_phone", "staffing_lead", "staff0")
    ]


@pytest.mark.parametrize(
    ("error_code", "reason"),
    [
        (21211, "ugyldigt nummer (fejl 21211)"),
        (21614, "ikke et mobilnummer (fejl 21614)"),
        (21610, "modtageren har frabedt sig SMS (STOP) (fejl 21610)"),
    ],
)
async def test_a_refused_send_marks_the_number_unreachable(staff, session, error_code, reason):
    await number_refused(session, phone=staff.phone("log1"), error_code=error_code, now=NOW)
    person = staff.people["log1"]
    await session.refresh(person)
    assert (person.phone_unreachable_at, person.phone_unreachable_reason) == (NOW, reason)
    gaps = [g for g in (await readiness(session)).gaps if g.kind.endswith("_phone")]
    assert [(g.kind, g.subject, g.person_id) for g in gaps] == [
        ("unreachable_phone", "log_keeper", "log1")
    ]


@pytest.mark.parametrize("error_code", [30001, 20429, 21612])
async def test_a_passing_fault_marks_nothing(staff, session, error_code):
    await number_refused(session, phone=staff.phone("log1"), error_code=error_code, now=NOW)
    person = staff.people["log1"]
    await session.refresh(person)
    assert person.phone_unreachable_at is None


async def test_a_failed_delivery_report_with_stop_marks_unreachable(staff, session):
    await staff.active()
    [message] = [m for m in await rows.sms(session, to=staff.phone("staff0")) if m.page_id]
    message.provider_id = "SM-stop"
    session.add(message)
    await session.commit()
    await record_delivery_status(
        session, staff.cfg, provider_id="SM-stop", status="failed", error_code="21610", now=NOW
    )
    person = staff.people["staff0"]
    await session.refresh(person)
    assert person.phone_unreachable_at == NOW


async def test_a_new_number_is_reachable_again(staff, session):
    await number_refused(session, phone=staff.phone("log1"), error_code=21211, now=NOW)
    code = await _new_number(staff, session, "log1")
    person = staff.people["log1"]
    await session.refresh(person)
    assert person.phone_unreachable_at is None and person.phone_unreachable_reason is None
    await _sms(staff, session, NEW_NUMBER, f"OK {code}")
    await session.refresh(person)
    assert person.phone_verified_at == NOW


async def _unverify(session, person) -> None:
    person.phone_verified_at = None
    session.add(person)
    await session.commit()


def _role_name(staff, role: Role) -> str:
    return staff.cfg.playbook.roles[role].name


async def test_an_unverified_primary_is_skipped_and_the_log_says_why(staff, session):
    await _unverify(session, staff.people["staff0"])
    activation = await staff.active()
    pages = await rows.pages(session, activation.id, role="staffing_lead")
    assert [(p.person_id, p.rank) for p in pages] == [("staff1", 1)]
    [skip] = [e for e in await rows.log(session, activation.id) if e.kind == "page_skipped"]
    name = _role_name(staff, Role.staffing_lead)
    assert skip.text == (
        f"Navn staff0 springes over som {name} (rang 0): nummeret er ikke bekræftet."
    )
    assert skip.data["person_id"] == "staff0" and skip.data["phone"] == "unverified"
    assert await rows.texts_to(session, staff.phone("staff0")) == []


async def test_an_unreachable_deputy_is_skipped_when_the_call_out_moves_on(staff, session):
    activation = await staff.active()
    await number_refused(session, phone=staff.phone("staff1"), error_code=21610, now=NOW)
    [page] = await rows.pages(session, activation.id, role="staffing_lead")
    await _sms(staff, session, staff.phone("staff0"), f"NEJ {page.code}")
    pages = await rows.pages(session, activation.id, role="staffing_lead")
    assert [(p.person_id, p.state) for p in pages] == [
        ("staff0", PageState.declined),
        ("staff2", PageState.open),
    ]
    [skip] = [e for e in await rows.log(session, activation.id) if e.kind == "page_skipped"]
    assert "Navn staff1 springes over" in skip.text
    assert "nummeret kan ikke nås (modtageren har frabedt sig SMS (STOP) (fejl 21610))" in skip.text


async def test_with_nobody_verified_the_primary_is_still_paged_and_the_log_notes_it(staff, session):
    for pid in ["staff0", "staff1", "staff2"]:
        await _unverify(session, staff.people[pid])
    activation = await staff.active()
    [page] = await rows.pages(session, activation.id, role="staffing_lead")
    assert page.person_id == "staff0"
    [sent] = [
        e
        for e in await rows.log(session, activation.id)
        if e.kind == "page_sent" and e.data["person_id"] == "staff0"
    ]
    assert sent.text.endswith(
        "Bemærk: nummeret er ikke bekræftet, men ingen på vagtlisten"
        " har et bekræftet nummer, der kan nås."
    )
    assert not [e for e in await rows.log(session, activation.id) if e.kind == "page_skipped"]


def test_the_code_survives_the_two_segment_cut_of_a_long_name():
    name = "Łukasz " + "Kowalski-" * 21  # 196 characters, and not GSM: 2 segments hold 134
    text = fit_segments(VERIFY_TEXT.format(name=name, code="123456"), 2)
    assert text.startswith("DDH Beredskab: Svar OK 123456 ")
