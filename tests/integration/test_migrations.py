"""Migrations: upgrade, downgrade and upgrade through every revision, then `alembic check`
finds no difference from the models, on SQLite and on PostgreSQL (a database of its own)."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from beredskab.migrations_support import alembic_config
from tests.conftest import DATABASES, PG_URL


async def _recreate_pg(url: str) -> str:
    dsn = url.replace("postgresql+asyncpg", "postgresql")
    base, name = dsn.rsplit("/", 1)
    scratch = f"{name}_migrations"
    conn = await asyncpg.connect(f"{base}/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{scratch}"')
    finally:
        await conn.close()
    return url.rsplit("/", 1)[0] + "/" + scratch


@pytest.mark.parametrize("kind", DATABASES)
def test_stairway_and_check_on_an_empty_database(kind, tmp_path):
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/migrations.db"
    else:
        url = asyncio.run(_recreate_pg(PG_URL))
    cfg = alembic_config(url)
    revisions = list(reversed(list(ScriptDirectory.from_config(cfg).walk_revisions())))
    assert revisions, "no migrations"
    for rev in revisions:
        command.upgrade(cfg, rev.revision)
        command.downgrade(cfg, rev.down_revision or "base")
        command.upgrade(cfg, rev.revision)
    command.check(cfg)  # raises if the models and the migrated schema differ


async def _run(url: str, *statements: str) -> list:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            result = [await conn.execute(text(s)) for s in statements]
            return result[-1].all() if result[-1].returns_rows else []
    finally:
        await engine.dispose()


@pytest.mark.parametrize("kind", DATABASES)
def test_numbers_stored_before_verification_start_verified(kind, tmp_path):
    """0014: the numbers in use when it runs are taken as verified (#15.2); new ones are not."""
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/verified.db"
    else:
        url = asyncio.run(_recreate_pg(PG_URL))
    cfg = alembic_config(url)
    command.upgrade(cfg, "0012")
    asyncio.run(
        _run(
            url,
            "INSERT INTO organisation (id, name, kind, ddh_member, contact_centre)"
            " VALUES ('ddh', 'DDH', 'cooperation', true, false)",
            "INSERT INTO person (id, name, phone, org_id, active)"
            " VALUES ('p1', 'Nina Holm', '+4520123456', 'ddh', true)",
        )
    )
    command.upgrade(cfg, "0014")
    [(verified_at, code, unreachable_at)] = asyncio.run(
        _run(url, "SELECT phone_verified_at, phone_code, phone_unreachable_at FROM person")
    )
    assert verified_at is not None and code is None and unreachable_at is None


async def _two_open_pages_with_one_code(url: str) -> list[int]:
    """Two open pages of one person with one code, in two activations (the race 0021 ends)."""
    from beredskab.activations.models import Page, PagePurpose
    from beredskab.db import make_engine, make_sessionmaker
    from tests.factories import make_activation, make_org, make_person

    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            org = await make_org(session)
            person = await make_person(session, org.id)
            made = []
            for _ in range(2):
                activation = await make_activation(session, authority_id=org.id)
                page = Page(
                    activation_id=activation.id,
                    purpose=PagePurpose.role,
                    person_id=person.id,
                    phone=person.phone,
                    code="1234",
                )
                session.add(page)
                await session.commit()
                made.append(page.id)
            return made
    finally:
        await engine.dispose()


@pytest.mark.parametrize("kind", DATABASES)
def test_open_pages_sharing_a_code_stop_the_migration_until_answered(kind, tmp_path):
    """0021: the index cannot be made over two open pages of one person with one code (codes
    already sent cannot change): the migration says so and stops; once one is answered, it
    runs, and the index refuses a new such pair."""
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/codes.db"
    else:
        url = asyncio.run(_recreate_pg(PG_URL))
    cfg = alembic_config(url)
    command.upgrade(cfg, "0020")
    first, _second = asyncio.run(_two_open_pages_with_one_code(url))
    with pytest.raises(RuntimeError, match="share a reply code"):
        command.upgrade(cfg, "0021")
    asyncio.run(_run(url, f"UPDATE page SET state = 'acked' WHERE id = {first}"))
    command.upgrade(cfg, "0021")
    with pytest.raises(Exception, match="(?i)unique"):
        asyncio.run(_run(url, f"UPDATE page SET state = 'open' WHERE id = {first}"))
