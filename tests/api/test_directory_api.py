"""Directory admin endpoints: each works, and validation errors name the field."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from beredskab.auth.models import TokenRole, WebSession
from beredskab.auth.signin import SignInResult, identify, request_code, sign_in
from beredskab.metadata import utcnow
from beredskab.outbox import OutboxMessage
from tests.factories import bearer, demo_config, make_token
from tests.integration.test_directory import import_demo

NEW = {"id": "p100", "name": "Nina Holm", "phone": "20 12 34 56", "org_id": "odder"}


@pytest.fixture
async def admin(session) -> dict[str, str]:
    await import_demo(session)
    return bearer(await make_token(session, TokenRole.admin))


async def test_lists_organisations_and_people(client, admin):
    orgs = (await client.get("/directory/organisations", headers=admin)).json()
    assert len(orgs) == 36
    skive = {
        "id": "skive",
        "kind": "municipality",
        "contact_centre": True,
        "cvr": "39990202",
        "ean": "5798000000025",
        "buyer_reference": "DDH-skive",
    }
    assert skive.items() <= next(o for o in orgs if o["id"] == "skive").items()
    assert next(o for o in orgs if o["id"] == "ddh")["buyer_reference"] is None
    people = (await client.get("/directory/people", headers=admin)).json()
    assert len(people) == 77 and people[0]["phone"] == "+4550100001"
    one = await client.get("/directory/people/p001", headers=admin)
    assert one.status_code == 200 and one.json()["name"] == "Jens Rasmussen"
    assert (await client.get("/directory/people/nobody", headers=admin)).status_code == 404


async def test_a_new_person_gets_an_e164_phone(client, admin):
    r = await client.post("/directory/people", headers=admin, json=NEW)
    assert r.status_code == 201, r.text
    assert r.json() == {
        **NEW,
        "phone": "+4520123456",
        "title": None,
        "email": None,
        "active": True,
        "phone_verified_at": None,  # until its owner answers the code (#15.2)
        "phone_unreachable_at": None,
        "phone_unreachable_reason": None,
    }
    assert (await client.get("/directory/people/p100", headers=admin)).status_code == 200


@pytest.mark.parametrize(
    ("body", "field", "status"),
    [
        ({**NEW, "phone": "+45 123"}, "phone", 422),
        ({**NEW, "phone": "+4550100001"}, "phone", 422),  # p001's number
        ({**NEW, "org_id": "atlantis"}, "org_id", 422),
        ({**NEW, "email": "nina"}, "email", 422),
        ({**NEW, "id": "has space"}, "id", 422),
        ({k: v for k, v in NEW.items() if k != "name"}, "name", 422),
        ({**NEW, "shoe": 42}, "shoe", 422),
    ],
)
async def test_creating_a_person_names_the_bad_field(client, admin, body, field, status):
    r = await client.post("/directory/people", headers=admin, json=body)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in r.json()["errors"]] == [field]


async def test_an_existing_person_id_is_a_conflict(client, admin):
    r = await client.post("/directory/people", headers=admin, json={**NEW, "id": "p001"})
    assert r.status_code == 409


async def test_patch_changes_only_what_is_sent_and_can_deactivate(client, admin):
    r = await client.patch(
        "/directory/people/p004", headers=admin, json={"phone": "0045 20 12 34 57"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["phone"] == "+4520123457" and r.json()["name"] == "Tove Nielsen"
    r = await client.patch("/directory/people/p004", headers=admin, json={"active": False})
    assert r.status_code == 200 and r.json()["active"] is False
    inactive = await client.get("/directory/people", headers=admin, params={"active": "false"})
    assert [p["id"] for p in inactive.json()] == ["p004"]
    gaps = (await client.get("/directory/readiness", headers=admin)).json()["gaps"]
    assert gaps == [
        {
            "kind": "inactive_on_roster",
            "subject": "log_keeper",
            "detail": "p004 (rank 1) is inactive",
        }
    ]


async def test_a_changed_phone_is_unverified_and_readiness_lists_it(client, admin, session):
    """#15.2: the demo directory's first load starts verified; a number changed through the API
    is unverified, gets its code by SMS, and readiness names it until its owner answers."""
    r = await client.patch("/directory/people/p004", headers=admin, json={"phone": "20123457"})
    assert r.status_code == 200, r.text
    assert r.json()["phone_verified_at"] is None and r.json()["phone_unreachable_at"] is None
    [sms] = (
        await session.exec(select(OutboxMessage).where(OutboxMessage.recipient == "+4520123457"))
    ).all()
    assert sms.person_id == "p004" and re.match(r"DDH Beredskab: Svar OK \d{6} ", sms.body)
    readiness = (await client.get("/directory/readiness", headers=admin)).json()
    assert readiness == {
        "ready": False,
        "gaps": [
            {
                "kind": "unverified_phone",
                "subject": "log_keeper",
                "detail": "p004's number +4520123457 is not verified",
            }
        ],
    }
    verified = (await client.get("/directory/people/p001", headers=admin)).json()
    assert verified["phone_verified_at"] is not None  # the first load's numbers


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone": "+45 123"}, "phone"),
        ({"phone": None}, "phone"),
        ({"phone": "+4550100001"}, "phone"),
        ({"org_id": "atlantis"}, "org_id"),
        ({"active": None}, "active"),
    ],
)
async def test_patch_names_the_bad_field(client, admin, body, field):
    r = await client.patch("/directory/people/p004", headers=admin, json=body)
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == [field]


async def test_patch_of_an_unknown_person_is_404(client, admin):
    r = await client.patch("/directory/people/nobody", headers=admin, json={"name": "X"})
    assert r.status_code == 404


async def test_roster_is_read_and_replaced_in_rank_order(client, admin):
    r = await client.get("/directory/roster/log_keeper", headers=admin)
    assert r.json() == {"person_ids": ["p003", "p004", "p005"]}
    r = await client.put(
        "/directory/roster/log_keeper", headers=admin, json={"person_ids": ["p005", "p003"]}
    )
    assert r.status_code == 200 and r.json() == {"person_ids": ["p005", "p003"]}
    r = await client.get("/directory/roster/log_keeper", headers=admin)
    assert r.json() == {"person_ids": ["p005", "p003"]}
    readiness = (await client.get("/directory/readiness", headers=admin)).json()
    assert readiness == {
        "ready": False,
        "gaps": [
            {
                "kind": "too_few_deputies",
                "subject": "log_keeper",
                "detail": "log_keeper has 1 deputies, needs 2",
            }
        ],
    }


@pytest.mark.parametrize(
    ("ids", "field", "reason"),
    [
        (["p003", "p003"], "person_ids[1]", "'p003' is listed twice"),
        (["p003", "p999"], "person_ids[1]", "unknown person 'p999'"),
    ],
)
async def test_a_bad_roster_names_the_entry(client, admin, ids, field, reason):
    r = await client.put("/directory/roster/log_keeper", headers=admin, json={"person_ids": ids})
    assert r.status_code == 422
    assert r.json()["errors"] == [{"field": field, "reason": reason}]
    r = await client.get("/directory/roster/log_keeper", headers=admin)
    assert r.json() == {"person_ids": ["p003", "p004", "p005"]}


async def test_inactive_people_cannot_be_put_on_duty(client, admin):
    await client.patch("/directory/people/p075", headers=admin, json={"active": False})
    r = await client.put(
        "/directory/roster/log_keeper", headers=admin, json={"person_ids": ["p003", "p075"]}
    )
    assert r.status_code == 422 and r.json()["errors"][0]["reason"] == "'p075' is inactive"


async def test_an_unknown_role_is_422_naming_the_role(client, admin):
    r = await client.get("/directory/roster/chef", headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "role"


async def test_steering_group_is_read_and_replaced(client, admin):
    r = await client.get("/directory/steering-group", headers=admin)
    assert r.json()["person_ids"][:2] == ["p012", "p013"]
    r = await client.put("/directory/steering-group", headers=admin, json={"person_ids": []})
    assert r.status_code == 200
    gaps = (await client.get("/directory/readiness", headers=admin)).json()["gaps"]
    assert [g["kind"] for g in gaps] == ["no_steering_group"]
    r = await client.put(
        "/directory/steering-group", headers=admin, json={"person_ids": ["p013", "p012"]}
    )
    assert (await client.get("/directory/steering-group", headers=admin)).json() == {
        "person_ids": ["p013", "p012"]
    }


async def test_municipality_contacts_are_read_and_replaced(client, admin):
    r = await client.get("/directory/municipality-contacts/skive", headers=admin)
    assert r.json() == {"person_ids": ["p023", "p024"]}
    r = await client.put(
        "/directory/municipality-contacts/skive", headers=admin, json={"person_ids": ["p024"]}
    )
    assert r.status_code == 200
    gaps = (await client.get("/directory/readiness", headers=admin)).json()["gaps"]
    assert gaps == [
        {
            "kind": "no_secondary_contact",
            "subject": "skive",
            "detail": "Skive Kommune has no secondary contact",
        }
    ]


@pytest.mark.parametrize(
    ("org", "ids", "status", "field"),
    [
        ("skive", [], 422, "person_ids"),
        ("skive", ["p023", "p024", "p021"], 422, "person_ids"),
        ("skive", ["p023", "p999"], 422, "person_ids[1]"),
        ("region-sjaelland", ["p074"], 422, "org_id"),
        ("atlantis", ["p023"], 404, None),
    ],
)
async def test_bad_municipality_contacts_are_refused(client, admin, org, ids, status, field):
    r = await client.put(
        f"/directory/municipality-contacts/{org}", headers=admin, json={"person_ids": ids}
    )
    assert r.status_code == status, r.text
    if field:
        assert r.json()["errors"][0]["field"] == field


async def test_readiness_of_the_demo_directory(client, admin):
    r = await client.get("/directory/readiness", headers=admin)
    assert r.status_code == 200 and r.json() == {"ready": True, "gaps": []}


async def test_authority_contacts_are_read_and_replaced(client, admin):
    url = "/directory/authority-contacts/kobenhavn"
    assert (await client.get(url, headers=admin)).json() == {"person_ids": ["p073"]}
    r = await client.put(url, headers=admin, json={"person_ids": ["p073", "p074"]})
    assert r.status_code == 200
    assert (await client.get(url, headers=admin)).json() == {"person_ids": ["p073", "p074"]}
    bad = await client.put(url, headers=admin, json={"person_ids": ["p999"]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "person_ids[0]"
    assert (
        await client.get("/directory/authority-contacts/atlantis", headers=admin)
    ).status_code == 404


async def _signed_in(session, phone: str) -> str:
    now = utcnow()
    await request_code(session, phone, "10.0.0.1", playbook=demo_config().playbook, now=now)
    sms = (await session.exec(select(OutboxMessage).where(OutboxMessage.recipient == phone))).all()
    code = re.search(r"\b(\d{6})\b", sms[-1].body)[1]
    result, token = await sign_in(session, phone, code, "10.0.0.1", "UA", now=now)
    assert result is SignInResult.ok
    return token


async def test_an_admin_ends_a_persons_web_sessions(client, admin, session):
    tokens = [await _signed_in(session, "+4550100075") for _ in range(2)]
    other = await _signed_in(session, "+4550100001")
    r = await client.post("/directory/people/p003/sessions/end", headers=admin)
    assert r.status_code == 200 and r.json() == {"ended": 2}
    for token in tokens:
        assert await identify(session, token, now=utcnow()) is None
    assert await identify(session, other, now=utcnow()) is not None
    r = await client.post("/directory/people/p003/sessions/end", headers=admin)
    assert r.json() == {"ended": 0}
    r = await client.post("/directory/people/nobody/sessions/end", headers=admin)
    assert r.status_code == 404


@pytest.mark.parametrize("role", [r for r in TokenRole if r is not TokenRole.admin])
async def test_only_an_admin_ends_sessions(client, session, admin, role):
    org = "aarhus" if role is TokenRole.authority else None  # p003's own organisation
    token = await make_token(session, role, person_id="p003", org_id=org)
    r = await client.post("/directory/people/p003/sessions/end", headers=bearer(token))
    assert r.status_code == 403


async def test_deactivating_by_patch_signs_the_person_out(client, admin, session):
    token = await _signed_in(session, "+4550100075")
    r = await client.patch("/directory/people/p003", headers=admin, json={"active": False})
    assert r.status_code == 200
    assert await identify(session, token, now=utcnow()) is None
    row = (await session.exec(select(WebSession))).one()
    await session.refresh(row)
    assert row.ended_at is not None
