"""Who a signed-in person is: roles from the directory (steering group, crisis roster, contact
persons, grants), acting in one of them, and a directory import that signs people out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from beredskab.activations.models import ActivationStatus
from beredskab.activations.schemas import ActivationCreate
from beredskab.auth.identity import identity_of
from beredskab.auth.models import TokenRole, WebSession
from beredskab.auth.signin import identify, request_code, sign_in
from beredskab.crisis_staff.models import LogDelegate
from beredskab.directory.models import AuthorityContact, MunicipalityContact, PersonGrant
from beredskab.directory.sync import import_directory
from beredskab.errors import Forbidden
from beredskab.lifecycle.request import request_activation
from beredskab.outbox import OutboxMessage
from beredskab.roles import Role
from tests.factories import (
    demo_config,
    make_activation,
    make_org,
    make_person,
    make_roster_entry,
    make_steering_member,
)
from tests.integration.test_directory import demo, import_demo

NOW = datetime(2026, 12, 4, 13, 5, tzinfo=UTC)


async def test_a_person_with_several_roles_gets_them_all(session):
    org = await make_org(session)
    person = await make_person(session, org.id, name="Søren Madsen")
    await make_steering_member(session, person.id)
    await make_roster_entry(session, Role.log_keeper, person.id, rank=1)
    session.add(PersonGrant(person_id=person.id, role="finance"))
    await session.commit()
    me = await identity_of(session, person.id)
    assert me is not None
    assert me.roles == {TokenRole.steering, TokenRole.crisis_staff, TokenRole.finance}
    assert me.authority_org_ids == () and me.name == "Søren Madsen"
    assert me.has(TokenRole.finance) and not me.has(TokenRole.admin)
    acting = me.principal(TokenRole.crisis_staff)
    assert (acting.token_id, acting.role, acting.person_id, acting.org_id) == (
        None,
        TokenRole.crisis_staff,
        person.id,
        None,
    )
    assert acting.label == acting.person_name == "Søren Madsen"
    with pytest.raises(Forbidden):
        me.principal(TokenRole.admin)
    with pytest.raises(PermissionError):
        me.principal(TokenRole.authority)


async def test_an_authority_contact_acts_for_their_organisations(session):
    home = await make_org(session, id="odder")
    region = await make_org(session, id="a-region", kind="region")
    person = await make_person(session, home.id)
    session.add(AuthorityContact(org_id=region.id, person_id=person.id))
    session.add(MunicipalityContact(org_id=home.id, rank=0, person_id=person.id))
    await session.commit()
    me = await identity_of(session, person.id)
    assert me.roles == {TokenRole.authority}
    assert me.authority_org_ids == ("odder", "a-region")  # their own organisation first
    assert me.principal(TokenRole.authority).org_id == "odder"
    assert me.principal(TokenRole.authority, "a-region").org_id == "a-region"
    with pytest.raises(Forbidden):
        me.principal(TokenRole.authority, "kobenhavn")


async def test_unknown_and_inactive_people_have_no_identity(session):
    org = await make_org(session)
    gone = await make_person(session, org.id, active=False)
    assert await identity_of(session, gone.id) is None
    assert await identity_of(session, "nobody") is None
    plain = await identity_of(session, (await make_person(session, org.id)).id)
    assert plain is not None and plain.roles == frozenset()


async def test_the_demo_directory_has_a_person_for_every_role(session):
    await import_demo(session)
    seen = {
        role: pid
        for pid in ("p001", "p012", "p021", "p073", "p076", "p077")
        for role in (await identity_of(session, pid)).roles
    }
    assert set(seen) == set(TokenRole)


async def test_grants_are_imported_and_removed_with_the_file(session):
    await import_demo(session)
    assert (await identity_of(session, "p076")).roles == {TokenRole.finance}
    data = demo()
    finance = next(p for p in data["people"] if p["id"] == "p076")
    finance["grants"] = ["finance", "admin"]
    report = await import_directory(session, data, "more.yaml")
    assert report.created == 1
    assert (await identity_of(session, "p076")).roles == {TokenRole.finance, TokenRole.admin}
    del finance["grants"]
    report = await import_directory(session, data, "fewer.yaml")
    assert report.removed == 2
    assert (await identity_of(session, "p076")).roles == frozenset()
    left = await session.exec(select(PersonGrant).where(PersonGrant.person_id == "p076"))
    assert left.all() == []


async def test_a_person_left_out_of_an_import_is_signed_out(session):
    await import_demo(session)
    playbook = demo_config().playbook
    await request_code(session, "+4550100075", "10.0.0.1", playbook=playbook, now=NOW)
    sms = (await session.exec(select(OutboxMessage))).one()
    code = sms.body.split(": ")[1][:6]
    result, token = await sign_in(session, "+4550100075", code, "10.0.0.1", "UA", now=NOW)
    assert token and await identify(session, token, now=NOW) is not None
    data = demo()
    data["people"] = [p for p in data["people"] if p["id"] != "p003"]
    for role, ranks in data["crisis_roster"].items():
        data["crisis_roster"][role] = [p for p in ranks if p != "p003"]
    await import_directory(session, data, "without-p003.yaml")
    row = (await session.exec(select(WebSession))).one()
    await session.refresh(row)
    assert row.ended_at is not None
    assert await identify(session, token, now=NOW) is None
    await import_directory(session, demo(), "with-p003-again.yaml")  # back: still signed out
    assert await identify(session, token, now=NOW) is None


async def test_a_signed_in_persons_idempotency_key_is_theirs(session):
    org = await make_org(session)
    people = [await make_person(session, org.id) for _ in range(2)]
    for person in people:
        session.add(AuthorityContact(org_id=org.id, person_id=person.id))
    await session.commit()
    body = ActivationCreate(
        title="Vandforsyning svigter", contact_name="Frida Bak", contact_phone="20123456"
    )
    first, second = [
        (await identity_of(session, p.id)).principal(TokenRole.authority) for p in people
    ]

    async def ask(principal):
        return await request_activation(
            session, demo_config(), principal, body, idempotency_key="k1", now=NOW
        )

    made, created = await ask(first)
    assert created and made.created_by_person_id == people[0].id
    again, created = await ask(first)
    assert (again.id, created) == (made.id, False)
    theirs, created = await ask(second)  # the same key of another person is another request
    assert created and theirs.id != made.id


@pytest.mark.parametrize(
    ("status", "archived", "removed", "staff"),
    [
        (ActivationStatus.active, False, False, True),
        (ActivationStatus.requested, False, False, True),
        (ActivationStatus.stood_down, False, False, True),  # the log is still written
        (ActivationStatus.stood_down, True, False, False),  # archived: read-only
        (ActivationStatus.active, False, True, False),  # the leader removed them
    ],
)
async def test_a_standing_log_delegate_of_an_open_log_is_crisis_staff(
    session, status, archived, removed, staff
):
    org = await make_org(session)
    person = await make_person(session, org.id, name="Ekstra Logfører")
    activation = await make_activation(
        session, status=status, archived_at=NOW if archived else None
    )
    session.add(
        LogDelegate(
            activation_id=activation.id,
            person_id=person.id,
            added_by="Kriselederen",
            added_at=NOW,
            removed_at=NOW if removed else None,
            removed_by="Kriselederen" if removed else None,
        )
    )
    await session.commit()
    me = await identity_of(session, person.id)
    assert me.has(TokenRole.crisis_staff) is staff
    assert me.roles <= {TokenRole.crisis_staff}  # nothing else from a delegation
