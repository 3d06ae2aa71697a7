"""Directory admin endpoints."""

from __future__ import annotations

from beredskab.auth.models import TokenRole
from beredskab.directory.service import import_directory, load_text
from tests.factories import bearer, make_token
from tests.integration.test_directory import DEMO


async def _setup(session):
    await import_directory(session, load_text(DEMO.read_text(encoding="utf-8")), "test")
    return await make_token(session, TokenRole.admin)


async def test_people_crud_validates_phone_and_org(client, session):
    admin = await _setup(session)
    h = bearer(admin)
    r = await client.post(
        "/directory/people",
        headers=h,
        json={"id": "p100", "name": "Nye Hansen", "phone": "20 12 34 56", "org_id": "odder"},
    )
    assert r.status_code == 201 and r.json()["phone"] == "+4520123456"
    bad = await client.post(
        "/directory/people",
        headers=h,
        json={"id": "p101", "name": "X", "phone": "+45 123", "org_id": "odder"},
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "phone"
    dup = await client.post(
        "/directory/people",
        headers=h,
        json={"id": "p102", "name": "X", "phone": "+4520123456", "org_id": "odder"},
    )
    assert dup.status_code == 422 and "already the phone" in dup.json()["detail"]
    r = await client.patch("/directory/people/p100", headers=h, json={"active": False})
    assert r.status_code == 200 and r.json()["active"] is False
    assert (await client.patch("/directory/people/nobody", headers=h, json={})).status_code == 404


async def test_roster_and_contacts_replace_and_readiness_follows(client, session):
    admin = await _setup(session)
    h = bearer(admin)
    assert (await client.get("/directory/readiness", headers=h)).json()["ready"] is True
    r = await client.put("/directory/roster/log_keeper", headers=h, json={"person_ids": ["p003"]})
    assert r.status_code == 200
    assert (await client.get("/directory/roster/log_keeper", headers=h)).json() == {
        "person_ids": ["p003"]
    }
    readiness = (await client.get("/directory/readiness", headers=h)).json()
    assert readiness["ready"] is False
    assert {
        "kind": "too_few_deputies",
        "subject": "log_keeper",
        "detail": "log_keeper has 0 deputies, needs 2",
    } in readiness["gaps"]
    bad = await client.put(
        "/directory/roster/log_keeper", headers=h, json={"person_ids": ["p003", "p003"]}
    )
    assert bad.status_code == 422
    unknown = await client.put(
        "/directory/municipality-contacts/skive", headers=h, json={"person_ids": ["p999"]}
    )
    assert unknown.status_code == 422 and "p999" in unknown.json()["detail"]
    assert (
        await client.put("/directory/steering-group", headers=h, json={"person_ids": ["p012"]})
    ).status_code == 200


async def test_staff_and_steering_may_read_readiness_but_not_edit(client, session):
    await _setup(session)
    steering = await make_token(session, TokenRole.steering)
    assert (await client.get("/directory/readiness", headers=bearer(steering))).status_code == 200
    r = await client.put(
        "/directory/steering-group", headers=bearer(steering), json={"person_ids": []}
    )
    assert r.status_code == 403
