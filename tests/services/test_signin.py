"""Sign-in by SMS code and web sessions (auth.signin), on SQLite and PostgreSQL: the code goes
through the outbox, unknown numbers look like known ones, the limits, the code's life and tries,
and the sessions' idle and absolute ends."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from beredskab.auth import signin
from beredskab.auth.login_rules import digest
from beredskab.auth.models import LoginCode, WebSession
from beredskab.auth.signin import SignInResult, end_sessions_of, identify, request_code, sign_in
from beredskab.directory.models import Person, SteeringMember
from beredskab.directory.schemas import PersonUpdate
from beredskab.directory.service import update_person
from beredskab.errors import InvalidInput, NotFound
from beredskab.models import metadata
from beredskab.outbox import OutboxMessage
from tests.factories import demo_config, make_org, make_person

NOW = datetime(2026, 12, 4, 13, 5, tzinfo=UTC)
M = timedelta(minutes=1)
PLAYBOOK = demo_config().playbook
UNKNOWN = "+4560606060"


@pytest.fixture
async def person(session) -> Person:
    org = await make_org(session)
    return await on_the_steering_group(
        session, await make_person(session, org.id, name="Emil Friis", phone="+4520123456")
    )


async def on_the_steering_group(session, person: Person) -> Person:
    """A role, so the person may sign in (a person without one gets no code)."""
    session.add(SteeringMember(person_id=person.id))
    await session.commit()
    return person


async def ask(session, phone: str = "20 12 34 56", client: str = "10.0.0.1", now=NOW) -> None:
    await request_code(session, phone, client, playbook=PLAYBOOK, now=now)


async def sms_to(session, phone: str) -> list[OutboxMessage]:
    rows = await session.exec(select(OutboxMessage).where(OutboxMessage.recipient == phone))
    return list(rows.all())


async def last_code(session, phone: str) -> str:
    body = (await sms_to(session, phone))[-1].body
    return re.search(r"\b(\d{6})\b", body)[1]


async def codes_of(session, phone: str) -> list[LoginCode]:
    rows = await session.exec(select(LoginCode).where(LoginCode.phone == phone))
    return list(rows.all())


async def signed_in(session, person: Person, now=NOW) -> str:
    await ask(session, person.phone, now=now)
    result, token = await sign_in(
        session, person.phone, await last_code(session, person.phone), "10.0.0.1", "UA", now=now
    )
    assert result is SignInResult.ok and token
    return token


async def test_a_known_active_number_gets_its_code_through_the_outbox(session, person):
    await ask(session)  # any Danish notation
    [sms] = await sms_to(session, "+4520123456")
    assert sms.person_id == person.id and sms.activation_id is None and sms.status == "pending"
    assert re.fullmatch(
        r"Din kode til DDH Beredskab: \d{6}\. Den gælder i 5 minutter\. "
        r"Har du ikke bedt om den, så se bort fra denne SMS\.",
        sms.body,
    )
    [row] = await codes_of(session, person.phone)
    assert (row.person_id, row.client, row.issued_at, row.attempts) == (
        person.id,
        "10.0.0.1",
        NOW,
        0,
    )


async def test_only_the_codes_hash_is_stored(session, person):
    await ask(session)
    code = await last_code(session, person.phone)
    [row] = await codes_of(session, person.phone)
    assert row.code_hash and code not in row.code_hash
    # the plaintext is in no column of any table but the SMS on its way out
    for table in metadata.sorted_tables:
        if table.name == "outbox":
            continue
        for values in (await session.exec(table.select())).all():
            assert not any(code in str(v) for v in values), table.name


async def test_an_unknown_number_gets_the_same_answer_no_sms_and_a_row(session, person):
    assert await request_code(session, UNKNOWN, "10.0.0.1", playbook=PLAYBOOK, now=NOW) is None
    assert await sms_to(session, UNKNOWN) == []
    [row] = await codes_of(session, UNKNOWN)
    assert row.person_id is None and row.code_hash is not None
    # and signing in with it fails like a wrong code, never "unknown"
    result, token = await sign_in(session, UNKNOWN, "123456", "10.0.0.1", "UA", now=NOW)
    assert (result, token) == (SignInResult.wrong_code, None)


async def test_an_unknown_number_without_any_code_is_told_to_ask_for_one(session):
    assert await sign_in(session, UNKNOWN, "123456", "c", "UA", now=NOW) == (
        SignInResult.no_code,
        None,
    )


async def test_an_inactive_person_gets_no_sms(session, person):
    person.active = False
    session.add(person)
    await session.commit()
    await ask(session)
    assert await sms_to(session, person.phone) == []
    assert len(await codes_of(session, person.phone)) == 1


async def test_a_malformed_number_is_refused_by_field(session):
    with pytest.raises(InvalidInput) as exc:
        await ask(session, "+45 123")
    assert exc.value.problems[0].field == "phone"
    with pytest.raises(InvalidInput):
        await sign_in(session, "abc", "123456", "c", "UA", now=NOW)


async def test_the_right_code_signs_in_and_only_once(session, person):
    await ask(session)
    code = await last_code(session, person.phone)
    result, token = await sign_in(session, person.phone, code, "10.0.0.1", "Firefox", now=NOW + M)
    assert result is SignInResult.ok
    row = (await session.exec(select(WebSession))).one()
    assert row.token_hash == digest(token) and row.person_id == person.id
    assert (row.started_at, row.client, row.user_agent) == (NOW + M, "10.0.0.1", "Firefox")
    # the plaintext token is nowhere
    assert token not in (row.token_hash, row.client, row.user_agent)
    again = await sign_in(session, person.phone, code, "10.0.0.1", "Firefox", now=NOW + 2 * M)
    assert again == (SignInResult.no_code, None)


async def test_a_code_lives_five_minutes(session, person):
    await ask(session)
    code = await last_code(session, person.phone)
    late = await sign_in(session, person.phone, code, "c", "UA", now=NOW + 5 * M)
    assert late == (SignInResult.no_code, None)
    await ask(session, now=NOW + 6 * M)
    code = await last_code(session, person.phone)
    in_time = await sign_in(session, person.phone, code, "c", "UA", now=NOW + 10 * M + 59 * M / 60)
    assert in_time[0] is SignInResult.ok


async def test_five_wrong_tries_kill_the_code(session, person):
    await ask(session)
    code = await last_code(session, person.phone)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert (await sign_in(session, person.phone, wrong, "c", "UA", now=NOW))[0] is (
            SignInResult.wrong_code
        )
    assert await sign_in(session, person.phone, code, "c", "UA", now=NOW) == (
        SignInResult.no_code,
        None,
    )
    assert (await codes_of(session, person.phone))[0].attempts == 5


async def test_a_new_code_retires_the_old_one(session, person):
    await ask(session)
    old = await last_code(session, person.phone)
    await ask(session, now=NOW + M)
    new = await last_code(session, person.phone)
    if old != new:
        assert (await sign_in(session, person.phone, old, "c", "UA", now=NOW + M))[0] is (
            SignInResult.wrong_code
        )
    assert (await sign_in(session, person.phone, new, "c", "UA", now=NOW + M))[0] is (
        SignInResult.ok
    )


async def test_a_fourth_code_within_15_minutes_is_refused_without_sms(session, person):
    for n in range(4):
        await ask(session, client=f"10.0.0.{n}", now=NOW + n * M)
    assert len(await sms_to(session, person.phone)) == 3
    rows = sorted(await codes_of(session, person.phone), key=lambda r: r.issued_at)
    assert len(rows) == 4 and rows[-1].code_hash is None  # seen, no code
    # the refusal does not count: 15 minutes after the first, one more may go
    await ask(session, now=NOW + 15 * M)
    assert len(await sms_to(session, person.phone)) == 4


async def test_an_unknown_number_counts_against_the_limit_like_a_known_one(session):
    for n in range(4):
        await ask(session, UNKNOWN, client=f"10.0.0.{n}", now=NOW + n * M)
    rows = sorted(await codes_of(session, UNKNOWN), key=lambda r: r.issued_at)
    assert [r.code_hash is not None for r in rows] == [True, True, True, False]


async def test_one_client_may_ask_for_60_codes_in_15_minutes(session, person):
    for n in range(60):
        await ask(session, f"+45601000{n:02d}", client="203.0.113.9", now=NOW)
    await ask(session, client="203.0.113.9", now=NOW + M)
    assert await sms_to(session, person.phone) == []  # the 61st: refused
    await ask(session, client="198.51.100.1", now=NOW + M)  # another client: sent
    assert len(await sms_to(session, person.phone)) == 1


async def test_a_person_without_any_role_gets_no_code(session):
    org = await make_org(session)
    nobody = await make_person(session, org.id, phone="+4520123457")
    await ask(session, "20 12 34 57")
    assert await sms_to(session, nobody.phone) == []
    rows = await codes_of(session, nobody.phone)
    assert len(rows) == 1  # seen and counted like any other request: the same answer
    await on_the_steering_group(session, nobody)
    await ask(session, "20 12 34 57", now=NOW + M)
    assert len(await sms_to(session, nobody.phone)) == 1


async def test_old_codes_are_deleted(session, person):
    await ask(session, now=NOW - timedelta(days=2))
    await ask(session)
    assert [r.issued_at for r in await codes_of(session, person.phone)] == [NOW]


async def test_identify_gives_the_person_and_notes_use_once_a_minute(session, person):
    token = await signed_in(session, person)
    me = await identify(session, token, now=NOW + 30 * timedelta(seconds=1))
    assert me is not None and (me.person_id, me.name, me.phone) == (
        person.id,
        "Emil Friis",
        "+4520123456",
    )
    row = (await session.exec(select(WebSession))).one()
    assert me.session_id == row.id
    assert row.last_seen_at == NOW  # not written within the minute
    await identify(session, token, now=NOW + 90 * timedelta(seconds=1))
    await session.refresh(row)
    assert row.last_seen_at == NOW + 90 * timedelta(seconds=1)
    assert await identify(session, "not-a-token", now=NOW) is None


async def test_a_session_ends_after_two_idle_hours(session, person):
    token = await signed_in(session, person)
    assert await identify(session, token, now=NOW + 119 * M) is not None
    assert await identify(session, token, now=NOW + 119 * M + 2 * 60 * M) is None


async def test_a_session_ends_after_twelve_hours_however_busy(session, person):
    token = await signed_in(session, person)
    for hour in range(1, 12):
        assert await identify(session, token, now=NOW + hour * 60 * M) is not None
    assert await identify(session, token, now=NOW + 12 * 60 * M) is None


async def test_sign_out_ends_the_session(session, person):
    token = await signed_in(session, person)
    other = await signed_in(session, person, now=NOW + M)
    await signin.sign_out(session, token, now=NOW + 2 * M)
    assert await identify(session, token, now=NOW + 3 * M) is None
    assert await identify(session, other, now=NOW + 3 * M) is not None
    await signin.sign_out(session, token, now=NOW + 4 * M)  # twice: nothing happens


async def test_end_sessions_of_a_person(session, person):
    first = await signed_in(session, person)
    second = await signed_in(session, person, now=NOW + M)
    org = await make_org(session)
    someone = await on_the_steering_group(session, await make_person(session, org.id))
    theirs = await signed_in(session, someone, now=NOW + M)
    assert await end_sessions_of(session, person.id, now=NOW + 2 * M) == 2
    assert await identify(session, first, now=NOW + 3 * M) is None
    assert await identify(session, second, now=NOW + 3 * M) is None
    assert await identify(session, theirs, now=NOW + 3 * M) is not None
    assert await end_sessions_of(session, person.id, now=NOW + 3 * M) == 0
    with pytest.raises(NotFound):
        await end_sessions_of(session, "nobody", now=NOW)


async def test_deactivating_a_person_by_the_admin_api_signs_them_out(session, person):
    token = await signed_in(session, person)
    await update_person(session, person.id, PersonUpdate(active=False))
    row = (await session.exec(select(WebSession))).one()
    await session.refresh(row)
    assert row.ended_at is not None
    # active again: the old session stays ended
    await update_person(session, person.id, PersonUpdate(active=True))
    assert await identify(session, token, now=NOW + M) is None


async def test_an_inactive_person_is_refused_even_if_a_session_was_missed(session, person):
    token = await signed_in(session, person)
    await session.exec(update(Person).where(Person.id == person.id).values(active=False))
    await session.commit()  # a bulk UPDATE: no ORM listener sees it
    assert await identify(session, token, now=NOW + M) is None


async def test_a_person_deactivated_after_the_code_was_sent_cannot_sign_in(session, person):
    await ask(session)
    code = await last_code(session, person.phone)
    await update_person(session, person.id, PersonUpdate(active=False))
    assert await sign_in(session, person.phone, code, "c", "UA", now=NOW) == (
        SignInResult.no_code,
        None,
    )
