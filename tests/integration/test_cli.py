"""The token commands and readiness when the database is gone."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime, timedelta

import httpx
from asgi_lifespan import LifespanManager

from api.app import create_app
from beredskab.auth.models import TokenRole
from beredskab.auth.service import create_token
from beredskab.metadata import utcnow
from tests.conftest import make_settings
from tests.factories import bearer


async def _cli(db, *args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "beredskab",
        *args,
        env={**os.environ, "DATABASE_URL": db.url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    return proc.returncode, out.decode()


async def test_token_create_list_revoke(db, client):
    code, out = await _cli(db, "token", "create", "admin", "--label", "vagt")
    assert code == 0
    token = out.strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/admin/tokens", headers=headers)).status_code == 200
    code, out = await _cli(db, "token", "list")
    assert code == 0 and "vagt" in out and token not in out and "active" in out
    token_id = out.strip().splitlines()[0].split("\t")[0]
    assert (await _cli(db, "token", "revoke", token_id))[0] == 0
    assert (await client.get("/admin/tokens", headers=headers)).status_code == 401
    code, out = await _cli(db, "token", "create", "authority")
    assert code == 1 and "org_id" in out


async def test_readyz_fails_while_the_database_is_unreachable(db, tmp_path):
    unreachable = "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere"
    app = create_app(make_settings(db, database_url=unreachable))
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            r = await c.get("/readyz")
            assert r.status_code == 503 and "unreachable" in r.json()["detail"]
            assert (await c.get("/healthz")).status_code == 200


async def test_token_create_with_an_expiry_and_list_shows_it_and_its_last_use(db, app, client):
    code, out = await _cli(
        db, "token", "create", "finance", "--label", "økonomisystem", "--expires", "2199-12-30"
    )
    assert code == 0, out
    token = out.strip().splitlines()[-1]
    code, out = await _cli(db, "token", "list")
    (line,) = out.strip().splitlines()
    # through 30 December 2199 in Copenhagen: expires at the next local midnight
    assert "\tactive\texpires 2199-12-31T00:00+01:00\tlast used -" in line
    works = await client.get("/tariffs", headers={"Authorization": f"Bearer {token}"})
    assert works.status_code == 200
    await app.state.runtime.token_use.flush()
    code, out = await _cli(db, "token", "list")
    used = out.strip().split("\tlast used ")[1].split("\t")[0]  # the label follows
    assert abs(datetime.fromisoformat(used) - datetime.now(UTC)) < timedelta(minutes=2)
    for refused in ("2020-01-01", "soon"):
        code, out = await _cli(
            db, "token", "create", "finance", "--label", "x", "--expires", refused
        )
        assert code == 1 and "expires" in out


async def test_token_list_says_which_tokens_have_expired(db):
    now = utcnow()
    async with db.sessionmaker() as session:
        await create_token(
            session, TokenRole.admin, label="gammel", expires_at=now, now=now - timedelta(days=1)
        )
    code, out = await _cli(db, "token", "list")
    assert code == 0 and "\texpired\t" in out and "gammel" in out


async def _active_demo_tokens(db) -> list[str]:
    code, out = await _cli(db, "token", "list")
    assert code == 0
    return [
        line for line in out.splitlines() if line.endswith("\tmake run") and "\tactive\t" in line
    ]


async def test_make_run_reuses_its_demo_token(db, client, tmp_path):
    kept = tmp_path / ".demo-token"
    code, out = await _cli(db, "token", "demo", "--file", str(kept))
    assert code == 0, out
    token = out.strip().splitlines()[-1]
    assert kept.read_text().strip() == token and kept.stat().st_mode & 0o777 == 0o600
    assert (await client.get("/admin/tokens", headers=bearer(token))).status_code == 200
    code, out = await _cli(db, "token", "demo", "--file", str(kept))
    assert code == 0 and out.strip().splitlines()[-1] == token  # the same token, no new one
    assert len(await _active_demo_tokens(db)) == 1
    # the file is gone (or was never this database's): a new token, and the lost one revoked
    kept.unlink()
    code, out = await _cli(db, "token", "demo", "--file", str(kept))
    fresh = out.strip().splitlines()[-1]
    assert code == 0 and fresh != token and kept.read_text().strip() == fresh
    assert [line.split("\t")[0] for line in await _active_demo_tokens(db)] == ["2"]
    assert (await client.get("/admin/tokens", headers=bearer(token))).status_code == 401
    # a kept token that no longer works (revoked here) is replaced as well
    assert (await _cli(db, "token", "revoke", "2"))[0] == 0
    code, out = await _cli(db, "token", "demo", "--file", str(kept))
    assert code == 0 and out.strip().splitlines()[-1] not in (token, fresh)
