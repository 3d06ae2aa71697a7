from sqlalchemy import text

from beredskab.auth.models import TokenRole
from tests.factories import bearer, make_token


async def test_healthz_answers(client):
    r = await client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


async def test_readyz_is_ready_at_head(client):
    r = await client.get("/readyz")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "ready"


async def test_readyz_fails_when_schema_is_behind(client, db):
    async with db.engine.begin() as conn:
        head = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
        await conn.execute(text("UPDATE alembic_version SET version_num = 'behind'"))
    try:
        r = await client.get("/readyz")
    finally:  # PostgreSQL's test database is shared by the session (truncation spares this table)
        async with db.engine.begin() as conn:
            await conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
    assert r.status_code == 503
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "beredskab migrate" in r.json()["detail"]


async def test_missing_token_is_401_problem(client):
    r = await client.get("/admin/tokens")
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_token_create_list_revoke_roundtrip(client, session):
    admin = await make_token(session, TokenRole.admin)
    r = await client.post(
        "/admin/tokens", json={"role": "finance", "label": "økonomi"}, headers=bearer(admin)
    )
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["token"].startswith("ddh_")
    assert (await client.get("/admin/tokens", headers=bearer(created["token"]))).status_code == 403
    listed = (await client.get("/admin/tokens", headers=bearer(admin))).json()
    assert all("token" not in t for t in listed)
    assert (
        await client.delete(f"/admin/tokens/{created['id']}", headers=bearer(admin))
    ).status_code == 200
    assert (await client.get("/admin/tokens", headers=bearer(created["token"]))).status_code == 401


async def test_authority_token_needs_organisation(client, session):
    admin = await make_token(session, TokenRole.admin)
    r = await client.post("/admin/tokens", json={"role": "authority"}, headers=bearer(admin))
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "org_id"


async def test_validation_error_names_field(client, session):
    admin = await make_token(session, TokenRole.admin)
    r = await client.post("/admin/tokens", json={"role": "pope"}, headers=bearer(admin))
    assert r.status_code == 422
    body = r.json()
    assert body["errors"][0]["field"] == "role"
    assert "role" in body["detail"]


async def test_malformed_json_names_the_body(client, session):
    admin = await make_token(session, TokenRole.admin)
    r = await client.post(
        "/admin/tokens",
        content=b'{"role": ',
        headers={**bearer(admin), "content-type": "application/json"},
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "body"


async def test_metrics_count_without_revealing_anyone(db):
    from tests.scenario import open_world

    async with await open_world(db) as world:
        await world.activate("steering")
        await world.drain()
        await world.sms("+4511111111", "hvad?")  # an unknown sender: answered, counted nowhere
        r = await world.client.get("/metrics")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
        lines = dict(
            line.rsplit(" ", 1) for line in r.text.splitlines() if not line.startswith("#")
        )
        assert lines['beredskab_activations{status="active"}'] == "1"
        assert lines['beredskab_open_pages{purpose="role"}'] == "4"
        # the four pages and the authority's "godkendt" text
        assert lines['beredskab_outbox_messages{channel="sms",status="sent"}'] == "5"
        assert lines['beredskab_outbox_messages{channel="sms",status="pending"}'] == "1"
        # the unknown sender's answer is still queued: its age is measured, and small
        assert 0 < float(lines["beredskab_oldest_pending_message_age_seconds"]) < 60
        assert lines["beredskab_inbound_sms_failed"] == "0"
        assert lines["beredskab_inbound_sms_in_line"] == "0"
        assert "+45" not in r.text and "Navn" not in r.text
